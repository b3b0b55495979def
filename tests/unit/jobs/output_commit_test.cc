// All or nothing per run (SPEC §2): whichever commit fails, whichever copy of a previous
// version fails, and whenever a signal comes, no output of the run replaces an earlier one.
#include "jobs/output_commit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "job_test_fixture.h"

namespace strm::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A store over another that fails its Nth output commit and its Mth copy (counting from 1
// across the store; 0 fails nothing), and can run a hook at each commit. With `acts_then_fails`
// the failing commit or copy takes effect first, as a remote one whose answer is lost.
class FaultyStore final : public ObjectStore {
 public:
  explicit FaultyStore(std::shared_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

  int fail_commit = 0, fail_copy = 0;
  bool acts_then_fails = false;
  std::function<void()> on_commit;
  int commits = 0, copies = 0;

  std::string Describe() const override { return inner_->Describe(); }
  std::string ObjectUri(std::string_view key) const override { return inner_->ObjectUri(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return inner_->List(prefix);
  }
  Result<std::unique_ptr<InputStream>> OpenRead(std::string_view key) override {
    return inner_->OpenRead(key);
  }
  Result<std::unique_ptr<OutputStream>> OpenWrite(std::string_view key,
                                                  const WriteOptions& options) override {
    STRM_ASSIGN_OR_RETURN(auto out, inner_->OpenWrite(key, options));
    return std::unique_ptr<OutputStream>(new Output(this, std::move(out)));
  }
  Status Copy(std::string_view from, std::string_view to) override {
    if (++copies != fail_copy) return inner_->Copy(from, to);
    if (acts_then_fails) (void)inner_->Copy(from, to);
    return IoError("injected failure of copy " + std::to_string(copies));
  }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }

 private:
  class Output final : public OutputStream {
   public:
    Output(FaultyStore* store, std::unique_ptr<OutputStream> inner)
        : store_(store), inner_(std::move(inner)) {}
    Status Write(std::string_view data) override { return inner_->Write(data); }
    Status Commit() override {
      if (store_->on_commit) store_->on_commit();
      if (++store_->commits == store_->fail_commit) {
        if (store_->acts_then_fails) {
          (void)inner_->Commit();
        } else {
          inner_->Abort();
        }
        return IoError("injected failure of commit " + std::to_string(store_->commits));
      }
      return inner_->Commit();
    }
    void Abort() override { inner_->Abort(); }

   private:
    FaultyStore* store_;
    std::unique_ptr<OutputStream> inner_;
  };
  std::shared_ptr<ObjectStore> inner_;
};

constexpr char kHeader[] =
    "SessionId,UserName,Timestamp,Email,PublicFieldA,PublicFieldB,PrivateFieldA,PrivateFieldB,"
    "PrivacyPlane\n";
constexpr char kGoodRow[] = "s,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,2\n";
constexpr char kBadRow[] = "s,u,not a time,e@x.y,a,1,b,2,1\n";

class OutputCommitTest : public JobFixture {
 protected:
  void SetUp() override {
    JobFixture::SetUp();
    config_.on_error = OnError::kSkip;  // four outputs: keys, encrypted, derived, rejected
    faulty_ = std::make_shared<FaultyStore>(store_);
    resolver_ = [this](const std::string&) -> Result<std::shared_ptr<ObjectStore>> {
      return faulty_;
    };
  }

  // Every file under the data directory with its content, hidden temporaries included.
  std::map<std::string, std::string> Files() {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "data")) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      out[e.path().lexically_relative(dir_ / "data").string()] =
          std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }

  Result<JobOutcome> RunWith(const std::atomic<bool>* cancel = nullptr,
                             std::function<void(const JobProgress&)> progress = {}) {
    JobRunOptions options;
    options.threads = 2;
    options.block_size = 4096;
    options.cancel = cancel;
    options.on_progress = std::move(progress);
    return RunBatchJob(config_, contract_, *catalog_, resolver_, options);
  }

  std::shared_ptr<FaultyStore> faulty_;
};

TEST_F(OutputCommitTest, AFailedCommitReplacesNoOutputWhicheverItIs) {
  // A first run leaves outputs; a second run, on other input, fails its Nth commit.
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kBadRow);
  ASSERT_TRUE(RunWith().ok());
  std::string input = kHeader;
  for (int i = 0; i < 300; ++i) input += kGoodRow;
  input += kBadRow;
  WriteInput("input.csv", input);
  const auto before = Files();
  ASSERT_EQ(before.size(), 5u) << "the input and four outputs";
  const char* names[] = {
      "encryption_keys_data (out/keys.csv)", "encrypted_data (out/encrypted.csv)",
      "derived_data[0] (out/derived-2.csv)", "rejected_data (out/encrypted-rejected.csv)"};
  for (int n = 1; n <= 4; ++n) {
    faulty_->commits = 0;
    faulty_->fail_commit = n;
    auto outcome = RunWith();
    EXPECT_EQ(outcome.status().message(),
              std::string(names[n - 1]) +
                  " could not be committed, so no output of this run was kept: injected "
                  "failure of commit " +
                  std::to_string(n))
        << n;
    EXPECT_EQ(outcome.status().code(), StatusCode::kIo);
    EXPECT_EQ(Files(), before) << "commit " << n << " failed: every file is as it was";
  }
  faulty_->fail_commit = 0;
  ASSERT_TRUE(RunWith().ok());
  EXPECT_NE(Files(), before) << "without a fault the run replaces its outputs";
  EXPECT_EQ(Files().size(), 5u) << "and keeps no previous version";
}

TEST_F(OutputCommitTest, AFailedCommitOfAFirstRunLeavesNoOutput) {
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kBadRow);
  for (int n = 1; n <= 4; ++n) {
    faulty_->commits = 0;
    faulty_->fail_commit = n;
    auto outcome = RunWith();
    EXPECT_THAT(outcome.status().message(), HasSubstr("could not be committed")) << n;
    EXPECT_EQ(Files().size(), 1u) << "only the input, after a failure of commit " << n;
  }
}

TEST_F(OutputCommitTest, APreviousVersionThatCannotBeKeptStopsTheCommit) {
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kBadRow);
  ASSERT_TRUE(RunWith().ok());
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kGoodRow + kBadRow);
  const auto before = Files();
  for (int n = 1; n <= 4; ++n) {
    faulty_->copies = 0;
    faulty_->fail_copy = n;
    auto outcome = RunWith();
    EXPECT_THAT(outcome.status().message(),
                HasSubstr("could not be kept, so no output of this run was committed: injected "
                          "failure of copy " +
                          std::to_string(n)));
    EXPECT_EQ(Files(), before) << "copy " << n;
  }
}

TEST_F(OutputCommitTest, ACommitOrCopyThatTookEffectButFailedReplacesNothing) {
  // A remote store may act on a request whose answer is then lost: the commit (or the copy
  // that keeps a previous version) reports a failure although it took effect.
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kBadRow);
  ASSERT_TRUE(RunWith().ok());
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kGoodRow + kBadRow);
  const auto before = Files();
  faulty_->acts_then_fails = true;
  for (int n = 1; n <= 4; ++n) {
    faulty_->commits = faulty_->copies = 0;
    faulty_->fail_commit = n;
    auto outcome = RunWith();
    EXPECT_THAT(outcome.status().message(), HasSubstr("could not be committed")) << n;
    EXPECT_EQ(Files(), before) << "commit " << n << " took effect, then failed";
  }
  faulty_->fail_commit = 0;
  for (int n = 1; n <= 4; ++n) {
    faulty_->commits = faulty_->copies = 0;
    faulty_->fail_copy = n;
    auto outcome = RunWith();
    EXPECT_THAT(outcome.status().message(), HasSubstr("could not be kept")) << n;
    EXPECT_EQ(Files(), before) << "copy " << n << " was made, then failed: no temporary left";
  }
}

TEST_F(OutputCommitTest, AnOutputThatCannotBePutBackSaysWhereItsPreviousVersionIs) {
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kBadRow);
  ASSERT_TRUE(RunWith().ok());
  const std::string old_keys = ReadOutput("out/keys.csv");
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kGoodRow + kBadRow);
  // Commit 3 fails; the copies 1–4 keep the previous versions, copy 5 (putting the keys back)
  // fails too.
  faulty_->copies = faulty_->commits = 0;
  faulty_->fail_commit = 3;
  faulty_->fail_copy = 5;
  auto outcome = RunWith();
  const std::string m = outcome.status().message();
  EXPECT_THAT(m, HasSubstr("derived_data[0] (out/derived-2.csv) could not be committed"));
  EXPECT_THAT(m, HasSubstr("; encryption_keys_data (out/keys.csv) could not be put back (its "
                           "previous version is kept as out/.keys.csv.strm-tmp-"));
  EXPECT_THAT(m, HasSubstr("): injected failure of copy 5"));
  // The encrypted output was put back; the kept copy of the keys is the old keys file.
  std::string kept;
  for (const auto& [name, content] : Files())
    if (name.starts_with("out/.keys.csv.strm-tmp-")) kept = content;
  EXPECT_EQ(kept, old_keys);
  EXPECT_THAT(OutputKeys(),
              ::testing::ElementsAre("out/derived-2.csv", "out/encrypted-rejected.csv",
                                     "out/encrypted.csv", "out/keys.csv"));
}

TEST_F(OutputCommitTest, ASignalWhileTheLastBlockIsProcessedCancelsTheRun) {
  std::string input = kHeader;
  for (int i = 0; i < 400; ++i) input += kGoodRow;
  WriteInput("input.csv", input);
  ASSERT_TRUE(RunWith().ok());
  const auto before = Files();
  std::atomic<bool> cancel{false};
  // The signal comes as the last block is written, after the last check between blocks.
  auto outcome = RunWith(&cancel, [&](const JobProgress& p) {
    if (p.rows == 400) cancel.store(true);
  });
  EXPECT_EQ(outcome.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(outcome.status().message(), "the job was cancelled; no output was committed");
  EXPECT_EQ(Files(), before);
}

TEST_F(OutputCommitTest, ASignalDuringTheCommitPutsBackWhatWasCommitted) {
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kBadRow);
  ASSERT_TRUE(RunWith().ok());
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + kGoodRow + kBadRow);
  const auto before = Files();
  // A signal that comes with commit n < 4 is seen before the next one: everything is put
  // back. Once the last commit has begun, the run is done.
  for (int n = 1; n <= 4; ++n) {
    std::atomic<bool> cancel{false};
    faulty_->commits = 0;
    faulty_->on_commit = [&, n] {
      if (faulty_->commits + 1 == n) cancel.store(true);
    };
    auto outcome = RunWith(&cancel);
    if (n < 4) {
      EXPECT_EQ(outcome.status().code(), StatusCode::kCancelled) << n;
      EXPECT_EQ(Files(), before) << "cancelled during commit " << n;
    } else {
      EXPECT_TRUE(outcome.ok()) << outcome.status().message();
      EXPECT_NE(Files(), before);
    }
  }
}

}  // namespace
}  // namespace strm::testing
