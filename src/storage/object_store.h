// ObjectStore: a flat namespace of named objects (a directory, a bucket, a container),
// addressed by '/'-separated keys relative to the store's root. Every connector implements
// it; jobs and exporters use nothing else. Implementations are thread-safe: several threads
// may open streams at once, but each stream is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/stream.h"

namespace strm {

struct ObjectInfo {
  std::string key;  // relative to the store's root, '/'-separated
  uint64_t size = 0;
};

struct WriteOptions {
  // The object holds keys or secrets. A local file is then created with mode 0600, and a
  // replaced one does not keep a wider mode; stores without file modes ignore it.
  bool secret = false;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // A short description for messages ("local directory /data", "s3://bucket").
  virtual std::string Describe() const = 0;

  // Where the object `key` lives, as a URI that two stores give alike exactly when they
  // reach the same object: "file:///abs/dir/key" (the directory's real path, symbolic links
  // resolved), "s3://host[:port]/bucket/key", "gs://bucket/key",
  // "https://account.blob.core.windows.net/container/key". Jobs compare these to refuse two
  // outputs (or an output and an input) that are one object under two names.
  virtual std::string ObjectUri(std::string_view key) const = 0;

  // Every object whose key starts with `prefix`, sorted by key. Temporary objects of
  // uncommitted writes and strm's own temporaries (IsTemporaryKey) are never listed.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;

  // Opens an object for streaming reads; NotFound if it does not exist.
  virtual Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) = 0;

  // Opens an object for writing. Nothing is visible under `key` until Commit(); then the
  // whole object replaces any previous one atomically.
  virtual Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                          const WriteOptions& options) = 0;
  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key) {
    return OpenWrite(key, WriteOptions{});
  }

  // Copies the object `from` to `to` inside the store, server-side where the store can (a
  // local directory makes a hard link: strm never writes a file in place, so the two stay
  // apart). `to` is replaced atomically, as by a Commit. NotFound if `from` does not exist.
  // A job keeps its outputs' previous versions this way while it commits, to put them back
  // if a later commit fails.
  virtual Status Copy(std::string_view from, std::string_view to) = 0;

  // Deletes an object; deleting a missing object is OK.
  virtual Status Delete(std::string_view key) = 0;
};

// A fresh name for a temporary object beside `key`: "dir/.name.strm-tmp-<uuid>". No store
// lists such names (IsTemporaryKey), so readers never see them.
std::string TemporaryKey(std::string_view key);

// True when the last segment of `key` is a temporary name of strm's: it starts with '.' and
// holds ".strm-tmp-".
bool IsTemporaryKey(std::string_view key);

// The rule for keys of stores whose keys become paths (a directory's files, S3 request paths):
// not empty, not absolute (no leading '/'), and no "." or ".." segment, which a file system
// or URL normalisation would resolve to another object. InvalidArgument naming the key:
// "an object name must not be empty", "object name '/a' is absolute", "object name 'a/../b'
// contains '..'". Stores add their own limits (length, characters) before it.
Status ValidateObjectKey(std::string_view key);

// Sorts a listing by key (byte order), as List promises.
void SortByKey(std::vector<ObjectInfo>& objects);

// Joins a path prefix and a key with exactly one '/' ("a/b" + "c" -> "a/b/c"; "" + "c" -> "c").
std::string JoinKey(std::string_view prefix, std::string_view key);

}  // namespace strm
