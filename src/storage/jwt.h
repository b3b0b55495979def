// RS256-signed JSON Web Tokens (RFC 7515 JWS compact serialisation, RFC 7519 claims), as
// Google's OAuth token endpoint wants them from a service account ("JWT bearer" grant,
// https://developers.google.com/identity/protocols/oauth2/service-account). RS256 is
// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), done with OpenSSL's EVP interface.
// Pure functions, thread-safe.
//
// Keys are PEM text: private keys as PKCS#8 ("BEGIN PRIVATE KEY", what Google's key files
// hold) or PKCS#1 ("BEGIN RSA PRIVATE KEY"), unencrypted; public keys as SubjectPublicKeyInfo
// ("BEGIN PUBLIC KEY"). Error messages describe what is wrong with a key (not PEM, encrypted,
// not RSA) and never contain any part of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/base64url.h"  // the JWS segments
#include "core/bytes.h"
#include "core/result.h"

namespace strm {

// Lifetime of a service-account JWT: Google accepts at most one hour.
inline constexpr int64_t kServiceAccountJwtSeconds = 3600;

// The compact JWS base64url(header) "." base64url(payload) "." base64url(signature), signed
// with RS256 over exactly these bytes of `protected_header` and `payload` (which should be
// JSON; they are not re-serialised, so RFC test vectors can be reproduced byte for byte).
Result<std::string> SignRs256Jws(std::string_view protected_header, std::string_view payload,
                                 std::string_view private_key_pem);

// The assertion of Google's JWT bearer grant: header {"alg":"RS256","kid":...,"typ":"JWT"}
// ("kid" only when `private_key_id` is not empty), claims {"aud": token_uri, "exp": iat +
// kServiceAccountJwtSeconds, "iat": now, "iss": client_email, "scope": scope} (keys sorted,
// no whitespace). InvalidArgument for an empty email, token URI or scope, text that is not
// UTF-8, or a private key that is not an unencrypted PEM RSA key.
Result<std::string> MakeServiceAccountJwt(std::string_view client_email,
                                          std::string_view private_key_pem,
                                          std::string_view token_uri, std::string_view scope,
                                          std::chrono::sys_seconds now,
                                          std::string_view private_key_id = "");

// The decoded JSON texts of a verified token.
struct VerifiedJwt {
  std::string header;  // e.g. {"alg":"RS256","typ":"JWT"}
  std::string claims;  // the payload, a JSON object
};

// Checks that `jwt` is a compact JWS with a JSON object header whose "alg" is "RS256" (no
// other algorithm, "none" included, is accepted, nor a "crit" header), a JSON object
// payload, and a valid signature under `public_key_pem` (a public key, or a private key
// whose public half is used). Time claims (exp, iat, nbf) are not checked: that is the
// caller's policy. InvalidArgument for a malformed token or key, PermissionDenied when the
// signature does not verify.
Result<VerifiedJwt> VerifyRs256Jwt(std::string_view jwt, std::string_view public_key_pem);

// OK when `pem` is an unencrypted PEM RSA private key that SignRs256Jws can use.
Status CheckRsaPrivateKeyPem(std::string_view pem);

}  // namespace strm
