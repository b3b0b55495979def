#include "privacy/key_store.h"

#include <gtest/gtest.h>

#include <array>

namespace strm {
namespace {

TEST(DefaultKeyExpiryTest, SevenCalendarYearsAfterMidnight) {
  EXPECT_EQ(DefaultKeyExpiry(19029), 1865030400000) << "2022-02-06 -> 2029-02-06T00:00Z";
  EXPECT_EQ(DefaultKeyExpiry(0), 220924800000) << "1970-01-01 -> 1977-01-01T00:00Z";
  EXPECT_EQ(DefaultKeyExpiry(19782), 1930003200000) << "2024-02-29 -> 2031-02-28T00:00Z";
  EXPECT_EQ(DefaultKeyExpiry(19783), 1930089600000) << "2024-03-01 -> 2031-03-01T00:00Z";
  EXPECT_EQ(DefaultKeyExpiry(-1), 220838400000) << "1969-12-31 -> 1976-12-31T00:00Z";
}

TEST(NewDataKeyTest, AVersion4KeyLinkAndTheKeysetFromTheRandomBytes) {
  std::array<uint8_t, kNewKeyRandomBytes> random{};
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<uint8_t>(i * 7 + 1);
  const DataKey k = NewDataKey(random, 19029);
  EXPECT_EQ(k.KeyLinkText()[14], '4') << k.KeyLinkText();
  EXPECT_TRUE(k.KeyLinkText()[19] == '8' || k.KeyLinkText()[19] == '9' ||
              k.KeyLinkText()[19] == 'a' || k.KeyLinkText()[19] == 'b')
      << "the RFC 4122 variant: " << k.KeyLinkText();
  EXPECT_EQ(k.keyset, TinkKeysetFromRandom(std::span<const uint8_t, 68>(random.data(), 68)));
  EXPECT_EQ(k.expires_at, DefaultKeyExpiry(19029));
  EXPECT_EQ(k.policy_id, "");
}

}  // namespace
}  // namespace strm
