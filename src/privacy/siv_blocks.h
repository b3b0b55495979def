// The 16-byte block arithmetic of AES-SIV's S2V (RFC 5297), shared by AesSiv and
// RowEncryptor: a block type, XOR of whole blocks, and doubling in GF(2^128).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/bytes.h"

namespace strm::siv {

constexpr size_t kBlock = 16;
using Block = std::array<uint8_t, kBlock>;

// A 16-byte vector (GCC/Clang extension; SSE2 on x86-64).
using Vec16 = uint8_t __attribute__((vector_size(16)));

inline Vec16 Load16(const uint8_t* p) {
  Vec16 v;
  std::memcpy(&v, p, kBlock);
  return v;
}

// dst ^= src, one block, in one 16-byte load and store: the AES code loads and stores whole
// blocks, so narrower accesses here would defeat the CPU's store forwarding.
inline void Xor16(uint8_t* dst, const uint8_t* src) {
  Vec16 d = Load16(dst) ^ Load16(src);
  std::memcpy(dst, &d, kBlock);
}

// Multiplication by x in GF(2^128) (RFC 5297 §2.3), without a secret-dependent branch.
inline Block Dbl(const Block& b) {
  uint64_t hi = LoadBe64(b.data()), lo = LoadBe64(b.data() + 8);
  uint64_t carry = hi >> 63;
  hi = (hi << 1) | (lo >> 63);
  lo = (lo << 1) ^ (0x87 & (0 - carry));
  Block out;
  StoreBe64(out.data(), hi);
  StoreBe64(out.data() + 8, lo);
  return out;
}

// The CTR counter of a synthetic IV: V with bits 63 and 31 cleared (RFC 5297 §2.6), as
// (high, low) 64-bit halves of a big-endian 128-bit counter.
inline void CtrStart(const Block& v, uint64_t& hi, uint64_t& lo) {
  hi = LoadBe64(v.data());
  lo = LoadBe64(v.data() + 8) & 0x7fffffff7fffffffULL;
}

}  // namespace strm::siv
