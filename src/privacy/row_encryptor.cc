#include "privacy/row_encryptor.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "privacy/siv_blocks.h"
#include "privacy/siv_vaes.h"

namespace strm {
namespace {

using siv::Block;
using siv::Dbl;
using siv::kBlock;
using siv::Xor16;

constexpr uint8_t kTinkPrefix = 0x01;
constexpr size_t kPrefixSize = 5;
constexpr size_t kMaxChains = RowEncryptor::kRowsAtOnce * RowEncryptor::kMaxFields;
// CTR blocks of one field at most, and of a whole group.
constexpr size_t kFieldBlocks = (RowEncryptor::kMaxFieldBytes + kBlock - 1) / kBlock;
constexpr size_t kGroupBlocks = kMaxChains * kFieldBlocks;

static_assert(RowEncryptor::kRowsAtOnce == siv::VaesRows::kRows);

bool FitsLanes(const RowToEncrypt& row) {
  if (row.fields.size() > RowEncryptor::kMaxFields) return false;
  for (std::string_view f : row.fields)
    if (f.size() > RowEncryptor::kMaxFieldBytes) return false;
  return true;
}

const uint8_t* DataOf(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Blocks as little-endian 128-bit integers, so that S2V's byte shifts and padding are plain
// arithmetic in registers: building them with byte stores and reading them back whole would
// stall the CPU's store forwarding on every field. (The lanes path runs only on x86-64.)
using U128 = unsigned __int128;
using V2 = uint64_t __attribute__((vector_size(16)));

U128 Load128(const uint8_t* p) {
  uint64_t w[2];
  std::memcpy(w, p, 16);
  return (U128{w[1]} << 64) | w[0];
}

// p[0..n) for n <= 16, zero-padded, reading nothing past p + n.
U128 LoadPartial(const uint8_t* p, size_t n) {
  uint64_t lo = 0, hi = 0;
  if (n >= 8) {
    std::memcpy(&lo, p, 8);
    if (n > 8) {
      std::memcpy(&hi, p + n - 8, 8);
      hi >>= 8 * (16 - n);
    }
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    lo = a | (uint64_t{b} << (8 * (n - 4)));
  } else if (n > 0) {
    lo = p[0] | (uint64_t{p[n / 2]} << (8 * (n / 2))) | (uint64_t{p[n - 1]} << (8 * (n - 1)));
  }
  return (U128{hi} << 64) | lo;
}

// One 16-byte store (never two 8-byte ones, which a 16-byte load could not forward from).
void Store128(uint8_t* p, U128 x) {
  const V2 v = {static_cast<uint64_t>(x), static_cast<uint64_t>(x >> 64)};
  std::memcpy(p, &v, 16);
}

U128 Padding(size_t at) { return U128{0x80} << (8 * at); }  // the 0x80 of pad() at byte `at`

}  // namespace

RowEncryptor::RowEncryptor()
    : lanes_ok_(std::endian::native == std::endian::little && AesBlock().uses_aesni()),
      blocks_(kGroupBlocks * kBlock),
      key_of_(kGroupBlocks) {
  if (lanes_ok_ && siv::VaesAvailable() && !siv::VaesForcedOffForTesting())
    vaes_ = std::make_unique<siv::VaesRows>();
}

RowEncryptor::~RowEncryptor() = default;

void RowEncryptor::Encrypt(std::span<const RowToEncrypt> rows) {
  const RowToEncrypt* group[kRowsAtOnce];
  size_t n = 0;
  for (const RowToEncrypt& row : rows) {
    if (!lanes_ok_ || !FitsLanes(row)) {
      EncryptOne(row);
      continue;
    }
    group[n++] = &row;
    if (n == kRowsAtOnce) {
      EncryptGroup(group, n);
      n = 0;
    }
  }
  if (n > 0) EncryptGroup(group, n);
}

void RowEncryptor::EncryptGroup(const RowToEncrypt* const* rows, size_t n) {
  if (vaes_) {
    vaes_->Encrypt(rows, n);
  } else {
    EncryptLanes(rows, n);
  }
}

void RowEncryptor::EncryptOne(const RowToEncrypt& row) {
  if (one_) {
    one_->Rekey(*row.keyset);
  } else {
    one_.emplace(*row.keyset);
  }
  one_->EncryptMany(row.fields, row.out);
}

// RFC 5297 for each field of each row, as AesSiv does one field at a time (aes_siv.cc), with
// every AES call made for all rows' blocks at once. Key i is row i's S2V (CMAC) key, key
// n + i its CTR key.
void RowEncryptor::EncryptLanes(const RowToEncrypt* const* rows, size_t n) {
  const uint8_t* keys[2 * kRowsAtOnce] = {};
  for (size_t r = 0; r < n; ++r) {
    keys[r] = rows[r]->keyset->key.data();
    keys[n + r] = rows[r]->keyset->key.data() + 32;
  }
  lanes_.SetKeys(keys, 2 * n);
  uint8_t* const buf = blocks_.data();
  uint8_t* const key_of = key_of_.data();

  // CMAC subkeys from L = AES(K1, 0^128); then S2V's value after Tink's one (empty)
  // associated-data component: D = dbl(CMAC(0^128)) xor CMAC(""), where CMAC(0^128) =
  // AES(K1, k1) and CMAC("") = AES(K1, 10^127 xor k2).
  Block k1[kRowsAtOnce], k2[kRowsAtOnce], d[kRowsAtOnce];
  std::memset(buf, 0, n * kBlock);
  for (size_t r = 0; r < n; ++r) key_of[r] = static_cast<uint8_t>(r);
  lanes_.EncryptBlocks(key_of, buf, buf, n);
  for (size_t r = 0; r < n; ++r) {
    Block l;
    std::memcpy(l.data(), buf + r * kBlock, kBlock);
    k1[r] = Dbl(l);
    k2[r] = Dbl(k1[r]);
  }
  for (size_t r = 0; r < n; ++r) {
    std::memcpy(buf + 2 * r * kBlock, k1[r].data(), kBlock);
    Block pad{};
    pad[0] = 0x80;
    Xor16(pad.data(), k2[r].data());
    std::memcpy(buf + (2 * r + 1) * kBlock, pad.data(), kBlock);
    key_of[2 * r] = key_of[2 * r + 1] = static_cast<uint8_t>(r);
  }
  lanes_.EncryptBlocks(key_of, buf, buf, 2 * n);
  for (size_t r = 0; r < n; ++r) {
    Block zero_mac;
    std::memcpy(zero_mac.data(), buf + 2 * r * kBlock, kBlock);
    d[r] = Dbl(zero_mac);
    Xor16(d[r].data(), buf + (2 * r + 1) * kBlock);
  }

  // The S2V chain of every field: its whole blocks, then one or two tail blocks holding the
  // end of the plaintext with D folded in, padded and masked with a subkey (RFC 5297 §2.4).
  struct Chain {
    const uint8_t* p;
    size_t size, heads, total;
    uint8_t row;
    uint8_t* out;
  };
  Chain chains[kMaxChains];
  alignas(16) uint8_t tails[kMaxChains][2 * kBlock];
  Block v[kMaxChains];
  U128 d128[kRowsAtOnce], dd128[kRowsAtOnce], k1_128[kRowsAtOnce], k2_128[kRowsAtOnce];
  for (size_t r = 0; r < n; ++r) {
    d128[r] = Load128(d[r].data());
    dd128[r] = Load128(Dbl(d[r]).data());
    k1_128[r] = Load128(k1[r].data());
    k2_128[r] = Load128(k2[r].data());
  }
  size_t count = 0, steps = 0;
  for (size_t r = 0; r < n; ++r) {
    const RowToEncrypt& row = *rows[r];
    for (size_t f = 0; f < row.fields.size(); ++f, ++count) {
      Chain& c = chains[count];
      c.p = DataOf(row.fields[f]);
      c.size = row.fields[f].size();
      c.row = static_cast<uint8_t>(r);
      c.out = row.out[f];
      if (c.size < kBlock) {  // T = dbl(D) xor pad(P): one complete block
        Store128(tails[count], LoadPartial(c.p, c.size) ^ Padding(c.size) ^ dd128[r] ^ k1_128[r]);
        c.heads = 0;
        c.total = 1;
      } else {  // T = P xorend D: D lands on the last 16 bytes, `shift` bytes into the tail
        const size_t head = (c.size - kBlock) / kBlock * kBlock, shift = c.size - head - kBlock;
        U128 t0 = Load128(c.p + head);
        if (shift == 0) {
          Store128(tails[count], t0 ^ d128[r] ^ k1_128[r]);
        } else {
          t0 ^= d128[r] << (8 * shift);
          const U128 t1 = LoadPartial(c.p + head + kBlock, shift) ^
                          (d128[r] >> (8 * (kBlock - shift))) ^ Padding(shift) ^ k2_128[r];
          Store128(tails[count], t0);
          Store128(tails[count] + kBlock, t1);
        }
        c.heads = head / kBlock;
        c.total = c.heads + (shift == 0 ? 1 : 2);
      }
      steps = std::max(steps, c.total);
      v[count] = Block{};
    }
  }
  // CBC-MAC: step j encrypts block j of every chain that has one.
  size_t lane_chain[kMaxChains];
  for (size_t step = 0; step < steps; ++step) {
    size_t m = 0;
    for (size_t i = 0; i < count; ++i) {
      const Chain& c = chains[i];
      if (step >= c.total) continue;
      const uint8_t* block =
          step < c.heads ? c.p + step * kBlock : tails[i] + (step - c.heads) * kBlock;
      Xor16(v[i].data(), block);
      std::memcpy(buf + m * kBlock, v[i].data(), kBlock);
      key_of[m] = c.row;
      lane_chain[m++] = i;
    }
    lanes_.EncryptBlocks(key_of, buf, buf, m);
    for (size_t j = 0; j < m; ++j) std::memcpy(v[lane_chain[j]].data(), buf + j * kBlock, kBlock);
  }

  // CTR under K2 from each field's V, every keystream block of the group in one call.
  size_t blocks = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t hi, lo;
    siv::CtrStart(v[i], hi, lo);
    for (size_t b = 0; b * kBlock < chains[i].size; ++b, ++blocks) {
      StoreBe64(buf + blocks * kBlock, hi);
      StoreBe64(buf + blocks * kBlock + 8, lo);
      if (++lo == 0) ++hi;  // a 128-bit big-endian counter
      key_of[blocks] = static_cast<uint8_t>(n + chains[i].row);
    }
  }
  lanes_.EncryptBlocks(key_of, buf, buf, blocks);
  const uint8_t* ks = buf;
  for (size_t i = 0; i < count; ++i) {
    const Chain& c = chains[i];
    const uint32_t key_id = rows[c.row]->keyset->key_id;
    c.out[0] = kTinkPrefix;
    c.out[1] = static_cast<uint8_t>(key_id >> 24);
    c.out[2] = static_cast<uint8_t>(key_id >> 16);
    c.out[3] = static_cast<uint8_t>(key_id >> 8);
    c.out[4] = static_cast<uint8_t>(key_id);
    std::memcpy(c.out + kPrefixSize, v[i].data(), kBlock);
    uint8_t* ct = c.out + kPrefixSize + kBlock;
    size_t j = 0;
    for (; j + kBlock <= c.size; j += kBlock) {
      const U128 x = Load128(c.p + j) ^ Load128(ks + j);
      std::memcpy(ct + j, &x, kBlock);
    }
    if (j < c.size) {
      const U128 x = LoadPartial(c.p + j, c.size - j) ^ Load128(ks + j);
      std::memcpy(ct + j, &x, c.size - j);
    }
    ks += (c.size + kBlock - 1) / kBlock * kBlock;
  }
  // The subkeys and S2V's D are key material; the tails, MAC states and keystream are
  // computable from the plaintext and ciphertext the caller holds anyway.
  OPENSSL_cleanse(k1, sizeof k1);
  OPENSSL_cleanse(k2, sizeof k2);
  OPENSSL_cleanse(d, sizeof d);
  OPENSSL_cleanse(d128, sizeof d128);
  OPENSSL_cleanse(dd128, sizeof dd128);
  OPENSSL_cleanse(k1_128, sizeof k1_128);
  OPENSSL_cleanse(k2_128, sizeof k2_128);
}

}  // namespace strm
