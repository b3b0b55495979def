// A batch job on a temporary directory: a fresh catalog, a local store named
// "databert-demo", and the demo contract and job of tests/data/demo.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog/catalog.h"
#include "core/bytes.h"
#include "formats/csv_reader.h"
#include "jobs/batch_job_config.h"
#include "jobs/batch_job_runner.h"
#include "storage/local_store.h"
#include "testing/test_support.h"

namespace strm::testing {

using Rows = std::vector<std::vector<std::string>>;

// The demo contract and job (tests/data/demo), the job with a fresh id; a test failure if
// they do not load.
inline void LoadDemoJob(DataContract& contract, BatchJobConfig& config) {
  auto schema = ParseSimpleSchema(ReadTestFile("demo/schema.json"));
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  auto demo = MakeDataContract(*ContractRef::Parse("databert-handle/batch_job_public/1.0.0"),
                               *schema, ReadTestFile("demo/contract.json"));
  ASSERT_TRUE(demo.ok()) << demo.status().message();
  contract = *demo;
  auto job = ParseBatchJobConfig(ReadTestFile("demo/job.json"), "job.json");
  ASSERT_TRUE(job.ok()) << job.status().message();
  config = *job;
  config.id = NewUuidV4();
}

class JobFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("strm-job-" + NewUuidV4());
    auto catalog = OpenSqliteCatalog((dir_ / "home").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status().message();
    catalog_ = std::move(catalog).value();
    auto store = OpenLocalStore((dir_ / "data").string());
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    ASSERT_NO_FATAL_FAILURE(LoadDemoJob(contract_, config_));
    resolver_ = [this](const std::string& name) -> Result<std::shared_ptr<ObjectStore>> {
      if (name != "databert-demo") return NotFound("data connector '" + name + "' does not exist");
      return store_;
    };
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteInput(const std::string& name, const std::string& content) {
    auto out = std::move(store_->OpenWrite(name)).value();
    ASSERT_TRUE(out->Write(content).ok());
    ASSERT_TRUE(out->Commit().ok());
  }

  Result<JobOutcome> Run(int threads = 2, size_t block_size = 4 << 20) {
    JobRunOptions options;
    options.threads = threads;
    options.block_size = block_size;
    return RunBatchJob(config_, contract_, *catalog_, resolver_, options);
  }

  std::string ReadOutput(const std::string& key) {
    auto in = store_->OpenRead(key);
    if (!in.ok()) return "<missing: " + in.status().message() + ">";
    return *ReadAll(**in);
  }

  Rows ReadCsv(const std::string& key) {
    auto rows = ParseCsvDocument(ReadOutput(key));
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    return rows.ok() ? *rows : Rows{};
  }

  // Every object under out/ (to check that failed jobs leave nothing).
  std::vector<std::string> OutputKeys() {
    std::vector<std::string> keys;
    for (const auto& o : *store_->List("out/")) keys.push_back(o.key);
    return keys;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Catalog> catalog_;
  std::shared_ptr<ObjectStore> store_;
  DataContract contract_;
  BatchJobConfig config_;
  StoreResolver resolver_;
};

}  // namespace strm::testing
