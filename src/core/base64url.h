// base64url without padding (RFC 4648 §5, as RFC 7515 §2 uses it): JWT segments and API token
// secrets. Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace strm {

std::string Base64UrlEncode(std::span<const uint8_t> in);
// Rejects padding, '+', '/' and other characters outside the URL-safe alphabet.
Result<Bytes> Base64UrlDecode(std::string_view in);
bool IsBase64UrlChar(char c);

}  // namespace strm
