// SipHash-2-4 (Aumasson & Bernstein): a fast keyed pseudorandom function for short inputs.
// Used where a hash table must not let input values be chosen to collide (flooding) or
// where the table should not hold identifying values: with a secret random key, nobody can
// find two inputs with the same output faster than by trying. Pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace strm {

using SipKey = std::array<uint8_t, 16>;

// The 64-bit SipHash-2-4 of `data` under `key`, the reference implementation's output read
// as a little-endian integer.
uint64_t SipHash24(const SipKey& key, std::span<const uint8_t> data);
inline uint64_t SipHash24(const SipKey& key, std::string_view data) {
  return SipHash24(key, {reinterpret_cast<const uint8_t*>(data.data()), data.size()});
}

// SipHash-2-4 with its 128-bit output (the reference's second variant): `lo` is the first
// eight bytes of the reference output read as a little-endian integer, `hi` the last eight.
// One call costs little more than the 64-bit one, so it beats two of those under two keys.
struct SipHash128 {
  uint64_t lo = 0, hi = 0;
};
SipHash128 SipHash24x128(const SipKey& key, std::span<const uint8_t> data);
inline SipHash128 SipHash24x128(const SipKey& key, std::string_view data) {
  return SipHash24x128(key, {reinterpret_cast<const uint8_t*>(data.data()), data.size()});
}

}  // namespace strm
