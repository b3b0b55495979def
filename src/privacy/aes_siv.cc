#include "privacy/aes_siv.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "privacy/aes_block.h"
#include "privacy/siv_blocks.h"

namespace strm {
namespace {

using siv::Block;
using siv::Dbl;
using siv::kBlock;
using siv::Load16;
using siv::Vec16;
using siv::Xor16;

// Both halves of a key whose size was checked cannot be refused.
void MustSetKey(AesBlock& aes, std::span<const uint8_t> key) {
  if (!aes.SetKey(key).ok()) std::abort();
}

}  // namespace

struct AesSiv::State {
  AesBlock mac;                 // under K1, for CMAC (S2V)
  AesBlock ctr;                 // under K2, for the CTR keystream
  Block k1{}, k2{};             // CMAC subkeys (RFC 4493 §2.3)
  Block d_zero{};               // S2V's first value, CMAC(K1, 0^128)
  Block d_fixed{};              // S2V's value after the PrecomputeAd() components
  std::vector<Bytes> fixed_ad;  // those components, to recompute d_fixed on Rekey()
  size_t key_size = 0;

  State() = default;
  State(const State&) = default;  // for Clone()
  State& operator=(const State&) = delete;
  ~State() {
    OPENSSL_cleanse(k1.data(), kBlock);
    OPENSSL_cleanse(k2.data(), kBlock);
    OPENSSL_cleanse(d_zero.data(), kBlock);
    OPENSSL_cleanse(d_fixed.data(), kBlock);
  }

  // Sets both keys (`key` has a valid size) and derives everything that depends on them:
  // two key expansions and a few block encryptions, no allocation.
  void SetKey(std::span<const uint8_t> key) {
    const size_t half = key.size() / 2;
    MustSetKey(mac, key.first(half));
    MustSetKey(ctr, key.subspan(half));
    key_size = key.size();
    Block l{};
    mac.EncryptBlock(l.data(), l.data());  // L = AES(K1, 0^128)
    k1 = Dbl(l);
    k2 = Dbl(k1);
    OPENSSL_cleanse(l.data(), kBlock);
    const Block zero{};
    d_zero = Cmac(zero);
    d_fixed = AdState(fixed_ad);
  }

  // CBC-MAC from a zero chaining value over `head` then `tail` (both whole blocks).
  Block CbcMac(std::span<const uint8_t> head, std::span<const uint8_t> tail) const {
    Block x{};
    for (std::span<const uint8_t> part : {head, tail}) {
      for (size_t i = 0; i < part.size(); i += kBlock) {
        Xor16(x.data(), part.data() + i);
        mac.EncryptBlock(x.data(), x.data());
      }
    }
    return x;
  }

  // CMAC (RFC 4493) of any message.
  Block Cmac(std::span<const uint8_t> m) const {
    Block last{};
    size_t head = 0;
    if (!m.empty() && m.size() % kBlock == 0) {
      head = m.size() - kBlock;
      std::memcpy(last.data(), m.data() + head, kBlock);
      Xor16(last.data(), k1.data());
    } else {
      head = m.size() / kBlock * kBlock;
      size_t rest = m.size() - head;
      if (rest > 0) std::memcpy(last.data(), m.data() + head, rest);
      last[rest] = 0x80;
      Xor16(last.data(), k2.data());
    }
    return CbcMac(m.first(head), last);
  }

  // S2V's value after the components `ad` (spans or Bytes), starting from d_zero.
  template <typename Components>
  Block AdState(const Components& ad) const {
    Block d = d_zero;
    for (const auto& a : ad) {
      d = Dbl(d);
      Block c = Cmac(std::span<const uint8_t>(a));
      Xor16(d.data(), c.data());
    }
    return d;
  }

  // S2V's result given its value `d` before the last component `p` (RFC 5297 §2.4).
  Block S2vFinal(const Block& d, std::span<const uint8_t> p) const {
    alignas(16) uint8_t tail[2 * kBlock] = {};
    if (p.size() < kBlock) {  // T = dbl(D) xor pad(Sn): one complete block
      Block dd = Dbl(d);
      if (!p.empty()) std::memcpy(tail, p.data(), p.size());
      tail[p.size()] = 0x80;
      Xor16(tail, dd.data());
      Xor16(tail, k1.data());
      return CbcMac({}, {tail, kBlock});
    }
    // T = Sn xorend D. Only the last 16..31 bytes change; they, padded, are the tail.
    size_t head = (p.size() - kBlock) / kBlock * kBlock;
    size_t rest = p.size() - head;
    std::memcpy(tail, p.data() + head, rest);
    Xor16(tail + rest - kBlock, d.data());
    if (rest == kBlock) {
      Xor16(tail, k1.data());
      return CbcMac(p.first(head), {tail, kBlock});
    }
    tail[rest] = 0x80;
    Xor16(tail + kBlock, k2.data());
    return CbcMac(p.first(head), {tail, 2 * kBlock});
  }

  // S2vFinal(d, ps[i]) for each i (at most kLanes, none longer than kLaneBytes), their
  // CBC-MAC chains interleaved: step j encrypts block j of every chain in one call.
  static constexpr size_t kLanes = 8, kLaneBytes = 256;
  void S2vFinalMany(const Block& d, std::span<const std::span<const uint8_t>> ps, Block* v) const {
    alignas(16) uint8_t tails[kLanes][2 * kBlock] = {};
    size_t heads[kLanes], total[kLanes], steps = 0;
    const Block dd = Dbl(d);
    for (size_t f = 0; f < ps.size(); ++f) {  // the chains' blocks, as in S2vFinal
      std::span<const uint8_t> p = ps[f];
      uint8_t* tail = tails[f];
      if (p.size() < kBlock) {
        if (!p.empty()) std::memcpy(tail, p.data(), p.size());
        tail[p.size()] = 0x80;
        Xor16(tail, dd.data());
        Xor16(tail, k1.data());
        heads[f] = 0;
        total[f] = 1;
      } else {
        const size_t head = (p.size() - kBlock) / kBlock * kBlock, rest = p.size() - head;
        std::memcpy(tail, p.data() + head, rest);
        Xor16(tail + rest - kBlock, d.data());
        if (rest == kBlock) {
          Xor16(tail, k1.data());
        } else {
          tail[rest] = 0x80;
          Xor16(tail + kBlock, k2.data());
        }
        heads[f] = head / kBlock;
        total[f] = heads[f] + (rest == kBlock ? 1 : 2);
      }
      steps = std::max(steps, total[f]);
      v[f] = Block{};
    }
    alignas(16) uint8_t lanes[kLanes * kBlock];
    size_t lane_of[kLanes];
    for (size_t step = 0; step < steps; ++step) {
      size_t n = 0;
      for (size_t f = 0; f < ps.size(); ++f) {
        if (step >= total[f]) continue;
        const uint8_t* block =
            step < heads[f] ? ps[f].data() + step * kBlock : tails[f] + (step - heads[f]) * kBlock;
        Xor16(v[f].data(), block);
        std::memcpy(lanes + n * kBlock, v[f].data(), kBlock);
        lane_of[n++] = f;
      }
      mac.EncryptBlocks(lanes, lanes, n);
      for (size_t i = 0; i < n; ++i) std::memcpy(v[lane_of[i]].data(), lanes + i * kBlock, kBlock);
    }
    // No wipe: tails and lanes hold values computable from the plaintext and the key's
    // outputs (CMAC states), which the caller holds anyway; no key material.
  }

  // out = in xor AES-CTR keystream from Q = V with bits 63 and 31 cleared (RFC 5297 §2.6).
  void Ctr(const Block& v, const uint8_t* in, size_t n, uint8_t* out) const {
    constexpr Vec16 kMask = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                             0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff};
    Block q;
    Vec16 masked = Load16(v.data()) & kMask;
    std::memcpy(q.data(), &masked, kBlock);
    ctr.CtrXor(q.data(), in, out, n);
  }

  // Decrypts SIV ‖ ciphertext given S2V's value `d` before the plaintext component.
  Result<Bytes> Decrypt(const Block& d, std::span<const uint8_t> in) const {
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
  if (key.size() != 32 && key.size() != 48 && key.size() != 64) {
    return InvalidArgument("AES-SIV key must be 32, 48 or 64 bytes, not " +
                           std::to_string(key.size()));
  }
  auto s = std::make_unique<State>();
  s->SetKey(key);
  return AesSiv(std::move(s));
}

AesSiv AesSiv::Clone() const { return AesSiv(std::make_unique<State>(*s_)); }

void AesSiv::PrecomputeAd(const Ad& ad) {
  s_->fixed_ad.clear();
  for (std::span<const uint8_t> a : ad) s_->fixed_ad.emplace_back(a.begin(), a.end());
  s_->d_fixed = s_->AdState(ad);
}

Status AesSiv::Rekey(std::span<const uint8_t> key) {
  if (key.size() != s_->key_size)
    return InvalidArgument("AES-SIV key must be " + std::to_string(s_->key_size) +
                           " bytes to replace the current key, not " + std::to_string(key.size()));
  s_->SetKey(key);
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

void AesSiv::EncryptMany(std::span<const std::span<const uint8_t>> plaintexts,
                         uint8_t* const* out) const {
  constexpr size_t kLanes = State::kLanes, kLaneBytes = State::kLaneBytes;
  while (!plaintexts.empty()) {
    // A batch of up to kLanes short plaintexts; a long one goes alone.
    size_t n = 0;
    while (n < plaintexts.size() && n < kLanes && plaintexts[n].size() <= kLaneBytes) ++n;
    if (n == 0) {
      Encrypt(plaintexts[0], out[0]);
      plaintexts = plaintexts.subspan(1);
      ++out;
      continue;
    }
    Block v[kLanes];
    s_->S2vFinalMany(s_->d_fixed, plaintexts.first(n), v);
    // The keystreams of the whole batch in one call: every counter block, then one XOR each.
    alignas(16) uint8_t ks[kLanes * (kLaneBytes / kBlock + 1) * kBlock];
    size_t blocks = 0;
    for (size_t f = 0; f < n; ++f) {
      uint64_t hi, lo;
      siv::CtrStart(v[f], hi, lo);
      for (size_t b = 0; b * kBlock < plaintexts[f].size(); ++b, ++blocks) {
        StoreBe64(ks + blocks * kBlock, hi);
        StoreBe64(ks + blocks * kBlock + 8, lo);
        if (++lo == 0) ++hi;  // a 128-bit big-endian counter
      }
    }
    s_->ctr.EncryptBlocks(ks, ks, blocks);
    const uint8_t* k = ks;
    for (size_t f = 0; f < n; ++f) {
      const std::span<const uint8_t> p = plaintexts[f];
      std::memcpy(out[f], v[f].data(), kBlock);
      for (size_t i = 0; i < p.size(); ++i) out[f][kBlock + i] = p[i] ^ k[i];
      k += (p.size() + kBlock - 1) / kBlock * kBlock;
    }
    // No wipe either: the keystream is plaintext XOR ciphertext, both in the caller's hands.
    plaintexts = plaintexts.subspan(n);
    out += n;
  }
}

Result<Bytes> AesSiv::Decrypt(const Ad& ad, std::span<const uint8_t> siv_and_ciphertext) const {
  return s_->Decrypt(s_->AdState(ad), siv_and_ciphertext);
}

Result<Bytes> AesSiv::Decrypt(std::span<const uint8_t> siv_and_ciphertext) const {
  return s_->Decrypt(s_->d_fixed, siv_and_ciphertext);
}

}  // namespace strm
