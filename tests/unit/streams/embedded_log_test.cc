// The embedded log beyond the contract: its files survive a reopen, a torn or damaged tail is
// cut at the last whole batch, segments roll and are read across, retention deletes whole old
// segments by size and by age, and one group commit takes every append queued meanwhile.
#include "streams/embedded_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "core/bytes.h"

namespace strm {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class EmbeddedLogTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fs::temp_directory_path() / ("strm-elog-" + NewUuidV4()); }
  void TearDown() override {
    log_.reset();
    fs::remove_all(dir_);
  }
  void Open(EmbeddedLogOptions options = {}) {
    log_.reset();
    auto log = EmbeddedLog::Open(dir_.string(), std::move(options));
    ASSERT_TRUE(log.ok()) << log.status().message();
    log_ = std::move(log).value();
  }
  uint64_t Append(int n, const std::string& tag, size_t value_bytes = 10) {
    std::vector<LogRecord> records;
    for (int i = 0; i < n; ++i)
      records.push_back({tag + std::to_string(i), std::string(value_bytes, 'v')});
    auto r = AppendAndWait(*log_, "t", 0, std::move(records));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : 0;
  }
  std::vector<std::string> Keys(uint64_t from = 0) {
    std::vector<std::string> out;
    for (;;) {
      auto r = log_->Read("t", 0, from, 1 << 20, std::chrono::milliseconds(0));
      EXPECT_TRUE(r.ok()) << r.status().message();
      if (!r.ok() || r->records.empty()) return out;
      for (const auto& s : r->records) out.push_back(s.record.key);
      from = r->next_offset;
    }
  }
  fs::path Segment(uint64_t base) {
    std::string digits = std::to_string(base);
    return dir_ / "t" / "0" / (std::string(20 - digits.size(), '0') + digits + ".seg");
  }
  std::vector<std::string> Segments() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "t" / "0"))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<EmbeddedLog> log_;
};

TEST_F(EmbeddedLogTest, RecordsAndOffsetsSurviveAReopen) {
  Open();
  ASSERT_TRUE(log_->CreateTopic("t", 1).ok());
  Append(3, "a");
  Append(2, "b");
  ASSERT_TRUE(log_->CommitOffset("g", "t", 0, 4).ok());
  Open();
  EXPECT_EQ(*log_->Partitions("t"), 1);
  EXPECT_EQ(*log_->EndOffset("t", 0), 5u);
  EXPECT_EQ(Append(1, "c"), 5u) << "offsets go on";
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a0", "a1", "a2", "b0", "b1", "c0"}));
  EXPECT_EQ(*log_->CommittedOffset("g", "t", 0), std::optional<uint64_t>(4));
  // The format's fixed parts, as docs/formats.md has them.
  std::ifstream in(Segment(0), std::ios::binary);
  std::string head(16, '\0');
  in.read(head.data(), 16);
  EXPECT_EQ(head.substr(0, 8), "STRMLOG1");
  EXPECT_EQ(head.substr(8), std::string(8, '\0')) << "base offset 0";
}

TEST_F(EmbeddedLogTest, ATornTailIsCutAtTheLastWholeBatch) {
  Open();
  ASSERT_TRUE(log_->CreateTopic("t", 1).ok());
  Append(2, "a");
  const auto whole = fs::file_size(Segment(0));
  Append(2, "b");
  log_.reset();
  // The process died while it wrote b's batch: only part of it reached the file.
  fs::resize_file(Segment(0), whole + 11);
  Open();
  EXPECT_EQ(*log_->EndOffset("t", 0), 2u);
  EXPECT_EQ(fs::file_size(Segment(0)), whole) << "cut";
  EXPECT_EQ(Append(1, "c"), 2u);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a0", "a1", "c0"}));
}

TEST_F(EmbeddedLogTest, ABatchWhoseChecksumFailsEndsTheLog) {
  Open();
  ASSERT_TRUE(log_->CreateTopic("t", 1).ok());
  Append(1, "a");
  const auto whole = fs::file_size(Segment(0));
  Append(1, "b");
  Append(1, "c");
  log_.reset();
  {  // one byte of b's value flipped
    std::fstream f(Segment(0), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(whole + 40));
    f.put('X');
  }
  Open();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a0"}));
  EXPECT_EQ(fs::file_size(Segment(0)), whole);
}

TEST_F(EmbeddedLogTest, SegmentsRollAndAreReadAcrossAndAfterAReopen) {
  EmbeddedLogOptions o;
  o.segment_bytes = 1000;
  Open(o);
  ASSERT_TRUE(log_->CreateTopic("t", 1).ok());
  for (int i = 0; i < 10; ++i) Append(3, "r" + std::to_string(i) + "-", 50);
  EXPECT_EQ(Segments().size(), 3u) << "about 220 bytes an append, 1,000 a segment";
  EXPECT_EQ(Keys().size(), 30u);
  Open(o);  // closed segments are indexed when first read
  auto keys = Keys(7);
  ASSERT_EQ(keys.size(), 23u);
  EXPECT_EQ(keys.front(), "r2-1");
  EXPECT_EQ(keys.back(), "r9-2");
  EXPECT_EQ(Append(1, "x"), 30u);
}

TEST_F(EmbeddedLogTest, RetentionDeletesWholeOldSegmentsBySize) {
  EmbeddedLogOptions o;
  o.segment_bytes = 1000;
  o.retention_bytes = 3000;
  Open(o);
  ASSERT_TRUE(log_->CreateTopic("t", 1).ok());
  for (int i = 0; i < 20; ++i) Append(3, "r" + std::to_string(i) + "-", 50);
  uint64_t bytes = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "t" / "0")) bytes += e.file_size();
  EXPECT_LE(bytes, 3000u + 1000u) << "the limit, give or take the active segment";
  const uint64_t start = *log_->StartOffset("t", 0);
  EXPECT_GT(start, 0u);
  auto r = log_->Read("t", 0, 0, 1 << 20, std::chrono::milliseconds(0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.front().offset, start) << "an offset gone reads from the oldest kept";
  EXPECT_EQ(*log_->EndOffset("t", 0), 60u);
  Open(o);
  EXPECT_EQ(*log_->StartOffset("t", 0), start);
}

TEST_F(EmbeddedLogTest, RetentionDeletesSegmentsOlderThanTheAgeLimit) {
  EmbeddedLogOptions o;
  o.segment_bytes = 500;
  o.retention_age = std::chrono::hours(1);
  std::atomic<int64_t> now{1'700'000'000'000};
  o.now = [&now] { return now.load(); };
  Open(o);
  ASSERT_TRUE(log_->CreateTopic("t", 1).ok());
  for (int i = 0; i < 6; ++i) Append(2, "old" + std::to_string(i) + "-", 50);
  EXPECT_EQ(*log_->StartOffset("t", 0), 0u);
  now += 2 * 3600 * 1000;  // two hours later
  Append(2, "new", 50);
  Append(2, "newer", 50);
  EXPECT_THAT(Keys(), ::testing::Each(::testing::StartsWith("new")));
  EXPECT_EQ(Keys().size(), 4u);
}

TEST_F(EmbeddedLogTest, OneGroupCommitTakesEveryAppendQueuedMeanwhile) {
  std::mutex hold;
  hold.lock();
  EmbeddedLogOptions o;
  o.before_commit = [&] { std::lock_guard wait(hold); };  // until the test has queued all
  Open(o);
  ASSERT_TRUE(log_->CreateTopic("t", 2).ok());
  std::atomic<int> done{0};
  std::vector<uint64_t> offsets(100);
  for (int i = 0; i < 100; ++i)
    log_->Append("t", i % 2, {{"k" + std::to_string(i), "v"}}, [&, i](Result<uint64_t> r) {
      ASSERT_TRUE(r.ok());
      offsets[static_cast<size_t>(i)] = *r;
      ++done;
    });
  hold.unlock();
  while (done.load() < 100) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(log_->commits(), 1u) << "one commit (a sync per partition) for the 100 appends";
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_EQ(offsets[98], 49u);
  EXPECT_EQ(offsets[99], 49u);
  EXPECT_EQ(*log_->EndOffset("t", 0), 50u);
}

TEST_F(EmbeddedLogTest, DamageIsReportedNamingTheFile) {
  EmbeddedLogOptions o;
  o.segment_bytes = 300;
  Open(o);
  ASSERT_TRUE(log_->CreateTopic("t", 1).ok());
  for (int i = 0; i < 6; ++i) Append(2, "r", 50);
  log_.reset();
  {  // a closed segment's second batch damaged (only the last segment is checked at open)
    std::fstream f(Segment(0), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(20);  // the batch's CRC, which holds its time: flipped, so never left as it was
    const char c = static_cast<char>(f.get());
    f.seekp(20);
    f.put(static_cast<char>(~c));
  }
  Open(o);
  auto r = log_->Read("t", 0, 0, 1 << 20, std::chrono::milliseconds(0));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(Segment(0).string() + " is damaged at byte 16"));
  log_.reset();
  // A last segment whose header is not the log's is refused at open.
  fs::remove_all(dir_ / "t" / "0");
  fs::create_directories(dir_ / "t" / "0");
  std::ofstream(Segment(0), std::ios::binary) << "NOTALOG!" << std::string(8, '\0');
  auto bad = EmbeddedLog::Open(dir_.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            Segment(0).string() + " is not a segment of strm's event log (its header)");
}

TEST_F(EmbeddedLogTest, ATopicWhoseCreationDidNotFinishIsRemoved) {
  fs::create_directories(dir_ / "half" / "0");
  Open();
  EXPECT_EQ(log_->Partitions("half").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "half"));
  ASSERT_TRUE(log_->CreateTopic("half", 1).ok());
}

}  // namespace
}  // namespace strm
