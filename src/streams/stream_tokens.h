// Access and refresh tokens of stream clients (SPEC §3 "Tokens"): JSON Web Tokens signed with
// HS256 (RFC 7519, RFC 7518 §3.2) under a key that the server derives from its master key, so
// that they stay valid across restarts and on every node that shares the master key, and
// need no table. A token is bound to one stream (its name and id, so a stream deleted and made
// again under the same name does not take the old tokens) and one client. Whether that stream
// and client still exist is the caller's check. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/hmac_sha256.h"
#include "core/result.h"

namespace strm {

enum class StreamTokenKind { kAccess, kRefresh };

struct StreamTokenClaims {
  StreamTokenKind kind = StreamTokenKind::kAccess;
  std::string stream;     // the stream's name
  std::string stream_id;  // its id
  std::string client_id;
  int64_t issued_at = 0;   // epoch s
  int64_t expires_at = 0;  // epoch s
  bool operator==(const StreamTokenClaims&) const = default;
};

class StreamTokens {
 public:
  // `master_key`: the catalog's (catalog/secret_box.h); the signing key is an HMAC of it.
  explicit StreamTokens(std::span<const uint8_t, 32> master_key);

  // base64url(header) "." base64url(claims) "." base64url(HMAC-SHA256).
  std::string Issue(const StreamTokenClaims& claims) const;

  // The claims of a token of `kind` that this key signed and that has not expired at `now`
  // (epoch s). PermissionDenied with the reason ("the token has expired", "the token is not
  // an access token", ...); the token itself is never in a message.
  Result<StreamTokenClaims> Verify(std::string_view token, StreamTokenKind kind, int64_t now) const;

 private:
  HmacSha256 mac_;
};

}  // namespace strm
