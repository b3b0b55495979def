#include "core/siphash.h"

#include <bit>

#include "core/bytes.h"

namespace strm {
namespace {

struct State {
  uint64_t v0, v1, v2, v3;

  void Round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  void Absorb(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

// Initialisation, compression and the last block, shared by both output sizes; the 128-bit
// variant starts with v1 ^= 0xee.
[[gnu::always_inline]] inline State Absorbed(const SipKey& key, std::span<const uint8_t> data,
                                             uint64_t v1_tweak) {
  const uint64_t k0 = LoadLe64(key.data()), k1 = LoadLe64(key.data() + 8);
  State s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL ^ v1_tweak,
          k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
  const uint8_t* p = data.data();
  size_t n = data.size();
  for (; n >= 8; n -= 8, p += 8) s.Absorb(LoadLe64(p));
  // The last block: the remaining bytes, and the length's low byte at the top.
  uint64_t last = static_cast<uint64_t>(data.size()) << 56;
  for (size_t i = 0; i < n; ++i) last |= static_cast<uint64_t>(p[i]) << (8 * i);
  s.Absorb(last);
  return s;
}

}  // namespace

uint64_t SipHash24(const SipKey& key, std::span<const uint8_t> data) {
  State s = Absorbed(key, data, 0);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

SipHash128 SipHash24x128(const SipKey& key, std::span<const uint8_t> data) {
  State s = Absorbed(key, data, 0xee);
  s.v2 ^= 0xee;
  for (int i = 0; i < 4; ++i) s.Round();
  SipHash128 out;
  out.lo = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  s.v1 ^= 0xdd;
  for (int i = 0; i < 4; ++i) s.Round();
  out.hi = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  return out;
}

}  // namespace strm
