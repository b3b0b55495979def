// RunFileSet (file_set_run.h) over a store that fails on demand: a failure that may pass
// leaves the file waiting and ends the pass, so the file is tried again first, three times in
// all; a listing that fails is tried again; a file still growing is not taken.
#include "platform/file_set_run.h"

#include <mutex>
#include <thread>

#include "jobs/batch_job_config.h"
#include "local_platform_fixture.h"
#include "storage/local_store.h"

namespace strm {
namespace {

using namespace ::strm::platform_testing;  // NOLINT(google-build-using-namespace)
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A local store whose next `fail_reads` reads and `fail_lists` listings fail as a server
// that cannot be reached would; `before_list`, when set, runs before each listing.
class FlakyStore final : public ObjectStore {
 public:
  explicit FlakyStore(std::shared_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}
  std::atomic<int> fail_reads{0}, fail_lists{0};
  std::function<void()> before_list;

  std::string Describe() const override { return inner_->Describe(); }
  std::string ObjectUri(std::string_view key) const override { return inner_->ObjectUri(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    if (before_list) before_list();
    if (fail_lists.load() > 0 && fail_lists-- > 0) return Unavailable("connection refused");
    return inner_->List(prefix);
  }
  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    if (fail_reads.load() > 0 && fail_reads-- > 0) return Unavailable("connection reset");
    return inner_->OpenRead(key);
  }
  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions& options) override {
    return inner_->OpenWrite(key, options);
  }
  Status Copy(std::string_view from, std::string_view to) override {
    return inner_->Copy(from, to);
  }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }

 private:
  std::shared_ptr<ObjectStore> inner_;
};

class FileSetRunTest : public LocalPlatformTest {
 protected:
  void SetUp() override {
    LocalPlatformTest::SetUp();
    SetUpDemo();
    platform_.reset();
    auto catalog = OpenSqliteCatalog((dir_ / "home").string());
    ASSERT_TRUE(catalog.ok());
    catalog_ = std::move(catalog).value();
    auto local = OpenLocalStore(data_.string());
    ASSERT_TRUE(local.ok());
    store_ = std::make_shared<FlakyStore>(std::move(local).value());

    nlohmann::json j = DemoJob();
    j["source_data"]["path_prefix"] = "in";
    j["source_data"]["file_name"] = "*.csv";
    j["encrypted_data"]["target"]["file_name"] = "out/{input}-encrypted.csv";
    j["encryption_keys_data"]["target"]["file_name"] = "out/{input}-keys.csv";
    j["derived_data"][0]["target"]["file_name"] = "out/{input}-derived.csv";
    auto config = ParseBatchJobConfig(j.dump(), "job.json");
    ASSERT_TRUE(config.ok()) << config.status().message();
    config_ = std::move(config).value();
    config_.id = "file-set-job";
    BatchJobRecord record;
    record.id = config_.id;
    record.config = BatchJobConfigToJson(config_);
    ASSERT_TRUE(catalog_->CreateBatchJob(record).ok());
    auto contract = catalog_->GetDataContract(config_.contract);
    ASSERT_TRUE(contract.ok());
    contract_ = std::move(contract).value();
  }
  void TearDown() override {
    Stop();
    catalog_.reset();
    LocalPlatformTest::TearDown();
  }

  void Drop(const std::string& name, const std::string& content = ReadTestFile("demo/input.csv")) {
    WriteFile(data_ / "in" / ".drop.tmp", content);
    fs::rename(data_ / "in" / ".drop.tmp", data_ / "in" / name);
  }

  // Starts watching on a thread of its own; Stop cancels it and keeps its end.
  void Watch() {
    options_.watch = true;
    options_.interval = std::chrono::milliseconds(20);
    options_.cancel = &cancel_;
    options_.on_file = [this](const BatchJobFile& f) {
      std::lock_guard lock(mu_);
      events_.push_back(f.name + " " + std::string(JobFileStateName(f.state)) + " " +
                        std::to_string(f.stats.value("attempts", 0)));
    };
    options_.on_update = [this](const std::string& message, const nlohmann::json&) {
      std::lock_guard lock(mu_);
      messages_.push_back(message);
    };
    runner_ = std::thread([this] {
      StoreResolver stores = [this](const std::string&) -> Result<std::shared_ptr<ObjectStore>> {
        return std::shared_ptr<ObjectStore>(store_);
      };
      end_ = RunFileSet(config_, contract_, *catalog_, stores, options_).status();
    });
  }
  void Stop() {
    cancel_ = true;
    if (runner_.joinable()) runner_.join();
  }
  std::vector<std::string> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  // Waits (10 s at most) until `n` files have ended.
  void WaitForEnds(size_t n) {
    for (int i = 0; i < 1000; ++i) {
      size_t ended = 0;
      for (const std::string& e : Events())
        ended += e.find(" DONE ") != std::string::npos || e.find(" FAILED ") != std::string::npos;
      if (ended >= n) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "fewer than " << n << " files ended";
  }

  std::unique_ptr<Catalog> catalog_;
  std::shared_ptr<FlakyStore> store_;
  BatchJobConfig config_;
  DataContract contract_;
  FileSetRunOptions options_;
  std::atomic<bool> cancel_{false};
  std::thread runner_;
  Status end_;
  std::mutex mu_;
  std::vector<std::string> events_, messages_;
};

TEST_F(FileSetRunTest, AFileWhoseRunFailsForAPassingReasonIsTriedAgainBeforeTheNextOnes) {
  Drop("day-1.csv");
  Drop("day-2.csv");
  store_->fail_reads = 1;
  Watch();
  WaitForEnds(2);
  Stop();
  EXPECT_THAT(Events(), ElementsAre("day-1.csv NEW 0", "day-2.csv NEW 0", "day-1.csv PROCESSING 1",
                                    "day-1.csv NEW 1", "day-1.csv PROCESSING 2", "day-1.csv DONE 2",
                                    "day-2.csv PROCESSING 1", "day-2.csv DONE 1"));
  EXPECT_EQ(end_.code(), StatusCode::kCancelled);
  EXPECT_EQ(end_.message(), "stopped watching its source: 2 files done, 0 failed, 0 waiting");
  auto files = catalog_->ListBatchJobFiles(config_.id);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ((*files)[0].state, JobFileState::kDone);
  EXPECT_EQ((*files)[0].stats["rows"], 10);
}

TEST_F(FileSetRunTest, AFileThatFailsThreeTimesIsFailedAndTheNextOnesGoOn) {
  Drop("day-1.csv");
  store_->fail_reads = 3;
  Watch();
  WaitForEnds(1);
  Drop("day-2.csv");
  WaitForEnds(2);
  Stop();
  EXPECT_THAT(Events(),
              ElementsAre("day-1.csv NEW 0", "day-1.csv PROCESSING 1", "day-1.csv NEW 1",
                          "day-1.csv PROCESSING 2", "day-1.csv NEW 2", "day-1.csv PROCESSING 3",
                          "day-1.csv FAILED 3", "day-2.csv NEW 0", "day-2.csv PROCESSING 1",
                          "day-2.csv DONE 1"));
  auto files = catalog_->ListBatchJobFiles(config_.id);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT((*files)[0].message, HasSubstr("connection reset"));
  EXPECT_FALSE(fs::exists(data_ / "out/day-1-encrypted.csv"));
}

TEST_F(FileSetRunTest, AListingThatFailsIsTriedAgainAndSaysSo) {
  store_->fail_lists = 2;
  Drop("day-1.csv");
  Watch();
  WaitForEnds(1);
  Stop();
  std::lock_guard lock(mu_);
  ASSERT_FALSE(messages_.empty());
  EXPECT_EQ(messages_[0],
            "cannot list the job's input in " + store_->Describe() +
                ": connection refused; trying again in 0.02 s; watching databert-demo: in/*.csv "
                "(every 0.02 s): 0 files done, 0 failed, 0 waiting");
  EXPECT_EQ(messages_.back(),
            "watching databert-demo: in/*.csv (every 0.02 s): 1 file done, 0 failed, 0 waiting");
}

// A file whose size changes between two listings (a copy in progress) waits until it stays
// the same.
TEST_F(FileSetRunTest, AFileStillGrowingIsNotTaken) {
  const std::string input = ReadTestFile("demo/input.csv");
  size_t at = input.find('\n', input.size() / 2) + 1;
  WriteFile(data_ / "in/day-1.csv", input.substr(0, at));
  int listings = 0;
  // Before each listing, one more row, until the file is whole.
  store_->before_list = [&] {
    ++listings;
    if (at >= input.size()) return;
    const size_t next = input.find('\n', at) + 1;
    std::ofstream(data_ / "in/day-1.csv", std::ios::app) << input.substr(at, next - at);
    at = next;
  };
  Watch();
  WaitForEnds(1);
  Stop();
  auto files = catalog_->ListBatchJobFiles(config_.id);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].state, JobFileState::kDone);
  EXPECT_EQ((*files)[0].stats["rows"], 10) << "every row, none of a half-written file";
  EXPECT_GE(listings, 6) << "taken when two listings in a row saw one size";
}

}  // namespace
}  // namespace strm
