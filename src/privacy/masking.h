// Masks: replace a field value by a keyed hash of it, so equal values stay linkable inside
// one output without revealing the value. See docs/privacy.md.
//   MURMUR3_128 (STRM's default): MurmurHash3 x64_128, seed 0, over UTF-8(seed + value),
//     rendered as h1 then h2 in lowercase hex without leading zeros (31 or 32 chars, rarely
//     fewer). Fast, but not a cryptographic hash: anyone with the seed can test guesses.
//   HMAC_SHA256 (recommended): lowercase hex HMAC-SHA256 keyed with the seed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/hmac_sha256.h"
#include "core/result.h"

namespace strm {

struct Hash128 {
  uint64_t h1 = 0, h2 = 0;
};

Hash128 Murmur3X64_128(std::span<const uint8_t> data, uint32_t seed = 0);

// h1 then h2, each lowercase hex without leading zeros ("0" for a zero half).
std::string StrmMurmurHex(Hash128 h);

std::string HmacSha256Hex(std::string_view key, std::string_view message);

enum class HashType { kMurmur3_128, kHmacSha256 };

// "", "HASH_TYPE_UNSPECIFIED" (0) and "MURMUR3_128" (1) -> kMurmur3_128;
// "HMAC_SHA256" (2) -> kHmacSha256. Numbers may be given as text ("2").
Result<HashType> ParseHashType(std::string_view name);
std::string_view HashTypeName(HashType t);

// Masks values with one hash type and seed. Copies are cheap and independent; the const
// members are thread-safe (an HMAC starts from copies of the keyed states).
class Masker {
 public:
  Masker(HashType type, std::string seed);

  void MaskTo(std::string_view value, std::string& out) const;  // appends the mask
  std::string Mask(std::string_view value) const;
  // Writes the mask at `out`, which needs kMaxMaskSize bytes of room; returns its end.
  static constexpr size_t kMaxMaskSize = 64;
  char* WriteMask(std::string_view value, char* out) const;

 private:
  HashType type_;
  std::string seed_;
  std::optional<HmacSha256> hmac_;  // HMAC_SHA256's keyed states
};

}  // namespace strm
