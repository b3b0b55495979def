// LocalStore: an ObjectStore over a local directory (the embedded default connector).
// Keys map to files under the root; writes go to a hidden temporary file in the target's
// directory ("<dir>/.<name>.strm-tmp-<uuid>"), which Commit() fsyncs and renames over the
// final name, so readers see the old file or the whole new one. Temporary files are never
// listed. Keys follow ValidateObjectKey (object_store.h): not empty, not absolute, no "." or
// ".." segments.
#pragma once

#include <memory>
#include <string>

#include "storage/object_store.h"

namespace strm {

// `root` is created if missing.
Result<std::unique_ptr<ObjectStore>> OpenLocalStore(const std::string& root);

// True for the names of temporary files of uncommitted writes.
bool IsLocalTempName(std::string_view file_name);

}  // namespace strm
