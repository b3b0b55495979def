// Helpers shared by the unit tests of several modules: test data files, the demo data
// set's headers, and guards for STRM_MASTER_KEY and other environment variables.
#pragma once

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace strm::testing {

// The bytes of tests/data/<name>.
inline std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(STRM_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The columns of tests/data/demo/input.csv, and of every output of the demo job.
inline const std::vector<std::string> kDemoInputHeader = {
    "SessionId",    "UserName",      "Timestamp",     "Email",       "PublicFieldA",
    "PublicFieldB", "PrivateFieldA", "PrivateFieldB", "PrivacyPlane"};
inline const std::vector<std::string> kDemoOutputHeader = {"SessionId",
                                                           "UserName",
                                                           "Email",
                                                           "PublicFieldA",
                                                           "PublicFieldB",
                                                           "PrivateFieldA",
                                                           "PrivateFieldB",
                                                           "PrivacyPlane",
                                                           "strmMeta.eventContractRef",
                                                           "strmMeta.nonce",
                                                           "strmMeta.timestamp",
                                                           "strmMeta.keyLink",
                                                           "strmMeta.billingId",
                                                           "strmMeta.consentLevels"};

// Saves STRM_MASTER_KEY, unsets it for the test and restores it afterwards, so tests neither
// depend on the caller's environment nor leak into each other.
class MasterKeyEnv {
 public:
  MasterKeyEnv() {
    if (const char* v = std::getenv("STRM_MASTER_KEY")) saved_ = v;
    ::unsetenv("STRM_MASTER_KEY");
  }
  ~MasterKeyEnv() {
    if (saved_) {
      ::setenv("STRM_MASTER_KEY", saved_->c_str(), 1);
    } else {
      ::unsetenv("STRM_MASTER_KEY");
    }
  }
  MasterKeyEnv(const MasterKeyEnv&) = delete;
  MasterKeyEnv& operator=(const MasterKeyEnv&) = delete;
  void Set(const std::string& v) { ::setenv("STRM_MASTER_KEY", v.c_str(), 1); }

 private:
  std::optional<std::string> saved_;
};

// Saves an environment variable, and restores it at the end.
class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    const char* v = std::getenv(name);
    if (v != nullptr) saved_ = v;
  }
  ~EnvGuard() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

}  // namespace strm::testing
