#include "net/http_transport.h"

#include <algorithm>

namespace strm {

const std::string* HttpResponse::FindHeader(std::string_view lower_name) const {
  for (const HttpHeader& h : headers)
    if (h.name == lower_name) return &h.value;
  return nullptr;
}

std::string RedactUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  // Drop "user:password@" from the authority, which starts after "scheme://".
  size_t authority = url.find("://");
  authority = authority == std::string_view::npos ? 0 : authority + 3;
  size_t path = url.find('/', authority);
  std::string_view host_part = url.substr(
      authority, path == std::string_view::npos ? std::string_view::npos : path - authority);
  size_t at = host_part.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, authority)) + std::string(url.substr(authority + at + 1));
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string DescribeRequest(const HttpRequest& request) {
  return request.method + " " + RedactUrl(request.url);
}

std::string TransportCause(const Status& status) {
  const std::string& m = status.message();
  const size_t space = m.find(' ');
  if (space == 0 || space == std::string::npos ||
      !std::all_of(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(space),
                   [](char c) { return c >= 'A' && c <= 'Z'; }))
    return m;
  std::string_view url = std::string_view(m).substr(space + 1);
  if (url.substr(0, 7) != "http://" && url.substr(0, 8) != "https://") return m;
  constexpr std::string_view kFailed = " failed: ";
  const size_t end = url.find(' ');
  if (end == std::string_view::npos || url.substr(end, kFailed.size()) != kFailed) return m;
  return std::string(url.substr(end + kFailed.size()));
}

}  // namespace strm
