// VaesRows: RowEncryptor's path for CPUs with VAES and AVX-512 — Tink's AES256_SIV
// (RFC 5297 with one empty associated-data component) of up to eight rows at once, each row
// under its own keyset, byte for byte what the other paths give.
//
// Why: with 128-bit AES-NI a row costs two key expansions and about thirteen blocks, one
// AESENC a block and round. A 512-bit VAES instruction does four blocks: here rows 4q..4q+3
// share each vector, one row per 128-bit lane, so every step of the group (the key
// schedules, the CMAC subkeys, the S2V chains, the CTR keystream) runs four rows an
// instruction, and the per-field glue works on whole registers with masked loads and stores
// (which never touch a byte past a value's end).
//
// Limits (RowEncryptor checks them): at most RowEncryptor::kMaxFields fields a row, each at
// most RowEncryptor::kMaxFieldBytes long. Call Encrypt only where VaesAvailable(). Not
// thread-safe: one per thread. The round keys stay in the object until the next call and are
// wiped when it is destroyed; the CMAC subkeys and S2V's last blocks (which hold its D) are
// wiped after each call.
#pragma once

#include <cstddef>
#include <memory>

#include "privacy/row_encryptor.h"

namespace strm::siv {

// x86-64 with AES-NI, VAES, AVX-512 F, BW, VL and VBMI (asked once).
bool VaesAvailable();

// Tests only: while true, RowEncryptors constructed afterwards do not use VaesRows, so the
// 128-bit path can be tested on a CPU that has VAES.
void ForceNoVaesForTesting(bool force);
bool VaesForcedOffForTesting();

class VaesRows {
 public:
  static constexpr size_t kRows = 8;

  VaesRows();
  ~VaesRows();
  VaesRows(const VaesRows&) = delete;
  VaesRows& operator=(const VaesRows&) = delete;

  // Writes the ciphertexts of rows[0..n), n <= kRows, into their `out` buffers.
  void Encrypt(const RowToEncrypt* const* rows, size_t n);

  struct State;  // the schedules and scratch vectors (siv_vaes.cc)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace strm::siv
