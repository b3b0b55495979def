#include "storage/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "core/bytes.h"
#include "net/http_transport.h"

namespace strm {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// Headers the signer computes itself; a caller's copy would be signed twice or contradict.
constexpr std::string_view kOwnedHeaders[] = {"authorization", "host", "x-amz-date",
                                              "x-amz-content-sha256", "x-amz-security-token"};

using Digest = std::array<uint8_t, 32>;

// OpenSSL fails here only when out of memory; a wrong signature must never be sent.
void Check(bool ok) {
  if (!ok) std::abort();
}

Digest HmacSha256(std::span<const uint8_t> key, std::string_view data) {
  Digest out;
  unsigned int len = 0;
  Check(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
             &len) != nullptr &&
        len == out.size());
  return out;
}

// RFC 9110 token characters, the only ones allowed in a header name.
bool IsTokenChar(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Trims spaces and tabs and collapses inner runs of them to one space (AWS "Trimall").
std::string TrimAll(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return IsControl(c); });
}

Status CheckInputs(const Sigv4Request& r, const Sigv4Credentials& c, std::string_view region,
                   std::string_view service) {
  if (c.access_key_id.empty()) return InvalidArgument("SigV4: the access key id is empty");
  if (HasControl(c.access_key_id) || c.access_key_id.find(' ') != std::string::npos)
    return InvalidArgument("SigV4: the access key id contains spaces or control characters");
  if (c.secret_access_key.empty()) return InvalidArgument("SigV4: the secret access key is empty");
  if (HasControl(c.session_token))
    return InvalidArgument("SigV4: the session token contains control characters");
  if (region.empty() || HasControl(region) || region.find('/') != std::string_view::npos)
    return InvalidArgument("SigV4: the region is empty or malformed");
  if (service.empty() || HasControl(service) || service.find('/') != std::string_view::npos)
    return InvalidArgument("SigV4: the service is empty or malformed");
  if (r.method.empty() || !std::all_of(r.method.begin(), r.method.end(),
                                       [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
    return InvalidArgument("SigV4: the method '" + AwsUriEncode(r.method, false) +
                           "' is not an uppercase HTTP method");
  if (r.host.empty() || HasControl(r.host) || r.host.find_first_of(" /") != std::string::npos)
    return InvalidArgument("SigV4: the host is empty or malformed");
  if (!r.path.empty() && r.path.front() != '/')
    return InvalidArgument("SigV4: the path must start with '/'");
  if (r.payload_hash != kUnsignedPayload && !IsLowerHex64(r.payload_hash))
    return InvalidArgument(
        "SigV4: the payload hash must be a lowercase hex SHA-256 or UNSIGNED-PAYLOAD");
  return Status::Ok();
}

}  // namespace

std::string AwsUriEncode(std::string_view raw, bool keep_slash) {
  return PercentEncode(raw, keep_slash);
}

std::string CanonicalQueryString(const Sigv4Pairs& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [k, v] : params)
    encoded.emplace_back(AwsUriEncode(k, false), AwsUriEncode(v, false));
  std::sort(encoded.begin(), encoded.end());  // byte order of the encoded forms, as AWS says
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string AmzDate(std::chrono::sys_seconds time) {
  using namespace std::chrono;
  const sys_days day = floor<days>(time);
  const year_month_day ymd(day);
  const hh_mm_ss<seconds> hms(time - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string Sha256Hex(std::string_view data) {
  Digest d;
  unsigned int len = 0;
  Check(EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr) == 1 &&
        len == d.size());
  return HexEncode(d);
}

Result<Sigv4Signature> SignSigv4(const Sigv4Request& request, const Sigv4Credentials& credentials,
                                 std::string_view region, std::string_view service,
                                 std::chrono::sys_seconds time) {
  STRM_RETURN_IF_ERROR(CheckInputs(request, credentials, region, service));
  Sigv4Signature out;
  const std::string amz_date = AmzDate(time);
  const std::string date = amz_date.substr(0, 8);

  out.headers_to_add.emplace_back("x-amz-date", amz_date);
  if (request.content_sha256_header)
    out.headers_to_add.emplace_back("x-amz-content-sha256", request.payload_hash);
  if (!credentials.session_token.empty())
    out.headers_to_add.emplace_back("x-amz-security-token", credentials.session_token);

  // (lowercase name, trimmed value) of every signed header; stable_sort keeps the order of
  // repeated names, whose values are then joined in the order given.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("host", request.host);
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return IsTokenChar(static_cast<unsigned char>(c));
        }))
      return InvalidArgument("SigV4: the header name '" + AwsUriEncode(name, false) +
                             "' is not a valid HTTP header name");
    std::string lower = Lowercase(name);
    if (std::find(std::begin(kOwnedHeaders), std::end(kOwnedHeaders), lower) !=
        std::end(kOwnedHeaders))
      return InvalidArgument("SigV4: the header '" + lower +
                             "' is set by the signer and must not be passed");
    if (std::any_of(value.begin(), value.end(), [](char c) { return IsControl(c) && c != '\t'; }))
      return InvalidArgument("SigV4: the value of header '" + lower +
                             "' contains a control character or line break");
    headers.emplace_back(std::move(lower), TrimAll(value));
  }
  for (const auto& [name, value] : out.headers_to_add) headers.emplace_back(name, value);
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string canonical_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.back() = ',';  // replaces the previous line's '\n'
    } else {
      if (!out.signed_headers.empty()) out.signed_headers += ';';
      out.signed_headers += headers[i].first;
      canonical_headers += headers[i].first;
      canonical_headers += ':';
    }
    canonical_headers += headers[i].second;
    canonical_headers += '\n';
  }

  out.canonical_uri = AwsUriEncode(request.path.empty() ? "/" : request.path, true);
  out.query_string = CanonicalQueryString(request.query);
  out.canonical_request = request.method + '\n' + out.canonical_uri + '\n' + out.query_string +
                          '\n' + canonical_headers + '\n' + out.signed_headers + '\n' +
                          request.payload_hash;

  const std::string scope =
      date + '/' + std::string(region) + '/' + std::string(service) + "/aws4_request";
  out.string_to_sign = std::string(kAlgorithm) + '\n' + amz_date + '\n' + scope + '\n' +
                       Sha256Hex(out.canonical_request);

  const std::string secret = "AWS4" + credentials.secret_access_key;
  Digest key = HmacSha256(AsBytes(secret), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  out.signature = HexEncode(HmacSha256(key, out.string_to_sign));

  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' +
                      scope + ", SignedHeaders=" + out.signed_headers +
                      ", Signature=" + out.signature;
  return out;
}

}  // namespace strm
