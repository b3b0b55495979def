// Following a batch job to its end, as `strm create batch-job` does in the foreground (the
// embedded CLI) and with `--wait` (against a server): the same code for both, over Platform.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "jobs/batch_job_runner.h"
#include "platform/platform.h"

namespace strm {

struct FollowOptions {
  std::function<void(const JobProgress&)> on_progress;  // each newer record of a RUNNING job
  // When it becomes true (a signal handler), the job is cancelled once, and followed to its
  // CANCELLED end.
  const std::atomic<bool>* cancel = nullptr;
  std::chrono::milliseconds watch_timeout{200};  // one WatchBatchJob call's wait
};

// Follows job `id` until it ends. FINISHED: its record. ERROR and ERROR_STARTING: an error
// with the job's error code, "batch job ID failed: MESSAGE". CANCELLED: kCancelled, "batch
// job ID was cancelled; no output was committed".
Result<BatchJobRecord> FollowBatchJob(Platform& platform, std::string_view id,
                                      const FollowOptions& options);

// SubmitBatchJob, then FollowBatchJob.
Result<BatchJobRecord> RunBatchJobToEnd(Platform& platform, std::string_view job_json,
                                        std::string source_name,
                                        const SubmitBatchJobOptions& submit,
                                        const FollowOptions& options);

// The progress a record shows (its stats: rows, bytes, total_bytes, seconds).
JobProgress ProgressOf(const BatchJobRecord& job);

}  // namespace strm
