// Store faults (issue 14, SPEC §2 "All or nothing per run"): the demo batch job against S3, GCS
// and Azure, each served in memory (store_twin.h) behind a FaultTransport, with request N of
// the run failed, for every N of a fault-free run, by each kind of fault: 503, 500, 500 after
// the store acted (a commit that took effect but is reported failed), a connection reset before
// and after sending, a timeout, a truncated answer.
//
// Every run starts from the same store: the input, and previous versions of the encrypted and
// keys outputs (the derived output is new), so that a run that fails must put back what it
// replaced and delete what it created. Request N fails
//   once      the retries carry the job through: its outputs are those of a fault-free run,
//             nothing else is left in the store;
//   for good  every try of it fails (requests N to N+2; the policy allows 3): the job finishes
//             as above, or fails cleanly: every output as it was, nothing partial, no
//             temporary left, no upload pending, and a message that names the store, the
//             object and the cause;
//   from N on the store goes away: as for good, except that what cannot be put back any more
//             is named in the message, and temporaries that cannot be deleted stay hidden.
// Retries do not wait (the policy's sleep is a no-op), so a whole sweep takes a few seconds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <ostream>
#include <set>

#include "catalog/catalog.h"
#include "jobs/job_test_fixture.h"
#include "store_twin.h"

namespace strm::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kAttempts = 3;
const std::string kInput = "input.csv";
const std::vector<std::string> kOutputs = {"out/derived-2.csv", "out/encrypted.csv",
                                           "out/keys.csv"};

enum class Mode { kOnce, kForGood, kFromNOn };

std::string_view ModeName(Mode m) {
  return m == Mode::kOnce ? "once" : m == Mode::kForGood ? "for good" : "from N on";
}

// What the message of a job that failed by `fault` says of the cause.
std::string_view CauseOf(Fault fault) {
  switch (fault) {
    case Fault::k503:
      return "HTTP 503";
    case Fault::k500:
    case Fault::k500AfterSend:
      return "HTTP 500";
    case Fault::kResetBeforeSend:
    case Fault::kResetAfterSend:
      return "Connection reset by peer";
    case Fault::kTimeout:
      return "Timeout was reached";
    case Fault::kTruncatedBody:
      return "transfer closed";
    case Fault::kNone:
      break;
  }
  return "?";
}

RetryPolicy QuickRetries() {
  RetryPolicy p;
  p.max_attempts = kAttempts;
  p.sleep = [](std::chrono::milliseconds) {};
  return p;
}

struct FaultCase {
  Remote remote;
  Fault fault;
  bool small_parts = false;  // StoreTwin's: every file in several requests
};

// "Azure, timeout, in small parts": how test listings show a case.
void PrintTo(const FaultCase& c, std::ostream* out) {
  *out << RemoteName(c.remote) << ", " << FaultName(c.fault)
       << (c.small_parts ? ", in small parts" : "");
}

class StoreFaults : public ::testing::TestWithParam<FaultCase> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("strm-faults-" + NewUuidV4());
    auto catalog = OpenSqliteCatalog((dir_ / "home").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status().message();
    catalog_ = std::move(catalog).value();
    ASSERT_NO_FATAL_FAILURE(LoadDemoJob(contract_, config_));
    config_.batch_job_group_id = "store-faults";  // every run uses the keys of the first
    twin_ = std::make_unique<StoreTwin>(GetParam().remote, QuickRetries(), GetParam().small_parts);
    before_ = {{kInput, ReadTestFile("demo/input.csv")},
               {"out/encrypted.csv", "previous encrypted output\n"},
               {"out/keys.csv", "previous keys output\n"}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // One run of the demo job from `before_`, request `n` failed as `mode` says (n = 0: none).
  struct Run {
    Result<JobOutcome> outcome = Internal("not run");
    std::map<std::string, std::string> contents;  // the whole store afterwards
    std::vector<FaultTransport::Exchange> exchanges;
  };
  Run RunJob(int n, Mode mode) {
    twin_->objects().Reset(before_);
    twin_->faults().Clear();
    twin_->faults().Restart();
    if (n > 0 && mode == Mode::kOnce) twin_->faults().FailRequest(n, GetParam().fault);
    if (n > 0 && mode == Mode::kForGood)
      twin_->faults().FailRequests(n, kAttempts, GetParam().fault);
    if (n > 0 && mode == Mode::kFromNOn)
      twin_->faults().FailRequest(n, GetParam().fault, /*and_after=*/true);
    Run run;
    auto store = twin_->Open();
    if (!store.ok()) {
      run.outcome = store.status();
      return run;
    }
    StoreResolver stores = [&](const std::string&) -> Result<std::shared_ptr<ObjectStore>> {
      return *store;
    };
    JobRunOptions options;
    options.threads = 2;
    run.outcome = RunBatchJob(config_, contract_, *catalog_, stores, options);
    run.exchanges = twin_->faults().exchanges();
    twin_->faults().Clear();
    run.contents = twin_->objects().Contents();
    return run;
  }

  // Which outputs are as `expected_` (the new version), as `before_`, or neither, without
  // their bytes (the keys output holds keys): "out/keys.csv: new, out/encrypted.csv: previous".
  std::string Versions(const std::map<std::string, std::string>& outputs) const {
    std::string out;
    for (const std::string& k : kOutputs) {
      auto it = outputs.find(k);
      std::string v = "missing";
      if (it != outputs.end()) {
        auto was = before_.find(k);
        v = it->second == expected_.at(k) ? "new"
            : was != before_.end() && it->second == was->second
                ? "previous"
                : "other (" + std::to_string(it->second.size()) + " bytes)";
      }
      out += (out.empty() ? "" : ", ") + k + ": " + v;
    }
    return out;
  }

  static std::map<std::string, std::string> Outputs(const std::map<std::string, std::string>& c) {
    std::map<std::string, std::string> out;
    for (const std::string& k : kOutputs)
      if (auto it = c.find(k); it != c.end()) out.emplace(k, it->second);
    return out;
  }

  // The checks of the header, for a run with request `n` failed as `mode` says.
  void Check(const Run& run, int n, Mode mode) {
    const FaultCase& c = GetParam();
    const std::string where = std::string(RemoteName(c.remote)) + ", " +
                              std::string(FaultName(c.fault)) + " at request " + std::to_string(n) +
                              " " + std::string(ModeName(mode));
    ASSERT_GE(run.exchanges.size(), static_cast<size_t>(n)) << where;
    const FaultTransport::Exchange& failed = run.exchanges[n - 1];
    ASSERT_EQ(failed.fault, c.fault) << where << ": the fault was not injected";
    const std::string what = where + " (" + failed.method + " " + failed.url + ")";

    EXPECT_EQ(run.contents.at(kInput), before_.at(kInput)) << what << ": the input changed";
    std::set<std::string> temporaries;
    for (const auto& [key, data] : run.contents) {
      if (IsTemporaryKey(key)) {
        temporaries.insert(key);
      } else {
        EXPECT_TRUE(key == kInput || std::count(kOutputs.begin(), kOutputs.end(), key))
            << what << ": " << key << " was left in the store";
      }
    }
    EXPECT_EQ(twin_->PendingUploads(), 0u) << what << ": an upload was left pending";
    const auto outputs = Outputs(run.contents);
    const auto previous = Outputs(before_);

    if (run.outcome.ok()) {
      EXPECT_TRUE(outputs == expected_)
          << what << ": not the outputs of a fault-free run: " << Versions(outputs);
      // A temporary stays only where deleting it failed for good after everything was
      // committed: the store then had the object and lost every answer about it.
      const bool delete_failed = mode != Mode::kOnce && failed.method == "DELETE" &&
                                 IsTemporaryKey(twin_->KeyOf(failed.url));
      if (!delete_failed) {
        EXPECT_TRUE(temporaries.empty()) << what << ": " << *temporaries.begin();
      }
      if (!temporaries.empty()) ExpectHidden(temporaries, what);
      return;
    }
    const std::string message = run.outcome.status().message();
    EXPECT_NE(mode, Mode::kOnce) << what << ": one fault failed the job: " << message;
    // Names the store, the object and the cause.
    EXPECT_THAT(message, HasSubstr(std::string(RemoteName(c.remote)) + " ")) << what;
    // In small parts, the uploads' threads send requests too: the tries of one request need
    // not follow each other, and the one that failed for good may be another than request N.
    const std::string key = c.small_parts ? std::string() : twin_->KeyOf(failed.url);
    if (!key.empty()) {
      EXPECT_THAT(message, HasSubstr(twin_->Uri(key))) << what;
    } else {  // a token request, an upload: the operation it served names its object
      bool named = message.find(twin_->Uri(kInput)) != std::string::npos;
      for (const std::string& o : kOutputs)
        named = named || message.find(twin_->Uri(o)) != std::string::npos;
      EXPECT_TRUE(named) << what << ": no object named in: " << message;
    }
    EXPECT_THAT(message, HasSubstr(std::string(CauseOf(c.fault)))) << what;
    for (std::string_view secret : {"twin-secret", "Bearer", "azure-token-", "gcs-token-"})
      EXPECT_THAT(message, ::testing::Not(HasSubstr(std::string(secret)))) << what;

    if (mode == Mode::kForGood) {
      EXPECT_TRUE(outputs == previous)
          << what << ": a failed run changed an output (" << Versions(outputs) << "): " << message;
      EXPECT_TRUE(temporaries.empty())
          << what << ": " << *temporaries.begin() << " left: " << message;
      return;
    }
    // From N on: what could not be put back is named, with where its previous version is kept.
    for (const std::string& o : kOutputs) {
      auto now = outputs.find(o), was = previous.find(o);
      const bool same = (now == outputs.end()) == (was == previous.end()) &&
                        (now == outputs.end() || now->second == was->second);
      if (same) continue;
      EXPECT_THAT(message, HasSubstr("(" + o + ") could not be put back")) << what;
      if (now != outputs.end()) {
        EXPECT_TRUE(now->second == expected_.at(o)) << what << ": " << Versions(outputs);
      }
    }
    ExpectHidden(temporaries, what);
  }

  // The store lists none of `temporaries` (they are there, but hidden).
  void ExpectHidden(const std::set<std::string>& temporaries, const std::string& what) {
    if (temporaries.empty()) return;
    auto store = twin_->Open();
    ASSERT_TRUE(store.ok());
    auto listed = (*store)->List("");
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    for (const ObjectInfo& o : *listed) EXPECT_EQ(temporaries.count(o.key), 0u) << what;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Catalog> catalog_;
  DataContract contract_;
  BatchJobConfig config_;
  std::unique_ptr<StoreTwin> twin_;
  std::map<std::string, std::string> before_, expected_;
};

TEST_P(StoreFaults, EveryRequestOfTheDemoJob) {
  // Fault-free runs: the first makes the keys, the second shows that a run with them gives the
  // same outputs and counts its requests.
  Run first = RunJob(0, Mode::kOnce);
  ASSERT_TRUE(first.outcome.ok()) << first.outcome.status().message();
  expected_ = Outputs(first.contents);
  ASSERT_EQ(expected_.size(), 3u);
  const auto previous = Outputs(before_);
  ASSERT_EQ(previous.size(), 2u) << "the derived output is new";
  for (const auto& [key, data] : previous) EXPECT_NE(expected_.at(key), data) << key;
  Run clean = RunJob(0, Mode::kOnce);
  ASSERT_TRUE(clean.outcome.ok()) << clean.outcome.status().message();
  ASSERT_TRUE(Outputs(clean.contents) == expected_) << Versions(Outputs(clean.contents));
  ASSERT_EQ(clean.contents.size(), 4u) << "the input and three outputs, no temporary";
  const int requests = static_cast<int>(clean.exchanges.size());
  ASSERT_GE(requests, 10) << "reads, keeps, commits and deletes";

  int failed = 0;
  for (int n = 1; n <= requests; ++n) {
    for (Mode mode : {Mode::kOnce, Mode::kForGood, Mode::kFromNOn}) {
      Run run = RunJob(n, mode);
      Check(run, n, mode);
      failed += run.outcome.ok() ? 0 : 1;
      if (HasFatalFailure() || ::testing::Test::HasFailure()) return;  // one report per case
    }
  }
  EXPECT_GT(failed, 0) << "no fault failed the job: were they injected?";
}

std::string CaseName(const ::testing::TestParamInfo<FaultCase>& info) {
  std::string name = std::string(RemoteName(info.param.remote)) + "_";
  for (char ch : FaultName(info.param.fault))
    name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name + (info.param.small_parts ? "_in_small_parts" : "");
}

// Every store with every fault; GCS and Azure again in small parts (S3's parts cannot be
// smaller than the demo's files).
std::vector<FaultCase> AllCases() {
  std::vector<FaultCase> out;
  for (Remote r : {Remote::kS3, Remote::kGcs, Remote::kAzure}) {
    for (bool small : {false, true}) {
      if (small && r == Remote::kS3) continue;
      for (Fault f : {Fault::k503, Fault::k500, Fault::k500AfterSend, Fault::kResetBeforeSend,
                      Fault::kResetAfterSend, Fault::kTimeout, Fault::kTruncatedBody})
        out.push_back({r, f, small});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Remotes, StoreFaults, ::testing::ValuesIn(AllCases()), CaseName);

}  // namespace
}  // namespace strm::testing
