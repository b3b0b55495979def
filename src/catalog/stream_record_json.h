// The form in which the catalog stores a stream (its sealed body): every member of
// StreamRecord but the name and created_at, which are columns of their own. Secrets included:
// the caller seals it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/catalog.h"

namespace strm {

std::string StreamToStoredJson(const StreamRecord& stream);
// Internal, naming the stream, when `body` is not such a form.
Result<StreamRecord> StreamFromStoredJson(std::string name, int64_t created_at,
                                          std::string_view body);

}  // namespace strm
