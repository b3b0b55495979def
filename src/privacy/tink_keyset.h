// Tink AES256_SIV keysets as STRM writes them (the `encryptionKey` column of a keys CSV),
// and the deterministic AEAD primitive that uses them: AES-SIV with a 64-byte key and one
// empty associated-data component, output `0x01 ‖ key id (4 bytes BE) ‖ SIV ‖ ciphertext`
// (Tink's TINK output prefix). See docs/formats.md and VECTORS.md §1.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "privacy/aes_siv.h"

namespace strm {

struct TinkKeyset {
  uint32_t key_id = 0;
  std::array<uint8_t, 64> key{};
  bool operator==(const TinkKeyset&) const = default;
};

// A new keyset: 64 random bytes and a random key id in [1, 2^31), positive as Tink makes
// them so that readers that take ids as signed ints agree.
TinkKeyset GenerateTinkKeyset();
// The same from 68 bytes the caller drew from a secure random source (for many keys at once):
// the key, then the key id from the last 4 (its top bit cleared; 0 becomes 1).
TinkKeyset TinkKeysetFromRandom(std::span<const uint8_t, 68> random);

// Parses the JSON keyset form:
// {"primaryKeyId":N,"key":[{"keyData":{"typeUrl":"type.googleapis.com/google.crypto.tink.AesSivKey",
//  "value":B64,"keyMaterialType":"SYMMETRIC"},"status":"ENABLED","keyId":N,"outputPrefixType":"TINK"}]}
// where `value` is the protobuf AesSivKey {version = 0 (omitted), key_value = 64 bytes}.
// Takes the primary key; errors name what is wrong (type URL, key size, prefix type...).
// Key ids may be written unsigned or, as older Tink versions did, as signed 32-bit ints.
Result<TinkKeyset> ParseTinkKeysetJson(std::string_view json);

// The JSON form above, compact, keys in that order (byte-identical to STRM's output).
std::string TinkKeysetToJson(const TinkKeyset& keyset);
// Appends that JSON as one CSV field, exactly as AppendCsvField would write it (quoted,
// quotes doubled), without building the JSON first: once per key of a job's keys output.
void AppendTinkKeysetCsvField(const TinkKeyset& keyset, std::string& out);

// Encrypts and decrypts field values with one keyset. Not thread-safe (see AesSiv): give
// each thread its own (Clone()).
class DeterministicAead {
 public:
  static constexpr size_t kOverhead = 21;  // prefix (5) + SIV (16)

  explicit DeterministicAead(const TinkKeyset& keyset);
  DeterministicAead Clone() const;
  // Switches to another keyset in place, reusing the cipher contexts (see AesSiv::Rekey).
  void Rekey(const TinkKeyset& keyset);
  uint32_t key_id() const { return key_id_; }

  // Appends the standard padded base64 of the ciphertext of `plaintext` to `out`.
  void EncryptToBase64(std::string_view plaintext, std::string& out) const;
  Bytes Encrypt(std::string_view plaintext) const;
  // Encrypt() of several plaintexts at once, faster (AesSiv::EncryptMany): out[i] receives
  // the kOverhead + plaintexts[i].size() bytes of its ciphertext.
  void EncryptMany(std::span<const std::string_view> plaintexts, uint8_t* const* out) const;

  // InvalidArgument for bad base64, a wrong prefix or key id, or failed authentication.
  Result<std::string> DecryptBase64(std::string_view ciphertext_b64) const;
  Result<std::string> Decrypt(std::span<const uint8_t> ciphertext) const;

 private:
  DeterministicAead(uint32_t key_id, AesSiv siv) : key_id_(key_id), siv_(std::move(siv)) {}
  uint32_t key_id_;
  AesSiv siv_;
};

}  // namespace strm
