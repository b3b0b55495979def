// The batch-job verbs of the embedded platform (platform.h): a job is checked and stored
// PENDING by Submit, then runs on this process's RunningJobs (STARTED, RUNNING with its
// progress, then FINISHED, ERROR_STARTING, ERROR or CANCELLED), recorded in the catalog as it
// goes.
//
// Each unfinished job's stats name the process that runs it ("runner"), whether that process
// is a server ("runner_kind"), and its attempt. A job whose process died is:
//  - run again from the start by a server, when it starts (outputs are committed all or
//    nothing and keys are reused, so the result is the same), its message saying so;
//  - otherwise (a CLI's foreground job) shown as ERROR, once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "jobs/job_locations.h"
#include "platform/platform.h"
#include "platform/running_jobs.h"

namespace strm {

class LocalJobs {
 public:
  LocalJobs(Catalog& catalog, const LocalPlatformOptions& options);
  ~LocalJobs();  // cancels this process's jobs and waits for them (a server puts them back)

  // Server: queues the jobs that a server left unfinished, as attempt n + 1.
  Status ResumeUnfinished();

  Result<BatchJobRecord> Submit(std::string_view job_json, std::string source_name,
                                const SubmitBatchJobOptions& options);
  Result<BatchJobRecord> Get(std::string_view id);
  Result<std::vector<BatchJobRecord>> List();
  Result<BatchJobRecord> Watch(std::string_view id, int64_t seen_updated_at,
                               std::chrono::milliseconds timeout);
  Status Cancel(std::string_view id);
  Status Delete(std::string_view id);

 private:
  struct Attempt;
  void Run(const std::string& id, const std::atomic<bool>& cancel, int threads);
  // The rest of Run for a job of many input files (file_set_run.h).
  void RunFiles(Attempt& a, const BatchJobConfig& config, const DataContract& contract,
                const StoreResolver& stores, const std::atomic<bool>& cancel, int threads,
                const std::function<void(JobState, const Status&)>& fail);
  Status StartJob(const BatchJobRecord& record, int threads);
  Status MarkOrphaned(BatchJobRecord& job);
  // Another live process runs the job: the error that says so, else OK.
  Status RunsElsewhere(const BatchJobRecord& job, std::string_view verb);

  Catalog& catalog_;
  const LocalPlatformOptions options_;
  const std::string instance_;  // tells this platform's jobs from others' of this process
  bool stopping_ = false;
  RunningJobs running_;  // last: stopped (jobs cancelled, then joined) before the rest goes
};

}  // namespace strm
