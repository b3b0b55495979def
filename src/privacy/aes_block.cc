#include "privacy/aes_block.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "core/bytes.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STRM_AES_X86 1
#include <immintrin.h>
// Compiles one function for AES-NI without -maes for the whole project; such functions run
// only after AesNiAvailable() said yes.
#define STRM_AESNI __attribute__((target("aes,sse4.1")))
#else
#define STRM_AES_X86 0
#endif

namespace strm {
namespace {

constexpr size_t kBlock = AesBlock::kBlockSize;

std::atomic<bool> force_fallback{false};

// OpenSSL cannot fail on AES-ECB with a valid key and whole blocks short of running out of
// memory; continuing would emit wrong ciphertexts, so stop.
void Check(int rc) {
  if (rc != 1) std::abort();
}

// ---- Portable fallback: an OpenSSL AES-ECB context without padding ----

const EVP_CIPHER* EcbCipher(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_ecb();
    case 24:
      return EVP_aes_192_ecb();
    default:
      return EVP_aes_256_ecb();
  }
}

// ECB over n bytes (a multiple of 16).
void EvpEcb(EVP_CIPHER_CTX* ctx, const uint8_t* in, uint8_t* out, size_t n) {
  constexpr size_t kMaxCall = size_t{1} << 30;  // EVP takes int lengths
  while (n > 0) {
    size_t len = std::min(n, kMaxCall);
    int outl = 0;
    Check(EVP_EncryptUpdate(ctx, out, &outl, in, static_cast<int>(len)));
    in += len;
    out += len;
    n -= len;
  }
}

void EvpCtr(EVP_CIPHER_CTX* ctx, const uint8_t* counter, const uint8_t* in, uint8_t* out,
            size_t n) {
  // The keystream goes through a stack buffer, so no call allocates.
  constexpr size_t kChunk = 512;
  uint64_t hi = LoadBe64(counter), lo = LoadBe64(counter + 8);
  alignas(16) uint8_t ks[kChunk];
  const size_t used = (std::min(n, kChunk) + kBlock - 1) / kBlock * kBlock;
  while (n > 0) {
    size_t len = std::min(n, kChunk);
    size_t blocks = (len + kBlock - 1) / kBlock;
    for (size_t i = 0; i < blocks; ++i) {
      StoreBe64(ks + i * kBlock, hi);
      StoreBe64(ks + i * kBlock + 8, lo);
      hi += (++lo == 0);
    }
    EvpEcb(ctx, ks, ks, blocks * kBlock);
    for (size_t i = 0; i < len; ++i) out[i] = in[i] ^ ks[i];
    in += len;
    out += len;
    n -= len;
  }
  OPENSSL_cleanse(ks, used);
}

// ---- AES-NI backend ----

#if STRM_AES_X86

// Key expansion as in Gueron, "Intel Advanced Encryption Standard (AES) New Instructions
// Set" (2010), §5: AESKEYGENASSIST computes SubWord/RotWord/Rcon, the shifts and XORs fold
// the previous words in. No table lookups.

// The four new words from the previous four `k` and the assist dword `a` broadcast.
STRM_AESNI inline __m128i FoldWords(__m128i k, __m128i a) {
  __m128i t = _mm_slli_si128(k, 4);
  k = _mm_xor_si128(k, t);
  t = _mm_slli_si128(t, 4);
  k = _mm_xor_si128(k, t);
  t = _mm_slli_si128(t, 4);
  k = _mm_xor_si128(k, t);
  return _mm_xor_si128(k, a);
}

template <int kRcon>
STRM_AESNI inline __m128i Next128(__m128i k) {
  return FoldWords(k, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k, kRcon), 0xff));
}

STRM_AESNI void Expand128(const uint8_t* key, __m128i* rk) {
  __m128i k = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  rk[0] = k;
  rk[1] = k = Next128<0x01>(k);
  rk[2] = k = Next128<0x02>(k);
  rk[3] = k = Next128<0x04>(k);
  rk[4] = k = Next128<0x08>(k);
  rk[5] = k = Next128<0x10>(k);
  rk[6] = k = Next128<0x20>(k);
  rk[7] = k = Next128<0x40>(k);
  rk[8] = k = Next128<0x80>(k);
  rk[9] = k = Next128<0x1b>(k);
  rk[10] = Next128<0x36>(k);
}

// One step of the 192-bit schedule: `a` holds words 0-3 of the last six, `b` words 4-5 in its
// low half (its high half is ignored); both advance by six words.
template <int kRcon>
STRM_AESNI inline void Next192(__m128i& a, __m128i& b) {
  a = FoldWords(a, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(b, kRcon), 0x55));
  __m128i w = _mm_shuffle_epi32(a, 0xff);
  b = _mm_xor_si128(b, _mm_slli_si128(b, 4));
  b = _mm_xor_si128(b, w);
}

// Round key made of the low halves of `lo` then `hi`, or of the high half of `lo` and the low
// half of `hi` (the 192-bit schedule's six words per step straddle 16-byte round keys).
STRM_AESNI inline __m128i LowLow(__m128i lo, __m128i hi) {
  return _mm_castpd_si128(_mm_shuffle_pd(_mm_castsi128_pd(lo), _mm_castsi128_pd(hi), 0));
}
STRM_AESNI inline __m128i HighLow(__m128i lo, __m128i hi) {
  return _mm_castpd_si128(_mm_shuffle_pd(_mm_castsi128_pd(lo), _mm_castsi128_pd(hi), 1));
}

STRM_AESNI void Expand192(const uint8_t* key, __m128i* rk) {
  __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(key + 16));
  rk[0] = a;
  __m128i prev_b = b;
  Next192<0x01>(a, b);
  rk[1] = LowLow(prev_b, a);
  rk[2] = HighLow(a, b);
  Next192<0x02>(a, b);
  rk[3] = a;
  prev_b = b;
  Next192<0x04>(a, b);
  rk[4] = LowLow(prev_b, a);
  rk[5] = HighLow(a, b);
  Next192<0x08>(a, b);
  rk[6] = a;
  prev_b = b;
  Next192<0x10>(a, b);
  rk[7] = LowLow(prev_b, a);
  rk[8] = HighLow(a, b);
  Next192<0x20>(a, b);
  rk[9] = a;
  prev_b = b;
  Next192<0x40>(a, b);
  rk[10] = LowLow(prev_b, a);
  rk[11] = HighLow(a, b);
  Next192<0x80>(a, b);
  rk[12] = a;
}

// AES-256 is rekeyed for almost every row of a batch job, and aeskeygenassist is slow on
// recent Intel cores (about 7 ns here). aesenclast computes the same words: with the word
// broadcast to all four columns, ShiftRows moves nothing, so aesenclast(x, k) is
// SubBytes(x) ^ k. The results equal aeskeygenassist's broadcast words exactly.
//   Even steps: SubWord(RotWord(w)) ^ rcon of b's last word.
template <int kRcon>
STRM_AESNI inline __m128i Next256Even(__m128i a, __m128i b) {
  const __m128i rot = _mm_setr_epi8(13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12);
  return FoldWords(a, _mm_aesenclast_si128(_mm_shuffle_epi8(b, rot), _mm_set1_epi32(kRcon)));
}
//   Odd steps: SubWord(w) of a's last word.
STRM_AESNI inline __m128i Next256Odd(__m128i a, __m128i b) {
  const __m128i last =
      _mm_setr_epi8(12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15);
  return FoldWords(b, _mm_aesenclast_si128(_mm_shuffle_epi8(a, last), _mm_setzero_si128()));
}

STRM_AESNI void Expand256(const uint8_t* key, __m128i* rk) {
  __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16));
  rk[0] = a;
  rk[1] = b;
  rk[2] = a = Next256Even<0x01>(a, b);
  rk[3] = b = Next256Odd(a, b);
  rk[4] = a = Next256Even<0x02>(a, b);
  rk[5] = b = Next256Odd(a, b);
  rk[6] = a = Next256Even<0x04>(a, b);
  rk[7] = b = Next256Odd(a, b);
  rk[8] = a = Next256Even<0x08>(a, b);
  rk[9] = b = Next256Odd(a, b);
  rk[10] = a = Next256Even<0x10>(a, b);
  rk[11] = b = Next256Odd(a, b);
  rk[12] = a = Next256Even<0x20>(a, b);
  rk[13] = Next256Odd(a, b);
  rk[14] = Next256Even<0x40>(a, rk[13]);
}

STRM_AESNI void NiExpand(const uint8_t* key, size_t key_size, uint8_t* round_keys) {
  __m128i* rk = reinterpret_cast<__m128i*>(round_keys);
  if (key_size == 16) {
    Expand128(key, rk);
  } else if (key_size == 24) {
    Expand192(key, rk);
  } else {
    Expand256(key, rk);
  }
}

// N independent blocks, round by round, so the AES unit's pipeline stays full (the unrolled
// loops keep the blocks in registers).
template <size_t N>
STRM_AESNI inline void NiEncryptN(const __m128i* rk, unsigned rounds, __m128i* b) {
  const __m128i k0 = rk[0];
#pragma GCC unroll 8
  for (size_t j = 0; j < N; ++j) b[j] = _mm_xor_si128(b[j], k0);
  for (unsigned r = 1; r < rounds; ++r) {
    const __m128i k = rk[r];
#pragma GCC unroll 8
    for (size_t j = 0; j < N; ++j) b[j] = _mm_aesenc_si128(b[j], k);
  }
  const __m128i kl = rk[rounds];
#pragma GCC unroll 8
  for (size_t j = 0; j < N; ++j) b[j] = _mm_aesenclast_si128(b[j], kl);
}

STRM_AESNI inline __m128i LoadU(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
STRM_AESNI inline void StoreU(uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

STRM_AESNI void NiEncryptBlock(const uint8_t* round_keys, unsigned rounds, const uint8_t* in,
                               uint8_t* out) {
  const __m128i* rk = reinterpret_cast<const __m128i*>(round_keys);
  __m128i b = LoadU(in);
  NiEncryptN<1>(rk, rounds, &b);
  StoreU(out, b);
}

// ECB over N blocks.
template <size_t N>
STRM_AESNI inline void NiEcbLanes(const __m128i* rk, unsigned rounds, const uint8_t*& in,
                                  uint8_t*& out) {
  __m128i b[N];
#pragma GCC unroll 8
  for (size_t j = 0; j < N; ++j) b[j] = LoadU(in + j * kBlock);
  NiEncryptN<N>(rk, rounds, b);
#pragma GCC unroll 8
  for (size_t j = 0; j < N; ++j) StoreU(out + j * kBlock, b[j]);
  in += N * kBlock;
  out += N * kBlock;
}

STRM_AESNI void NiEncryptBlocks(const uint8_t* round_keys, unsigned rounds, const uint8_t* in,
                                uint8_t* out, size_t blocks) {
  const __m128i* rk = reinterpret_cast<const __m128i*>(round_keys);
  for (; blocks >= 8; blocks -= 8) NiEcbLanes<8>(rk, rounds, in, out);
  if (blocks >= 4) {
    NiEcbLanes<4>(rk, rounds, in, out);
    blocks -= 4;
  }
  if (blocks >= 2) {
    NiEcbLanes<2>(rk, rounds, in, out);
    blocks -= 2;
  }
  if (blocks >= 1) NiEcbLanes<1>(rk, rounds, in, out);
}

// The counter block for (hi, lo), big-endian, then the counter incremented.
STRM_AESNI inline __m128i NextCounter(uint64_t& hi, uint64_t& lo) {
  __m128i c = _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(lo)),
                             static_cast<long long>(__builtin_bswap64(hi)));
  hi += (++lo == 0);
  return c;
}

// CTR over N blocks; the last one comes from and goes to `last` (a zero-padded copy of a
// partial block) instead when kPartialLast.
template <size_t N, bool kPartialLast = false>
STRM_AESNI inline void NiCtrLanes(const __m128i* rk, unsigned rounds, uint64_t& hi, uint64_t& lo,
                                  const uint8_t*& in, uint8_t*& out, uint8_t* last = nullptr) {
  __m128i b[N];
#pragma GCC unroll 8
  for (size_t j = 0; j < N; ++j) b[j] = NextCounter(hi, lo);
  NiEncryptN<N>(rk, rounds, b);
  constexpr size_t kWhole = kPartialLast ? N - 1 : N;
#pragma GCC unroll 8
  for (size_t j = 0; j < kWhole; ++j) {
    StoreU(out + j * kBlock, _mm_xor_si128(LoadU(in + j * kBlock), b[j]));
  }
  if constexpr (kPartialLast) StoreU(last, _mm_xor_si128(LoadU(last), b[N - 1]));
  in += kWhole * kBlock;
  out += kWhole * kBlock;
}

STRM_AESNI void NiCtr(const uint8_t* round_keys, unsigned rounds, const uint8_t* counter,
                      const uint8_t* in, uint8_t* out, size_t n) {
  const __m128i* rk = reinterpret_cast<const __m128i*>(round_keys);
  uint64_t hi = LoadBe64(counter), lo = LoadBe64(counter + 8);
  for (; n >= 8 * kBlock; n -= 8 * kBlock) NiCtrLanes<8>(rk, rounds, hi, lo, in, out);
  if (n >= 4 * kBlock) {
    NiCtrLanes<4>(rk, rounds, hi, lo, in, out);
    n -= 4 * kBlock;
  }
  if (n >= 2 * kBlock) {
    NiCtrLanes<2>(rk, rounds, hi, lo, in, out);
    n -= 2 * kBlock;
  }
  // At most one whole block and a partial one are left: encrypt them side by side.
  const size_t rest = n % kBlock;
  if (rest == 0) {
    if (n > 0) NiCtrLanes<1>(rk, rounds, hi, lo, in, out);
    return;
  }
  alignas(16) uint8_t last[kBlock] = {};
  std::memcpy(last, in + n - rest, rest);
  if (n > kBlock) {
    NiCtrLanes<2, true>(rk, rounds, hi, lo, in, out, last);
  } else {
    NiCtrLanes<1, true>(rk, rounds, hi, lo, in, out, last);
  }
  std::memcpy(out, last, rest);
  OPENSSL_cleanse(last, kBlock);  // its last 16 - rest bytes are bare keystream
}

// One step of Expand256 (round keys r and r + 1; r alone for the last) for N keys.
template <size_t N, int kRcon>
STRM_AESNI inline void Step256Lanes(__m128i* a, __m128i* b, __m128i* const* rk, int r) {
#pragma GCC unroll 8
  for (size_t i = 0; i < N; ++i) rk[i][r] = a[i] = Next256Even<kRcon>(a[i], b[i]);
  if (r == 14) return;
#pragma GCC unroll 8
  for (size_t i = 0; i < N; ++i) rk[i][r + 1] = b[i] = Next256Odd(a[i], b[i]);
}

// Expand256 of N keys, step by step across the keys.
template <size_t N>
STRM_AESNI inline void Expand256Lanes(const uint8_t* const* keys, __m128i* const* rk) {
  __m128i a[N], b[N];
#pragma GCC unroll 8
  for (size_t i = 0; i < N; ++i) {
    rk[i][0] = a[i] = LoadU(keys[i]);
    rk[i][1] = b[i] = LoadU(keys[i] + 16);
  }
  Step256Lanes<N, 0x01>(a, b, rk, 2);
  Step256Lanes<N, 0x02>(a, b, rk, 4);
  Step256Lanes<N, 0x04>(a, b, rk, 6);
  Step256Lanes<N, 0x08>(a, b, rk, 8);
  Step256Lanes<N, 0x10>(a, b, rk, 10);
  Step256Lanes<N, 0x20>(a, b, rk, 12);
  Step256Lanes<N, 0x40>(a, b, rk, 14);
}

STRM_AESNI void NiExpandLanes(const uint8_t* const* keys, size_t n,
                              uint8_t (*round_keys)[15 * 16]) {
  __m128i* rk[Aes256Lanes::kMaxKeys];
  for (size_t i = 0; i < n; ++i) rk[i] = reinterpret_cast<__m128i*>(round_keys[i]);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) Expand256Lanes<4>(keys + i, rk + i);
  for (; i < n; ++i) Expand256Lanes<1>(keys + i, rk + i);
}

// 8 blocks (fewer at the end), each under its own key, round by round.
STRM_AESNI void NiEncryptLanes(const uint8_t (*round_keys)[15 * 16], const uint8_t* key_of,
                               const uint8_t* in, uint8_t* out, size_t count) {
  for (; count > 0;) {
    const size_t n = std::min<size_t>(8, count);
    __m128i b[8];
    const __m128i* rk[8];
#pragma GCC unroll 8
    for (size_t j = 0; j < 8; ++j) {
      const size_t k = j < n ? j : 0;  // padding lanes repeat block 0 and are not stored
      rk[j] = reinterpret_cast<const __m128i*>(round_keys[key_of[k]]);
      b[j] = _mm_xor_si128(LoadU(in + k * kBlock), rk[j][0]);
    }
    for (int r = 1; r < 14; ++r) {
#pragma GCC unroll 8
      for (size_t j = 0; j < 8; ++j) b[j] = _mm_aesenc_si128(b[j], rk[j][r]);
    }
#pragma GCC unroll 8
    for (size_t j = 0; j < 8; ++j) b[j] = _mm_aesenclast_si128(b[j], rk[j][14]);
    for (size_t j = 0; j < n; ++j) StoreU(out + j * kBlock, b[j]);
    in += n * kBlock;
    out += n * kBlock;
    key_of += n;
    count -= n;
  }
}

#endif  // STRM_AES_X86

}  // namespace

Aes256Lanes::~Aes256Lanes() { OPENSSL_cleanse(round_keys_, sizeof round_keys_); }

void Aes256Lanes::SetKeys(const uint8_t* const* keys, size_t n) {
#if STRM_AES_X86
  if (n > kMaxKeys || !AesNiAvailable()) std::abort();
  NiExpandLanes(keys, n, round_keys_);
#else
  (void)keys;
  (void)n;
  std::abort();
#endif
}

void Aes256Lanes::EncryptBlocks(const uint8_t* key_of, const uint8_t* in, uint8_t* out,
                                size_t count) const {
#if STRM_AES_X86
  NiEncryptLanes(round_keys_, key_of, in, out, count);
#else
  (void)key_of;
  (void)in;
  (void)out;
  (void)count;
  std::abort();
#endif
}

bool AesNiAvailable() {
#if STRM_AES_X86
  static const bool available = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
  }();
  return available;
#else
  return false;
#endif
}

void ForceAesFallbackForTesting(bool force) { force_fallback.store(force); }

AesBlock::AesBlock() : aesni_(AesNiAvailable() && !force_fallback.load()) {}

AesBlock::AesBlock(const AesBlock& other)
    : rounds_(other.rounds_), key_size_(other.key_size_), aesni_(other.aesni_) {
  std::memcpy(round_keys_, other.round_keys_, sizeof round_keys_);
  if (other.ctx_ != nullptr) {
    ctx_ = EVP_CIPHER_CTX_new();
    if (ctx_ == nullptr) std::abort();
    Check(EVP_CIPHER_CTX_copy(ctx_, other.ctx_));
  }
}

AesBlock& AesBlock::operator=(const AesBlock& other) {
  if (this != &other) {
    AesBlock copy(other);
    Swap(copy);  // `copy` now holds the old key and wipes it
  }
  return *this;
}

AesBlock::AesBlock(AesBlock&& other) noexcept : aesni_(other.aesni_) {
  Swap(other);  // `other` is left without a key, its schedule all zeros
}

AesBlock& AesBlock::operator=(AesBlock&& other) noexcept {
  if (this != &other) {
    AesBlock moved(std::move(other));
    Swap(moved);
  }
  return *this;
}

AesBlock::~AesBlock() {
  OPENSSL_cleanse(round_keys_, sizeof round_keys_);
  EVP_CIPHER_CTX_free(ctx_);
}

void AesBlock::Swap(AesBlock& other) noexcept {
  std::swap(round_keys_, other.round_keys_);
  std::swap(rounds_, other.rounds_);
  std::swap(key_size_, other.key_size_);
  std::swap(aesni_, other.aesni_);
  std::swap(ctx_, other.ctx_);
}

Status AesBlock::SetKey(std::span<const uint8_t> key) {
  unsigned rounds = 0;
  switch (key.size()) {
    case 16:
      rounds = 10;
      break;
    case 24:
      rounds = 12;
      break;
    case 32:
      rounds = 14;
      break;
    default:
      return InvalidArgument("AES key must be 16, 24 or 32 bytes, not " +
                             std::to_string(key.size()));
  }
#if STRM_AES_X86
  if (aesni_) {
    NiExpand(key.data(), key.size(), round_keys_);
    // A shorter key than before leaves round keys of the old one behind the new schedule.
    const size_t used = (rounds + 1) * kBlock;
    OPENSSL_cleanse(round_keys_ + used, sizeof round_keys_ - used);
    rounds_ = rounds;
    key_size_ = key.size();
    return Status::Ok();
  }
#endif
  // Same key size: EVP keeps the fetched algorithm and only expands the new key.
  const bool same_cipher = ctx_ != nullptr && key.size() == key_size_;
  if (ctx_ == nullptr) {
    ctx_ = EVP_CIPHER_CTX_new();
    if (ctx_ == nullptr) std::abort();
  }
  Check(EVP_EncryptInit_ex(ctx_, same_cipher ? nullptr : EcbCipher(key.size()), nullptr, key.data(),
                           nullptr));
  if (!same_cipher) Check(EVP_CIPHER_CTX_set_padding(ctx_, 0));
  rounds_ = rounds;
  key_size_ = key.size();
  return Status::Ok();
}

void AesBlock::EncryptBlock(const uint8_t* in, uint8_t* out) const {
  if (rounds_ == 0) std::abort();
#if STRM_AES_X86
  if (aesni_) return NiEncryptBlock(round_keys_, rounds_, in, out);
#endif
  EvpEcb(ctx_, in, out, kBlock);
}

void AesBlock::EncryptBlocks(const uint8_t* in, uint8_t* out, size_t blocks) const {
  if (rounds_ == 0) std::abort();
#if STRM_AES_X86
  if (aesni_) return NiEncryptBlocks(round_keys_, rounds_, in, out, blocks);
#endif
  EvpEcb(ctx_, in, out, blocks * kBlock);
}

void AesBlock::CtrXor(const uint8_t* counter, const uint8_t* in, uint8_t* out, size_t n) const {
  if (rounds_ == 0) std::abort();
#if STRM_AES_X86
  if (aesni_) return NiCtr(round_keys_, rounds_, counter, in, out, n);
#endif
  EvpCtr(ctx_, counter, in, out, n);
}

}  // namespace strm
