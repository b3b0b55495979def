#include "net/http_status.h"

#include <nlohmann/json.hpp>

#include "net/xml_reader.h"

namespace strm {
namespace {

constexpr size_t kMaxCode = 64;

bool LooksLikeJson(std::string_view body) {
  const size_t first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && body[first] == '{';
}

ServiceError ParseJsonError(std::string_view body) {
  ServiceError out;
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  const auto e = j.find("error");
  if (e == j.end()) return out;
  if (e->is_string()) {  // OAuth
    out.code = e->get<std::string>();
    if (const auto d = j.find("error_description"); d != j.end() && d->is_string())
      out.message = d->get<std::string>();
    return out;
  }
  if (!e->is_object()) return out;
  if (const auto m = e->find("message"); m != e->end() && m->is_string())
    out.message = m->get<std::string>();
  if (const auto errors = e->find("errors");
      errors != e->end() && errors->is_array() && !errors->empty() && (*errors)[0].is_object()) {
    const auto reason = (*errors)[0].find("reason");
    if (reason != (*errors)[0].end() && reason->is_string()) out.code = reason->get<std::string>();
  }
  return out;
}

// Azure ends its messages with "\nRequestId:...\nTime:...", which only its support can use.
std::string WithoutRequestId(std::string text) {
  const size_t at = text.find("RequestId:");
  if (at != std::string::npos) text.erase(at);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

}  // namespace

StatusCode StatusCodeForHttp(int s) {
  if (s == 401 || s == 403) return StatusCode::kPermissionDenied;
  if (s == 404) return StatusCode::kNotFound;
  if (s == 409 || s == 412) return StatusCode::kFailedPrecondition;
  if (s == 408 || s == 429 || (s >= 500 && s < 600)) return StatusCode::kUnavailable;
  if (s >= 300 && s < 500) return StatusCode::kInvalidArgument;
  return StatusCode::kInternal;
}

bool IsHttpSuccess(int http_status) { return http_status >= 200 && http_status < 300; }

ServiceError ParseServiceError(const HttpResponse& r) {
  ServiceError out;
  if (LooksLikeJson(r.body)) {
    out = ParseJsonError(r.body);
  } else if (r.body.find("<Error") != std::string::npos ||
             r.body.find("<Code>") != std::string::npos) {
    out.code = XmlElementText(r.body, "Code");
    out.message = XmlElementText(r.body, "AuthenticationErrorDetail");
    if (out.message.empty()) out.message = XmlElementText(r.body, "Message");
    out.message = WithoutRequestId(std::move(out.message));
  }
  if (const std::string* h = r.FindHeader("x-ms-error-code"); h != nullptr && !h->empty())
    out.code = *h;
  return out;
}

std::string ForMessage(std::string_view s, size_t max) {
  std::string out;
  if (s.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out.assign(s.substr(0, cut));
    out += "...";
  } else {
    out.assign(s);
  }
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

std::string DescribeHttpFailure(const HttpResponse& r, std::string_view secret) {
  ServiceError e = ParseServiceError(r);
  if (!secret.empty()) {
    for (std::string* text : {&e.code, &e.message}) {
      for (size_t at = 0; (at = text->find(secret, at)) != std::string::npos; at += 4)
        text->replace(at, secret.size(), "****");
    }
  }
  std::string out = "HTTP " + std::to_string(r.status);
  if (!e.code.empty()) out += " " + ForMessage(e.code, kMaxCode);
  if (!e.message.empty()) out += " (" + ForMessage(e.message, kMaxServiceMessage) + ")";
  return out;
}

Status HttpFailure(std::string_view what, const HttpResponse& response) {
  return Status(StatusCodeForHttp(response.status),
                std::string(what) + ": " + DescribeHttpFailure(response));
}

std::string RequestName(std::string_view store, std::string_view method, std::string_view uri,
                        std::string_view operation) {
  std::string out;
  out.reserve(store.size() + method.size() + uri.size() + operation.size() + 6);
  out.append(store).append(" ").append(method).append(" ").append(uri);
  if (!operation.empty()) out.append(" (").append(operation).append(")");
  return out;
}

}  // namespace strm
