// Secrets at rest. A 32-byte master key (STRM_MASTER_KEY, or a key file created with mode
// 0600 in $STRM_HOME on first use) derives two subkeys: one seals secrets with AES-256-GCM
// (credentials, encryption keys, masking seeds), one keys the HMAC that turns a data
// subject's key-field value into an opaque key-store lookup id, so the catalog never holds
// identifying values in the clear. Thread-safe (immutable after creation).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/hmac_sha256.h"
#include "core/result.h"

namespace strm {

class SecretBox {
 public:
  explicit SecretBox(std::span<const uint8_t, 32> master_key);

  // nonce (12) ‖ ciphertext ‖ tag (16). `context` is bound as associated data (e.g. the
  // row's id), so a sealed value cannot be moved to another row unnoticed.
  Bytes Seal(std::string_view plaintext, std::string_view context) const;
  // PermissionDenied if the master key is wrong or the data was altered.
  Result<std::string> Open(std::span<const uint8_t> sealed, std::string_view context) const;

  // HMAC-SHA256 under the lookup subkey, truncated to 16 bytes.
  std::array<uint8_t, 16> LookupId(std::string_view message) const;

  // The same operations for many values, on one set of OpenSSL contexts made once (each
  // single call above sets up its own, which costs more than the work on a short value).
  // Not thread-safe: one per thread or transaction. Must not outlive its SecretBox.
  class Batch {
   public:
    explicit Batch(const SecretBox& box);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    // Seal with a nonce that the caller drew from a secure random source (never reused).
    Bytes Seal(std::string_view plaintext, std::string_view context,
               std::span<const uint8_t, 12> nonce);
    Result<std::string> Open(std::span<const uint8_t> sealed, std::string_view context);
    std::array<uint8_t, 16> LookupId(std::string_view message);

   private:
    struct Contexts;
    std::unique_ptr<Contexts> c_;
  };

 private:
  std::array<uint8_t, 32> seal_key_{};
  HmacSha256 lookup_;  // under the lookup subkey
};

// The master key: STRM_MASTER_KEY (64 hex digits or base64 of 32 bytes) if set; else the file
// STRM_MASTER_KEY_FILE names, if set (never created: NotFound when missing); else the file
// `<home>/master.key`, created with 32 random bytes and mode 0600 when missing and
// `may_create` (a new catalog); when missing and not `may_create`, NotFound ("the master key
// of the catalog in HOME is missing: …"). A key file readable by group or others is refused.
Result<std::array<uint8_t, 32>> LoadOrCreateMasterKey(const std::string& home,
                                                      bool may_create = true);

}  // namespace strm
