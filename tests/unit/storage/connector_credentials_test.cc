#include "storage/connector_credentials.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

// The secret of every malformed input below: no error message may contain it.
constexpr std::string_view kSecret = "S3CRETwJalrXUtnFEMI";

void ExpectErrorWithout(const Status& s, std::string_view expected, std::string_view secret,
                        const std::string& input) {
  ASSERT_FALSE(s.ok()) << input;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << input;
  EXPECT_NE(s.message().find(expected), std::string::npos)
      << "input: " << input << "\nmessage: " << s.message();
  EXPECT_EQ(s.message().find(secret), std::string::npos)
      << "secret echoed for " << input << ": " << s.message();
}

// ---- S3 -------------------------------------------------------------------------------------

// As printed by `aws iam create-access-key` (the example of the AWS CLI reference).
constexpr std::string_view kAwsCliOutput = R"({
    "AccessKey": {
        "UserName": "Bob",
        "Status": "Active",
        "CreateDate": "2015-03-09T18:39:23.411Z",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"
    }
})";

S3Credentials MustParseS3(std::string_view json) {
  auto c = ParseS3Credentials(json, "s3.json");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : S3Credentials{};
}

TEST(ConnectorCredentialsS3, AwsCliOutput) {
  const S3Credentials c = MustParseS3(kAwsCliOutput);
  EXPECT_EQ(c.access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(c.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(c.session_token, "");
  EXPECT_EQ(c.endpoint_url, "");
  EXPECT_EQ(c.path_style, S3PathStyle::kAuto);
  EXPECT_EQ(CredentialsToJson(c),
            R"({"access_key_id":"AKIAIOSFODNN7EXAMPLE","path_style":"auto",)"
            R"("secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"})");
  EXPECT_EQ(RedactedCredentialsJson(c),
            R"({"access_key_id":"AKIAIOSFODNN7EXAMPLE","path_style":"auto",)"
            R"("secret_access_key":"****"})");
}

TEST(ConnectorCredentialsS3, SessionTokenFromAccessKeyOrStsCredentials) {
  const S3Credentials a = MustParseS3(
      R"({"AccessKey": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "sk", "SessionToken": "tok"}})");
  EXPECT_EQ(a.session_token, "tok");
  const S3Credentials b = MustParseS3(R"({"Credentials": {"AccessKeyId": "ASIAEXAMPLE",
      "SecretAccessKey": "sk", "SessionToken": "tok", "Expiration": "2024-01-01T00:00:00Z"}})");
  EXPECT_EQ(a, b);
  const std::string redacted = RedactedCredentialsJson(a);
  EXPECT_EQ(redacted,
            R"({"access_key_id":"ASIAEXAMPLE","path_style":"auto","secret_access_key":"****",)"
            R"("session_token":"****"})");
}

TEST(ConnectorCredentialsS3, S3CompatibleForm) {
  const S3Credentials c = MustParseS3(
      R"({"url": "HTTP://127.0.0.1:9000/", "accessKey": "minio", "secretKey": "minio 123",
          "api": "S3v4", "path": "on"})");
  EXPECT_EQ(c.access_key_id, "minio");
  EXPECT_EQ(c.secret_access_key, "minio 123");
  EXPECT_EQ(c.endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(c.path_style, S3PathStyle::kOn);

  const S3Credentials d = MustParseS3(
      R"({"url": "https://storage.googleapis.com", "accessKey": "GOOG1E", "secretKey": "s"})");
  EXPECT_EQ(d.endpoint_url, "https://storage.googleapis.com");
  EXPECT_EQ(d.path_style, S3PathStyle::kAuto);
  EXPECT_EQ(
      MustParseS3(R"({"url": "https://h", "accessKey": "a", "secretKey": "s", "path": "off"})")
          .path_style,
      S3PathStyle::kOff);
}

TEST(ConnectorCredentialsS3, CanonicalJsonRoundTrips) {
  std::vector<S3Credentials> all = {
      MustParseS3(kAwsCliOutput),
      {"ASIAEXAMPLE", "secret/with+chars", "token==", "", S3PathStyle::kAuto},
      {"minio", "minio 123", "", "http://localhost:9000", S3PathStyle::kOn},
      {"k", "s3cr3t-key", "t0ken", "https://s3.example.com:8443", S3PathStyle::kOff},
  };
  for (const S3Credentials& c : all) {
    const std::string stored = CredentialsToJson(c);
    EXPECT_EQ(MustParseS3(stored), c) << stored;
    EXPECT_EQ(CredentialsToJson(MustParseS3(stored)), stored);
    EXPECT_EQ(RedactedCredentialsJson(c).find(c.secret_access_key), std::string::npos) << stored;
    if (!c.session_token.empty()) {
      EXPECT_EQ(RedactedCredentialsJson(c).find(c.session_token), std::string::npos) << stored;
    }
  }
  EXPECT_EQ(CredentialsToJson(all[3]),
            R"({"access_key_id":"k","endpoint_url":"https://s3.example.com:8443",)"
            R"("path_style":"off","secret_access_key":"s3cr3t-key","session_token":"t0ken"})");
  // lowerCamelCase spellings of the canonical form are accepted too.
  EXPECT_EQ(MustParseS3(R"({"accessKeyId": "k", "secretAccessKey": "s", "pathStyle": "on"})"),
            (S3Credentials{"k", "s", "", "", S3PathStyle::kOn}));
}

TEST(ConnectorCredentialsS3, ErrorsNameTheFieldAndNeverTheSecret) {
  const std::string s(kSecret);
  struct Case {
    std::string json;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {R"({"AccessKey": {"AccessKeyId": "AKIA"}})", "'SecretAccessKey' is missing in AccessKey"},
      {R"({"AccessKey": {"SecretAccessKey": ")" + s + R"("}})", "'AccessKeyId' is missing"},
      {R"({"AccessKey": {"AccessKeyId": "AKIA", "SecretAccessKey": ""}})",
       "'SecretAccessKey' is empty"},
      {R"({"AccessKey": {"AccessKeyId": 7, "SecretAccessKey": ")" + s + R"("}})",
       "'AccessKeyId' must be a string"},
      {R"({"AccessKey": {"AccessKeyId": "AKIA", "SecretAccessKey": 12345}})",
       "'SecretAccessKey' must be a string"},
      {R"({"AccessKey": {"AccessKeyId": "AK IA", "SecretAccessKey": ")" + s + R"("}})",
       "'AccessKeyId' must not contain spaces"},
      {R"({"AccessKey": {"AccessKeyId": "AKIA", "SecretAccessKey": ")" + s + R"(\n"}})",
       "'SecretAccessKey' must not contain line breaks"},
      {R"({"AccessKey": {"AccessKeyId": "AKIA", "SecretAccessKey": ")" + s +
           R"(", "SessionToken": "tok en"}})",
       "'SessionToken' must not contain spaces"},
      {R"({"AccessKey": ")" + s + R"("})", "'AccessKey' must be an object"},
      // A raw line break inside the secret is a JSON syntax error; the parser's "last read"
      // echo of the text must not reach the message.
      {"{\"AccessKey\": {\"AccessKeyId\": \"AKIA\", \"SecretAccessKey\": \"" + s + "\n\"}}",
       "s3.json line 1, column"},
      {"{\"AccessKey\": {\"AccessKeyId\": \"AKIA\", \"SecretAccessKey\": \"" + s + "\xff\"}}",
       "s3.json line 1, column"},
      {R"({"AccessKey": {"AccessKeyId": "AKIA", "SecretAccessKey": ")" + s + R"(" )",
       "s3.json line 1"},
      {R"({"url": "http://127.0.0.1:9000", "accessKey": "minio"})",
       "'secretKey' is missing in the S3 credentials"},
      {R"({"url": "http://127.0.0.1:9000", "secretKey": ")" + s + R"("})",
       "'accessKey' is missing"},
      {R"({"accessKey": "minio", "secretKey": ")" + s + R"("})", "'url' is missing"},
      {R"({"url": "http://h", "accessKey": "a", "access_key": "b", "secretKey": ")" + s + R"("})",
       "both 'accessKey' and 'access_key' in the S3 credentials"},
      {R"({"url": "ftp://host", "accessKey": "minio", "secretKey": ")" + s + R"("})",
       "'url' must start with http:// or https://"},
      {R"({"url": "http://minio:)" + s + R"(@host", "accessKey": "minio", "secretKey": "x"})",
       "'url' must not contain user info"},
      {R"({"url": "http://host:9000/bucket", "accessKey": "m", "secretKey": ")" + s + R"("})",
       "'url' must be scheme://host[:port], without a path"},
      {R"({"url": "https://", "accessKey": "m", "secretKey": ")" + s + R"("})",
       "'url' has no host"},
      {R"({"url": "http://h", "accessKey": "m", "secretKey": ")" + s + R"(", "api": "s3v2"})",
       "'api' must be \"s3v4\""},
      {R"({"url": "http://h", "accessKey": "m", "secretKey": ")" + s + R"(", "path": "yes"})",
       "'path' must be \"auto\", \"on\" or \"off\""},
      {R"({"access_key_id": "k", "secret_access_key": ")" + s + R"(", "sesion_token": "t"})",
       "unknown key 'sesion_token' in the S3 credentials"},
      {R"({"access_key_id": "k", "secret_access_key": ")" + s + R"(", "path_style": "dns"})",
       "'path_style' must be"},
      {R"({"access_key_id": "k", "secret_access_key": ")" + s + R"(", "endpoint_url": "h"})",
       "'endpoint_url' must start with http"},
      {R"({"Key": ")" + s + R"("})", "not S3 credentials"},
      {"[\"" + s + "\"]", "credentials must be a JSON object"},
      {"", "s3.json line 1"},
  };
  for (const Case& c : cases) {
    ExpectErrorWithout(ParseS3Credentials(c.json, "s3.json").status(), c.expected, kSecret, c.json);
  }
}

TEST(ConnectorCredentialsS3, ErrorsGiveTheLine) {
  auto c = ParseS3Credentials(
      "{\n  \"AccessKey\": {\n    \"AccessKeyId\": \"AKIA\",\n"
      "    \"SecretAccessKey\": 5\n  }\n}\n",
      "creds/s3.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "creds/s3.json line 4: 'SecretAccessKey' must be a string");
}

// ---- GCS ------------------------------------------------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string PemOf(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

// A test-only RSA key, made once per run.
const std::string& TestRsaPem() {
  static const std::string pem = [] {
    std::unique_ptr<EVP_PKEY, PkeyFree> k(EVP_RSA_gen(2048));
    return PemOf(k.get());
  }();
  return pem;
}

// A service-account key file as Google issues it (with every member it has).
nlohmann::json GoogleKeyFile() {
  return {{"type", "service_account"},
          {"project_id", "example-project"},
          {"private_key_id", "0123456789abcdef0123456789abcdef01234567"},
          {"private_key", TestRsaPem()},
          {"client_email", "strm@example-project.iam.gserviceaccount.com"},
          {"client_id", "123456789012345678901"},
          {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
          {"token_uri", "https://oauth2.googleapis.com/token"},
          {"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs"},
          {"client_x509_cert_url", "https://www.googleapis.com/robot/v1/metadata/x509/strm"},
          {"universe_domain", "googleapis.com"}};
}

TEST(ConnectorCredentialsGcs, ServiceAccountKeyFile) {
  auto c = ParseGcsCredentials(GoogleKeyFile().dump(2), "gcs.json");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->client_email, "strm@example-project.iam.gserviceaccount.com");
  EXPECT_EQ(c->private_key, TestRsaPem());
  EXPECT_EQ(c->private_key_id, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(c->token_uri, "https://oauth2.googleapis.com/token");

  const std::string stored = CredentialsToJson(*c);
  const auto j = nlohmann::json::parse(stored);
  EXPECT_EQ(j.size(), 5u);
  EXPECT_EQ(j["type"], "service_account");
  EXPECT_EQ(j["private_key"], TestRsaPem());
  auto back = ParseGcsCredentials(stored, "stored credentials");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, *c);

  EXPECT_EQ(RedactedCredentialsJson(*c),
            R"({"client_email":"strm@example-project.iam.gserviceaccount.com",)"
            R"("private_key":"****","private_key_id":"0123456789abcdef0123456789abcdef01234567",)"
            R"("token_uri":"https://oauth2.googleapis.com/token","type":"service_account"})");

  // private_key_id is optional, and then absent from the canonical form.
  nlohmann::json no_kid = GoogleKeyFile();
  no_kid.erase("private_key_id");
  auto k = ParseGcsCredentials(no_kid.dump(), "gcs.json");
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->private_key_id, "");
  EXPECT_EQ(nlohmann::json::parse(CredentialsToJson(*k)).count("private_key_id"), 0u);
  EXPECT_EQ(*ParseGcsCredentials(CredentialsToJson(*k), "stored"), *k);
}

TEST(ConnectorCredentialsGcs, ErrorsNameTheFieldAndNeverTheKey) {
  // A PEM block whose body is not a key; its body stands for the secret.
  const std::string fake_pem =
      "-----BEGIN PRIVATE KEY-----\n" + std::string(kSecret) + "AAAA\n-----END PRIVATE KEY-----\n";
  std::unique_ptr<EVP_PKEY, PkeyFree> ec(EVP_EC_gen("P-256"));
  const std::string ec_pem = PemOf(ec.get());

  struct Case {
    std::function<void(nlohmann::json&)> edit;
    std::string expected;
    std::string secret;  // what must not appear
  };
  const std::string rsa_line = TestRsaPem().substr(28, 40);  // a piece of the key's body
  const std::vector<Case> cases = {
      {[](nlohmann::json& j) { j["type"] = "authorized_user"; },
       "'type' must be \"service_account\"", rsa_line},
      {[](nlohmann::json& j) { j.erase("type"); }, "'type' is missing in the service-account key",
       rsa_line},
      {[](nlohmann::json& j) { j.erase("client_email"); }, "'client_email' is missing", rsa_line},
      {[](nlohmann::json& j) { j["client_email"] = "nobody"; }, "'client_email' is not an e-mail",
       rsa_line},
      {[](nlohmann::json& j) { j.erase("private_key"); }, "'private_key' is missing", rsa_line},
      {[](nlohmann::json& j) { j["private_key"] = 42; }, "'private_key' must be a string",
       rsa_line},
      {[&](nlohmann::json& j) { j["private_key"] = fake_pem; },
       "'private_key' is not usable: the private key is not a valid PEM private key",
       std::string(kSecret)},
      {[](nlohmann::json& j) { j["private_key"] = std::string(kSecret); },
       "'private_key' is not usable: the private key is not PEM text", std::string(kSecret)},
      {[&](nlohmann::json& j) { j["private_key"] = ec_pem; },
       "'private_key' is not usable: the private key is of type EC, not RSA",
       ec_pem.substr(28, 40)},
      {[](nlohmann::json& j) { j.erase("token_uri"); }, "'token_uri' is missing", rsa_line},
      {[](nlohmann::json& j) { j["token_uri"] = "oauth2.googleapis.com/token"; },
       "'token_uri' must be an http:// or https:// URL", rsa_line},
      {[](nlohmann::json& j) { j["private_key_id"] = "a b"; },
       "'private_key_id' must not contain spaces", rsa_line},
  };
  for (const Case& c : cases) {
    nlohmann::json j = GoogleKeyFile();
    c.edit(j);
    const std::string text = j.dump(2);
    ExpectErrorWithout(ParseGcsCredentials(text, "gcs.json").status(), c.expected, c.secret,
                       c.expected);
    ExpectErrorWithout(ParseGcsCredentials(text, "gcs.json").status(), "gcs.json line ", c.secret,
                       c.expected);
  }
  // A key pasted with raw line breaks is a JSON syntax error that must not show the key.
  std::string raw = GoogleKeyFile().dump(2);
  const std::string escaped = nlohmann::json(TestRsaPem()).dump();
  raw.replace(raw.find(escaped), escaped.size(), "\"" + TestRsaPem() + "\"");
  ExpectErrorWithout(ParseGcsCredentials(raw, "gcs.json").status(), "gcs.json line", rsa_line,
                     "raw line breaks");
}

// ---- Azure ----------------------------------------------------------------------------------

constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kClient = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5";

TEST(ConnectorCredentialsAzure, FromFlagsAndBothJsonForms) {
  auto flags = MakeAzureCredentials(std::string(kTenant), std::string(kClient), "cl~ient secret");
  ASSERT_TRUE(flags.ok()) << flags.status().message();
  EXPECT_EQ(flags->tenant_id, kTenant);
  EXPECT_EQ(flags->client_secret, "cl~ient secret");

  const std::string stored = CredentialsToJson(*flags);
  EXPECT_EQ(
      stored,
      R"({"client_id":"0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5",)"
      R"("client_secret":"cl~ient secret","tenant_id":"72f988bf-86f1-41af-91ab-2d7cd011db47"})");
  auto back = ParseAzureCredentials(stored, "stored");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, *flags);
  EXPECT_EQ(RedactedCredentialsJson(*flags),
            R"({"client_id":"0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5","client_secret":"****",)"
            R"("tenant_id":"72f988bf-86f1-41af-91ab-2d7cd011db47"})");

  auto camel = ParseAzureCredentials(R"({"tenantId": "contoso.onmicrosoft.com",
      "clientId": "app", "clientSecret": "s"})",
                                     "azure.json");
  ASSERT_TRUE(camel.ok()) << camel.status().message();
  EXPECT_EQ(*camel, (AzureCredentials{"contoso.onmicrosoft.com", "app", "s"}));

  // What `az ad sp create-for-rbac` prints.
  auto az = ParseAzureCredentials(R"({"appId": "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5",
      "displayName": "strm", "password": "cl~ient secret",
      "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47"})",
                                  "azure.json");
  ASSERT_TRUE(az.ok()) << az.status().message();
  EXPECT_EQ(*az, *flags);
}

TEST(ConnectorCredentialsAzure, ErrorsNameTheFieldAndNeverTheSecret) {
  const std::string s(kSecret);
  const std::string t(kTenant), c(kClient);
  ExpectErrorWithout(MakeAzureCredentials("", c, s).status(), "tenant id is empty", s, "tenant");
  ExpectErrorWithout(MakeAzureCredentials("a/../b", c, s).status(),
                     "tenant id must be a GUID or a domain name", s, "tenant");
  ExpectErrorWithout(MakeAzureCredentials("..", c, s).status(),
                     "tenant id must be a GUID or a domain name", s, "tenant");
  ExpectErrorWithout(MakeAzureCredentials(t, "", s).status(), "client id is empty", s, "client");
  ExpectErrorWithout(MakeAzureCredentials(t, "a b", s).status(), "client id must be", s, "client");
  ExpectErrorWithout(MakeAzureCredentials(t, c, "").status(), "client secret is empty", s,
                     "secret");
  ExpectErrorWithout(MakeAzureCredentials(t, c, s + "\r\n").status(),
                     "client secret must be UTF-8 without control characters", s, "secret");
  ExpectErrorWithout(MakeAzureCredentials(t, c, s + "\xff").status(), "client secret must be UTF-8",
                     s, "secret");

  struct Case {
    std::string json, expected;
  };
  const std::vector<Case> cases = {
      {R"({"tenant_id": ")" + t + R"(", "client_secret": ")" + s + R"("})",
       "'client_id' is missing in the Azure credentials"},
      {R"({"tenant_id": ")" + t + R"(", "client_id": ")" + c + R"("})",
       "'client_secret' is missing"},
      {R"({"client_id": ")" + c + R"(", "client_secret": ")" + s + R"("})",
       "'tenant_id' is missing"},
      {R"({"tenant_id": "x?y", "client_id": ")" + c + R"(", "client_secret": ")" + s + R"("})",
       "'tenant_id' must be a GUID or a domain name"},
      {R"({"tenant_id": ")" + t + R"(", "client_id": ")" + c + R"(", "client_secret": [")" + s +
           R"("]})",
       "'client_secret' must be a string"},
      {R"({"tenant_id": ")" + t + R"(", "client_id": ")" + c + R"(", "client_secret": ")" + s +
           R"(", "authority": "x"})",
       "unknown key 'authority' in the Azure credentials"},
      {R"({"appId": ")" + c + R"(", "tenant": ")" + t + R"("})", "'password' is missing"},
      {R"({"appId": ")" + c + R"(", "password": ")" + s + R"("})", "'tenant' is missing"},
      {R"({"tenant_id": ")" + t + R"(", "client_id": ")" + c + R"(", "client_secret": ")" + s +
           "\t\"}",
       "azure.json line 1"},
  };
  for (const Case& k : cases) {
    ExpectErrorWithout(ParseAzureCredentials(k.json, "azure.json").status(), k.expected, s, k.json);
  }
}

// ---- Redacting stored forms -----------------------------------------------------------------

// The stored (canonical) form of each kind, redacted without being parsed by kind, is what the
// Redacted functions write.
TEST(ConnectorCredentialsRedact, CanonicalFormsOfEveryKind) {
  S3Credentials s3 = MustParseS3(kAwsCliOutput);
  s3.session_token = "FwoGZXIvYXdzEBYaDH";
  s3.endpoint_url = "http://127.0.0.1:9000";
  auto gcs = ParseGcsCredentials(GoogleKeyFile().dump(), "gcs.json");
  ASSERT_TRUE(gcs.ok()) << gcs.status().message();
  auto azure = MakeAzureCredentials(std::string(kTenant), std::string(kClient), "cl~ient secret");
  ASSERT_TRUE(azure.ok()) << azure.status().message();
  const std::pair<std::string, std::string> forms[] = {
      {CredentialsToJson(s3), RedactedCredentialsJson(s3)},
      {CredentialsToJson(*gcs), RedactedCredentialsJson(*gcs)},
      {CredentialsToJson(*azure), RedactedCredentialsJson(*azure)},
  };
  for (const auto& [stored, redacted] : forms) {
    nlohmann::json j = nlohmann::json::parse(stored);
    RedactCanonicalCredentials(j);
    EXPECT_EQ(j.dump(), redacted);
  }
  EXPECT_EQ(RedactedCredentialsJson(s3),
            R"({"access_key_id":"AKIAIOSFODNN7EXAMPLE","endpoint_url":"http://127.0.0.1:9000",)"
            R"("path_style":"auto","secret_access_key":"****","session_token":"****"})");
  EXPECT_EQ(
      RedactedCredentialsJson(*azure),
      nlohmann::json({{"tenant_id", kTenant}, {"client_id", kClient}, {"client_secret", "****"}})
          .dump());
}

// Members it does not know are secrets, whatever their type; empty values stay empty.
TEST(ConnectorCredentialsRedact, UnknownMembersAreHidden) {
  nlohmann::json j = {{"access_key_id", "AKIA"},
                      {"new_secret", std::string(kSecret)},
                      {"nested", {{"token", std::string(kSecret)}}},
                      {"number", 42},
                      {"client_secret", ""}};
  RedactCanonicalCredentials(j);
  EXPECT_EQ(j.dump(),
            R"({"access_key_id":"AKIA","client_secret":"","nested":"****","new_secret":"****",)"
            R"("number":"****"})");
  nlohmann::json not_an_object = "text";
  RedactCanonicalCredentials(not_an_object);
  EXPECT_EQ(not_an_object, "text");
}

}  // namespace
}  // namespace strm
