// API tokens of the server: made here, kept in the catalog as digests (catalog.h, ApiToken),
// checked here on every request.
//
// A token's text is "strm_<id>_<secret>": <id> is 12 lowercase hex digits (6 random bytes)
// that find the token in the catalog, <secret> 43 base64url characters without padding (32
// random bytes). The catalog keeps the SHA-256 of the whole text, never the text, which is
// shown once, when the token is made. No message here holds a token's text or its secret.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "catalog/catalog.h"
#include "core/result.h"

namespace strm {

// A new token called `name` (a name as ValidateEntityName of platform.h wants it; it need not
// be unique), created now: its record, for Catalog::CreateApiToken, and its text, for the user.
// InvalidArgument for a bad name.
Result<std::pair<ApiToken, std::string>> NewApiToken(std::string name);

// OK when `bearer` (the token of an "Authorization: Bearer <token>" header, without "Bearer ")
// is the text of a token of `catalog` that is not revoked. PermissionDenied("invalid API
// token") when it is malformed, unknown or its secret is wrong: one message for all, so that
// callers learn nothing of which ids exist. PermissionDenied("API token '<name>' (<id>) was
// revoked") only for the right text of a revoked token. Other errors of the catalog come back
// as they are. The digests are compared in constant time.
Status VerifyApiToken(Catalog& catalog, std::string_view bearer);

}  // namespace strm
