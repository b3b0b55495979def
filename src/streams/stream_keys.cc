#include "streams/stream_keys.h"

#include <openssl/crypto.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/bytes.h"

namespace strm {
namespace {

std::string Context(std::string_view stream_id) { return "key-stream/" + std::string(stream_id); }

void Cleanse(std::string& s) { OPENSSL_cleanse(s.data(), s.size()); }

}  // namespace

Bytes SealStreamKey(const SecretBox& box, std::string_view stream_id, const StreamKeyRecord& k) {
  const nlohmann::json j = {
      {"keyLink", k.key.KeyLinkText()}, {"encryptionKey", TinkKeysetToJson(k.key.keyset)},
      {"policyId", k.key.policy_id},    {"expiresAt", k.key.expires_at},
      {"createdAt", k.created_at},      {"lookup", HexEncode(k.lookup)}};
  std::string text = j.dump();
  Bytes sealed = box.Seal(text, Context(stream_id));
  Cleanse(text);
  return sealed;
}

Result<StreamKeyRecord> OpenStreamKey(const SecretBox& box, std::string_view stream_id,
                                      std::span<const uint8_t> sealed) {
  STRM_ASSIGN_OR_RETURN(std::string text, box.Open(sealed, Context(stream_id)));
  const auto j = nlohmann::json::parse(text, nullptr, false);
  Cleanse(text);
  StreamKeyRecord k;
  try {
    STRM_ASSIGN_OR_RETURN(k.key.keyset,
                          ParseTinkKeysetJson(j.at("encryptionKey").get<std::string>()));
    auto lookup = HexDecode(j.at("lookup").get<std::string>());
    if (!ParseUuid(j.at("keyLink").get<std::string>(), k.key.key_link) || !lookup.ok() ||
        lookup->size() != 16)
      return InvalidArgument("a record of key stream " + std::string(stream_id) +
                             " is not a key record");
    std::memcpy(k.lookup.data(), lookup->data(), 16);
    k.key.policy_id = j.at("policyId").get<std::string>();
    k.key.expires_at = j.at("expiresAt").get<int64_t>();
    k.created_at = j.at("createdAt").get<int64_t>();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument("a record of key stream " + std::string(stream_id) +
                           " is not a key record");
  }
  return k;
}

StreamKeys::StreamKeys(const SecretBox& box, std::string stream_id, Store store,
                       std::chrono::milliseconds key_life)
    : box_(box),
      stream_id_(std::move(stream_id)),
      store_(std::move(store)),
      life_ms_(key_life.count()) {}

void StreamKeys::WithKey(std::string_view value, int64_t now, Ready ready) {
  std::string message = stream_id_;
  message += '\0';
  message.append(value);
  const std::array<uint8_t, 16> lookup = box_.LookupId(message);
  Cleanse(message);
  StreamKeyRecord made;
  {
    std::unique_lock lock(mu_);
    auto it = keys_.find(lookup);
    if (it != keys_.end() && it->second.record.created_at + life_ms_ > now) {
      if (!it->second.stored) {
        it->second.waiting.push_back(std::move(ready));
        return;
      }
      DataKey key = it->second.record.key;
      lock.unlock();
      return ready(std::move(key));
    }
    const Bytes random = SecureRandomBytes(kNewKeyRandomBytes);
    made.lookup = lookup;
    made.created_at = now;
    made.key =
        NewDataKey(std::span<const uint8_t, kNewKeyRandomBytes>(random.data(), kNewKeyRandomBytes),
                   now / 86'400'000);
    Entry& e = keys_[lookup];
    e.record = made;
    e.stored = false;
    e.waiting.assign(1, std::move(ready));
  }
  store_(made, [this, lookup, made](Status s) { Stored(lookup, made, std::move(s)); });
}

void StreamKeys::Stored(const std::array<uint8_t, 16>& lookup, const StreamKeyRecord& made,
                        Status s) {
  std::vector<Ready> waiting;
  {
    std::lock_guard lock(mu_);
    auto it = keys_.find(lookup);
    if (it == keys_.end() || it->second.record.key.key_link != made.key.key_link) return;
    waiting.swap(it->second.waiting);
    if (s.ok()) {
      it->second.stored = true;
    } else {
      keys_.erase(it);  // the next event of the value tries a new key
    }
  }
  for (Ready& r : waiting) {
    if (s.ok()) {
      r(made.key);
    } else {
      r(s);
    }
  }
}

void StreamKeys::Restore(const StreamKeyRecord& k) {
  std::lock_guard lock(mu_);
  Entry& e = keys_[k.lookup];
  if (e.stored && e.record.created_at > k.created_at) return;
  e.record = k;
  e.stored = true;
}

size_t StreamKeys::size() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace strm
