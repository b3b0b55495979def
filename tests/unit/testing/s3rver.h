// S3rver: @20minutes/s3rver (an S3 server that checks SigV4 signatures, installed by
// scripts/services.sh) as a child process on 127.0.0.1, started once per test binary when a
// test first needs it, with the bucket kS3rverBucket, and stopped at exit. Its data directory
// is removed afterwards unless STRM_KEEP_S3RVER is set.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "testing/child_process.h"

namespace strm::testing {

inline constexpr char kS3rverBucket[] = "strm-test";
inline constexpr char kS3rverKeyId[] = "S3RVER";  // s3rver's built-in account
inline constexpr char kS3rverSecret[] = "S3RVER";

class S3rver {
 public:
  static S3rver& Get() {
    static S3rver server;
    return server;
  }
  // Why it did not start; empty once it runs.
  const std::string& error() const { return error_; }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::string data_dir() const { return dir_ + "/data"; }
  // Where s3rver keeps the parts of multipart uploads in progress, one directory per upload.
  std::string uploads_dir() const { return data_dir() + "/" + kS3rverBucket + "/._S3rver_uploads"; }
  std::vector<std::string> PendingUploads() const {
    std::vector<std::string> ids;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(uploads_dir(), ec))
      ids.push_back(e.path().filename().string());
    return ids;
  }

 private:
  S3rver() {
    const std::string cli = ServicesDir() + "/node_modules/@20minutes/s3rver/lib/cli.js";
    if (!std::filesystem::exists(cli)) {
      error_ = "s3rver is not installed (no " + cli +
               "): run `bash scripts/services.sh` to install @20minutes/s3rver 4.0.4 into "
               ".cache/services (or set STRM_SERVICES_DIR)";
      return;
    }
    char tmpl[] = "/tmp/strm-s3rver-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      error_ = "cannot create a temporary directory";
      return;
    }
    dir_ = tmpl;
    // npm links no bin for s3rver: run its CLI module. The "--" stands where commander
    // expects the script's name. s3rver encrypts its continuation tokens with DES, which
    // OpenSSL 3 only offers in its legacy provider: without it every truncated listing is a
    // 500 InternalError (ERR_OSSL_EVP_UNSUPPORTED).
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"node", "--openssl-legacy-provider", "-e",
                                 "require(process.argv[1]).parseAsync(process.argv.slice(1))", cli,
                                 "--", "-d", data_dir(), "-a", "127.0.0.1", "-p", "0",
                                 "--configure-bucket", kS3rverBucket, "--no-vhost-buckets"},
        dir_ + "/s3rver.log");
    auto ready =
        process_->WaitForLog(R"(S3rver listening on [0-9.]+:(\d+))", std::chrono::seconds(30));
    if (!ready) {
      error_ = "s3rver did not start (is node in PATH?); its log says:\n" + process_->Log();
      return;
    }
    port_ = std::stoi((*ready)[1].str());
  }
  ~S3rver() {
    process_.reset();
    std::error_code ec;
    // STRM_KEEP_S3RVER=1 keeps its data and log for a post-mortem.
    if (!dir_.empty() && std::getenv("STRM_KEEP_S3RVER") == nullptr)
      std::filesystem::remove_all(dir_, ec);
  }

  std::string error_, dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace strm::testing
