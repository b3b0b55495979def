#include "net/oauth_token.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

#include "net/http_status.h"

namespace strm {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// expires_in: v2.0 endpoints send a number, v1.0 ones (and some proxies) a string.
std::optional<int64_t> ExpiresIn(const nlohmann::json& doc) {
  const auto e = doc.find("expires_in");
  if (e == doc.end()) return std::nullopt;
  if (e->is_number()) {
    const double v = e->get<double>();
    if (v < 0) return std::nullopt;
    return static_cast<int64_t>(std::min(v, 1e9));
  }
  if (e->is_string()) {
    const std::string& s = e->get_ref<const std::string&>();
    int64_t v = -1;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && v >= 0) return v;
  }
  return std::nullopt;
}

}  // namespace

Result<BearerToken> FetchOAuthToken(HttpTransport& http, const RetryPolicy& retry,
                                    const OAuthTokenRequest& t) {
  HttpRequest req;
  req.method = "POST";
  req.url = t.url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = t.form;
  req.timeouts = t.timeouts;
  STRM_ASSIGN_OR_RETURN(HttpResponse r, WithRetries(retry, t.who, [&] { return http.Send(req); }));
  if (!IsHttpSuccess(r.status)) {
    StatusCode code = StatusCodeForHttp(r.status);
    if (r.status == 400 || r.status == 401 || r.status == 403) code = StatusCode::kPermissionDenied;
    if (r.status == 404) code = StatusCode::kInvalidArgument;
    return Status(code, t.who + " was refused: " + DescribeHttpFailure(r, t.secret));
  }
  // The body holds the token: never quote it.
  const nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Internal(t.who + ": the answer is not a JSON object");
  const auto token = doc.find("access_token");
  if (token == doc.end() || !token->is_string() || token->get_ref<const std::string&>().empty())
    return Internal(t.who + ": the answer has no access_token");
  if (const auto type = doc.find("token_type"); type != doc.end()) {
    if (!type->is_string() || !EqualsNoCase(type->get_ref<const std::string&>(), "bearer"))
      return Internal(t.who + ": the token_type is not Bearer");
  }
  const std::optional<int64_t> seconds = ExpiresIn(doc);
  if (!seconds && (doc.contains("expires_in") || !t.default_lifetime))
    return Internal(t.who + ": the answer has no valid expires_in");
  BearerToken out;
  out.value = token->get<std::string>();
  out.lifetime = seconds ? std::chrono::seconds(*seconds) : *t.default_lifetime;
  return out;
}

}  // namespace strm
