#include "jobs/key_cache.h"

#include <algorithm>
#include <cstring>

namespace strm {

void KeyCache::MakeId(std::string_view value, int64_t day, std::string& out) {
  out.resize(sizeof day);
  std::memcpy(out.data(), &day, sizeof day);
  out.append(value);
}

Result<std::vector<KeyEntry*>> KeyCache::Resolve(const std::vector<KeyRequest>& requests) {
  std::lock_guard lock(mu_);
  std::vector<KeyEntry*> out(requests.size(), nullptr);
  std::vector<KeyRequest> missing;
  std::vector<size_t> missing_at;
  std::string id;
  for (size_t i = 0; i < requests.size(); ++i) {
    MakeId(requests[i].value, requests[i].day, id);
    auto it = entries_.find(id);
    if (it != entries_.end()) {
      out[i] = it->second.get();
    } else {
      missing.push_back(requests[i]);
      missing_at.push_back(i);
    }
  }
  if (missing.empty()) return out;
  STRM_ASSIGN_OR_RETURN(std::vector<DataKey> keys, catalog_->GetOrCreateKeys(group_, missing));
  for (size_t j = 0; j < missing.size(); ++j) {
    MakeId(missing[j].value, missing[j].day, id);
    auto [it, inserted] = entries_.try_emplace(id, nullptr);
    if (inserted) it->second = std::make_unique<KeyEntry>(std::move(keys[j]));
    out[missing_at[j]] = it->second.get();  // duplicates in one request share the entry
  }
  return out;
}

std::vector<const KeyEntry*> KeyCache::UsedInOrder() const {
  std::lock_guard lock(mu_);
  std::vector<const KeyEntry*> used;
  for (const auto& [id, e] : entries_)
    if (e->first_row.load() != UINT64_MAX) used.push_back(e.get());
  std::sort(used.begin(), used.end(), [](const KeyEntry* a, const KeyEntry* b) {
    return a->first_row.load() < b->first_row.load();
  });
  return used;
}

}  // namespace strm
