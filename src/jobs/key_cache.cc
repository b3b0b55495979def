#include "jobs/key_cache.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <new>
#include <type_traits>

#include "core/bytes.h"
#include "formats/csv_writer.h"

namespace strm {
namespace {

static_assert(sizeof(KeyEntry) == 128, "one entry per key of a run: keep it small");
static_assert(sizeof(KeyEntry) << 14 == HugePageBuffer::kPageSize, "a chunk is one huge page");
static_assert(std::is_trivially_destructible_v<KeyEntry>, "entries are never destroyed");

constexpr uint64_t kIndexMask = 0xffffffffULL;

uint64_t Tag(const KeyId& id) { return id.h1 & ~kIndexMask; }
size_t Home(const KeyId& id, size_t mask) {
  return static_cast<size_t>(id.h1 ^ static_cast<uint64_t>(id.day) * 0x9e3779b97f4a7c15ULL) & mask;
}

}  // namespace

char* KeyEntry::WriteKeyLink(char* out) const {
  // Once or twice per output row: the digits go from registers straight to their places
  // between the dashes (read back from a buffer, they stalled on the stores just made).
  __m128i first, second;
  Hex32(key_link.data(), first, second);
  auto put4 = [](char* p, __m128i v) {
    const int32_t x = _mm_cvtsi128_si32(v);
    std::memcpy(p, &x, 4);
  };
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), first);  // digits 0-7
  out[8] = '-';
  put4(out + 9, _mm_srli_si128(first, 8));  // 8-11
  out[13] = '-';
  put4(out + 14, _mm_srli_si128(first, 12));  // 12-15
  out[18] = '-';
  put4(out + 19, second);  // 16-19
  out[23] = '-';
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 24), _mm_srli_si128(second, 4));  // 20-27
  put4(out + 32, _mm_srli_si128(second, 12));                                         // 28-31
  return out + kKeyLinkSize;
}

void KeyEntry::AppendKeyLink(std::string& out) const {
  char text[kKeyLinkSize];
  out.append(text, WriteKeyLink(text));
}

KeyCache::KeyCache(KeyStore* store, std::string group, KeyGroupOptions options)
    : store_(store),
      group_(std::move(group)),
      options_(options),
      slots_(1024 * sizeof(uint64_t)),
      slot_count_(1024) {
  SecureRandom(hash_key_);
}

KeyId KeyCache::Identify(std::string_view value, int64_t day) const {
  const SipHash128 h = SipHash24x128(hash_key_, value);
  return {h.lo, h.hi, day};
}

KeyEntry* KeyCache::ProbeLocked(const KeyId& id, bool compare) const {
  const size_t mask = SlotMask();
  const uint64_t* slots = Slots();
  const uint64_t tag = Tag(id);
  for (size_t i = Home(id, mask);; i = (i + 1) & mask) {
    const uint64_t s = slots[i];
    if (s == 0) return nullptr;
    if ((s & ~kIndexMask) != tag) continue;
    KeyEntry& e = Entry((s & kIndexMask) - 1);
    if (!compare || e.id == id) return &e;
  }
}

void KeyCache::PrefetchLocked(const KeyId& id) const {
  __builtin_prefetch(&Slots()[Home(id, SlotMask())]);
}

void KeyCache::PrefetchEntryLocked(const KeyId& id) const {
  // Over slots prefetched earlier, touching no entry.
  if (const KeyEntry* e = ProbeLocked(id, /*compare=*/false)) e->Prefetch();
}

void KeyCache::GrowLocked() {
  // The entries in their order, not the old slots': one pass over memory instead of a cache
  // miss per entry (50 MB at 400,000 keys), while every other worker waits for the lock.
  slot_count_ *= 2;
  slots_ = HugePageBuffer(slot_count_ * sizeof(uint64_t));  // zero-filled
  uint64_t* slots = Slots();
  const size_t mask = SlotMask();
  for (uint64_t index = 0; index < count_; ++index) {
    const KeyId& id = Entry(index).id;
    size_t i = Home(id, mask);
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = (index + 1) | Tag(id);
  }
}

template <typename Make>
KeyEntry* KeyCache::FindOrInsertLocked(const KeyId& id, Make make) {
  // Load at most 1/2: when most rows make a new key, most lookups miss, and a miss probes
  // until an empty slot (about 2.5 slots at 1/2, 8.5 at 3/4).
  if ((count_ + 1) * 2 > slot_count_) GrowLocked();
  uint64_t* slots = Slots();
  const size_t mask = SlotMask();
  const uint64_t tag = Tag(id);
  size_t i = Home(id, mask);
  for (; slots[i] != 0; i = (i + 1) & mask) {
    if ((slots[i] & ~kIndexMask) != tag) continue;
    KeyEntry& e = Entry((slots[i] & kIndexMask) - 1);
    if (e.id == id) return &e;  // another thread added it meanwhile
  }
  DataKey key = make();
  if ((count_ >> kChunkBits) == chunks_.size())
    chunks_.emplace_back(sizeof(KeyEntry) << kChunkBits);
  KeyEntry& e = *new (&Entry(count_++)) KeyEntry;
  e.id = id;
  e.keyset = key.keyset;
  e.key_link = key.key_link;
  e.expires_at = key.expires_at;
  if (!key.policy_id.empty()) {
    auto it = std::find(policies_.begin(), policies_.end(), key.policy_id);
    e.policy = static_cast<uint32_t>(it - policies_.begin());
    if (it == policies_.end()) policies_.push_back(std::move(key.policy_id));
  }
  OPENSSL_cleanse(key.keyset.key.data(), key.keyset.key.size());
  slots[i] = count_ | tag;
  return &e;
}

Status KeyCache::Resolve(std::span<const Request> requests, std::span<KeyEntry*> out) {
  std::vector<size_t> missing;  // indices of requests not cached
  {
    std::shared_lock lock(mu_);  // lookups only: the workers look up side by side
    // The table and the entries are far larger than the caches: fetch each lookup's slot
    // 24 lookups ahead, then (the slot being there by then) its entry 12 ahead.
    constexpr size_t kSlotAhead = 24, kEntryAhead = 12;
    for (size_t i = 0; i < std::min(kSlotAhead, requests.size()); ++i)
      PrefetchLocked(requests[i].id);
    for (size_t i = 0; i < std::min(kEntryAhead, requests.size()); ++i)
      PrefetchEntryLocked(requests[i].id);
    for (size_t i = 0; i < requests.size(); ++i) {
      if (i + kSlotAhead < requests.size()) PrefetchLocked(requests[i + kSlotAhead].id);
      if (i + kEntryAhead < requests.size()) PrefetchEntryLocked(requests[i + kEntryAhead].id);
      out[i] = FindLocked(requests[i].id);
      if (out[i] != nullptr) {
        out[i]->MarkUsed(requests[i].row);
      } else {
        missing.push_back(i);
      }
    }
  }
  if (missing.empty()) return Status::Ok();
  KeyGroupWriter* writer = nullptr;
  {
    std::lock_guard writer_lock(writer_mu_);
    if (!writer_) {
      STRM_ASSIGN_OR_RETURN(writer_, store_->OpenKeyGroup(group_, options_));
    }
    writer = writer_.get();
  }
  // Outside the cache's lock, so that the other workers keep finding their keys: where the
  // missing keys are stored (HMACs), those stored before this run, and random bytes for the
  // rest. The keys are made under the lock, each once whatever the threads asking for it.
  std::vector<KeyLookup> lookups(missing.size());
  for (size_t j = 0; j < missing.size(); ++j) {
    const Request& r = requests[missing[j]];
    lookups[j] = writer->Lookup(r.value, r.id.day);
  }
  std::vector<std::optional<DataKey>> stored;
  if (writer->has_stored_keys()) {
    stored.resize(missing.size());
    STRM_RETURN_IF_ERROR(writer->FindStored(lookups, stored));
  }
  const size_t random_size = missing.size() * kNewKeyRandomBytes;
  auto random = std::make_unique_for_overwrite<uint8_t[]>(random_size);
  SecureRandom(std::span<uint8_t>(random.get(), random_size));

  std::vector<KeyLookup> new_lookups;
  std::vector<DataKey> new_keys;
  new_lookups.reserve(missing.size());
  new_keys.reserve(missing.size());
  {
    std::unique_lock lock(mu_);
    for (size_t j = 0; j < missing.size(); ++j) {
      const Request& r = requests[missing[j]];
      KeyEntry* e = FindOrInsertLocked(r.id, [&]() -> DataKey {
        if (!stored.empty() && stored[j]) return std::move(*stored[j]);
        new_lookups.push_back(lookups[j]);
        new_keys.push_back(
            NewDataKey(std::span<const uint8_t, kNewKeyRandomBytes>(
                           random.get() + j * kNewKeyRandomBytes, kNewKeyRandomBytes),
                       r.id.day));
        return new_keys.back();
      });
      e->MarkUsed(r.row);
      out[missing[j]] = e;
    }
  }
  OPENSSL_cleanse(random.get(), random_size);
  Status added = writer->AddNew(new_lookups, new_keys);
  for (DataKey& k : new_keys) OPENSSL_cleanse(k.keyset.key.data(), k.keyset.key.size());
  return added;
}

Status KeyCache::Flush() {
  std::lock_guard writer_lock(writer_mu_);
  return writer_ ? writer_->Flush() : Status::Ok();
}

void KeyCache::AppendKeysCsvLine(const KeyEntry& entry, std::string& out) const {
  entry.AppendKeyLink(out);
  out += ',';
  AppendTinkKeysetCsvField(entry.keyset, out);
  out += ',';
  AppendCsvField(out, PolicyId(entry));
  out += ',';
  char expires[24];
  out.append(expires, std::to_chars(expires, expires + sizeof expires, entry.expires_at).ptr);
  out += '\n';
}

const std::string& KeyCache::PolicyId(const KeyEntry& entry) const {
  std::shared_lock lock(mu_);
  return policies_[entry.policy];
}

size_t KeyCache::size() const {
  std::shared_lock lock(mu_);
  return count_;
}

}  // namespace strm
