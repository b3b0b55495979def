// Byte strings and their text encodings: standard padded base64 (RFC 4648 §4) and
// lowercase hex. Pure functions; thread-safe.
#pragma once

#include <emmintrin.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace strm {

using Bytes = std::vector<uint8_t>;

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Little-endian 64-bit words at unaligned addresses (hash functions).
inline uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// Big-endian 64-bit words at unaligned addresses (block-cipher code).
inline uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}
inline void StoreBe64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// memcmp(a, b, n) == 0, without a library call up to 16 bytes: for the short values that hot
// loops compare once a row (a timestamp's date prefix, a consent value).
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  if (n >= 8) {  // two words that overlap when n < 16
    uint64_t a0, b0, a1, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// Appends the padded base64 of `in` to `out` (no allocation when `out` has capacity).
void AppendBase64(std::span<const uint8_t> in, std::string& out);
// The same at a raw cursor with Base64Size(in.size()) bytes of room; returns the end. On
// CPUs with AVX-512 VBMI, 48 input bytes at a time go through SIMD (detected at run time).
char* WriteBase64(std::span<const uint8_t> in, char* out);
// Tests only: while true, WriteBase64 uses the portable code even where VBMI is present.
void ForceScalarBase64ForTesting(bool force);
constexpr size_t Base64Size(size_t n) { return (n + 2) / 3 * 4; }
std::string Base64Encode(std::span<const uint8_t> in);
// Decodes padded standard base64; whitespace and other characters are errors.
Result<Bytes> Base64Decode(std::string_view in);

std::string HexEncode(std::span<const uint8_t> in);
Result<Bytes> HexDecode(std::string_view in);
// The 32 lowercase hex digits of 16 bytes in two registers (SSE2): digits 0-15, 16-31.
inline void Hex32(const uint8_t* in, __m128i& first, __m128i& second) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), low4);
  const __m128i lo = _mm_and_si128(bytes, low4);
  auto hex = [](__m128i n) {  // '0' + n, or 'a' + n - 10 above 9
    const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)), _mm_set1_epi8(39));
    return _mm_add_epi8(n, _mm_add_epi8(_mm_set1_epi8('0'), letters));
  };
  first = hex(_mm_unpacklo_epi8(hi, lo));
  second = hex(_mm_unpackhi_epi8(hi, lo));
}

// The same at `out`. Inline: a batch job calls it for every row.
inline void WriteHex32(const uint8_t* in, char* out) {
  __m128i first, second;
  Hex32(in, first, second);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), first);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), second);
}

// The value of a lowercase hex digit, or -1 for any other character.
inline int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Cryptographically secure random bytes (OpenSSL's RAND_bytes); aborts if the RNG fails,
// since no key may ever be made from bad randomness.
void SecureRandom(std::span<uint8_t> out);
Bytes SecureRandomBytes(size_t n);
uint32_t SecureRandomUint32();

// A random RFC 4122 version-4 UUID in lowercase 8-4-4-4-12 form.
std::string NewUuidV4();
// The same from 16 bytes the caller drew from a secure random source.
std::string UuidV4FromRandom(std::span<const uint8_t, 16> random);
bool IsUuid(std::string_view s);
// The lowercase 8-4-4-4-12 text of a UUID's 16 bytes, as they are.
std::string UuidText(std::span<const uint8_t, 16> bytes);
// The bytes of a UUID in lowercase 8-4-4-4-12 text; false for anything else (so that the text
// written back from them is exactly the text read).
bool ParseUuid(std::string_view text, std::array<uint8_t, 16>& out);

}  // namespace strm
