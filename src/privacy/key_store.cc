#include "privacy/key_store.h"

#include <chrono>
#include <cstring>

#include "core/bytes.h"

namespace strm {

int64_t DefaultKeyExpiry(int64_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  year_month_day later = ymd + years{7};
  if (!later.ok()) later = later.year() / later.month() / last;  // Feb 29 -> Feb 28
  return sys_days{later}.time_since_epoch().count() * int64_t{86400000};
}

std::string DataKey::KeyLinkText() const { return UuidText(key_link); }

DataKey NewDataKey(std::span<const uint8_t, kNewKeyRandomBytes> random, int64_t day) {
  DataKey key;
  key.keyset = TinkKeysetFromRandom(random.first<68>());
  std::memcpy(key.key_link.data(), random.data() + 68, 16);
  key.key_link[6] = (key.key_link[6] & 0x0f) | 0x40;  // version 4
  key.key_link[8] = (key.key_link[8] & 0x3f) | 0x80;  // RFC 4122 variant
  key.expires_at = DefaultKeyExpiry(day);
  return key;
}

}  // namespace strm
