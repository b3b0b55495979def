// EventLog's contract (event_log_contract.h), run against every implementation there is.
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/bytes.h"
#include "event_log_contract.h"
#include "streams/embedded_log.h"

namespace strm::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

TEST_P(EventLogContract, TopicsAreCreatedOnceWithTheirPartitions) {
  ASSERT_TRUE(log_->CreateTopic("events", 3).ok());
  EXPECT_EQ(*log_->Partitions("events"), 3);
  EXPECT_TRUE(log_->CreateTopic("events", 3).ok()) << "the same again is fine";
  Status other = log_->CreateTopic("events", 2);
  EXPECT_EQ(other.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(other.message(), "topic events exists with 3 partitions");
  EXPECT_EQ(log_->Partitions("nope").status().message(), "topic nope does not exist");
  EXPECT_EQ(log_->CreateTopic("a/b", 1).message(),
            "topic name 'a/b' must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
  EXPECT_EQ(log_->CreateTopic("..", 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->CreateTopic("x", 0).message(), "topic x: partitions must be 1-1024, got 0");
  ASSERT_TRUE(log_->CreateTopic("alerts", 1).ok());
  EXPECT_EQ(*log_->ListTopics(), (std::vector<std::string>{"alerts", "events"})) << "by name";
}

TEST_P(EventLogContract, AppendsGetConsecutiveOffsetsAndReadBackInOrder) {
  ASSERT_TRUE(log_->CreateTopic("events", 2).ok());
  EXPECT_EQ(*AppendAndWait(*log_, "events", 0, Records("a", 3)), 0u);
  EXPECT_EQ(*AppendAndWait(*log_, "events", 0, Records("b", 2)), 3u);
  EXPECT_EQ(*AppendAndWait(*log_, "events", 1, Records("c", 1)), 0u) << "partitions apart";
  EXPECT_EQ(*log_->EndOffset("events", 0), 5u);
  EXPECT_EQ(*log_->StartOffset("events", 0), 0u);
  auto all = ReadAll("events", 0);
  ASSERT_EQ(all.size(), 5u);
  for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(all[i].offset, i);
  EXPECT_EQ(all[0].record, (LogRecord{"a-key-0", "a-value-0"}));
  EXPECT_EQ(all[3].record, (LogRecord{"b-key-0", "b-value-0"}));
  EXPECT_GT(all[0].append_time, 1600000000000);
  EXPECT_EQ(ReadAll("events", 0, 4).size(), 1u) << "from an offset";
  EXPECT_EQ(ReadAll("events", 1)[0].record.value, "c-value-0");
  // Empty keys and values, and bytes of every value, go through.
  const std::string bytes = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
    return s;
  }();
  ASSERT_TRUE(AppendAndWait(*log_, "events", 1, {{"", ""}, {bytes, bytes}}).ok());
  auto more = ReadAll("events", 1, 1);
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0].record, (LogRecord{"", ""}));
  EXPECT_EQ(more[1].record, (LogRecord{bytes, bytes}));
}

TEST_P(EventLogContract, AReadStopsNearItsByteBudgetButGivesOneRecordAtLeast) {
  ASSERT_TRUE(log_->CreateTopic("events", 1).ok());
  std::vector<LogRecord> records;
  for (int i = 0; i < 10; ++i) records.push_back({"", std::string(100, 'a' + i)});
  ASSERT_TRUE(AppendAndWait(*log_, "events", 0, records).ok());
  auto r = log_->Read("events", 0, 0, 250, std::chrono::milliseconds(0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->next_offset, 3u);
  r = log_->Read("events", 0, 3, 1, std::chrono::milliseconds(0));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].record.value, std::string(100, 'd'));
  EXPECT_EQ(ReadAll("events", 0, 0, 1).size(), 10u);
}

TEST_P(EventLogContract, AReaderAtTheEndWaitsForTheNextRecord) {
  ASSERT_TRUE(log_->CreateTopic("events", 1).ok());
  auto empty = log_->Read("events", 0, 0, 1 << 20, std::chrono::milliseconds(20));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->records.empty());
  EXPECT_EQ(empty->next_offset, 0u);
  std::thread writer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)AppendAndWait(*log_, "events", 0, Records("late", 1));
  });
  auto r = log_->Read("events", 0, 0, 1 << 20, std::chrono::seconds(10));
  writer.join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].record.key, "late-key-0");
}

TEST_P(EventLogContract, BadTopicsPartitionsAndOffsetsAreErrors) {
  ASSERT_TRUE(log_->CreateTopic("events", 2).ok());
  auto missing = AppendAndWait(*log_, "nope", 0, Records("a", 1));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto bad = AppendAndWait(*log_, "events", 2, Records("a", 1));
  EXPECT_EQ(bad.status().message(), "topic events has no partition 2 (it has 2)");
  EXPECT_EQ(AppendAndWait(*log_, "events", 0, {}).status().code(), StatusCode::kInvalidArgument);
  auto beyond = log_->Read("events", 0, 1, 100, std::chrono::milliseconds(0));
  EXPECT_EQ(beyond.status().message(),
            "offset 1 of topic events partition 0 is beyond its end (0)");
  EXPECT_EQ(log_->Read("events", -1, 0, 100, std::chrono::milliseconds(0)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(EventLogContract, ConsumerGroupsKeepTheirOwnOffsets) {
  ASSERT_TRUE(log_->CreateTopic("events", 2).ok());
  ASSERT_TRUE(AppendAndWait(*log_, "events", 0, Records("a", 5)).ok());
  EXPECT_EQ(*log_->CommittedOffset("exporter-1", "events", 0), std::nullopt);
  ASSERT_TRUE(log_->CommitOffset("exporter-1", "events", 0, 3).ok());
  ASSERT_TRUE(log_->CommitOffset("exporter-2", "events", 0, 5).ok());
  EXPECT_EQ(*log_->CommittedOffset("exporter-1", "events", 0), std::optional<uint64_t>(3));
  EXPECT_EQ(*log_->CommittedOffset("exporter-2", "events", 0), std::optional<uint64_t>(5));
  EXPECT_EQ(*log_->CommittedOffset("exporter-1", "events", 1), std::nullopt);
  ASSERT_TRUE(log_->CommitOffset("exporter-1", "events", 0, 4).ok());
  EXPECT_EQ(*log_->CommittedOffset("exporter-1", "events", 0), std::optional<uint64_t>(4));
  EXPECT_EQ(log_->CommitOffset("exporter-1", "events", 0, 6).message(),
            "offset 6 of topic events partition 0 is beyond its end (5)");
  EXPECT_EQ(log_->CommitOffset("a b", "events", 0, 1).code(), StatusCode::kInvalidArgument);
}

TEST_P(EventLogContract, ADeletedTopicIsGoneWithItsOffsets) {
  ASSERT_TRUE(log_->CreateTopic("events", 1).ok());
  ASSERT_TRUE(AppendAndWait(*log_, "events", 0, Records("a", 2)).ok());
  ASSERT_TRUE(log_->CommitOffset("g", "events", 0, 2).ok());
  ASSERT_TRUE(log_->DeleteTopic("events").ok());
  EXPECT_EQ(log_->Partitions("events").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(log_->DeleteTopic("events").code(), StatusCode::kNotFound);
  EXPECT_TRUE(log_->ListTopics()->empty());
  ASSERT_TRUE(log_->CreateTopic("events", 1).ok());
  EXPECT_EQ(*log_->EndOffset("events", 0), 0u) << "made again, it starts empty";
  EXPECT_EQ(*log_->CommittedOffset("g", "events", 0), std::nullopt);
}

TEST_P(EventLogContract, ConcurrentAppendsKeepEachAppendWholeAndInOrder) {
  ASSERT_TRUE(log_->CreateTopic("events", 2).ok());
  constexpr int kThreads = 4, kAppends = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([this, t] {
      for (int i = 0; i < kAppends; ++i)
        ASSERT_TRUE(AppendAndWait(*log_, "events", t % 2,
                                  Records(std::to_string(t) + "." + std::to_string(i), 3))
                        .ok());
    });
  for (auto& t : threads) t.join();
  for (int partition = 0; partition < 2; ++partition) {
    auto all = ReadAll("events", partition);
    ASSERT_EQ(all.size(), static_cast<size_t>(kThreads / 2 * kAppends * 3));
    std::map<int, int> next_of_thread;
    for (size_t i = 0; i < all.size(); i += 3) {
      EXPECT_EQ(all[i].offset, i);
      const std::string& key = all[i].record.key;  // "T.I-key-0"
      const int t = std::stoi(key.substr(0, key.find('.')));
      const int n = std::stoi(key.substr(key.find('.') + 1));
      EXPECT_EQ(n, next_of_thread[t]++) << "a thread's appends in its order";
      EXPECT_EQ(all[i + 1].record.key, key.substr(0, key.size() - 1) + "1") << "whole";
      EXPECT_EQ(all[i + 2].record.key, key.substr(0, key.size() - 1) + "2");
    }
  }
}

// The directory under which the embedded logs of this process live, removed at exit.
const fs::path& LogsDir() {
  static const fs::path* dir = [] {  // never destroyed: the exit handler still needs it
    auto* d = new fs::path(fs::temp_directory_path() / ("strm-log-tests-" + NewUuidV4()));
    std::atexit([] { fs::remove_all(LogsDir()); });
    return d;
  }();
  return *dir;
}

EventLogFactory Embedded() {
  return {"embedded", [] {
            const fs::path dir = LogsDir() / NewUuidV4();
            auto log = EmbeddedLog::Open(dir.string());
            EXPECT_TRUE(log.ok()) << log.status().message();
            return log.ok() ? std::unique_ptr<EventLog>(std::move(log).value()) : nullptr;
          }};
}

INSTANTIATE_TEST_SUITE_P(Logs, EventLogContract, ::testing::Values(Embedded()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace strm::testing
