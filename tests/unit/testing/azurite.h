// Azurite (Azure Blob Storage, installed by scripts/services.sh) over HTTPS with `--oauth
// basic`, a test CA whose certificate it serves, and a local stand-in for Microsoft Entra ID's
// token endpoint (AZURE_AUTHORITY_HOST points at it while the services live). Azurite checks
// a bearer token's claims (audience, issuer, times), not its signature, so the endpoint mints
// tokens of the right shape.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "net/curl_transport.h"
#include "storage/azure_store.h"
#include "storage/jwt.h"
#include "testing/child_process.h"
#include "testing/test_certificates.h"
#include "testing/test_http_server.h"
#include "testing/test_support.h"

namespace strm::testing {

inline constexpr char kAzureTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
inline constexpr char kAzureClientId[] = "0c5b1a4e-strm-test-client";
inline constexpr char kAzureSecret[] = "s3cr3t~Value.With+Chars&=";

inline std::string B64Url(std::string_view s) { return Base64UrlEncode(AsBytes(s)); }

// A token shaped like Entra ID's v1 access tokens for storage. Azurite's basic OAuth check
// (BlobTokenAuthenticator.authenticateBasic) decodes it without verifying the signature and
// checks: nbf, exp and iat present, nbf <= now <= exp; iss starting with
// https://sts.windows.net/ (or another Azure cloud's STS); aud https://storage.azure.com[/],
// the storage app id, or https://<account>.blob.core.windows.net.
inline std::string MintStorageToken(const std::string& tenant, const std::string& client_id,
                                    const std::string& audience, int serial) {
  const int64_t now = std::time(nullptr);
  nlohmann::json claims = {
      {"aud", audience},
      {"iss", "https://sts.windows.net/" + tenant + "/"},
      {"iat", now - 60},
      {"nbf", now - 60},
      {"exp", now + 3600},
      {"appid", client_id},
      {"appidacr", "1"},
      {"idtyp", "app"},
      {"oid", "00000000-0000-0000-0000-00000000000" + std::to_string(serial % 10)},
      {"tid", tenant},
      {"uti", "strm-test-" + std::to_string(serial)},
      {"ver", "1.0"}};
  return B64Url(R"({"alg":"RS256","typ":"JWT","kid":"strm-test"})") + "." + B64Url(claims.dump()) +
         "." + B64Url("not verified by Azurite's basic check");
}

inline std::string FormDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = std::min(body.find('&', start), body.size());
    std::string_view pair = body.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos)
      out[FormDecode(pair.substr(0, eq))] = FormDecode(pair.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

// A local stand-in for login.microsoftonline.com: the client-credentials grant, over TLS.
struct TokenEndpointState {
  std::atomic<int> requests{0};
  std::atomic<int> expires_in{3600};
  std::atomic<int> failures_left{0};  // answer 503 this many times first
  std::mutex mu;
  std::string audience = "https://storage.azure.com";
  std::string last_problem;  // what the last refused request got wrong

  void Reset() {
    requests = 0;
    expires_in = 3600;
    failures_left = 0;
    std::lock_guard<std::mutex> lock(mu);
    audience = "https://storage.azure.com";
    last_problem.clear();
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    const int n = ++requests;
    if (failures_left > 0) {
      --failures_left;
      res.status = 503;
      res.set_content(R"({"error":"temporarily_unavailable"})", "application/json");
      return;
    }
    auto form = ParseForm(req.body);
    std::string problem;
    if (req.matches[1] != kAzureTenant) problem = "tenant";
    if (req.get_header_value("Content-Type") != "application/x-www-form-urlencoded")
      problem = "content type";
    if (form["grant_type"] != "client_credentials") problem = "grant_type";
    if (form["client_id"] != kAzureClientId) problem = "client_id";
    if (form["scope"] != "https://storage.azure.com/.default") problem = "scope";
    if (form.size() != 4) problem = "extra parameters";
    if (!problem.empty()) {
      std::lock_guard<std::mutex> lock(mu);
      last_problem = problem;
      res.status = 400;
      res.set_content(nlohmann::json{{"error", "invalid_request"},
                                     {"error_description", "AADSTS900144: bad " + problem}}
                          .dump(),
                      "application/json");
      return;
    }
    if (form["client_secret"] != kAzureSecret) {
      res.status = 401;
      // Entra ID never echoes the secret; this endpoint does, to prove that strm redacts it.
      res.set_content(
          nlohmann::json{{"error", "invalid_client"},
                         {"error_description",
                          "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                          "being sent in the request is the client secret value (got '" +
                              form["client_secret"] + "').\r\nTrace ID: 1234"},
                         {"error_codes", {7000215}}}
              .dump(),
          "application/json");
      return;
    }
    std::string aud;
    {
      std::lock_guard<std::mutex> lock(mu);
      aud = audience;
    }
    res.set_content(
        nlohmann::json{{"token_type", "Bearer"},
                       {"expires_in", expires_in.load()},
                       {"ext_expires_in", expires_in.load()},
                       {"access_token", MintStorageToken(kAzureTenant, kAzureClientId, aud, n)}}
            .dump(),
        "application/json");
  }
};

// What a suite shares: a test CA, the token endpoint and one Azurite. Stopped and removed
// when destroyed.
struct AzureServices {
  std::filesystem::path dir;
  std::string ca_file;
  std::unique_ptr<TestServer> token_server;
  TokenEndpointState tokens;
  std::unique_ptr<ChildProcess> azurite;
  int azurite_port = 0;
  std::string account_uri;  // https://127.0.0.1:PORT/devstoreaccount1
  std::optional<EnvGuard> authority_env;

  ~AzureServices() {
    azurite.reset();
    token_server.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // A transport that trusts the test CA.
  std::shared_ptr<CurlTransport> Transport() const {
    CurlTransportOptions o;
    o.ca_file = ca_file;
    return std::make_shared<CurlTransport>(o);
  }

  // Options for a store of `container` in Azurite's account (or at `account_uri`).
  AzureStoreOptions StoreOptions(const std::string& container,
                                 const std::string& account = "") const {
    AzureStoreOptions o;
    o.storage_account_uri = account.empty() ? account_uri : account;
    o.container = container;
    o.credentials = {kAzureTenant, kAzureClientId, kAzureSecret};
    return o;
  }
};

inline std::string HttpDateNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Starts the services, or says in `error` why not (null then).
inline std::unique_ptr<AzureServices> StartAzureServices(std::string& error) {
  namespace fs = std::filesystem;
  const std::string bin = ServicesDir() + "/node_modules/.bin/azurite-blob";
  if (!fs::exists(bin)) {
    error = "Azurite is not installed at " + bin +
            ": run `bash scripts/services.sh` (it installs azurite@3.35.0 from npm into "
            ".cache/services)";
    return nullptr;
  }
  auto s = std::make_unique<AzureServices>();
  s->dir = fs::temp_directory_path() / ("strm-azure-" + NewUuidV4());
  fs::create_directories(s->dir / "azurite");
  Pkey ca_key(EVP_EC_gen("P-256")), server_key(EVP_EC_gen("P-256"));
  Cert ca = MakeCert(ca_key.get(), "strm test CA", nullptr, nullptr, true);
  Cert leaf = ca ? MakeCert(server_key.get(), "127.0.0.1", ca.get(), ca_key.get(), false) : nullptr;
  s->ca_file = (s->dir / "ca.pem").string();
  const fs::path cert = s->dir / "server.pem", key = s->dir / "server.key";
  if (!leaf || !WritePem(s->ca_file, ca.get(), nullptr) || !WritePem(cert, leaf.get(), nullptr) ||
      !WritePem(key, nullptr, server_key.get())) {
    error = "cannot make the test certificates in " + s->dir.string();
    return nullptr;
  }

  s->token_server =
      std::make_unique<TestServer>(std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str()));
  TokenEndpointState* tokens = &s->tokens;
  (*s->token_server)
      ->Post(R"(/([^/]+)/oauth2/v2\.0/token)",
             [tokens](const httplib::Request& req, httplib::Response& res) {
               tokens->Handle(req, res);
             });
  s->token_server->Start();
  s->authority_env.emplace("AZURE_AUTHORITY_HOST");
  ::setenv("AZURE_AUTHORITY_HOST", s->token_server->Url("", "https").c_str(), 1);

  // Port 0: Azurite prints the port it got, so no free port has to be guessed.
  s->azurite = std::make_unique<ChildProcess>(
      std::vector<std::string>{bin, "--blobHost", "127.0.0.1", "--blobPort", "0", "--location",
                               (s->dir / "azurite").string(), "--disableTelemetry", "--oauth",
                               "basic", "--cert", cert.string(), "--key", key.string()},
      (s->dir / "azurite.log").string());
  auto ready = s->azurite->WaitForLog(R"(successfully listens on https://127\.0\.0\.1:(\d+))",
                                      std::chrono::seconds(30));
  if (!ready) {
    error = "Azurite did not start; its log:\n" + s->azurite->Log();
    return nullptr;
  }
  s->azurite_port = std::stoi((*ready)[1].str());
  s->account_uri = "https://127.0.0.1:" + std::to_string(s->azurite_port) + "/devstoreaccount1";
  return s;
}

// Creates a container, directly: containers are the user's, the store never creates one.
inline void CreateAzureContainer(const AzureServices& s, HttpTransport& http,
                                 const std::string& name) {
  HttpRequest req;
  req.method = "PUT";
  req.url = s.account_uri + "/" + name + "?restype=container";
  req.headers = {{"Authorization", "Bearer " + MintStorageToken(kAzureTenant, kAzureClientId,
                                                                "https://storage.azure.com", 0)},
                 {"x-ms-version", std::string(kAzureApiVersion)},
                 {"x-ms-date", HttpDateNow()}};
  auto r = http.Send(req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->status, 201) << r->body;
}

}  // namespace strm::testing
