// AES encryption (FIPS-197) of 16-byte blocks under one 128-, 192- or 256-bit key: the block
// primitive under AES-SIV's CMAC and CTR (see aes_siv.h). Encryption only; no modes beyond
// ECB over many blocks and CTR with a 128-bit big-endian counter.
//
// Backends: on x86-64 CPUs with AES-NI, the key schedule is expanded with AES-NI (AESENCLAST
// for AES-256, AESKEYGENASSIST otherwise) and
// blocks go through AESENC, several blocks interleaved for EncryptBlocks() and CtrXor(). The
// instructions are compiled per function (target attributes), so nothing else needs -maes;
// the CPU is asked once, at run time. Elsewhere an OpenSSL AES-ECB context does the work (the
// portable fallback, as fast as OpenSSL's AES on that CPU, and as constant-time). There is no
// table-based AES here: the AES-NI code has no key- or data-dependent branches or lookups. An
// object picks its backend when it is constructed and keeps it through SetKey(), copies and
// moves.
//
// Thread safety: the const members may run concurrently on one object only with the AES-NI
// backend; the fallback drives an OpenSSL context, so treat every AesBlock as not shareable
// and give each thread its own copy.
//
// Secrets: the expanded key schedule is overwritten by SetKey() (round keys a shorter key
// leaves unused are wiped) and wiped with OPENSSL_cleanse when the object is destroyed or
// moved from; the fallback's OpenSSL context is freed, and OpenSSL wipes its schedule.
// Keystream that CtrXor() leaves in stack buffers is wiped before it returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <openssl/types.h>

#include "core/status.h"

namespace strm {

class AesBlock {
 public:
  static constexpr size_t kBlockSize = 16;

  // No key yet: only SetKey(), copies, moves and destruction are allowed until SetKey()
  // succeeds (encrypting without a key aborts).
  AesBlock();
  AesBlock(const AesBlock& other);
  AesBlock& operator=(const AesBlock& other);
  AesBlock(AesBlock&& other) noexcept;
  AesBlock& operator=(AesBlock&& other) noexcept;
  ~AesBlock();

  // Expands `key`, replacing any previous key, in this object's storage: the AES-NI backend
  // never allocates; the fallback creates its OpenSSL context on the first call and then
  // only rekeys it. InvalidArgument unless key.size() is 16, 24 or 32 (the object is then
  // unchanged).
  Status SetKey(std::span<const uint8_t> key);

  size_t key_size() const { return key_size_; }  // 0 before the first SetKey()
  bool uses_aesni() const { return aesni_; }

  // out = AES(in), 16 bytes; `in` and `out` may be the same buffer.
  void EncryptBlock(const uint8_t* in, uint8_t* out) const;
  // ECB over `blocks` consecutive blocks; `in` and `out` may be the same buffer.
  void EncryptBlocks(const uint8_t* in, uint8_t* out, size_t blocks) const;
  // out[0..n) = in[0..n) xor the keystream AES(c), AES(c+1), ... where c is the 16-byte
  // `counter` read as a big-endian integer, incremented modulo 2^128. `n` need not be a
  // multiple of 16; `in` and `out` may be the same buffer.
  void CtrXor(const uint8_t* counter, const uint8_t* in, uint8_t* out, size_t n) const;

 private:
  void Swap(AesBlock& other) noexcept;

  alignas(16) uint8_t round_keys_[15 * kBlockSize] = {};  // AES-NI backend: rounds + 1 used
  unsigned rounds_ = 0;                                   // 10, 12 or 14; 0 without a key
  size_t key_size_ = 0;
  bool aesni_;
  EVP_CIPHER_CTX* ctx_ = nullptr;  // fallback backend only
};

// AES-256 under up to kMaxKeys keys at once, for work that encrypts a few blocks under each
// of many keys (AES-SIV over rows that each have their own key). One key's schedule and its
// blocks are each a chain of dependent AES rounds, so one at a time the AES unit mostly
// waits; here the rounds of all keys, and of all blocks, are interleaved. AES-NI only: call
// nothing but the destructor unless AesNiAvailable(). Round keys are wiped on destruction.
class Aes256Lanes {
 public:
  static constexpr size_t kMaxKeys = 16;
  Aes256Lanes() = default;
  Aes256Lanes(const Aes256Lanes&) = delete;
  Aes256Lanes& operator=(const Aes256Lanes&) = delete;
  ~Aes256Lanes();

  // Expands keys[i] (32 bytes each) as key i, for i < n <= kMaxKeys.
  void SetKeys(const uint8_t* const* keys, size_t n);
  // For each j < count: the 16 bytes at out + 16j = AES under key key_of[j] of those at
  // in + 16j (`in` and `out` may be the same buffer).
  void EncryptBlocks(const uint8_t* key_of, const uint8_t* in, uint8_t* out, size_t count) const;

 private:
  alignas(16) uint8_t round_keys_[kMaxKeys][15 * 16];
};

// Whether this CPU runs the AES-NI backend (x86-64 with AES-NI and SSE4.1).
bool AesNiAvailable();

// Tests only: while `force` is true, AesBlock objects constructed afterwards use the OpenSSL
// fallback even where AES-NI is available, so tests can run both backends in one binary.
// Objects that already exist keep their backend. Not for production code.
void ForceAesFallbackForTesting(bool force);

}  // namespace strm
