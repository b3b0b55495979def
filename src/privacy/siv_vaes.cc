#include "privacy/siv_vaes.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STRM_VAES_X86 1
#include <cpuid.h>
#include <immintrin.h>
// Compiled per function, as aes_block.cc does for AES-NI: they run only after
// VaesAvailable() said yes.
#define STRM_VAES __attribute__((target("aes,avx512f,avx512bw,avx512vl,avx512vbmi,vaes")))
#else
#define STRM_VAES_X86 0
#endif

namespace strm::siv {
namespace {

std::atomic<bool> force_off{false};

constexpr size_t kLanes = 4;  // rows a vector
constexpr size_t kQuads = VaesRows::kRows / kLanes;
constexpr size_t kMaxFields = RowEncryptor::kMaxFields;
constexpr size_t kFieldBlocks = (RowEncryptor::kMaxFieldBytes + 15) / 16;  // CTR or S2V steps
constexpr size_t kVec = 64;                                                // bytes a vector
constexpr size_t kRounds = 14;                                             // AES-256

}  // namespace

// Vectors are kept as bytes, so that no 512-bit type crosses a function compiled without
// AVX-512.
struct VaesRows::State {
  // [quad][0: the S2V (CMAC) key K1, 1: the CTR key K2][round]: lane i is row 4q + i's.
  alignas(kVec) uint8_t round_keys[kQuads][2][kRounds + 1][kVec];
  // S2V's last blocks of each field (they hold D), wiped after each call.
  alignas(kVec) uint8_t tails[VaesRows::kRows][kMaxFields][32];
  // S2V states, one vector per quad and field index.
  alignas(kVec) uint8_t v[kQuads][kMaxFields][kVec];
  // Vectors in flight through AesVectors, and their schedules.
  alignas(kVec) uint8_t work[kQuads * kMaxFields * kFieldBlocks][kVec];
  const uint8_t* work_keys[kQuads * kMaxFields * kFieldBlocks];
  alignas(16) uint8_t zero[16] = {};
};

#if STRM_VAES_X86
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_epi32() (a self-initialised variable) as
// the unused merge source of unmasked operations, which -Wmaybe-uninitialized reports.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
namespace {

using Z = __m512i;
using X = __m128i;
using Y = __m256i;

STRM_VAES inline Z Load(const uint8_t* p) { return _mm512_load_si512(p); }
STRM_VAES inline void Store(uint8_t* p, Z v) { _mm512_store_si512(p, v); }
STRM_VAES inline X Load16(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const X*>(p));
}
STRM_VAES inline Z Each(X x) { return _mm512_broadcast_i32x4(x); }  // the same in every lane
STRM_VAES inline X Lane(Z v, size_t i) {                            // lane i < 4
  const X at = _mm_set_epi64x(static_cast<long long>(2 * i + 1), static_cast<long long>(2 * i));
  return _mm512_castsi512_si128(_mm512_permutexvar_epi64(_mm512_zextsi128_si512(at), v));
}

// Lane i from p[i] (16 bytes each).
STRM_VAES inline Z Gather(const uint8_t* const* p) {
  Z v = _mm512_castsi128_si512(Load16(p[0]));
  v = _mm512_inserti32x4(v, Load16(p[1]), 1);
  v = _mm512_inserti32x4(v, Load16(p[2]), 2);
  return _mm512_inserti32x4(v, Load16(p[3]), 3);
}

// ---- AES-256 key schedules, four keys a vector (as Expand256 in aes_block.cc) ----

STRM_VAES inline Z FoldWords(Z k, Z a) {
  k = _mm512_xor_si512(k, _mm512_bslli_epi128(k, 4));
  k = _mm512_xor_si512(k, _mm512_bslli_epi128(k, 8));
  return _mm512_xor_si512(k, a);
}

// Even steps: SubWord(RotWord(w)) xor rcon of b's last word, by AESENCLAST of that word in
// every column (ShiftRows then moves nothing).
template <int kRcon>
STRM_VAES inline Z Next256Even(Z a, Z b) {
  const Z rot = Each(_mm_setr_epi8(13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12));
  return FoldWords(a,
                   _mm512_aesenclast_epi128(_mm512_shuffle_epi8(b, rot), _mm512_set1_epi32(kRcon)));
}
// Odd steps: SubWord(w) of a's last word.
STRM_VAES inline Z Next256Odd(Z a, Z b) {
  const Z last =
      Each(_mm_setr_epi8(12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15));
  return FoldWords(b,
                   _mm512_aesenclast_epi128(_mm512_shuffle_epi8(a, last), _mm512_setzero_si512()));
}

template <size_t N, int kRcon>
STRM_VAES inline void ExpandStep(Z* a, Z* b, uint8_t (*const* rk)[kVec], int r) {
#pragma GCC unroll 4
  for (size_t c = 0; c < N; ++c) Store(rk[c][r], a[c] = Next256Even<kRcon>(a[c], b[c]));
  if (r == 14) return;
#pragma GCC unroll 4
  for (size_t c = 0; c < N; ++c) Store(rk[c][r + 1], b[c] = Next256Odd(a[c], b[c]));
}

// N schedules side by side; key c's halves are a[c] and b[c].
template <size_t N>
STRM_VAES void Expand(Z* a, Z* b, uint8_t (*const* rk)[kVec]) {
#pragma GCC unroll 4
  for (size_t c = 0; c < N; ++c) {
    Store(rk[c][0], a[c]);
    Store(rk[c][1], b[c]);
  }
  ExpandStep<N, 0x01>(a, b, rk, 2);
  ExpandStep<N, 0x02>(a, b, rk, 4);
  ExpandStep<N, 0x04>(a, b, rk, 6);
  ExpandStep<N, 0x08>(a, b, rk, 8);
  ExpandStep<N, 0x10>(a, b, rk, 10);
  ExpandStep<N, 0x20>(a, b, rk, 12);
  ExpandStep<N, 0x40>(a, b, rk, 14);
}

// ---- AES-256 of vectors, each under its own schedule, rounds interleaved ----

template <size_t N>
STRM_VAES inline void AesN(Z* x, const uint8_t* const* rk) {
#pragma GCC unroll 4
  for (size_t j = 0; j < N; ++j) x[j] = _mm512_xor_si512(x[j], Load(rk[j]));
  for (size_t r = 1; r < kRounds; ++r) {
#pragma GCC unroll 4
    for (size_t j = 0; j < N; ++j) x[j] = _mm512_aesenc_epi128(x[j], Load(rk[j] + r * kVec));
  }
#pragma GCC unroll 4
  for (size_t j = 0; j < N; ++j)
    x[j] = _mm512_aesenclast_epi128(x[j], Load(rk[j] + kRounds * kVec));
}

template <size_t N>
STRM_VAES inline void AesChunk(uint8_t (*x)[kVec], const uint8_t* const* rk) {
  Z v[N];
#pragma GCC unroll 4
  for (size_t j = 0; j < N; ++j) v[j] = Load(x[j]);
  AesN<N>(v, rk);
#pragma GCC unroll 4
  for (size_t j = 0; j < N; ++j) Store(x[j], v[j]);
}

// x[j] = AES under the schedule at rk[j], for j < count, in place.
STRM_VAES void AesVectors(uint8_t (*x)[kVec], const uint8_t* const* rk, size_t count) {
  for (; count >= 4; count -= 4, x += 4, rk += 4) AesChunk<4>(x, rk);
  if (count >= 2) {
    AesChunk<2>(x, rk);
    count -= 2;
    x += 2;
    rk += 2;
  }
  if (count == 1) AesChunk<1>(x, rk);
}

// Multiplication by x in GF(2^128) of each lane (siv::Dbl), without branches.
STRM_VAES inline Z Dbl(Z x) {
  const Z rev = Each(_mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
  const Z poly = Each(_mm_set_epi64x(1, 0x87));  // low half: the reduction; high: the carry
  const Z le = _mm512_shuffle_epi8(x, rev);      // each lane a little-endian 128-bit integer
  const Z carry = _mm512_shuffle_epi32(_mm512_srli_epi64(le, 63), _MM_PERM_BADC);
  const Z fold = _mm512_and_si512(_mm512_sub_epi64(_mm512_setzero_si512(), carry), poly);
  return _mm512_shuffle_epi8(_mm512_xor_si512(_mm512_slli_epi64(le, 1), fold), rev);
}

STRM_VAES inline uint32_t LowBits(size_t n) {  // n < 32
  return (uint32_t{1} << n) - 1;
}

// What S2V needs of one field: its whole blocks come from the plaintext, then `total -
// heads` (1 or 2) blocks from its tail buffer: the end of the plaintext with D folded in,
// padded and masked with a subkey (RFC 5297 §2.4, as RowEncryptor::EncryptLanes).
struct Chain {
  const uint8_t* p;
  size_t size;
  uint8_t heads, total;
};

STRM_VAES inline Chain MakeChain(const uint8_t* p, size_t size, X k1, X k2, X d, X dd,
                                 uint8_t* tail) {
  const X x80 = _mm_set1_epi8(static_cast<char>(0x80));
  if (size < 16) {  // T = dbl(D) xor pad(P): one complete block, so xor k1
    X t = _mm_maskz_loadu_epi8(LowBits(size), p);
    t = _mm_xor_si128(t, _mm_maskz_mov_epi8(uint32_t{1} << size, x80));
    t = _mm_xor_si128(t, _mm_xor_si128(dd, k1));
    _mm_store_si128(reinterpret_cast<X*>(tail), t);
    return {p, size, 0, 1};
  }
  // T = P xorend D: D lands on the last 16 bytes, `shift` bytes into the tail.
  const size_t head = (size - 16) / 16 * 16, shift = size - head - 16;
  Y t = _mm256_maskz_loadu_epi8(LowBits(16 + shift), p + head);
  const Y at =
      _mm256_sub_epi8(_mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                       18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31),
                      _mm256_set1_epi8(static_cast<char>(shift)));
  t = _mm256_xor_si256(
      t, _mm256_maskz_permutexvar_epi8(uint32_t{0xffff} << shift, at, _mm256_zextsi128_si256(d)));
  if (shift == 0) {  // one complete last block
    t = _mm256_xor_si256(t, _mm256_zextsi128_si256(k1));
  } else {  // a padded last block
    t = _mm256_xor_si256(t, _mm256_maskz_mov_epi8(uint32_t{1} << (16 + shift),
                                                  _mm256_set1_epi8(static_cast<char>(0x80))));
    t = _mm256_xor_si256(t, _mm256_inserti128_si256(_mm256_setzero_si256(), k2, 1));
  }
  _mm256_store_si256(reinterpret_cast<Y*>(tail), t);
  const auto heads = static_cast<uint8_t>(head / 16);
  return {p, size, heads, static_cast<uint8_t>(heads + (shift == 0 ? 1 : 2))};
}

STRM_VAES void EncryptVaes(VaesRows::State& s, const RowToEncrypt* const* rows, size_t n) {
  const size_t quads = (n + kLanes - 1) / kLanes;
  // Lanes past the last row repeat row 0's key and have no fields.
  auto row_of = [&](size_t q, size_t i) -> const RowToEncrypt& {
    const size_t r = q * kLanes + i;
    return *rows[r < n ? r : 0];
  };
  auto fields_of = [&](size_t q, size_t i) {
    const size_t r = q * kLanes + i;
    return r < n ? rows[r]->fields.size() : 0;
  };

  // The key schedules: K1 (bytes 0-31 of the keyset's key) and K2 (32-63) of every row.
  {
    Z a[2 * kQuads], b[2 * kQuads];
    uint8_t(*rk[2 * kQuads])[kVec];
    for (size_t q = 0; q < quads; ++q) {
      for (size_t half = 0; half < 2; ++half) {
        const uint8_t* ka[kLanes];
        const uint8_t* kb[kLanes];
        for (size_t i = 0; i < kLanes; ++i) {
          ka[i] = row_of(q, i).keyset->key.data() + 32 * half;
          kb[i] = ka[i] + 16;
        }
        a[2 * q + half] = Gather(ka);
        b[2 * q + half] = Gather(kb);
        rk[2 * q + half] = s.round_keys[q][half];
      }
    }
    if (quads == 2) {
      Expand<4>(a, b, rk);
    } else {
      Expand<2>(a, b, rk);
    }
  }

  // CMAC subkeys from L = AES(K1, 0); then D = dbl(CMAC(0^128)) xor CMAC(""), where
  // CMAC(0^128) = AES(K1, k1) and CMAC("") = AES(K1, 10^127 xor k2). Wiped once the chains
  // are made (below), as far as they reached memory.
  struct {
    Z k1[kQuads], k2[kQuads], d[kQuads], dd[kQuads];
  } sub;
  {
    Z x[2 * kQuads];
    const uint8_t* rk[2 * kQuads];
    for (size_t q = 0; q < quads; ++q) {
      x[q] = _mm512_setzero_si512();
      rk[q] = rk[quads + q] = s.round_keys[q][0][0];
    }
    if (quads == 2) {
      AesN<2>(x, rk);
    } else {
      AesN<1>(x, rk);
    }
    const Z pad =
        Each(_mm_setr_epi8(static_cast<char>(0x80), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    for (size_t q = 0; q < quads; ++q) {
      sub.k1[q] = Dbl(x[q]);
      sub.k2[q] = Dbl(sub.k1[q]);
    }
    for (size_t q = 0; q < quads; ++q) {
      x[q] = sub.k1[q];
      x[quads + q] = _mm512_xor_si512(sub.k2[q], pad);
    }
    if (quads == 2) {
      AesN<4>(x, rk);
    } else {
      AesN<2>(x, rk);
    }
    for (size_t q = 0; q < quads; ++q) {
      sub.d[q] = _mm512_xor_si512(Dbl(x[q]), x[quads + q]);
      sub.dd[q] = Dbl(sub.d[q]);
    }
  }

  // Every field's chain; a vector per (quad, field index) runs the steps of its lanes' chains.
  Chain chains[VaesRows::kRows][kMaxFields];
  uint8_t steps[kQuads][kMaxFields] = {};   // S2V steps, the most of the vector's lanes
  uint8_t blocks[kQuads][kMaxFields] = {};  // CTR blocks, likewise
  size_t max_fields = 0;
  for (size_t r = 0; r < n; ++r) {
    const size_t q = r / kLanes, i = r % kLanes;
    const RowToEncrypt& row = *rows[r];
    max_fields = std::max(max_fields, row.fields.size());
    const X k1i = Lane(sub.k1[q], i), k2i = Lane(sub.k2[q], i), di = Lane(sub.d[q], i),
            ddi = Lane(sub.dd[q], i);
    for (size_t f = 0; f < row.fields.size(); ++f) {
      const std::string_view v = row.fields[f];
      Chain& c = chains[r][f] = MakeChain(reinterpret_cast<const uint8_t*>(v.data()), v.size(), k1i,
                                          k2i, di, ddi, s.tails[r][f]);
      steps[q][f] = std::max(steps[q][f], c.total);
      blocks[q][f] = std::max(blocks[q][f], static_cast<uint8_t>((v.size() + 15) / 16));
    }
  }

  // Wiped with vector stores that the barrier keeps (a call per group cost more).
  for (Z* z : {sub.k1, sub.k2, sub.d, sub.dd})
    for (size_t q = 0; q < kQuads; ++q) _mm512_storeu_si512(z + q, _mm512_setzero_si512());
  asm volatile("" : : "r"(&sub) : "memory");

  // CBC-MAC: step j encrypts block j of every chain that has one. A lane whose chain has
  // ended keeps its value (the vector's other lanes may go on).
  for (size_t q = 0; q < quads; ++q)
    for (size_t f = 0; f < max_fields; ++f) Store(s.v[q][f], _mm512_setzero_si512());
  for (size_t step = 0;; ++step) {
    size_t m = 0;
    uint8_t which[kQuads * kMaxFields][2];
    __mmask8 live[kQuads * kMaxFields];
    for (size_t q = 0; q < quads; ++q) {
      for (size_t f = 0; f < max_fields; ++f) {
        if (steps[q][f] <= step) continue;
        const uint8_t* p[kLanes];
        __mmask8 mask = 0;
        for (size_t i = 0; i < kLanes; ++i) {
          p[i] = s.zero;
          if (f >= fields_of(q, i)) continue;
          const size_t r = q * kLanes + i;
          const Chain& c = chains[r][f];
          if (step >= c.total) continue;
          p[i] = step < c.heads ? c.p + 16 * step : s.tails[r][f] + 16 * (step - c.heads);
          mask = static_cast<__mmask8>(mask | (3u << (2 * i)));
        }
        Store(s.work[m], _mm512_xor_si512(Load(s.v[q][f]), Gather(p)));
        s.work_keys[m] = s.round_keys[q][0][0];
        which[m][0] = static_cast<uint8_t>(q);
        which[m][1] = static_cast<uint8_t>(f);
        live[m++] = mask;
      }
    }
    if (m == 0) break;
    AesVectors(s.work, s.work_keys, m);
    for (size_t j = 0; j < m; ++j) {
      uint8_t* v = s.v[which[j][0]][which[j][1]];
      Store(v, _mm512_mask_blend_epi64(live[j], Load(v), Load(s.work[j])));
    }
  }

  // CTR under K2 from each field's V with bits 63 and 31 cleared: the low word never carries
  // into the next (a field has at most kFieldBlocks blocks), so counting is a 32-bit add on
  // the last word, big-endian.
  const Z ctr_mask =
      Each(_mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, 0x7f, -1, -1, -1, 0x7f, -1, -1, -1));
  const Z swap_last = Each(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 14, 13, 12));
  const Z one = Each(_mm_setr_epi32(0, 0, 0, 1));
  size_t first_block[kQuads][kMaxFields];
  size_t m = 0;
  for (size_t q = 0; q < quads; ++q) {
    for (size_t f = 0; f < max_fields; ++f) {
      first_block[q][f] = m;
      Z c = _mm512_shuffle_epi8(_mm512_and_si512(Load(s.v[q][f]), ctr_mask), swap_last);
      for (size_t j = 0; j < blocks[q][f]; ++j, ++m) {
        Store(s.work[m], _mm512_shuffle_epi8(c, swap_last));
        s.work_keys[m] = s.round_keys[q][1][0];
        c = _mm512_add_epi32(c, one);
      }
    }
  }
  AesVectors(s.work, s.work_keys, m);

  // Each field: Tink's prefix (0x01, the key id big-endian), V, then P xor the keystream.
  for (size_t r = 0; r < n; ++r) {
    const size_t q = r / kLanes, i = r % kLanes;
    const RowToEncrypt& row = *rows[r];
    const uint32_t key_id = __builtin_bswap32(row.keyset->key_id);
    for (size_t f = 0; f < row.fields.size(); ++f) {
      uint8_t* out = row.out[f];
      out[0] = 0x01;
      std::memcpy(out + 1, &key_id, 4);
      _mm_storeu_si128(reinterpret_cast<X*>(out + 5), Load16(s.v[q][f] + 16 * i));
      uint8_t* ct = out + 21;
      const Chain& c = chains[r][f];
      const uint8_t* ks = s.work[first_block[q][f]] + 16 * i;
      for (size_t at = 0; at < c.size; at += 16, ks += kVec) {
        const auto k = static_cast<__mmask16>(LowBits(std::min<size_t>(16, c.size - at)));
        const X x = _mm_xor_si128(_mm_maskz_loadu_epi8(k, c.p + at), Load16(ks));
        _mm_mask_storeu_epi8(ct + at, k, x);
      }
    }
  }
  // Plain stores: the state outlives the call, so the compiler keeps them.
  for (size_t r = 0; r < n; ++r)
    for (size_t f = 0; f < rows[r]->fields.size(); f += 2)
      Store(s.tails[r][f], _mm512_setzero_si512());
}

}  // namespace
#pragma GCC diagnostic pop
#endif  // STRM_VAES_X86

bool VaesAvailable() {
#if STRM_VAES_X86
  static const bool available = [] {
    __builtin_cpu_init();
    // clang 14 does not know "vaes" for __builtin_cpu_supports: CPUID.(EAX=7,ECX=0):ECX[9].
    unsigned eax, ebx, ecx, edx;
    const bool vaes = __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 9));
    return __builtin_cpu_supports("aes") && vaes && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vbmi");
  }();
  return available;
#else
  return false;
#endif
}

void ForceNoVaesForTesting(bool force) { force_off.store(force); }
bool VaesForcedOffForTesting() { return force_off.load(); }

VaesRows::VaesRows() : state_(std::make_unique<State>()) {}

VaesRows::~VaesRows() { OPENSSL_cleanse(state_->round_keys, sizeof state_->round_keys); }

void VaesRows::Encrypt(const RowToEncrypt* const* rows, size_t n) {
#if STRM_VAES_X86
  if (n > kRows || !VaesAvailable()) std::abort();
  if (n > 0) EncryptVaes(*state_, rows, n);
#else
  (void)rows;
  (void)n;
  std::abort();
#endif
}

}  // namespace strm::siv
