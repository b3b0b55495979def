// GcsServer: tests/integration/gcs_server.js (a local GCS JSON API that checks the RS256
// signatures of service-account JWTs) as a child process, with the bucket kGcsBucket and the
// service account kGcsEmail, whose key pair (ServiceKey) is made in process; and its admin
// endpoints (stats, faults). One server per GcsServer object, stopped by its destructor.
#pragma once

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "net/curl_transport.h"
#include "storage/gcs_store.h"
#include "testing/child_process.h"
#include "testing/test_certificates.h"

namespace strm::testing {

inline constexpr char kGcsBucket[] = "strm-test";
inline constexpr char kGcsEmail[] = "strm-test@strm-test.iam.gserviceaccount.com";

// ---- test keys: made here, never committed ------------------------------------------------

struct KeyPair {
  std::string private_pem, public_pem;
};

inline KeyPair MakeKeyPair() {
  EVP_PKEY* k = EVP_RSA_gen(2048);
  EXPECT_NE(k, nullptr);
  BIO* priv = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PrivateKey(priv, k, nullptr, nullptr, 0, nullptr, nullptr), 1);
  BIO* pub = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PUBKEY(pub, k), 1);
  EVP_PKEY_free(k);
  return {BioText(priv), BioText(pub)};
}

// The service account's key, whose public half the server trusts.
inline const KeyPair& ServiceKey() {
  static const KeyPair key = MakeKeyPair();
  return key;
}
// A key the server has never seen.
inline const KeyPair& OtherKey() {
  static const KeyPair key = MakeKeyPair();
  return key;
}

class GcsServer {
 public:
  GcsServer() : dir_(std::filesystem::temp_directory_path() / ("strm-gcs-" + NewUuidV4())) {
    std::filesystem::create_directories(dir_);
    const std::string key_file = (dir_ / "service.pub.pem").string();
    std::ofstream(key_file) << ServiceKey().public_pem;
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"node",
                                 std::string(STRM_SOURCE_DIR) + "/tests/integration/gcs_server.js",
                                 "--public-key", key_file, "--port", "0", "--bucket", kGcsBucket,
                                 "--client-email", kGcsEmail},
        (dir_ / "server.log").string());
    auto m = process_->WaitForLog(R"(gcs_server listening on 127\.0\.0\.1:(\d+))",
                                  std::chrono::seconds(20));
    if (m) port_ = std::stoi((*m)[1].str());
  }
  ~GcsServer() {
    process_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool ok() const { return port_ > 0; }
  std::string Log() const { return process_->Log(); }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  // Options for a store on this server, as the service account; the caller picks the rest.
  GcsStoreOptions StoreOptions(const KeyPair& key = ServiceKey()) const {
    GcsStoreOptions o;
    o.bucket = kGcsBucket;
    o.credentials.client_email = kGcsEmail;
    o.credentials.private_key = key.private_pem;
    o.credentials.private_key_id = "test-key-1";
    o.credentials.token_uri = Url("/token");
    o.endpoint = Url("");
    return o;
  }

  nlohmann::json Admin(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.url = Url(path);
    req.body = body;
    auto r = http_.Send(req);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return nlohmann::json();
    EXPECT_EQ(r->status, 200) << method << " " << path << ": " << r->body;
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  nlohmann::json Stats() { return Admin("GET", "/_stats"); }
  void Faults(const nlohmann::json& faults) { Admin("POST", "/_faults", faults.dump()); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  CurlTransport http_;
};

}  // namespace strm::testing
