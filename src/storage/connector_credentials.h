// Credentials of the object-store connectors (SPEC §1 "Credentials"): parsed from the JSON
// files users already have, validated, written as the canonical JSON that the catalog stores
// sealed, and redacted for `get` and `list`. Pure functions, thread-safe.
//
// Each Parse function accepts the third-party forms listed below and the canonical form that
// the matching CredentialsToJson writes, so a stored value (and the output of
// `get --include-credentials`) parses back to the same struct. Unknown members of
// third-party forms are ignored (those tools add fields over time); unknown members of the
// canonical forms are errors. Keys are accepted in snake_case and lowerCamelCase where the
// form uses one of those. Errors name the source, the line and the member ("s3.json line 3:
// 'SecretAccessKey' is missing in AccessKey") and never contain a secret value, nor the text
// that a JSON syntax error was found in.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"

namespace strm {

// What RedactedCredentialsJson shows instead of a secret.
inline constexpr std::string_view kRedactedSecret = "****";

// Redacts a canonical form of any kind (what CredentialsToJson writes, parsed) in place: the
// value of every secret member becomes "****" (an empty one stays empty), so that stored
// credentials can be shown without being parsed and checked again by kind. This is the one
// place that knows which members are secrets, and every Redacted function below goes through
// it. It lists the members that may be shown (access_key_id, endpoint_url, path_style, type,
// client_email, private_key_id, token_uri, tenant_id, client_id); any other member is taken
// for a secret, so a member added to a form stays hidden until it is listed here.
void RedactCanonicalCredentials(nlohmann::json& canonical);

// ---- S3 and S3-compatible stores ----------------------------------------------------------

// Path-style addressing ("https://host/bucket/key") instead of virtual-host style
// ("https://bucket.host/key"), as the MinIO client's "path" setting; kAuto leaves the
// choice to the S3 store.
enum class S3PathStyle { kAuto, kOn, kOff };
std::string_view S3PathStyleName(S3PathStyle s);  // "auto", "on", "off"

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret
  std::string session_token;      // secret; empty for long-term keys
  std::string endpoint_url;       // "scheme://host[:port]", no trailing '/'; empty for AWS
  S3PathStyle path_style = S3PathStyle::kAuto;
  bool operator==(const S3Credentials&) const = default;
};

// Accepts:
//  - what `aws iam create-access-key` prints: {"AccessKey": {"AccessKeyId", "SecretAccessKey",
//    "SessionToken"?, ...}}, or the same under "Credentials" (`aws sts` output);
//  - the S3-compatible (MinIO client) form {"url", "accessKey", "secretKey", "api"?: "s3v4",
//    "path"?: "auto"|"on"|"off"}, where "url" is the endpoint;
//  - the canonical form {"access_key_id", "secret_access_key", "session_token"?,
//    "endpoint_url"?, "path_style"?}.
// `source` names the document in messages ("s3.json").
Result<S3Credentials> ParseS3Credentials(std::string_view json, const std::string& source);
std::string CredentialsToJson(const S3Credentials& c);
std::string RedactedCredentialsJson(const S3Credentials& c);  // secret and token as ****

// ---- Google Cloud Storage -----------------------------------------------------------------

struct GcsCredentials {
  std::string client_email;
  std::string private_key;     // secret: PEM, an RSA key usable for RS256 (jwt.h)
  std::string private_key_id;  // the JWT "kid"; may be empty
  std::string token_uri;       // where the JWT is exchanged for an access token
  bool operator==(const GcsCredentials&) const = default;
};

// Accepts a service-account JSON key as Google issues it ({"type": "service_account",
// "client_email", "private_key", "private_key_id"?, "token_uri", ...}); the canonical form is
// that key reduced to these members, so Google's tools can read it too. The private key must
// be an unencrypted PEM RSA key.
Result<GcsCredentials> ParseGcsCredentials(std::string_view json, const std::string& source);
std::string CredentialsToJson(const GcsCredentials& c);
std::string RedactedCredentialsJson(const GcsCredentials& c);  // private_key as ****

// ---- Azure Blob Storage (OAuth client-credentials flow) -----------------------------------

struct AzureCredentials {
  std::string tenant_id;  // a GUID or a domain ("contoso.onmicrosoft.com")
  std::string client_id;
  std::string client_secret;  // secret
  bool operator==(const AzureCredentials&) const = default;
};

// From the three values of the CLI flags (--tenant-id, --client-id, --client-secret).
Result<AzureCredentials> MakeAzureCredentials(std::string tenant_id, std::string client_id,
                                              std::string client_secret);
// Accepts the canonical form {"tenant_id", "client_id", "client_secret"} (the entity's
// client_secret_credential) and what `az ad sp create-for-rbac` prints ({"appId",
// "password", "tenant", ...}).
Result<AzureCredentials> ParseAzureCredentials(std::string_view json, const std::string& source);
std::string CredentialsToJson(const AzureCredentials& c);
std::string RedactedCredentialsJson(const AzureCredentials& c);  // client_secret as ****

}  // namespace strm
