// LocalPlatform's test fixture and helpers, shared by local_platform_test.cc (names,
// connectors, contracts, opening, orphaned jobs) and local_platform_jobs_test.cc (batch jobs).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/bytes.h"
#include "platform/follow_job.h"
#include "platform/platform.h"
#include "platform/process_identity.h"
#include "testing/test_support.h"

namespace strm::platform_testing {

using ::strm::testing::kDemoInputHeader;
using ::strm::testing::kDemoOutputHeader;
using ::strm::testing::MasterKeyEnv;
using ::strm::testing::ReadTestFile;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr std::string_view kDemoRef = "databert-handle/batch_job_public/1.0.0";

inline void WriteFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

inline nlohmann::json DemoJob() { return nlohmann::json::parse(ReadTestFile("demo/job.json")); }

class LocalPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-platform-" + NewUuidV4());
    data_ = dir_ / "data";
    auto p = OpenLocalPlatform((dir_ / "home").string());
    ASSERT_TRUE(p.ok()) << p.status().message();
    platform_ = std::move(p).value();
  }
  void TearDown() override {
    platform_.reset();
    std::error_code ec;
    fs::permissions(dir_ / "locked", fs::perms::owner_all, ec);
    fs::remove_all(dir_);
  }

  static DataConnector Local(const std::string& name, const fs::path& path) {
    DataConnector c;
    c.name = name;
    c.type = "local";
    c.location = {{"path", path.string()}};
    return c;
  }

  // The demo's connector, contract and input.
  void SetUpDemo() {
    auto c = platform_->CreateDataConnector(Local("databert-demo", data_));
    ASSERT_TRUE(c.ok()) << c.status().message();
    auto contract = platform_->CreateDataContract(*ContractRef::Parse(kDemoRef),
                                                  ReadTestFile("demo/schema.json"),
                                                  ReadTestFile("demo/contract.json"));
    ASSERT_TRUE(contract.ok()) << contract.status().message();
    WriteFile(data_ / "input.csv", ReadTestFile("demo/input.csv"));
  }

  Result<BatchJobRecord> RunJob(const std::string& job_json) {
    SubmitBatchJobOptions options;
    options.threads = 2;
    return RunBatchJobToEnd(*platform_, job_json, "job.json", options, {});
  }
  Result<BatchJobRecord> RunJob(const nlohmann::json& job) { return RunJob(job.dump(2)); }

  std::vector<std::string> JobIds() {
    std::vector<std::string> ids;
    auto jobs = platform_->ListBatchJobs();
    EXPECT_TRUE(jobs.ok()) << jobs.status().message();
    if (jobs.ok())
      for (const auto& j : *jobs) ids.push_back(j.id);
    return ids;
  }

  std::vector<std::string> ProbeFiles(const fs::path& dir) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().filename().string().find(".strm_test_") != std::string::npos)
        found.push_back(e.path().string());
    return found;
  }

  MasterKeyEnv env_;
  fs::path dir_, data_;
  std::unique_ptr<Platform> platform_;
};

}  // namespace strm::platform_testing
