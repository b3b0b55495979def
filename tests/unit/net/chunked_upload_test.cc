#include "net/chunked_upload.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

namespace strm {
namespace {

// Records the hooks' calls; fails the ones it is told to.
struct Calls {
  std::mutex mu;
  std::vector<std::string> log;
  std::string stored;   // what a finished upload made visible
  std::string pending;  // parts sent so far
  int fail_part = 0;    // SendPart of this number fails
  bool fail_finish = false;
  std::thread::id writer = std::this_thread::get_id();
  bool part_on_writer_thread = false;

  void Add(std::string entry) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(std::move(entry));
  }
};

class Recorder final : public UploadProtocol {
 public:
  explicit Recorder(Calls* calls) : c_(calls) {}
  Status PutWhole(std::string_view data) override {
    c_->Add("whole " + std::to_string(data.size()));
    c_->stored = data;
    return Status::Ok();
  }
  Status Start() override {
    c_->Add("start");
    return Status::Ok();
  }
  Status SendPart(int number, uint64_t offset, std::string_view data, bool last) override {
    if (!last && std::this_thread::get_id() == c_->writer) c_->part_on_writer_thread = true;
    c_->Add("part " + std::to_string(number) + " @" + std::to_string(offset) + " " +
            std::to_string(data.size()) + (last ? " last" : ""));
    if (number == c_->fail_part) return Unavailable("part " + std::to_string(number) + " failed");
    EXPECT_EQ(offset, c_->pending.size()) << "parts in order";
    c_->pending.append(data);
    return Status::Ok();
  }
  Status Finish(uint64_t size) override {
    c_->Add("finish " + std::to_string(size));
    if (c_->fail_finish) return Unavailable("finish failed");
    c_->stored = c_->pending;
    return Status::Ok();
  }
  void Abort() override { c_->Add("abort"); }

 private:
  Calls* c_;
};

std::string Data(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

TEST(ChunkedUpload, AnObjectOfAtMostOnePartIsOneRequest) {
  Calls calls;
  {
    ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 100, "T PUT t://k");
    ASSERT_TRUE(out.Write(Data(4)).ok());
    ASSERT_TRUE(out.Write(Data(26).substr(4, 6)).ok());  // exactly one part
    EXPECT_TRUE(calls.log.empty()) << "nothing is sent before Commit";
    ASSERT_TRUE(out.Commit().ok());
    EXPECT_EQ(out.Commit().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(out.Write("x").code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(calls.log, (std::vector<std::string>{"whole 10"}));
  EXPECT_EQ(calls.stored, Data(10));
}

TEST(ChunkedUpload, SendsFullPartsInTheBackgroundAndTheLastAtCommit) {
  Calls calls;
  const std::string data = Data(35);
  ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 100, "T PUT t://k");
  for (size_t at = 0; at < data.size(); at += 7) ASSERT_TRUE(out.Write(data.substr(at, 7)).ok());
  ASSERT_TRUE(out.Commit().ok());
  EXPECT_EQ(calls.log,
            (std::vector<std::string>{"start", "part 1 @0 10", "part 2 @10 10", "part 3 @20 10",
                                      "part 4 @30 5 last", "finish 35"}));
  EXPECT_EQ(calls.stored, data);
  EXPECT_FALSE(calls.part_on_writer_thread) << "full parts go out on a thread of their own";
}

TEST(ChunkedUpload, AFailedPartFailsTheNextWriteAndAborts) {
  Calls calls;
  calls.fail_part = 1;
  ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 100, "T PUT t://k");
  ASSERT_TRUE(out.Write(Data(11)).ok()) << "part 1 is on its way";
  Status s;
  for (int i = 0; i < 3 && s.ok(); ++i) s = out.Write(Data(10));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "part 1 failed");
  Status again = out.Commit();
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition) << "the failure sticks";
  EXPECT_EQ(again.message(), "part 1 failed");
  EXPECT_EQ(calls.log, (std::vector<std::string>{"start", "part 1 @0 10", "abort"}));
  EXPECT_EQ(calls.stored, "");
}

TEST(ChunkedUpload, AFailedFinishAbortsAndNothingIsVisible) {
  Calls calls;
  calls.fail_finish = true;
  ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 100, "T PUT t://k");
  ASSERT_TRUE(out.Write(Data(25)).ok());
  EXPECT_EQ(out.Commit().message(), "finish failed");
  EXPECT_EQ(calls.log.back(), "abort");
  EXPECT_EQ(calls.stored, "");
}

TEST(ChunkedUpload, AbortAndDestructionAbortOnceAfterThePartInFlight) {
  Calls calls;
  {
    ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 100, "T PUT t://k");
    ASSERT_TRUE(out.Write(Data(15)).ok());
    out.Abort();
    out.Abort();
    EXPECT_EQ(out.Commit().message(), "T PUT t://k: the output was aborted");
  }
  EXPECT_EQ(calls.log, (std::vector<std::string>{"start", "part 1 @0 10", "abort"}));
  calls.log.clear();
  calls.pending.clear();
  {
    ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 100, "T PUT t://k");
    ASSERT_TRUE(out.Write(Data(5)).ok());
  }  // never started: nothing to abort
  EXPECT_TRUE(calls.log.empty());
  calls.pending.clear();
  {
    ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 100, "T PUT t://k");
    ASSERT_TRUE(out.Write(Data(12)).ok());
  }
  EXPECT_EQ(calls.log, (std::vector<std::string>{"start", "part 1 @0 10", "abort"}));
}

TEST(ChunkedUpload, RefusesMorePartsThanTheStoreTakes) {
  Calls calls;
  ChunkedUpload out(std::make_unique<Recorder>(&calls), 10, 2, "T PUT t://k");
  ASSERT_TRUE(out.Write(Data(20)).ok());
  Status s = out.Write(Data(5));
  ASSERT_TRUE(s.ok()) << s.message();
  s = out.Commit();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "T PUT t://k: more than 2 parts of 10 bytes; raise the part size");
  EXPECT_EQ(calls.log.back(), "abort");
}

}  // namespace
}  // namespace strm
