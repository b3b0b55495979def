// Batch jobs as asynchronous work of the embedded platform (local_jobs.h): submit returns
// PENDING at once, watchers see the states, cancel and delete stop a running job, a queued
// job waits for a slot, and a server runs again the jobs it left unfinished.
#include "jobs/simulate_batch_data.h"
#include "local_platform_fixture.h"
#include "storage/local_store.h"

namespace strm {
namespace {

using namespace ::strm::platform_testing;  // NOLINT(google-build-using-namespace)

class LocalJobsTest : public LocalPlatformTest {
 protected:
  // The demo set-up with an input of `rows` simulated rows (about 160 bytes a row).
  void SetUpBigDemo(uint64_t rows) {
    SetUpDemo();
    auto store = OpenLocalStore(data_.string());
    ASSERT_TRUE(store.ok());
    auto out = (*store)->OpenWrite("input.csv");
    ASSERT_TRUE(out.ok());
    BatchDataSpec spec;
    spec.rows = rows;
    ASSERT_TRUE(WriteSimulatedBatchData(spec, **out).ok());
    ASSERT_TRUE((*out)->Commit().ok());
  }

  BatchJobRecord Submit(Platform& p, const std::string& job_json = ReadTestFile("demo/job.json")) {
    SubmitBatchJobOptions options;
    options.threads = 1;
    auto job = p.SubmitBatchJob(job_json, "job.json", options);
    EXPECT_TRUE(job.ok()) << job.status().message();
    return job.ok() ? *job : BatchJobRecord{};
  }

  // Watches `id` until it is in `state` (or has ended); its record then.
  BatchJobRecord WaitFor(Platform& p, const std::string& id, JobState state) {
    int64_t seen = -1;
    for (int i = 0; i < 600; ++i) {
      auto job = p.WatchBatchJob(id, seen, std::chrono::milliseconds(100));
      EXPECT_TRUE(job.ok()) << job.status().message();
      if (!job.ok()) return {};
      if (job->state == state || IsFinal(job->state)) return *job;
      seen = job->updated_at;
    }
    ADD_FAILURE() << "batch job " << id << " never reached " << JobStateName(state);
    return {};
  }

  static LocalPlatformOptions Server() {
    LocalPlatformOptions o;
    o.job_slots = 1;
    o.server = true;
    return o;
  }

  // Whether any file is under data_/out: a cancelled run leaves none (the directory the
  // outputs' temporaries were made in may stay).
  bool AnyOutput(const std::string& dir = "out") {
    if (!fs::exists(data_ / dir)) return false;
    for (const auto& e : fs::recursive_directory_iterator(data_ / dir))
      if (e.is_regular_file()) return true;
    return false;
  }

  nlohmann::json JobWithOutputsIn(const std::string& dir) {
    nlohmann::json j = DemoJob();
    j["encrypted_data"]["target"]["file_name"] = dir + "/encrypted.csv";
    j["encryption_keys_data"]["target"]["file_name"] = dir + "/keys.csv";
    j["derived_data"][0]["target"]["file_name"] = dir + "/derived-2.csv";
    return j;
  }
};

TEST_F(LocalJobsTest, SubmitReturnsPendingAtOnceAndWatchersSeeTheJobToItsEnd) {
  SetUpDemo();
  BatchJobRecord job = Submit(*platform_);
  EXPECT_EQ(job.state, JobState::kPending);
  EXPECT_EQ(job.stats["runner_kind"], "cli");
  EXPECT_EQ(job.stats["attempt"], 1);
  BatchJobRecord done = WaitFor(*platform_, job.id, JobState::kFinished);
  EXPECT_EQ(done.state, JobState::kFinished);
  EXPECT_EQ(done.stats["rows"], 10);
  EXPECT_FALSE(done.stats.contains("runner"));  // a finished job names no runner
  EXPECT_TRUE(fs::exists(data_ / "out/encrypted.csv"));
  // The catalog holds the same end.
  auto stored = platform_->GetBatchJob(job.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, JobState::kFinished);
  EXPECT_EQ(stored->message, done.message);
}

TEST_F(LocalJobsTest, ARunningJobIsCancelledAndCommitsNothing) {
  SetUpBigDemo(300'000);
  BatchJobRecord job = Submit(*platform_);
  ASSERT_EQ(WaitFor(*platform_, job.id, JobState::kRunning).state, JobState::kRunning);
  ASSERT_TRUE(platform_->CancelBatchJob(job.id).ok());
  BatchJobRecord end = WaitFor(*platform_, job.id, JobState::kCancelled);
  EXPECT_EQ(end.state, JobState::kCancelled);
  EXPECT_EQ(end.stats["error_code"], "cancelled");
  EXPECT_FALSE(AnyOutput());
  // Cancelling again: it has ended.
  Status again = platform_->CancelBatchJob(job.id);
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "batch job " + job.id + " has ended (CANCELLED); nothing to cancel");
}

TEST_F(LocalJobsTest, FollowingAJobWhoseCancelFlagIsSetReportsTheCancel) {
  SetUpBigDemo(300'000);
  std::atomic<bool> cancel{false};
  FollowOptions follow;
  follow.cancel = &cancel;
  follow.on_progress = [&](const JobProgress&) { cancel.store(true); };
  SubmitBatchJobOptions submit;
  submit.threads = 1;
  auto job =
      RunBatchJobToEnd(*platform_, ReadTestFile("demo/job.json"), "job.json", submit, follow);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kCancelled);
  EXPECT_THAT(job.status().message(), EndsWith(" was cancelled; no output was committed"));
  EXPECT_FALSE(AnyOutput());
}

TEST_F(LocalJobsTest, AJobWaitsForAFreeSlotAndCanBeCancelledWhileItWaits) {
  SetUpBigDemo(300'000);
  BatchJobRecord first = Submit(*platform_);
  BatchJobRecord second = Submit(*platform_, JobWithOutputsIn("second").dump());
  ASSERT_EQ(WaitFor(*platform_, first.id, JobState::kRunning).state, JobState::kRunning);
  // One slot (the CLI's platform): the second waits.
  EXPECT_EQ(platform_->GetBatchJob(second.id)->state, JobState::kPending);
  ASSERT_TRUE(platform_->CancelBatchJob(second.id).ok());
  BatchJobRecord end = WaitFor(*platform_, second.id, JobState::kCancelled);
  EXPECT_EQ(end.state, JobState::kCancelled);
  EXPECT_EQ(end.message, "cancelled before it started");
  EXPECT_EQ(WaitFor(*platform_, first.id, JobState::kFinished).state, JobState::kFinished);
  EXPECT_TRUE(fs::exists(data_ / "out/encrypted.csv"));
  EXPECT_FALSE(AnyOutput("second"));
}

TEST_F(LocalJobsTest, DeletingARunningJobStopsItFirst) {
  SetUpBigDemo(300'000);
  BatchJobRecord job = Submit(*platform_);
  ASSERT_EQ(WaitFor(*platform_, job.id, JobState::kRunning).state, JobState::kRunning);
  ASSERT_TRUE(platform_->DeleteBatchJob(job.id).ok());
  EXPECT_EQ(platform_->GetBatchJob(job.id).status().code(), StatusCode::kNotFound);
  EXPECT_THAT(JobIds(), IsEmpty());
  EXPECT_FALSE(AnyOutput());
}

// A server that stops while a job runs puts the job back; the next server runs it again from
// the start, and its record says so.
TEST_F(LocalJobsTest, AServerRunsAgainTheJobsItLeftUnfinished) {
  SetUpBigDemo(300'000);
  const std::string home = (dir_ / "home").string();
  platform_.reset();
  std::string id;
  {
    auto server = OpenLocalPlatform(home, Server());
    ASSERT_TRUE(server.ok()) << server.status().message();
    id = Submit(**server).id;
    EXPECT_EQ(WaitFor(**server, id, JobState::kRunning).stats["runner_kind"], "server");
  }  // drained: the job is cancelled and put back
  {
    auto cli = OpenLocalPlatform(home);
    ASSERT_TRUE(cli.ok());
    auto job = (*cli)->GetBatchJob(id);
    ASSERT_TRUE(job.ok());
    // Not an orphan for the CLI: it waits for the server.
    EXPECT_EQ(job->state, JobState::kPending);
    EXPECT_EQ(job->message,
              "interrupted by the server's shutdown; it runs again from the start when the "
              "server starts");
    EXPECT_FALSE(AnyOutput());
  }
  auto server = OpenLocalPlatform(home, Server());
  ASSERT_TRUE(server.ok()) << server.status().message();
  BatchJobRecord end = WaitFor(**server, id, JobState::kFinished);
  EXPECT_EQ(end.state, JobState::kFinished);
  EXPECT_EQ(end.stats["attempt"], 2);
  EXPECT_EQ(end.stats["rows"], 300'000);
  EXPECT_THAT(end.message, ::testing::HasSubstr("attempt 2"));
  EXPECT_TRUE(fs::exists(data_ / "out/encrypted.csv"));
}

}  // namespace
}  // namespace strm
