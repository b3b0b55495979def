#include "memory_objects.h"

namespace strm::testing {

std::optional<StoredObject> MemoryObjects::Get(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

uint64_t MemoryObjects::Put(std::string_view key, std::string data) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t generation = next_generation_++;
  objects_.insert_or_assign(std::string(key), StoredObject{std::move(data), generation});
  return generation;
}

bool MemoryObjects::Delete(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  objects_.erase(it);
  return true;
}

std::vector<ObjectInfo> MemoryObjects::List(std::string_view prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ObjectInfo> out;
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    out.push_back({it->first, it->second.data.size()});
  return out;
}

std::map<std::string, std::string> MemoryObjects::Contents() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> out;
  for (const auto& [key, object] : objects_) out.emplace(key, object.data);
  return out;
}

void MemoryObjects::Reset(const std::map<std::string, std::string>& contents) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_.clear();
  for (const auto& [key, data] : contents)
    objects_.emplace(key, StoredObject{data, next_generation_++});
}

}  // namespace strm::testing
