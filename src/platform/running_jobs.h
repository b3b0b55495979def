// RunningJobs: the batch jobs this process runs. A bounded number of slots run jobs (more
// wait in order); each job has a cancel flag and its latest record in memory, which watchers
// wait on. The catalog stays the record of truth; this board only makes the process's own
// jobs cancellable and their progress visible without polling the database. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "catalog/catalog.h"

namespace strm {

class RunningJobs {
 public:
  // Runs job `id` to its end; returns when the job has reached a final state (or stopped
  // because `cancel` became true). Publishes its records through Publish.
  using Work = std::function<void(const std::string& id, const std::atomic<bool>& cancel)>;

  explicit RunningJobs(int slots);
  // Cancels every job, queued or running, and waits for the running ones to stop.
  ~RunningJobs();
  RunningJobs(const RunningJobs&) = delete;
  RunningJobs& operator=(const RunningJobs&) = delete;

  // Queues job `record.id` (published as its first record) to run `work` on a free slot, or,
  // with `own_thread` (a job that watches its source, and would hold a slot for good), on a
  // thread of its own at once. FailedPrecondition once Stop has been called.
  Status Start(const BatchJobRecord& record, Work work, bool own_thread = false);

  // A newer record of a job of this board: watchers wake. Its updated_at is raised above the
  // previous record's if needed, so that every published record is newer than the last.
  void Publish(BatchJobRecord record);

  // The latest record of `id` if it is on this board (queued or running).
  std::optional<BatchJobRecord> Latest(std::string_view id);

  // Waits until `id` has a record newer than `seen_updated_at`, or has left the board, or
  // `timeout` has passed. The record, or nothing if the job is not (or no longer) here.
  std::optional<BatchJobRecord> WaitNewer(std::string_view id, int64_t seen_updated_at,
                                          std::chrono::milliseconds timeout);

  // Sets the job's cancel flag. A job still queued is taken off the queue and its work runs
  // at once with the flag set (so it records its own end). False if `id` is not here.
  bool Cancel(std::string_view id);
  // Waits until `id` has left the board. False on timeout.
  bool WaitGone(std::string_view id, std::chrono::milliseconds timeout);

  // Refuses new jobs, cancels every job and waits for all to stop (what the destructor does).
  void Stop();

 private:
  struct Job {
    BatchJobRecord latest;
    std::atomic<bool> cancel{false};
    Work work;
    bool started = false;
  };
  void Slot();
  void RunApart(const std::string& id, std::shared_ptr<Job> job);  // off the slots; mu_ held

  std::mutex mu_;
  std::condition_variable changed_;  // a record published, a job gone, work queued, stop
  std::map<std::string, std::shared_ptr<Job>, std::less<>> jobs_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::vector<std::thread> slots_;
  // Works that run off the slots: jobs cancelled while queued, jobs with a thread of their own.
  std::vector<std::thread> apart_;
};

}  // namespace strm
