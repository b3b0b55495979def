// MemoryObjects: the objects of a store twin (memory_s3.h, memory_gcs.h, memory_azure.h): a
// thread-safe map from key to bytes in which every write makes a new version, numbered from 1
// across the map (GCS's generation; S3's and Azure's ETags are made from it). Unlike a store,
// it shows everything it holds, strm's temporaries included, so that tests can see what a
// run left behind.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/object_store.h"

namespace strm::testing {

struct StoredObject {
  std::string data;
  uint64_t generation = 0;
};

class MemoryObjects {
 public:
  // The object under `key`, or nullopt.
  std::optional<StoredObject> Get(std::string_view key) const;
  // Replaces (or creates) the object; returns its new generation.
  uint64_t Put(std::string_view key, std::string data);
  // Whether there was an object to delete.
  bool Delete(std::string_view key);
  // Every object whose key starts with `prefix`, temporaries included, sorted by key.
  std::vector<ObjectInfo> List(std::string_view prefix) const;
  // Every object: key -> bytes.
  std::map<std::string, std::string> Contents() const;
  // Holds exactly `contents` from now on (each object a new generation).
  void Reset(const std::map<std::string, std::string>& contents);

 private:
  mutable std::mutex mu_;
  std::map<std::string, StoredObject, std::less<>> objects_;
  uint64_t next_generation_ = 1;
};

}  // namespace strm::testing
