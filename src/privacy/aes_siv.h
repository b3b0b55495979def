// AES-SIV (RFC 5297): deterministic authenticated encryption. Keys of 32, 48 or 64 bytes
// (AES-128/192/256-SIV; the first half is the S2V/CMAC key, the second the CTR key).
//
// S2V and CTR are built on raw AES block operations (AesBlock: AES-NI where present, else
// OpenSSL), not on OpenSSL's SIV cipher, which fails on empty plaintexts in OpenSSL 3.0. The
// key schedules and the CMAC subkeys are computed once in Create() or Rekey(); the S2V state
// after fixed associated data can be precomputed with PrecomputeAd() so each field costs
// only the plaintext's own blocks. On the AES-NI backend, Encrypt() and Rekey() do not
// allocate (beyond growing `out`) and Decrypt() allocates only the plaintext it returns.
//
// Thread safety: an AesSiv is immutable after Create() and PrecomputeAd() but may hold
// OpenSSL contexts (the fallback of AesBlock) that are not safe to share: give each thread
// its own copy (Clone()).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace strm {

class AesSiv {
 public:
  using Ad = std::vector<std::span<const uint8_t>>;

  // InvalidArgument unless key.size() is 32, 48 or 64.
  static Result<AesSiv> Create(std::span<const uint8_t> key);
  AesSiv(AesSiv&&) noexcept;
  AesSiv& operator=(AesSiv&&) noexcept;
  ~AesSiv();
  AesSiv Clone() const;

  // Fixes the associated-data components used by the overloads without `ad`.
  void PrecomputeAd(const Ad& ad);

  // Replaces the key in place, reusing this object's storage (far cheaper than Create());
  // the fixed associated data of PrecomputeAd() is kept. InvalidArgument unless
  // `key` has the size of the current key.
  Status Rekey(std::span<const uint8_t> key);

  // Appends SIV (16 bytes) ‖ ciphertext (|plaintext| bytes) to `out`.
  void Encrypt(const Ad& ad, std::span<const uint8_t> plaintext, Bytes& out) const;
  // Same, with the associated data fixed by PrecomputeAd() (none if never called).
  void Encrypt(std::span<const uint8_t> plaintext, uint8_t* out) const;  // writes 16+n bytes
  // The same as Encrypt(plaintexts[i], out[i]) for each i, faster: the AES blocks of the
  // plaintexts are interleaved, so their (serial) CMAC chains and their CTR keystreams go
  // through the AES unit together. Any number and length of plaintexts.
  void EncryptMany(std::span<const std::span<const uint8_t>> plaintexts, uint8_t* const* out) const;

  // InvalidArgument if the input is shorter than 16 bytes or fails authentication.
  Result<Bytes> Decrypt(const Ad& ad, std::span<const uint8_t> siv_and_ciphertext) const;
  Result<Bytes> Decrypt(std::span<const uint8_t> siv_and_ciphertext) const;

 private:
  struct State;
  explicit AesSiv(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace strm
