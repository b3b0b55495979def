#include "privacy/masking.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "core/bytes.h"

namespace strm {
namespace {

uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

uint64_t MixK1(uint64_t k1) { return std::rotl(k1 * kC1, 31) * kC2; }
uint64_t MixK2(uint64_t k2) { return std::rotl(k2 * kC2, 33) * kC1; }

// h1 then h2 in lowercase hex without leading zeros, at `out` (32 bytes of room).
char* WriteMurmurHex(Hash128 h, char* out) {
  uint8_t bytes[16];
  StoreBe64(bytes, h.h1);
  StoreBe64(bytes + 8, h.h2);
  char digits[32];
  WriteHex32(bytes, digits);
  // Leading zero digits skipped; a zero half is "0", as std::to_chars writes it.
  for (int half = 0; half < 2; ++half) {
    const uint64_t v = half == 0 ? h.h1 : h.h2;
    const size_t skip = v == 0 ? 15 : static_cast<size_t>(std::countl_zero(v)) / 4;
    std::memcpy(out, digits + 16 * half + skip, 16 - skip);
    out += 16 - skip;
  }
  return out;
}

void AppendMurmurHex(Hash128 h, std::string& out) {
  char buf[32];
  out.append(buf, WriteMurmurHex(h, buf));
}

void AppendHex(const uint8_t* b, size_t n, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
}

// Appends the hex HMAC of `message` under `keyed`.
void AppendHmacHex(const HmacSha256& keyed, std::string_view message, std::string& out) {
  const std::array<uint8_t, 32> mac = keyed.Mac(message);
  AppendHex(mac.data(), mac.size(), out);
}

}  // namespace

Hash128 Murmur3X64_128(std::span<const uint8_t> data, uint32_t seed) {
  const uint8_t* p = data.data();
  const size_t n = data.size();
  uint64_t h1 = seed, h2 = seed;
  const size_t blocks = n / 16;
  for (size_t i = 0; i < blocks; ++i, p += 16) {
    h1 ^= MixK1(LoadLe64(p));
    h1 = std::rotl(h1, 27) + h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= MixK2(LoadLe64(p + 8));
    h2 = std::rotl(h2, 31) + h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  // The tail: bytes 8..14 feed k2 and bytes 0..7 feed k1, little-endian.
  const size_t rest = n & 15;
  uint64_t k1 = 0, k2 = 0;
  for (size_t i = rest; i > 8; --i) k2 |= uint64_t{p[i - 1]} << ((i - 9) * 8);
  for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) k1 |= uint64_t{p[i - 1]} << ((i - 1) * 8);
  if (rest > 8) h2 ^= MixK2(k2);
  if (rest > 0) h1 ^= MixK1(k1);

  h1 ^= n;
  h2 ^= n;
  h1 += h2;
  h2 += h1;
  h1 = Fmix64(h1);
  h2 = Fmix64(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

std::string StrmMurmurHex(Hash128 h) {
  std::string out;
  AppendMurmurHex(h, out);
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  std::string out;
  AppendHmacHex(HmacSha256(AsBytes(key)), message, out);
  return out;
}

Result<HashType> ParseHashType(std::string_view name) {
  if (name.empty() || name == "HASH_TYPE_UNSPECIFIED" || name == "0" || name == "MURMUR3_128" ||
      name == "1") {
    return HashType::kMurmur3_128;
  }
  if (name == "HMAC_SHA256" || name == "2") return HashType::kHmacSha256;
  return InvalidArgument("unknown hash type \"" + std::string(name) +
                         "\" (expected MURMUR3_128 or HMAC_SHA256)");
}

std::string_view HashTypeName(HashType t) {
  return t == HashType::kHmacSha256 ? "HMAC_SHA256" : "MURMUR3_128";
}

Masker::Masker(HashType type, std::string seed) : type_(type), seed_(std::move(seed)) {
  if (type_ == HashType::kHmacSha256) hmac_.emplace(AsBytes(seed_));
}

void Masker::MaskTo(std::string_view value, std::string& out) const {
  char buf[kMaxMaskSize];
  out.append(buf, WriteMask(value, buf));
}

char* Masker::WriteMask(std::string_view value, char* out) const {
  if (hmac_) {
    std::string hex;
    AppendHmacHex(*hmac_, value, hex);
    std::memcpy(out, hex.data(), hex.size());  // 64 digits
    return out + hex.size();
  }
  // Murmur over seed + value, concatenated on the stack for typical sizes.
  constexpr size_t kStackSize = 256;
  const size_t n = seed_.size() + value.size();
  if (n > kStackSize) {
    std::string joined = seed_;
    joined += value;
    return WriteMurmurHex(Murmur3X64_128(AsBytes(joined)), out);
  }
  uint8_t buf[kStackSize];
  if (!seed_.empty()) std::memcpy(buf, seed_.data(), seed_.size());
  if (!value.empty()) std::memcpy(buf + seed_.size(), value.data(), value.size());
  return WriteMurmurHex(Murmur3X64_128({buf, n}), out);
}

std::string Masker::Mask(std::string_view value) const {
  std::string out;
  MaskTo(value, out);
  return out;
}

}  // namespace strm
