// Jobs of many input files (file_set_run.h, SPEC §5 "Watching jobs"): a server's job watches
// its source and processes each new file once, in order, with outputs of its own; it goes on
// after a restart without doing a file twice; a CLI's job of many files with {input} makes one
// pass.
#include <thread>

#include "local_platform_fixture.h"

namespace strm {
namespace {

using namespace ::strm::platform_testing;  // NOLINT(google-build-using-namespace)
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class WatchingJobsTest : public LocalPlatformTest {
 protected:
  void SetUp() override {
    LocalPlatformTest::SetUp();
    SetUpDemo();
    home_ = (dir_ / "home").string();
  }

  static LocalPlatformOptions Server() {
    LocalPlatformOptions o;
    o.server = true;
    o.watch_interval = std::chrono::milliseconds(20);
    return o;
  }

  // The demo job reading in/*.csv, each input with outputs of its own under `out`.
  static std::string WatchingJob(const std::string& out = "out") {
    nlohmann::json j = DemoJob();
    j["source_data"]["path_prefix"] = "in";
    j["source_data"]["file_name"] = "*.csv";
    j["encrypted_data"]["target"]["file_name"] = out + "/{input}-encrypted.csv";
    j["encryption_keys_data"]["target"]["file_name"] = out + "/{input}-keys.csv";
    j["derived_data"][0]["target"]["file_name"] = out + "/{input}-derived.csv";
    return j.dump();
  }

  // Drops an input whole, as a rename does.
  void Drop(const std::string& name, const std::string& content = ReadTestFile("demo/input.csv")) {
    WriteFile(data_ / "in" / ".drop.tmp", content);
    fs::rename(data_ / "in" / ".drop.tmp", data_ / "in" / name);
  }

  BatchJobRecord Submit(Platform& p, const std::string& job_json) {
    auto job = p.SubmitBatchJob(job_json, "job.json", {});
    EXPECT_TRUE(job.ok()) << job.status().message();
    return job.ok() ? *job : BatchJobRecord{};
  }

  // The job once `done` returns true for it (10 s at most).
  BatchJobRecord WaitUntil(Platform& p, const std::string& id,
                           const std::function<bool(const BatchJobRecord&)>& done) {
    for (int i = 0; i < 1000; ++i) {
      auto job = p.GetBatchJob(id);
      EXPECT_TRUE(job.ok()) << job.status().message();
      if (!job.ok() || done(*job)) return job.ok() ? *job : BatchJobRecord{};
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "batch job " << id << " never got there";
    return *p.GetBatchJob(id);
  }
  static std::function<bool(const BatchJobRecord&)> Ended(size_t n) {
    return [n](const BatchJobRecord& j) {
      size_t ended = 0;
      for (const auto& f : j.files)
        ended += f.state == JobFileState::kDone || f.state == JobFileState::kFailed;
      return ended >= n;
    };
  }

  static std::vector<std::string> Files(const BatchJobRecord& j) {
    std::vector<std::string> out;
    for (const auto& f : j.files)
      out.push_back(f.name + " " + std::string(JobFileStateName(f.state)) + " " +
                    std::to_string(f.stats.value("attempts", 0)));
    return out;
  }

  size_t Lines(const std::string& path) {
    std::string text = ReadFile(data_ / path);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  static std::string ReadFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::string home_;
};

TEST_F(WatchingJobsTest, AServersJobProcessesEachNewFileOnceInOrderOfAppearance) {
  platform_.reset();
  auto server = OpenLocalPlatform(home_, Server());
  ASSERT_TRUE(server.ok()) << server.status().message();
  Drop("day-b.csv");  // there before the job: a file of it too
  const std::string id = Submit(**server, WatchingJob()).id;
  BatchJobRecord job = WaitUntil(**server, id, Ended(1));
  Drop("day-c.csv");
  WaitUntil(**server, id, [](const BatchJobRecord& j) { return j.files.size() == 2; });
  Drop("day-a.csv");  // after day-c: its name does not put it first
  job = WaitUntil(**server, id, Ended(3));
  EXPECT_THAT(Files(job), ElementsAre("day-b.csv DONE 1", "day-c.csv DONE 1", "day-a.csv DONE 1"));
  EXPECT_EQ(job.files[1].seq, 2);
  EXPECT_THAT(job.files[0].message, HasSubstr("Processed 10 records"));
  EXPECT_EQ(job.files[0].stats["rows"], 10);
  for (const char* day : {"day-a", "day-b", "day-c"}) {
    EXPECT_EQ(Lines(std::string("out/") + day + "-encrypted.csv"), 11u) << day;
    EXPECT_TRUE(fs::exists(data_ / "out" / (std::string(day) + "-keys.csv"))) << day;
    EXPECT_TRUE(fs::exists(data_ / "out" / (std::string(day) + "-derived.csv"))) << day;
  }
  job = WaitUntil(**server, id,
                  [](const BatchJobRecord& j) { return j.stats.value("files_done", 0) == 3; });
  EXPECT_EQ(job.state, JobState::kRunning) << "it keeps watching";
  EXPECT_EQ(job.message,
            "watching databert-demo: in/*.csv (every 0.02 s): 3 files done, 0 failed, 0 waiting");
  EXPECT_EQ(job.stats["rows"], 30);

  // A file that cannot be processed fails alone; the next one goes on.
  Drop("day-d.csv", "SessionId,UserName\ns,u\n");
  Drop("day-e.csv");
  WriteFile(data_ / "in" / "notes.txt", "not an input");
  job = WaitUntil(**server, id, Ended(5));
  EXPECT_THAT(Files(job), ElementsAre("day-b.csv DONE 1", "day-c.csv DONE 1", "day-a.csv DONE 1",
                                      "day-d.csv FAILED 1", "day-e.csv DONE 1"));
  EXPECT_THAT(job.files[3].message, HasSubstr("is not in the header"));
  EXPECT_FALSE(fs::exists(data_ / "out/day-d-encrypted.csv"));

  // Cancelled, it stops watching; its files stay listed.
  ASSERT_TRUE((*server)->CancelBatchJob(id).ok());
  job = WaitUntil(**server, id, [](const BatchJobRecord& j) { return IsFinal(j.state); });
  EXPECT_EQ(job.state, JobState::kCancelled);
  EXPECT_EQ(job.message, "stopped watching its source: 4 files done, 1 failed, 0 waiting");
  EXPECT_EQ(job.files.size(), 5u);
  Drop("day-f.csv");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ((*server)->GetBatchJob(id)->files.size(), 5u);
  EXPECT_FALSE(fs::exists(data_ / "out/day-f-encrypted.csv"));

  // Deleted, its files go with it.
  ASSERT_TRUE((*server)->DeleteBatchJob(id).ok());
  auto catalog = OpenSqliteCatalog(home_);
  ASSERT_TRUE(catalog.ok());
  EXPECT_TRUE((*catalog)->ListBatchJobFiles(id)->empty());
}

// A server that stops (drained here; killed in tests/e2e/watching_jobs_test.sh) leaves its
// watching job for the next one, which goes on: files done are not done again, a file that was
// being processed is processed again whole, and new files follow.
TEST_F(WatchingJobsTest, AWatchingJobGoesOnAfterARestartWithoutDoingAFileTwice) {
  platform_.reset();
  std::string id;
  {
    auto server = OpenLocalPlatform(home_, Server());
    ASSERT_TRUE(server.ok());
    id = Submit(**server, WatchingJob()).id;
    Drop("day-1.csv");
    Drop("day-2.csv");
    WaitUntil(**server, id, Ended(2));
  }
  {
    auto catalog = OpenSqliteCatalog(home_);
    ASSERT_TRUE(catalog.ok());
    auto job = (*catalog)->GetBatchJob(id);
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(job->state, JobState::kPending);
    EXPECT_EQ(job->message,
              "interrupted by the server's shutdown; it watches its source again when the server "
              "starts");
    // As if the server had died while it processed day-2, its outputs committed or not.
    auto files = (*catalog)->ListBatchJobFiles(id);
    ASSERT_TRUE(files.ok());
    ASSERT_EQ(files->size(), 2u);
    BatchJobFile day2 = (*files)[1];
    day2.state = JobFileState::kProcessing;
    ASSERT_TRUE((*catalog)->UpdateBatchJobFile(id, day2).ok());
  }
  fs::remove(data_ / "out/day-2-encrypted.csv");
  WriteFile(data_ / "out/day-1-encrypted.csv", "untouched\n");  // would be replaced if redone
  Drop("day-3.csv");

  auto server = OpenLocalPlatform(home_, Server());
  ASSERT_TRUE(server.ok());
  BatchJobRecord job = WaitUntil(
      **server, id, [](const BatchJobRecord& j) { return j.stats.value("files_done", 0) == 3; });
  EXPECT_THAT(Files(job), ElementsAre("day-1.csv DONE 1", "day-2.csv DONE 2", "day-3.csv DONE 1"));
  EXPECT_EQ(job.state, JobState::kRunning);
  EXPECT_EQ(job.stats["attempt"], 2);
  EXPECT_EQ(ReadFile(data_ / "out/day-1-encrypted.csv"), "untouched\n");
  EXPECT_EQ(Lines("out/day-2-encrypted.csv"), 11u);
  EXPECT_EQ(Lines("out/day-3-encrypted.csv"), 11u);
}

TEST_F(WatchingJobsTest, AServerRefusesAWatchingJobWithoutInputInItsOutputs) {
  platform_.reset();
  auto server = OpenLocalPlatform(home_, Server());
  ASSERT_TRUE(server.ok());
  nlohmann::json j = nlohmann::json::parse(WatchingJob());
  j["derived_data"][0]["target"]["file_name"] = "out/derived.csv";
  auto job = (*server)->SubmitBatchJob(j.dump(), "job.json", {});
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(job.status().message(),
            "job.json: a job that watches its source writes each output once per input file, so "
            "every output's file_name must contain {input} (as in 'out/{input}.csv'): "
            "derived_data[0] (databert-demo: out/derived.csv) has none");
  EXPECT_TRUE((*(*server)->ListBatchJobs()).empty());
}

// Without a server, a job of many files with {input} makes one pass and ends.
TEST_F(WatchingJobsTest, ACliJobOfManyFilesMakesOnePass) {
  Drop("day-1.csv");
  Drop("day-2.csv");
  auto job = RunJob(WatchingJob());
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->state, JobState::kFinished) << job->message;
  EXPECT_THAT(job->message, HasSubstr("Processed 20 records"));
  EXPECT_THAT(job->message, HasSubstr(" from 2 files"));
  EXPECT_EQ(job->stats["rows"], 20);
  EXPECT_THAT(Files(*platform_->GetBatchJob(job->id)),
              ElementsAre("day-1.csv DONE 1", "day-2.csv DONE 1"));
  EXPECT_EQ(Lines("out/day-2-encrypted.csv"), 11u);

  Drop("day-3.csv", "SessionId,UserName\ns,u\n");
  job = RunJob(WatchingJob("out2"));
  ASSERT_FALSE(job.ok());
  EXPECT_THAT(job.status().message(),
              HasSubstr("failed: 1 of 3 files failed, the others were processed; the first: "
                        "day-3.csv: in/day-3.csv: column 'Email' of contract"));
  EXPECT_EQ(Lines("out2/day-1-encrypted.csv"), 11u);
  const std::string failed_id = JobIds().back();
  EXPECT_EQ(platform_->GetBatchJob(failed_id)->state, JobState::kError);

  fs::remove_all(data_ / "in");
  fs::create_directories(data_ / "in");
  job = RunJob(WatchingJob("out3"));
  ASSERT_FALSE(job.ok());
  EXPECT_THAT(job.status().message(), HasSubstr("no input file matches 'in/*.csv'"));
}

}  // namespace
}  // namespace strm
