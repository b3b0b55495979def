// LocalStore: an ObjectStore over a local directory (the embedded default connector).
//
// The directory is a jail. Its own path is resolved once, when the store opens (symbolic
// links in it are the operator's choice); below it, every key is walked one segment at a time
// from the directory's descriptor (openat with O_NOFOLLOW), so no key reaches outside: a
// symbolic link anywhere on the way, to a file or a directory, inside the tree or out of it,
// is refused with PermissionDenied ("… is a symbolic link: a local directory connector does
// not follow links"), for reads, writes, copies, deletes and listings alike (List skips
// links). Only regular files are read (a FIFO or a device is refused, without blocking).
// Keys follow ValidateObjectKey (object_store.h): not empty, not absolute, no "." or ".."
// segments; empty segments ("a//b") are refused too, so one file has one key.
//
// Writes go to a hidden temporary file in the target's directory (TemporaryKey), which
// Commit() fsyncs and renames over the final name, then fsyncs the directory: readers see the
// old file or the whole new one. Temporary files are never listed. A new file gets mode 0644
// (less the umask), a replaced one keeps the mode of the file it replaces, and a secret one
// (WriteOptions::secret) is 0600 whatever it replaces. Copy makes a hard link.
#pragma once

#include <memory>
#include <string>

#include "storage/object_store.h"

namespace strm {

// `root` is created if missing.
Result<std::unique_ptr<ObjectStore>> OpenLocalStore(const std::string& root);

}  // namespace strm
