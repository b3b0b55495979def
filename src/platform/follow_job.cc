#include "platform/follow_job.h"

namespace strm {

JobProgress ProgressOf(const BatchJobRecord& job) {
  JobProgress p;
  if (!job.stats.is_object()) return p;
  p.rows = job.stats.value("rows", uint64_t{0});
  p.bytes = job.stats.value("bytes", uint64_t{0});
  p.total_bytes = job.stats.value("total_bytes", uint64_t{0});
  p.seconds = job.stats.value("seconds", 0.0);
  return p;
}

Result<BatchJobRecord> FollowBatchJob(Platform& platform, std::string_view id,
                                      const FollowOptions& options) {
  int64_t seen = -1;
  bool cancel_sent = false;
  for (;;) {
    if (options.cancel != nullptr && options.cancel->load() && !cancel_sent) {
      cancel_sent = true;
      Status s = platform.CancelBatchJob(id);
      // A job that ended meanwhile cannot be cancelled: its end is reported below.
      if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
    }
    STRM_ASSIGN_OR_RETURN(BatchJobRecord job,
                          platform.WatchBatchJob(id, seen, options.watch_timeout));
    const bool newer = job.updated_at > seen;
    seen = std::max(seen, job.updated_at);
    if (newer && job.state == JobState::kRunning && options.on_progress)
      options.on_progress(ProgressOf(job));
    switch (job.state) {
      case JobState::kFinished:
        return job;
      case JobState::kCancelled:
        return Cancelled("batch job " + job.id + " was cancelled; no output was committed");
      case JobState::kError:
      case JobState::kErrorStarting: {
        const StatusCode code = StatusCodeFromName(
            job.stats.is_object() ? job.stats.value("error_code", std::string()) : "");
        return Status(code, "batch job " + job.id + " failed: " + job.message);
      }
      default:
        break;
    }
  }
}

Result<BatchJobRecord> RunBatchJobToEnd(Platform& platform, std::string_view job_json,
                                        std::string source_name,
                                        const SubmitBatchJobOptions& submit,
                                        const FollowOptions& options) {
  STRM_ASSIGN_OR_RETURN(BatchJobRecord job,
                        platform.SubmitBatchJob(job_json, std::move(source_name), submit));
  return FollowBatchJob(platform, job.id, options);
}

}  // namespace strm
