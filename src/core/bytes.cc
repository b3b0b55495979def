#include "core/bytes.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace strm {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kB64[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kB64Decode = MakeDecodeTable();

int HexValue(char c) {  // either case
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return LowerHexValue(c);
}

}  // namespace

namespace {

// Two characters per 12 bits: half the lookups of one per 6 bits (ciphertexts are hot).
const std::array<char, 2 * 4096> kB64Pairs = [] {
  std::array<char, 2 * 4096> t{};
  for (size_t v = 0; v < 4096; ++v) {
    t[2 * v] = kB64[v >> 6];
    t[2 * v + 1] = kB64[v & 63];
  }
  return t;
}();

#if defined(__x86_64__)
// 48 bytes (16 triples) to 64 characters in a few instructions, as in Muła and Lemire,
// "Base64 encoding and decoding at almost the speed of a memory copy" (2019): each 32-bit
// lane gets its triple's bytes as [1, 0, 2, 1], one multishift puts each sextet in a byte
// (the upper two bits are ignored by the next step), one permute maps them to the alphabet.
// `triples` <= 16; only whole triples are read and only their characters written.
// (GCC 12's VBMI intrinsics pass an undefined vector on purpose and then warn about it.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) char* Base64Vbmi(const uint8_t* in,
                                                                        size_t triples, char* out) {
  const __m512i spread =
      _mm512_setr_epi32(0x01020001, 0x04050304, 0x07080607, 0x0a0b090a, 0x0d0e0c0d, 0x10110f10,
                        0x13141213, 0x16171516, 0x191a1819, 0x1c1d1b1c, 0x1f201e1f, 0x22232122,
                        0x25262425, 0x28292728, 0x2b2c2a2b, 0x2e2f2d2e);
  const __m512i shifts = _mm512_set1_epi64(0x3036242a1016040a);
  const __m512i alphabet = _mm512_loadu_si512(kB64);
  const __mmask64 load = triples == 16 ? ~__mmask64{0} >> 16 : (__mmask64{1} << (3 * triples)) - 1;
  const __mmask64 store = triples == 16 ? ~__mmask64{0} : (__mmask64{1} << (4 * triples)) - 1;
  const __m512i bytes = _mm512_maskz_loadu_epi8(load, in);
  const __m512i sextets =
      _mm512_multishift_epi64_epi8(shifts, _mm512_permutexvar_epi8(spread, bytes));
  _mm512_mask_storeu_epi8(out, store, _mm512_permutexvar_epi8(sextets, alphabet));
  return out + 4 * triples;
}
#pragma GCC diagnostic pop

bool UseBase64Vbmi() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vbmi");
  return has;
}
#endif

std::atomic<bool> force_scalar_base64{false};

}  // namespace

void ForceScalarBase64ForTesting(bool force) { force_scalar_base64.store(force); }

char* WriteBase64(std::span<const uint8_t> in, char* o) {
  size_t i = 0;
#if defined(__x86_64__)
  if (UseBase64Vbmi() && !force_scalar_base64.load(std::memory_order_relaxed)) {
    for (; i + 3 <= in.size(); i += 48) {
      const size_t triples = std::min<size_t>(16, (in.size() - i) / 3);
      o = Base64Vbmi(in.data() + i, triples, o);
      if (triples < 16) {
        i += 3 * triples;
        break;
      }
    }
  }
#endif
  for (; i + 3 <= in.size(); i += 3, o += 4) {
    uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    std::memcpy(o, &kB64Pairs[2 * (v >> 12)], 2);
    std::memcpy(o + 2, &kB64Pairs[2 * (v & 4095)], 2);
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t v = uint32_t{in[i]} << 16;
    if (rest == 2) v |= uint32_t{in[i + 1]} << 8;
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = rest == 2 ? kB64[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  return o;
}

void AppendBase64(std::span<const uint8_t> in, std::string& out) {
  const size_t pos = out.size();
  out.resize(pos + Base64Size(in.size()));
  WriteBase64(in, out.data() + pos);
}

std::string Base64Encode(std::span<const uint8_t> in) {
  std::string out;
  AppendBase64(in, out);
  return out;
}

Result<Bytes> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return InvalidArgument("invalid base64: length is not a multiple of 4");
  Bytes out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + j];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return InvalidArgument("invalid base64: data after padding");
      v[j] = kB64Decode[static_cast<uint8_t>(c)];
      if (v[j] < 0) return InvalidArgument("invalid base64: unexpected character");
    }
    uint32_t w = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | v[3];
    out.push_back(static_cast<uint8_t>(w >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(w >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(w));
  }
  return out;
}

std::string HexEncode(std::span<const uint8_t> in) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(in.size() * 2, '\0');
  for (size_t i = 0; i < in.size(); ++i) {
    out[2 * i] = kHex[in[i] >> 4];
    out[2 * i + 1] = kHex[in[i] & 15];
  }
  return out;
}

Result<Bytes> HexDecode(std::string_view in) {
  if (in.size() % 2 != 0) return InvalidArgument("invalid hex: odd length");
  Bytes out(in.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(in[2 * i]), lo = HexValue(in[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("invalid hex: unexpected character");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

void SecureRandom(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

Bytes SecureRandomBytes(size_t n) {
  Bytes b(n);
  SecureRandom(b);
  return b;
}

uint32_t SecureRandomUint32() {
  uint8_t b[4];
  SecureRandom(b);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

std::string NewUuidV4() {
  uint8_t b[16];
  SecureRandom(b);
  return UuidV4FromRandom(b);
}

std::string UuidV4FromRandom(std::span<const uint8_t, 16> random) {
  std::array<uint8_t, 16> b;
  std::memcpy(b.data(), random.data(), 16);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return UuidText(b);
}

std::string UuidText(std::span<const uint8_t, 16> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  for (size_t i = 0, o = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // the dashes
    out[o++] = kHex[bytes[i] >> 4];
    out[o++] = kHex[bytes[i] & 15];
  }
  return out;
}

bool ParseUuid(std::string_view text, std::array<uint8_t, 16>& out) {
  if (text.size() != 36) return false;
  size_t b = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i++] != '-') return false;
      continue;
    }
    const int hi = LowerHexValue(text[i]), lo = LowerHexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[b++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return true;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : HexValue(s[i]) < 0) return false;
  }
  return true;
}

}  // namespace strm
