#include "core/base64url.h"

#include <algorithm>

namespace strm {

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string Base64UrlEncode(std::span<const uint8_t> in) {
  std::string out = Base64Encode(in);
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

Result<Bytes> Base64UrlDecode(std::string_view in) {
  if (!std::all_of(in.begin(), in.end(), IsBase64UrlChar))
    return InvalidArgument("invalid base64url: unexpected character");
  if (in.size() % 4 == 1) return InvalidArgument("invalid base64url: impossible length");
  std::string padded(in);
  std::replace(padded.begin(), padded.end(), '-', '+');
  std::replace(padded.begin(), padded.end(), '_', '/');
  padded.append((4 - padded.size() % 4) % 4, '=');
  return Base64Decode(padded);
}

}  // namespace strm
