// ProgressRecorder: records a running job's latest progress at most once a period, from a
// thread of its own, so that the job's main thread never waits for the record. The catalog
// it records in shares its database with the key store, whose batches and WAL checkpoints
// may hold it for a tenth of a second or more; a main thread waiting there leaves the
// workers without blocks. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "jobs/batch_job_runner.h"

namespace strm {

class ProgressRecorder {
 public:
  using Record = std::function<void(const JobProgress&)>;

  // Calls `record` on its own thread with the latest progress offered, once per `period` at
  // most, and only for progress that is newer than the last recorded.
  ProgressRecorder(Record record, std::chrono::milliseconds period);
  // Stops the thread; waits for a record in progress. Progress not yet recorded is dropped:
  // the caller records the job's end itself.
  ~ProgressRecorder();
  ProgressRecorder(const ProgressRecorder&) = delete;
  ProgressRecorder& operator=(const ProgressRecorder&) = delete;

  // Never waits for a record.
  void Offer(const JobProgress& progress);

 private:
  void Loop();

  const Record record_;
  const std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  JobProgress latest_;
  bool fresh_ = false;  // latest_ not recorded yet
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is initialised
};

}  // namespace strm
