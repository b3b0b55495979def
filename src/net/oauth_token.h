// The OAuth 2.0 token request that both bearer-token stores make (RFC 6749 §4.4 and RFC 7523):
// a form POSTed to a token endpoint, answered with {"access_token", "expires_in",
// "token_type": "Bearer"}. Azure sends grant_type=client_credentials with its client secret
// (Microsoft Entra ID), GCS grant_type=jwt-bearer with a signed JWT (Google's token_uri); the
// callers build the form, this sends it with retries and reads the answer. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/result.h"
#include "net/http_transport.h"
#include "net/retry_policy.h"
#include "net/token_cache.h"

namespace strm {

struct OAuthTokenRequest {
  std::string url;   // the token endpoint
  std::string form;  // the application/x-www-form-urlencoded body
  // How messages name the request: "the token request to https://login.example/t/oauth2/v2.0/
  // token for client C" (the URL without query, never the form).
  std::string who;
  std::string secret;  // blanked out ("****") of the endpoint's answer if it echoes it
  // The lifetime when the answer has no expires_in; nullopt makes expires_in required.
  std::optional<std::chrono::seconds> default_lifetime;
  HttpTimeouts timeouts;
};

// Sends the request through WithRetries and returns the token. Errors, all starting with
// `who`:
//   kPermissionDenied  "<who> was refused: HTTP 401 invalid_client (AADSTS7000215: ...)": a
//                      400, 401 or 403, which is how endpoints refuse credentials (not retried)
//   kInvalidArgument   "<who> was refused: HTTP 404 ...": a wrong endpoint or tenant
//   kUnavailable       "<who> failed after 5 attempts: HTTP 503 ..." and transport failures
//   kInternal          an answer without an access_token, with a token_type other than
//                      Bearer, or without a valid expires_in (when it is required)
// The access token itself never appears in a message.
Result<BearerToken> FetchOAuthToken(HttpTransport& http, const RetryPolicy& retry,
                                    const OAuthTokenRequest& request);

}  // namespace strm
