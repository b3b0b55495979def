#include "privacy/aes_siv.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace strm {
namespace {

constexpr size_t kBlock = 16;
using Block = std::array<uint8_t, kBlock>;

// CBC-MAC input and CTR keystream go through stack buffers of this size, so no call
// allocates whatever the plaintext length; 512 bytes covers typical fields in one EVP call.
constexpr size_t kChunk = 512;

uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

void StoreBe64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

void XorInto(uint8_t* dst, const uint8_t* src, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] ^= src[i];
}

// Multiplication by x in GF(2^128) (RFC 5297 §2.3), without a secret-dependent branch.
Block Dbl(const Block& b) {
  uint64_t hi = LoadBe64(b.data()), lo = LoadBe64(b.data() + 8);
  uint64_t carry = hi >> 63;
  hi = (hi << 1) | (lo >> 63);
  lo = (lo << 1) ^ (0x87 & (0 - carry));
  Block out;
  StoreBe64(out.data(), hi);
  StoreBe64(out.data() + 8, lo);
  return out;
}

// OpenSSL cannot fail on AES with a valid key and whole blocks short of running out of
// memory; continuing would emit wrong ciphertexts, so stop.
void Check(int rc) {
  if (rc != 1) std::abort();
}

void AesUpdate(EVP_CIPHER_CTX* ctx, uint8_t* out, const uint8_t* in, size_t n) {
  int outl = 0;
  Check(EVP_EncryptUpdate(ctx, out, &outl, in, static_cast<int>(n)));
}

EVP_CIPHER_CTX* NewCtx(const EVP_CIPHER* cipher, const uint8_t* key) {
  static constexpr uint8_t kZeroIv[kBlock] = {};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) std::abort();
  Check(EVP_EncryptInit_ex(ctx, cipher, nullptr, key, kZeroIv));
  Check(EVP_CIPHER_CTX_set_padding(ctx, 0));
  return ctx;
}

EVP_CIPHER_CTX* CopyCtx(const EVP_CIPHER_CTX* from) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) std::abort();
  Check(EVP_CIPHER_CTX_copy(ctx, from));
  return ctx;
}

}  // namespace

struct AesSiv::State {
  // CMAC runs on an AES-CBC context under K1: one EVP call MACs many blocks. The context is
  // never re-initialised; its chaining value is always `chain` (the last block it output),
  // and a new MAC starts by XORing `chain` into its first block, which cancels it.
  EVP_CIPHER_CTX* mac = nullptr;
  EVP_CIPHER_CTX* ctr = nullptr;  // AES-ECB under K2, for the CTR keystream
  Block chain{};
  Block k1{}, k2{};             // CMAC subkeys (RFC 4493 §2.3)
  Block d_zero{};               // S2V's first value, CMAC(K1, 0^128)
  Block d_fixed{};              // S2V's value after the PrecomputeAd() components
  std::vector<Bytes> fixed_ad;  // those components, to recompute d_fixed on Rekey()
  size_t key_size = 0;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    EVP_CIPHER_CTX_free(mac);
    EVP_CIPHER_CTX_free(ctr);
    OPENSSL_cleanse(k1.data(), kBlock);
    OPENSSL_cleanse(k2.data(), kBlock);
  }

  // CBC-MAC from a zero chaining value over `head` then `tail` (both whole blocks; `tail`
  // is used as scratch).
  Block CbcMac(std::span<const uint8_t> head, std::span<uint8_t> tail) {
    if (head.empty()) {  // the common case of a short field: one call, in place
      XorInto(tail.data(), chain.data(), kBlock);
      AesUpdate(mac, tail.data(), tail.data(), tail.size());
      std::memcpy(chain.data(), tail.data() + tail.size() - kBlock, kBlock);
      return chain;
    }
    alignas(16) uint8_t buf[kChunk];
    size_t fill = 0;
    bool first = true;
    auto flush = [&] {
      if (first) XorInto(buf, chain.data(), kBlock);
      first = false;
      AesUpdate(mac, buf, buf, fill);
      std::memcpy(chain.data(), buf + fill - kBlock, kBlock);
      fill = 0;
    };
    for (std::span<const uint8_t> part : {head, std::span<const uint8_t>(tail)}) {
      while (!part.empty()) {
        size_t n = std::min(part.size(), kChunk - fill);
        std::memcpy(buf + fill, part.data(), n);
        fill += n;
        part = part.subspan(n);
        if (fill == kChunk) flush();
      }
    }
    if (fill > 0) flush();
    return chain;
  }

  // CMAC (RFC 4493) of any message.
  Block Cmac(std::span<const uint8_t> m) {
    Block last{};
    size_t head = 0;
    if (!m.empty() && m.size() % kBlock == 0) {
      head = m.size() - kBlock;
      std::memcpy(last.data(), m.data() + head, kBlock);
      XorInto(last.data(), k1.data(), kBlock);
    } else {
      head = m.size() / kBlock * kBlock;
      size_t rest = m.size() - head;
      if (rest > 0) std::memcpy(last.data(), m.data() + head, rest);
      last[rest] = 0x80;
      XorInto(last.data(), k2.data(), kBlock);
    }
    return CbcMac(m.first(head), last);
  }

  // Derives everything that depends on the key, once `mac` and `ctr` hold it.
  void DeriveSubkeys() {
    chain = Block{};
    Block l{};
    CbcMac({}, l);  // in place: L = AES(K1, 0^128)
    k1 = Dbl(l);
    k2 = Dbl(k1);
    OPENSSL_cleanse(l.data(), kBlock);
    const Block zero{};
    d_zero = Cmac(zero);
    Ad ad;
    for (const Bytes& a : fixed_ad) ad.emplace_back(a);
    d_fixed = AdState(ad);
  }

  // S2V's value after the components `ad`, starting from d_zero.
  Block AdState(const Ad& ad) {
    Block d = d_zero;
    for (std::span<const uint8_t> a : ad) {
      d = Dbl(d);
      Block c = Cmac(a);
      XorInto(d.data(), c.data(), kBlock);
    }
    return d;
  }

  // S2V's result given its value `d` before the last component `p` (RFC 5297 §2.4).
  Block S2vFinal(const Block& d, std::span<const uint8_t> p) {
    alignas(16) uint8_t tail[2 * kBlock] = {};
    if (p.size() < kBlock) {  // T = dbl(D) xor pad(Sn): one complete block
      Block dd = Dbl(d);
      if (!p.empty()) std::memcpy(tail, p.data(), p.size());
      tail[p.size()] = 0x80;
      XorInto(tail, dd.data(), kBlock);
      XorInto(tail, k1.data(), kBlock);
      return CbcMac({}, {tail, kBlock});
    }
    // T = Sn xorend D. Only the last 16..31 bytes change; they, padded, are the tail.
    size_t head = (p.size() - kBlock) / kBlock * kBlock;
    size_t rest = p.size() - head;
    std::memcpy(tail, p.data() + head, rest);
    XorInto(tail + rest - kBlock, d.data(), kBlock);
    if (rest == kBlock) {
      XorInto(tail, k1.data(), kBlock);
      return CbcMac(p.first(head), {tail, kBlock});
    }
    tail[rest] = 0x80;
    XorInto(tail + kBlock, k2.data(), kBlock);
    return CbcMac(p.first(head), {tail, 2 * kBlock});
  }

  // out = in xor AES-CTR keystream from Q = V with bits 63 and 31 cleared (RFC 5297 §2.6).
  void Ctr(const Block& v, const uint8_t* in, size_t n, uint8_t* out) {
    uint64_t hi = LoadBe64(v.data());
    uint64_t lo = LoadBe64(v.data() + 8) & 0x7fffffff7fffffff;
    alignas(16) uint8_t ks[kChunk];
    const size_t used = std::min(n, kChunk) / kBlock * kBlock + kBlock;
    while (n > 0) {
      size_t len = std::min(n, kChunk);
      size_t blocks = (len + kBlock - 1) / kBlock;
      for (size_t i = 0; i < blocks; ++i) {
        StoreBe64(ks + i * kBlock, hi);
        StoreBe64(ks + i * kBlock + 8, lo);
        if (++lo == 0) ++hi;  // a 128-bit big-endian counter
      }
      AesUpdate(ctr, ks, ks, blocks * kBlock);
      for (size_t i = 0; i < len; ++i) out[i] = in[i] ^ ks[i];
      in += len;
      out += len;
      n -= len;
    }
    OPENSSL_cleanse(ks, std::min(used, kChunk));
  }

  // Decrypts SIV ‖ ciphertext given S2V's value `d` before the plaintext component.
  Result<Bytes> Decrypt(const Block& d, std::span<const uint8_t> in) {
    if (in.size() < kBlock) {
      return InvalidArgument("AES-SIV ciphertext is " + std::to_string(in.size()) +
                             " bytes, shorter than the 16-byte SIV");
    }
    Block v;
    std::memcpy(v.data(), in.data(), kBlock);
    Bytes plain(in.size() - kBlock);
    Ctr(v, in.data() + kBlock, plain.size(), plain.data());
    Block expected = S2vFinal(d, plain);
    if (CRYPTO_memcmp(expected.data(), v.data(), kBlock) != 0) {
      OPENSSL_cleanse(plain.data(), plain.size());
      return InvalidArgument("AES-SIV authentication failed");
    }
    return plain;
  }
};

AesSiv::AesSiv(std::unique_ptr<State> s) : s_(std::move(s)) {}
AesSiv::AesSiv(AesSiv&&) noexcept = default;
AesSiv& AesSiv::operator=(AesSiv&&) noexcept = default;
AesSiv::~AesSiv() = default;

Result<AesSiv> AesSiv::Create(std::span<const uint8_t> key) {
  const EVP_CIPHER* cbc = nullptr;
  const EVP_CIPHER* ecb = nullptr;
  switch (key.size()) {
    case 32:
      cbc = EVP_aes_128_cbc();
      ecb = EVP_aes_128_ecb();
      break;
    case 48:
      cbc = EVP_aes_192_cbc();
      ecb = EVP_aes_192_ecb();
      break;
    case 64:
      cbc = EVP_aes_256_cbc();
      ecb = EVP_aes_256_ecb();
      break;
    default:
      return InvalidArgument("AES-SIV key must be 32, 48 or 64 bytes, not " +
                             std::to_string(key.size()));
  }
  auto s = std::make_unique<State>();
  s->key_size = key.size();
  s->mac = NewCtx(cbc, key.data());
  s->ctr = NewCtx(ecb, key.data() + key.size() / 2);
  s->DeriveSubkeys();
  return AesSiv(std::move(s));
}

AesSiv AesSiv::Clone() const {
  auto s = std::make_unique<State>();
  s->mac = CopyCtx(s_->mac);
  s->ctr = CopyCtx(s_->ctr);
  s->chain = s_->chain;
  s->k1 = s_->k1;
  s->k2 = s_->k2;
  s->d_zero = s_->d_zero;
  s->d_fixed = s_->d_fixed;
  s->fixed_ad = s_->fixed_ad;
  s->key_size = s_->key_size;
  return AesSiv(std::move(s));
}

void AesSiv::PrecomputeAd(const Ad& ad) {
  s_->fixed_ad.clear();
  for (std::span<const uint8_t> a : ad) s_->fixed_ad.emplace_back(a.begin(), a.end());
  s_->d_fixed = s_->AdState(ad);
}

Status AesSiv::Rekey(std::span<const uint8_t> key) {
  if (key.size() != s_->key_size)
    return InvalidArgument("AES-SIV key must be " + std::to_string(s_->key_size) +
                           " bytes to replace the current key, not " + std::to_string(key.size()));
  static constexpr uint8_t kZeroIv[kBlock] = {};
  // Same cipher: EVP keeps the fetched algorithm and only expands the new key.
  Check(EVP_EncryptInit_ex(s_->mac, nullptr, nullptr, key.data(), kZeroIv));
  Check(EVP_EncryptInit_ex(s_->ctr, nullptr, nullptr, key.data() + key.size() / 2, kZeroIv));
  s_->DeriveSubkeys();
  return Status::Ok();
}

void AesSiv::Encrypt(const Ad& ad, std::span<const uint8_t> plaintext, Bytes& out) const {
  size_t pos = out.size();
  out.resize(pos + kBlock + plaintext.size());
  Block v = s_->S2vFinal(s_->AdState(ad), plaintext);
  std::memcpy(out.data() + pos, v.data(), kBlock);
  s_->Ctr(v, plaintext.data(), plaintext.size(), out.data() + pos + kBlock);
}

void AesSiv::Encrypt(std::span<const uint8_t> plaintext, uint8_t* out) const {
  Block v = s_->S2vFinal(s_->d_fixed, plaintext);
  std::memcpy(out, v.data(), kBlock);
  s_->Ctr(v, plaintext.data(), plaintext.size(), out + kBlock);
}

Result<Bytes> AesSiv::Decrypt(const Ad& ad, std::span<const uint8_t> siv_and_ciphertext) const {
  return s_->Decrypt(s_->AdState(ad), siv_and_ciphertext);
}

Result<Bytes> AesSiv::Decrypt(std::span<const uint8_t> siv_and_ciphertext) const {
  return s_->Decrypt(s_->d_fixed, siv_and_ciphertext);
}

}  // namespace strm
