#include "storage/connector_credentials.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/json_document.h"
#include "storage/jwt.h"

namespace strm {
namespace {

// What a string member may contain. Secrets may hold spaces (S3-compatible stores allow
// them); identifiers and tokens, which go into HTTP headers and URLs, may not.
enum class Text { kAny, kNoControl, kNoSpace };

bool IsControl(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c < 0x20 || c == 0x7f;
}

bool Fits(std::string_view s, Text text) {
  switch (text) {
    case Text::kAny:
      return true;
    case Text::kNoControl:
      return std::none_of(s.begin(), s.end(), IsControl);
    case Text::kNoSpace:
      return std::none_of(s.begin(), s.end(), [](char c) { return IsControl(c) || c == ' '; });
  }
  return false;
}

// Parses a credentials document. nlohmann's syntax errors end in "; last read: '<text>'",
// which can be the beginning of a secret (a raw line break inside a private key, say): cut.
Result<JsonDocument> ParseDocument(std::string_view json, const std::string& source) {
  auto doc = ParseJsonDocument(json, source);
  if (!doc.ok()) {
    std::string m = doc.status().message();
    if (size_t p = m.find("; last read"); p != std::string::npos) m.erase(p);
    return Status(doc.status().code(), std::move(m));
  }
  if (!doc->value.is_object())
    return InvalidArgument(source + ": credentials must be a JSON object");
  return doc;
}

// Reads the string members of one object, with messages that name them as the user's form
// spells them and never show their values.
class Members {
 public:
  Members(const JsonDocument& doc, std::string pointer, std::string what)
      : reader_(doc, std::move(pointer), what), what_(std::move(what)) {}

  // Not OK when the object is missing or not an object, or has a member in both spellings
  // ("accessKey" and "access_key").
  Status status() const { return reader_.status(); }
  Status Finish() const { return reader_.Finish(); }
  Status ErrorAt(std::string_view key, std::string_view shown, std::string_view problem) const {
    return reader_.ErrorAt(key, "'" + std::string(shown) + "' " + std::string(problem));
  }

  // Absent or null -> "". `key` is looked up as given and in lowerCamelCase; `shown` is the
  // name used in messages.
  Result<std::string> Optional(std::string_view key, std::string_view shown, Text text) {
    const nlohmann::json* v = reader_.Get(key);
    if (v == nullptr) return std::string();
    if (!v->is_string()) return ErrorAt(key, shown, "must be a string");
    std::string s = v->get<std::string>();
    if (!Fits(s, text))
      return ErrorAt(key, shown,
                     text == Text::kNoSpace
                         ? "must not contain spaces, line breaks or control characters"
                         : "must not contain line breaks or control characters");
    return s;
  }

  Result<std::string> Required(std::string_view key, std::string_view shown, Text text) {
    if (reader_.Get(key) == nullptr)
      return reader_.ErrorAt(key, "'" + std::string(shown) + "' is missing in " + what_);
    STRM_ASSIGN_OR_RETURN(std::string s, Optional(key, shown, text));
    if (s.empty()) return ErrorAt(key, shown, "is empty");
    return s;
  }

 private:
  JsonObjectReader reader_;
  std::string what_;
};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

// The scheme://host[:port] of an S3 endpoint, normalised (lowercase scheme, no trailing
// '/'), or the problem with it, phrased to follow the member's name. The URL is never
// echoed: it could carry a password as user info.
Result<std::string> NormalizeEndpoint(std::string_view url) {
  std::string scheme;
  if (StartsWithNoCase(url, "https://")) {
    scheme = "https://";
  } else if (StartsWithNoCase(url, "http://")) {
    scheme = "http://";
  } else {
    return InvalidArgument("must start with http:// or https://");
  }
  std::string_view rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('@') != std::string_view::npos)
    return InvalidArgument("must not contain user info (the keys belong in their own members)");
  if (rest.empty()) return InvalidArgument("has no host");
  if (rest.find_first_of("/?#") != std::string_view::npos)
    return InvalidArgument("must be scheme://host[:port], without a path, query or fragment");
  return scheme + std::string(rest);
}

bool IsHttpUrl(std::string_view url) {
  return (StartsWithNoCase(url, "https://") && url.size() > 8) ||
         (StartsWithNoCase(url, "http://") && url.size() > 7);
}

Result<S3PathStyle> ParsePathStyle(std::string_view s) {
  if (s.empty() || s == "auto") return S3PathStyle::kAuto;
  if (s == "on") return S3PathStyle::kOn;
  if (s == "off") return S3PathStyle::kOff;
  return InvalidArgument("must be \"auto\", \"on\" or \"off\"");
}

Result<S3Credentials> ParseAwsCliForm(const JsonDocument& doc, const std::string& wrapper) {
  Members m(doc, "/" + wrapper, wrapper);
  STRM_RETURN_IF_ERROR(m.status());
  S3Credentials c;
  STRM_ASSIGN_OR_RETURN(c.access_key_id, m.Required("AccessKeyId", "AccessKeyId", Text::kNoSpace));
  STRM_ASSIGN_OR_RETURN(c.secret_access_key,
                        m.Required("SecretAccessKey", "SecretAccessKey", Text::kNoControl));
  STRM_ASSIGN_OR_RETURN(c.session_token,
                        m.Optional("SessionToken", "SessionToken", Text::kNoSpace));
  return c;
}

// The endpoint and path style members of the S3-compatible and canonical forms.
Status ReadEndpoint(Members& m, std::string_view url_key, std::string_view path_key, bool required,
                    S3Credentials& c) {
  STRM_ASSIGN_OR_RETURN(std::string url, required ? m.Required(url_key, url_key, Text::kNoSpace)
                                                  : m.Optional(url_key, url_key, Text::kNoSpace));
  if (!url.empty()) {
    auto normalized = NormalizeEndpoint(url);
    if (!normalized.ok()) return m.ErrorAt(url_key, url_key, normalized.status().message());
    c.endpoint_url = *normalized;
  }
  STRM_ASSIGN_OR_RETURN(std::string path, m.Optional(path_key, path_key, Text::kAny));
  auto style = ParsePathStyle(path);
  if (!style.ok()) return m.ErrorAt(path_key, path_key, style.status().message());
  c.path_style = *style;
  return Status::Ok();
}

Result<S3Credentials> ParseMinioForm(const JsonDocument& doc) {
  Members m(doc, "", "the S3 credentials");
  STRM_RETURN_IF_ERROR(m.status());
  S3Credentials c;
  STRM_ASSIGN_OR_RETURN(c.access_key_id, m.Required("access_key", "accessKey", Text::kNoSpace));
  STRM_ASSIGN_OR_RETURN(c.secret_access_key,
                        m.Required("secret_key", "secretKey", Text::kNoControl));
  STRM_ASSIGN_OR_RETURN(std::string api, m.Optional("api", "api", Text::kAny));
  // The MinIO client writes "S3v4" in its config and "s3v4" in exports.
  if (!api.empty() && !(api.size() == 4 && StartsWithNoCase(api, "s3v4")))
    return m.ErrorAt("api", "api", "must be \"s3v4\": strm signs requests with SigV4 only");
  STRM_RETURN_IF_ERROR(ReadEndpoint(m, "url", "path", /*required=*/true, c));
  return c;
}

Result<S3Credentials> ParseCanonicalS3(const JsonDocument& doc) {
  Members m(doc, "", "the S3 credentials");
  STRM_RETURN_IF_ERROR(m.status());
  S3Credentials c;
  STRM_ASSIGN_OR_RETURN(c.access_key_id,
                        m.Required("access_key_id", "access_key_id", Text::kNoSpace));
  STRM_ASSIGN_OR_RETURN(c.secret_access_key,
                        m.Required("secret_access_key", "secret_access_key", Text::kNoControl));
  STRM_ASSIGN_OR_RETURN(c.session_token,
                        m.Optional("session_token", "session_token", Text::kNoSpace));
  STRM_RETURN_IF_ERROR(ReadEndpoint(m, "endpoint_url", "path_style", /*required=*/false, c));
  STRM_RETURN_IF_ERROR(m.Finish());
  return c;
}

// Empty when `tenant` can be put into the token URL's path, else the problem.
std::string_view TenantProblem(std::string_view tenant) {
  if (tenant.empty()) return "is empty";
  bool ok = std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
  // No leading or trailing dot: "." and ".." would climb out of the token URL's path.
  ok = ok && tenant.front() != '.' && tenant.back() != '.';
  return ok ? "" : "must be a GUID or a domain name";
}

bool IsUtf8Json(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

// Never throws: the strings come from parsed JSON or from MakeAzureCredentials, both UTF-8.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json S3Json(const S3Credentials& c) {
  nlohmann::json j = {{"access_key_id", c.access_key_id},
                      {"secret_access_key", c.secret_access_key},
                      {"path_style", S3PathStyleName(c.path_style)}};
  if (!c.session_token.empty()) j["session_token"] = c.session_token;
  if (!c.endpoint_url.empty()) j["endpoint_url"] = c.endpoint_url;
  return j;
}

nlohmann::json GcsJson(const GcsCredentials& c) {
  nlohmann::json j = {{"type", "service_account"},
                      {"client_email", c.client_email},
                      {"private_key", c.private_key},
                      {"token_uri", c.token_uri}};
  if (!c.private_key_id.empty()) j["private_key_id"] = c.private_key_id;
  return j;
}

nlohmann::json AzureJson(const AzureCredentials& c) {
  return {
      {"tenant_id", c.tenant_id}, {"client_id", c.client_id}, {"client_secret", c.client_secret}};
}

nlohmann::json Redacted(nlohmann::json j) {
  RedactCanonicalCredentials(j);
  return j;
}

}  // namespace

void RedactCanonicalCredentials(nlohmann::json& canonical) {
  // The members that may be shown, of all canonical forms (S3, GCS, Azure).
  static constexpr std::string_view kPublic[] = {"access_key_id", "endpoint_url", "path_style",
                                                 "type",          "client_email", "private_key_id",
                                                 "token_uri",     "tenant_id",    "client_id"};
  if (!canonical.is_object()) return;
  for (auto& [key, value] : canonical.items()) {
    if (std::find(std::begin(kPublic), std::end(kPublic), key) != std::end(kPublic)) continue;
    if (value.is_string() && value.get_ref<const std::string&>().empty()) continue;
    value = std::string(kRedactedSecret);
  }
}

std::string_view S3PathStyleName(S3PathStyle s) {
  switch (s) {
    case S3PathStyle::kAuto:
      return "auto";
    case S3PathStyle::kOn:
      return "on";
    case S3PathStyle::kOff:
      return "off";
  }
  return "auto";
}

Result<S3Credentials> ParseS3Credentials(std::string_view json, const std::string& source) {
  STRM_ASSIGN_OR_RETURN(JsonDocument doc, ParseDocument(json, source));
  const nlohmann::json& root = doc.value;
  if (root.contains("AccessKey")) return ParseAwsCliForm(doc, "AccessKey");
  if (root.contains("Credentials")) return ParseAwsCliForm(doc, "Credentials");
  for (const char* key : {"url", "accessKey", "access_key", "secretKey", "secret_key"}) {
    if (root.contains(key)) return ParseMinioForm(doc);
  }
  for (const char* key : {"access_key_id", "accessKeyId", "secret_access_key", "secretAccessKey"}) {
    if (root.contains(key)) return ParseCanonicalS3(doc);
  }
  return InvalidArgument(source +
                         ": not S3 credentials: expected {\"AccessKey\": {\"AccessKeyId\", "
                         "\"SecretAccessKey\"}} as `aws iam create-access-key` prints it, or "
                         "{\"url\", \"accessKey\", \"secretKey\", \"api\": \"s3v4\", \"path\"}");
}

std::string CredentialsToJson(const S3Credentials& c) { return Dump(S3Json(c)); }
std::string RedactedCredentialsJson(const S3Credentials& c) { return Dump(Redacted(S3Json(c))); }

Result<GcsCredentials> ParseGcsCredentials(std::string_view json, const std::string& source) {
  STRM_ASSIGN_OR_RETURN(JsonDocument doc, ParseDocument(json, source));
  Members m(doc, "", "the service-account key");
  STRM_RETURN_IF_ERROR(m.status());
  GcsCredentials c;
  STRM_ASSIGN_OR_RETURN(std::string type, m.Required("type", "type", Text::kAny));
  if (type != "service_account")
    return m.ErrorAt("type", "type",
                     "must be \"service_account\": strm needs a service-account key, not user "
                     "credentials");
  STRM_ASSIGN_OR_RETURN(c.client_email, m.Required("client_email", "client_email", Text::kNoSpace));
  if (c.client_email.find('@') == std::string::npos)
    return m.ErrorAt("client_email", "client_email", "is not an e-mail address");
  STRM_ASSIGN_OR_RETURN(c.private_key, m.Required("private_key", "private_key", Text::kAny));
  if (Status s = CheckRsaPrivateKeyPem(c.private_key); !s.ok())
    return m.ErrorAt("private_key", "private_key", "is not usable: " + s.message());
  STRM_ASSIGN_OR_RETURN(c.private_key_id,
                        m.Optional("private_key_id", "private_key_id", Text::kNoSpace));
  STRM_ASSIGN_OR_RETURN(c.token_uri, m.Required("token_uri", "token_uri", Text::kNoSpace));
  if (!IsHttpUrl(c.token_uri))
    return m.ErrorAt("token_uri", "token_uri", "must be an http:// or https:// URL");
  return c;
}

std::string CredentialsToJson(const GcsCredentials& c) { return Dump(GcsJson(c)); }
std::string RedactedCredentialsJson(const GcsCredentials& c) { return Dump(Redacted(GcsJson(c))); }

Result<AzureCredentials> MakeAzureCredentials(std::string tenant_id, std::string client_id,
                                              std::string client_secret) {
  if (std::string_view p = TenantProblem(tenant_id); !p.empty())
    return InvalidArgument("the Azure tenant id " + std::string(p));
  if (client_id.empty()) return InvalidArgument("the Azure client id is empty");
  if (!Fits(client_id, Text::kNoSpace) || !IsUtf8Json(client_id))
    return InvalidArgument(
        "the Azure client id must be UTF-8 without spaces or control characters");
  if (client_secret.empty()) return InvalidArgument("the Azure client secret is empty");
  if (!Fits(client_secret, Text::kNoControl) || !IsUtf8Json(client_secret))
    return InvalidArgument("the Azure client secret must be UTF-8 without control characters");
  return AzureCredentials{std::move(tenant_id), std::move(client_id), std::move(client_secret)};
}

Result<AzureCredentials> ParseAzureCredentials(std::string_view json, const std::string& source) {
  STRM_ASSIGN_OR_RETURN(JsonDocument doc, ParseDocument(json, source));
  const nlohmann::json& root = doc.value;
  const bool az_cli =
      root.contains("appId") || root.contains("password") || root.contains("tenant");
  // Member names (as looked up, as shown) of the two forms.
  const char* tenant = az_cli ? "tenant" : "tenant_id";
  const char* client = az_cli ? "appId" : "client_id";
  const char* secret = az_cli ? "password" : "client_secret";
  Members m(doc, "", "the Azure credentials");
  STRM_RETURN_IF_ERROR(m.status());
  AzureCredentials c;
  STRM_ASSIGN_OR_RETURN(c.tenant_id, m.Required(tenant, tenant, Text::kNoSpace));
  if (std::string_view p = TenantProblem(c.tenant_id); !p.empty())
    return m.ErrorAt(tenant, tenant, p);
  STRM_ASSIGN_OR_RETURN(c.client_id, m.Required(client, client, Text::kNoSpace));
  STRM_ASSIGN_OR_RETURN(c.client_secret, m.Required(secret, secret, Text::kNoControl));
  if (!az_cli) STRM_RETURN_IF_ERROR(m.Finish());
  return c;
}

std::string CredentialsToJson(const AzureCredentials& c) { return Dump(AzureJson(c)); }
std::string RedactedCredentialsJson(const AzureCredentials& c) {
  return Dump(Redacted(AzureJson(c)));
}

}  // namespace strm
