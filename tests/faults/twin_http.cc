#include "twin_http.h"

#include <charconv>
#include <optional>

namespace strm::testing {
namespace {

bool SameNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<uint64_t> TwinNumber(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string TwinUrl::Get(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

TwinUrl ParseTwinUrl(std::string_view url) {
  TwinUrl out;
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  out.origin = std::string(url.substr(0, path));
  if (path == std::string_view::npos) {
    out.path = "/";
    return out;
  }
  std::string_view rest = url.substr(path);
  const size_t q = rest.find('?');
  out.path = std::string(rest.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view query = rest.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    out.query[PercentDecode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

const std::string* FindRequestHeader(const HttpRequest& request, std::string_view name) {
  for (const HttpHeader& h : request.headers)
    if (SameNoCase(h.name, name)) return &h.value;
  return nullptr;
}

HttpResponse Answer(int status, std::string body, HttpHeaders headers) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

HttpResponse RangedAnswer(const HttpRequest& request, const std::string& data, HttpHeaders headers,
                          std::string unsatisfiable_body) {
  const std::string* range = FindRequestHeader(request, "range");
  if (range == nullptr) {
    headers.push_back({"content-length", std::to_string(data.size())});
    return Answer(200, data, std::move(headers));
  }
  std::string_view spec = *range;
  std::optional<uint64_t> first, last;
  if (spec.substr(0, 6) == "bytes=") {
    spec.remove_prefix(6);
    const size_t dash = spec.find('-');
    if (dash != std::string_view::npos) {
      first = TwinNumber(spec.substr(0, dash));
      last = dash + 1 == spec.size() ? std::optional<uint64_t>(UINT64_MAX)
                                     : TwinNumber(spec.substr(dash + 1));
    }
  }
  if (!first || !last || *first > *last)
    return Answer(400, "bad Range '" + *range + "'", std::move(headers));
  if (*first >= data.size()) {
    headers.push_back({"content-range", "bytes */" + std::to_string(data.size())});
    return Answer(416, std::move(unsatisfiable_body), std::move(headers));
  }
  const uint64_t end = std::min<uint64_t>(*last, data.size() - 1);
  headers.push_back({"content-range", "bytes " + std::to_string(*first) + "-" +
                                          std::to_string(end) + "/" + std::to_string(data.size())});
  return Answer(206, data.substr(*first, end - *first + 1), std::move(headers));
}

std::string XmlText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace strm::testing
