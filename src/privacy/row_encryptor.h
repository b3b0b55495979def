// RowEncryptor: the Tink deterministic-AEAD (AES256_SIV) ciphertexts of many rows' fields,
// each row under its own keyset, byte for byte what DeterministicAead(keyset).EncryptMany()
// gives row by row.
//
// Why: a batch job encrypts nearly every row under a different key (a subject's rows are far
// apart), and one row's AES work is a chain of dependent steps: two key expansions, the CMAC
// subkeys, the S2V chain, then CTR. Alone, each step waits for the one before. With AES-NI
// the rows go through the AES unit eight at a time (Aes256Lanes), so the waits overlap and
// the work runs at the unit's throughput; with VAES and AVX-512, four rows share each
// 512-bit instruction (siv::VaesRows). Rows with more than kMaxFields fields or a field
// longer than kMaxFieldBytes, and every row on CPUs without AES-NI, take the one-row path.
//
// Not thread-safe: one per thread. The last round keys stay in the object until the next
// call and are wiped when it is destroyed; subkeys are wiped after each group of rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "privacy/aes_block.h"
#include "privacy/tink_keyset.h"

namespace strm {
namespace siv {
class VaesRows;
}

struct RowToEncrypt {
  const TinkKeyset* keyset = nullptr;
  std::span<const std::string_view> fields;  // the row's plaintexts
  uint8_t* const* out = nullptr;  // out[i]: DeterministicAead::kOverhead + fields[i].size() bytes
};

class RowEncryptor {
 public:
  static constexpr size_t kRowsAtOnce = 8;
  static constexpr size_t kMaxFields = 8;
  static constexpr size_t kMaxFieldBytes = 256;

  RowEncryptor();
  ~RowEncryptor();
  RowEncryptor(const RowEncryptor&) = delete;
  RowEncryptor& operator=(const RowEncryptor&) = delete;
  // Writes every row's ciphertexts (any number of rows).
  void Encrypt(std::span<const RowToEncrypt> rows);

 private:
  void EncryptOne(const RowToEncrypt& row);
  // n <= kRowsAtOnce rows within the limits, AES-NI: with VaesRows, else EncryptLanes.
  void EncryptGroup(const RowToEncrypt* const* rows, size_t n);
  void EncryptLanes(const RowToEncrypt* const* rows, size_t n);

  bool lanes_ok_;
  std::unique_ptr<siv::VaesRows> vaes_;  // where the CPU has VAES (siv_vaes.h)
  Aes256Lanes lanes_;
  std::optional<DeterministicAead> one_;  // the one-row path, made on first use
  std::vector<uint8_t> blocks_;           // S2V and CTR blocks of a group
  std::vector<uint8_t> key_of_;
};

}  // namespace strm
