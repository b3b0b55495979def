// The stream verbs of the embedded platform (platform.h) over a catalog: the rules of
// creating and deleting streams that need the catalog (the source exists and is a source
// stream, masked fields are fields of their contract, derived streams go first on a
// recursive delete). Thread-safe as the catalog is.
#pragma once

#include <string_view>

#include "catalog/catalog.h"
#include "core/result.h"
#include "platform/platform.h"

namespace strm {

// Platform::CreateStream's contract.
Result<StreamRecord> CreateStreamIn(Catalog& catalog, StreamRecord stream);

// Platform::DeleteStream's contract, for the catalog's part.
Status DeleteStreamIn(Catalog& catalog, std::string_view name, bool recursive);

// The key stream of `stream`; NotFound for a derived stream, which has none.
Result<KeyStream> KeyStreamOf(const StreamRecord& stream);

}  // namespace strm
