#include "platform/progress_recorder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>

namespace strm {
namespace {

using std::chrono::milliseconds;

JobProgress Rows(uint64_t rows) {
  JobProgress p;
  p.rows = rows;
  return p;
}

// What a recorder recorded, for the test thread to wait on.
class Recorded {
 public:
  void Add(const JobProgress& p) {
    std::lock_guard lock(mu_);
    rows_.push_back(p.rows);
    cv_.notify_all();
  }
  // Waits until the last record is `rows` (the test's timeout ends a wait that never does).
  void WaitForLast(uint64_t rows) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !rows_.empty() && rows_.back() == rows; });
  }
  std::vector<uint64_t> rows() {
    std::lock_guard lock(mu_);
    return rows_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<uint64_t> rows_;
};

TEST(ProgressRecorder, RecordsTheLatestProgressOffered) {
  Recorded recorded;
  ProgressRecorder recorder([&](const JobProgress& p) { recorded.Add(p); }, milliseconds(5));
  for (uint64_t rows = 1; rows <= 3; ++rows) recorder.Offer(Rows(rows));
  recorded.WaitForLast(3);
  recorder.Offer(Rows(7));
  recorded.WaitForLast(7);
  // Each record is newer than the one before; nothing is recorded twice.
  std::vector<uint64_t> rows = recorded.rows();
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1], rows[i]);
  EXPECT_EQ(rows.back(), 7u);
}

TEST(ProgressRecorder, RecordsNothingWhenNothingIsOffered) {
  Recorded recorded;
  {
    ProgressRecorder recorder([&](const JobProgress& p) { recorded.Add(p); }, milliseconds(1));
    std::this_thread::sleep_for(milliseconds(20));  // many periods
  }
  EXPECT_TRUE(recorded.rows().empty());
}

TEST(ProgressRecorder, OffersDoNotWaitForARecordInProgress) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  Recorded recorded;
  bool first = true;
  ProgressRecorder recorder(
      [&](const JobProgress& p) {
        if (first) {  // the first record blocks until the test lets it go
          first = false;
          entered.set_value();
          released.wait();
        }
        recorded.Add(p);
      },
      milliseconds(1));
  recorder.Offer(Rows(1));
  entered.get_future().wait();
  // The record is blocked: were Offer to wait for it, this thread would never release it.
  for (uint64_t rows = 2; rows <= 1000; ++rows) recorder.Offer(Rows(rows));
  release.set_value();
  recorded.WaitForLast(1000);
  EXPECT_EQ(recorded.rows().front(), 1u);
}

TEST(ProgressRecorder, DestructionWaitsForTheRecordInProgressAndStops) {
  std::promise<void> entered;
  std::atomic<int> calls{0};
  std::atomic<bool> finished{false};
  {
    ProgressRecorder recorder(
        [&](const JobProgress&) {
          if (calls++ == 0) entered.set_value();
          std::this_thread::sleep_for(milliseconds(20));
          finished = true;
        },
        milliseconds(1));
    recorder.Offer(Rows(1));
    entered.get_future().wait();
    recorder.Offer(Rows(2));  // offered during the record: dropped, unless this thread is
                              // descheduled for longer than the record
  }
  EXPECT_TRUE(finished.load()) << "the destructor returned during a record";
  const int after = calls.load();
  std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(calls.load(), after) << "no record after destruction";
  EXPECT_GE(after, 1);
  EXPECT_LE(after, 2);
}

}  // namespace
}  // namespace strm
