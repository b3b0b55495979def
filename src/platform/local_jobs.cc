#include "platform/local_jobs.h"

#include <map>
#include <optional>
#include <thread>

#include "core/bytes.h"
#include "jobs/batch_job_config.h"
#include "jobs/job_locations.h"
#include "jobs/job_plan.h"
#include "platform/connector_store.h"
#include "platform/file_set_run.h"
#include "platform/process_identity.h"
#include "platform/progress_recorder.h"

namespace strm {
namespace {

constexpr auto kWatchPoll = std::chrono::milliseconds(100);   // catalog polls of Watch
constexpr auto kLivePeriod = std::chrono::milliseconds(100);  // progress to watchers
constexpr auto kRecordPeriod = std::chrono::seconds(1);       // progress to the catalog
constexpr auto kDeleteWait = std::chrono::seconds(60);        // a cancelled job stops

// Masks need a seed; a job file without one gets a random seed, stored with the job.
void FillSeeds(BatchJobConfig& config) {
  auto fill = [](std::optional<MaskedFieldsConfig>& m) {
    if (m && m->seed.empty()) m->seed = HexEncode(SecureRandomBytes(16));
  };
  fill(config.masked_fields);
  for (auto& d : config.derived_data) fill(d.masked_fields);
}

nlohmann::json ProgressStats(const JobProgress& p) {
  return {{"rows", p.rows},
          {"bytes", p.bytes},
          {"total_bytes", p.total_bytes},
          {"seconds", p.seconds},
          {"rows_per_second", p.seconds > 0 ? static_cast<double>(p.rows) / p.seconds : 0.0}};
}

nlohmann::json OutcomeStats(const JobOutcome& o) {
  return {{"rows", o.rows},
          {"rejected_rows", o.rejected},
          {"bytes", o.bytes},
          {"keys", o.keys},
          {"files", o.files},
          {"seconds", o.seconds},
          {"rows_per_second", o.seconds > 0 ? static_cast<double>(o.rows) / o.seconds : 0.0}};
}

bool RunByServer(const BatchJobRecord& job) {
  return job.stats.value("runner_kind", std::string()) == "server";
}

int AttemptOf(const BatchJobRecord& job) { return job.stats.value("attempt", 1); }

// Whether the job runs file by file (file_set_run.h): its source is many files, and it is a
// server's (which watches them) or its outputs hold {input}.
bool RunsFileByFile(const BatchJobConfig& config, bool server) {
  return HasInputPattern(config.source) && (server || HasInputPlaceholder(config));
}

bool WatchesSource(const BatchJobRecord& job, bool server) {
  if (!server) return false;
  auto config = ParseBatchJobConfig(job.config.dump(), "batch job " + job.id);
  return config.ok() && HasInputPattern(config->source);
}

}  // namespace

// One job's records as it runs: every change goes to the catalog and to the watchers.
struct LocalJobs::Attempt {
  LocalJobs& jobs;
  BatchJobRecord record;
  nlohmann::json runner;  // runner, runner_kind, attempt: kept in stats until the end

  // A running job's new message and stats, not a change of state: to the catalog and the
  // watchers only.
  void Refresh(std::string message, nlohmann::json stats) {
    record.message = std::move(message);
    stats.update(runner);
    record.stats = std::move(stats);
    record.updated_at = NowMillis();
    (void)jobs.catalog_.UpdateBatchJob(record.id, record.state, record.message, record.stats);
    jobs.running_.Publish(record);
  }

  void Set(JobState state, std::string message, nlohmann::json stats) {
    record.state = state;
    record.message = std::move(message);
    if (!IsFinal(state)) {
      stats.update(runner);
    } else if (runner.value("attempt", 1) > 1) {
      stats["attempt"] = runner["attempt"];  // the end of a job that ran again says so
    }
    record.stats = std::move(stats);
    record.updated_at = NowMillis();
    // The catalog first: whoever sees the record published may read the catalog next.
    (void)jobs.catalog_.UpdateBatchJob(record.id, state, record.message, record.stats);
    jobs.running_.Publish(record);
    if (jobs.options_.on_transition) jobs.options_.on_transition(record);
  }
};

LocalJobs::LocalJobs(Catalog& catalog, const LocalPlatformOptions& options)
    : catalog_(catalog), options_(options), instance_(NewUuidV4()), running_(options.job_slots) {}

LocalJobs::~LocalJobs() {
  stopping_ = true;  // before Stop: the cancelled runs read it
  running_.Stop();
}

Result<BatchJobRecord> LocalJobs::Submit(std::string_view job_json, std::string source_name,
                                         const SubmitBatchJobOptions& options) {
  STRM_ASSIGN_OR_RETURN(BatchJobConfig config, ParseBatchJobConfig(job_json, source_name));
  if (config.id.empty()) config.id = NewUuidV4();
  if (catalog_.GetBatchJob(config.id).ok())
    return AlreadyExists("batch job " + config.id + " already exists");
  FillSeeds(config);
  STRM_ASSIGN_OR_RETURN(DataContract contract, catalog_.GetDataContract(config.contract));
  STRM_RETURN_IF_ERROR(ValidateJob(config, contract).WithContext(source_name));
  STRM_RETURN_IF_ERROR(CheckInputPlaceholders(config, options_.server).WithContext(source_name));
  for (const auto& name : JobConnectors(config)) {
    auto c = catalog_.GetDataConnector(name);
    if (!c.ok()) return c.status().WithContext(source_name);
  }
  BatchJobRecord job;
  job.id = config.id;
  job.config = BatchJobConfigToJson(config);
  job.created_at = job.updated_at = NowMillis();
  job.stats = {{"runner", CurrentProcess().ToJson()},
               {"runner_kind", options_.server ? "server" : "cli"},
               {"runner_instance", instance_},
               {"attempt", 1}};
  STRM_RETURN_IF_ERROR(catalog_.CreateBatchJob(job));
  if (options_.on_transition) options_.on_transition(job);
  STRM_RETURN_IF_ERROR(StartJob(job, options.threads));
  return job;
}

Status LocalJobs::StartJob(const BatchJobRecord& record, int threads) {
  return running_.Start(
      record,
      [this, threads](const std::string& id, const std::atomic<bool>& cancel) {
        Run(id, cancel, threads);
      },
      WatchesSource(record, options_.server));
}

Status LocalJobs::ResumeUnfinished() {
  STRM_ASSIGN_OR_RETURN(auto jobs, catalog_.ListBatchJobs());
  for (BatchJobRecord& job : jobs) {
    if (IsFinal(job.state) || !RunByServer(job)) continue;
    // Its server is alive: another process (refused as a second server on this home, so a
    // server that is stopping), or a platform of this process other than this one.
    const ProcessIdentity runner =
        ProcessIdentity::FromJson(job.stats.value("runner", nlohmann::json()));
    const bool this_process = runner.host == CurrentProcess().host &&
                              runner.pid == CurrentProcess().pid &&
                              runner.start_ticks == CurrentProcess().start_ticks;
    if (MayBeAlive(runner) &&
        !(this_process && job.stats.value("runner_instance", "") != std::string_view(instance_)))
      continue;
    const int attempt = AttemptOf(job) + 1;
    job.state = JobState::kPending;
    job.message = WatchesSource(job, true)
                      ? "watching again (attempt " + std::to_string(attempt) +
                            ") after the server that ran it stopped; files done are not "
                            "processed again"
                      : "run again from the start (attempt " + std::to_string(attempt) +
                            "): the server that ran it stopped before it finished";
    job.stats = {{"runner", CurrentProcess().ToJson()},
                 {"runner_kind", "server"},
                 {"runner_instance", instance_},
                 {"attempt", attempt}};
    STRM_RETURN_IF_ERROR(catalog_.UpdateBatchJob(job.id, job.state, job.message, job.stats));
    if (options_.on_transition) options_.on_transition(job);
    STRM_RETURN_IF_ERROR(StartJob(job, 0));
  }
  return Status::Ok();
}

void LocalJobs::Run(const std::string& id, const std::atomic<bool>& cancel, int threads) {
  auto stored = catalog_.GetBatchJob(id);
  if (!stored.ok()) return;  // deleted meanwhile
  Attempt a{*this, *stored, nlohmann::json::object()};
  for (const char* k : {"runner", "runner_kind", "runner_instance", "attempt"})
    if (stored->stats.contains(k)) a.runner[k] = stored->stats[k];
  const std::string resumed = stored->message;  // "run again ..." of a resumed job

  const bool watching = WatchesSource(*stored, options_.server);
  auto fail = [&](JobState state, const Status& cause) {
    nlohmann::json stats = {{"error_code", StatusCodeName(cause.code())}};
    if (state == JobState::kCancelled && stopping_ && options_.server) {
      // The server is draining: the job runs again from the start when it is back.
      a.Set(JobState::kPending,
            watching ? "interrupted by the server's shutdown; it watches its source again "
                       "when the server starts"
                     : "interrupted by the server's shutdown; it runs again from the start "
                       "when the server starts",
            nlohmann::json::object());
      return;
    }
    a.Set(state, cause.message(), stats);
  };
  if (cancel.load()) return fail(JobState::kCancelled, Cancelled("cancelled before it started"));

  auto config = ParseBatchJobConfig(stored->config.dump(), "batch job " + id);
  if (!config.ok()) return fail(JobState::kErrorStarting, config.status());
  auto contract = catalog_.GetDataContract(config->contract);
  if (!contract.ok()) return fail(JobState::kErrorStarting, contract.status());

  // STARTED: no two outputs are one object, and every connector can be written to.
  std::map<std::string, std::shared_ptr<ObjectStore>> stores;
  StoreResolver resolver =
      [&stores](const std::string& name) -> Result<std::shared_ptr<ObjectStore>> {
    auto it = stores.find(name);
    if (it == stores.end()) return NotFound("data connector '" + name + "' does not exist");
    return it->second;
  };
  Status started;
  for (const std::string& name : JobConnectors(*config)) {
    auto c = catalog_.GetDataConnector(name);
    if (c.ok()) {
      auto store = OpenConnectorStore(*c);
      if (store.ok()) stores[name] = *store;
      started = store.status();
    } else {
      started = c.status();
    }
    if (!started.ok()) break;
  }
  if (started.ok()) started = CheckJobLocations(*config, resolver);
  for (const auto& [name, store] : stores)
    if (started.ok()) started = CheckConnectorAccess(*store, name);
  if (!started.ok()) return fail(JobState::kErrorStarting, started);
  a.Set(JobState::kStarted, resumed, nlohmann::json::object());
  a.Set(JobState::kRunning, resumed, nlohmann::json::object());
  if (RunsFileByFile(*config, options_.server))
    return RunFiles(a, *config, *contract, resolver, cancel, threads, fail);
  const BatchJobConfig one =
      HasInputPattern(config->source) ? *config : ForInputFile(*config, config->source.file_name);

  // While it runs: progress to the watchers ten times a second, to the catalog once a second
  // (from a thread of its own: the key store may hold the database).
  std::optional<ProgressRecorder> recorder(
      std::in_place,
      [&](const JobProgress& p) {
        nlohmann::json stats = ProgressStats(p);
        stats.update(a.runner);
        (void)catalog_.UpdateBatchJob(id, JobState::kRunning, resumed, stats);
      },
      kRecordPeriod);
  auto last_live = std::chrono::steady_clock::now();
  JobRunOptions run;
  run.threads = threads;
  run.cancel = &cancel;
  run.on_progress = [&](const JobProgress& p) {
    recorder->Offer(p);
    auto now = std::chrono::steady_clock::now();
    if (now - last_live < kLivePeriod) return;
    last_live = now;
    BatchJobRecord live = a.record;
    live.stats = ProgressStats(p);
    live.stats.update(a.runner);
    live.updated_at = NowMillis();
    running_.Publish(std::move(live));
  };
  auto outcome = RunBatchJob(one, *contract, catalog_, resolver, run);
  recorder.reset();  // no RUNNING record after the final one
  if (!outcome.ok()) {
    const bool cancelled = outcome.status().code() == StatusCode::kCancelled;
    return fail(cancelled ? JobState::kCancelled : JobState::kError, outcome.status());
  }
  std::string message = FinishedMessage(*outcome);
  if (const int attempt = a.runner.value("attempt", 1); attempt > 1)
    message += " (attempt " + std::to_string(attempt) +
               ": run again from the start after the server that ran it stopped)";
  a.Set(JobState::kFinished, std::move(message), OutcomeStats(*outcome));
}

void LocalJobs::RunFiles(Attempt& a, const BatchJobConfig& config, const DataContract& contract,
                         const StoreResolver& stores, const std::atomic<bool>& cancel, int threads,
                         const std::function<void(JobState, const Status&)>& fail) {
  FileSetRunOptions run;
  run.watch = options_.server;
  run.interval = options_.watch_interval;
  run.threads = threads;
  run.cancel = &cancel;
  run.on_update = [&a](const std::string& message, const nlohmann::json& stats) {
    a.Refresh(message, stats);
  };
  run.on_file = [&](const BatchJobFile& file) {
    if (options_.on_file) options_.on_file(a.record, file);
  };
  auto last_live = std::chrono::steady_clock::now();
  run.on_progress = [&](const JobProgress& p) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_live < kLivePeriod) return;
    last_live = now;
    BatchJobRecord live = a.record;
    live.stats.update(ProgressStats(p));
    live.updated_at = NowMillis();
    running_.Publish(std::move(live));
  };
  auto outcome = RunFileSet(config, contract, catalog_, stores, run);
  if (!outcome.ok()) {
    const bool cancelled = outcome.status().code() == StatusCode::kCancelled;
    return fail(cancelled ? JobState::kCancelled : JobState::kError, outcome.status());
  }
  nlohmann::json stats = OutcomeStats(outcome->total);
  stats["files_failed"] = outcome->failed;
  if (outcome->failed > 0)
    return a.Set(
        JobState::kError,
        std::to_string(outcome->failed) + " of " +
            std::to_string(outcome->failed + outcome->total.files) +
            " files failed, the others were processed; the first: " + outcome->first_failure,
        std::move(stats));
  a.Set(JobState::kFinished,
        FinishedMessage(outcome->total) + " from " + std::to_string(outcome->total.files) +
            " file" + (outcome->total.files == 1 ? "" : "s"),
        std::move(stats));
}

Result<BatchJobRecord> LocalJobs::Get(std::string_view id) {
  BatchJobRecord job;
  if (auto live = running_.Latest(id)) {
    job = std::move(*live);
  } else {
    STRM_ASSIGN_OR_RETURN(job, catalog_.GetBatchJob(id));
    STRM_RETURN_IF_ERROR(MarkOrphaned(job));
  }
  STRM_ASSIGN_OR_RETURN(job.files, catalog_.ListBatchJobFiles(job.id));
  return job;
}

Result<std::vector<BatchJobRecord>> LocalJobs::List() {
  STRM_ASSIGN_OR_RETURN(auto jobs, catalog_.ListBatchJobs());
  for (auto& job : jobs) {
    if (auto live = running_.Latest(job.id)) {
      job = *live;
      continue;
    }
    if (!IsFinal(job.state)) {
      // It may have ended and left this process's board since the list was read.
      auto fresh = catalog_.GetBatchJob(job.id);
      if (fresh.ok()) job = std::move(fresh).value();
    }
    STRM_RETURN_IF_ERROR(MarkOrphaned(job));
  }
  return jobs;
}

Result<BatchJobRecord> LocalJobs::Watch(std::string_view id, int64_t seen_updated_at,
                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (running_.Latest(id)) {
      if (auto live = running_.WaitNewer(id, seen_updated_at, std::max(left, {}))) {
        if (live->updated_at > seen_updated_at || IsFinal(live->state) || left.count() <= 0)
          return *live;
        continue;
      }
      // It left the board meanwhile: its final record is in the catalog.
    }
    // Not run here: another process's job, or one that has ended. The catalog tells.
    STRM_ASSIGN_OR_RETURN(BatchJobRecord job, Get(id));
    if (job.updated_at > seen_updated_at || IsFinal(job.state) || left.count() <= 0) return job;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(kWatchPoll)));
  }
}

Status LocalJobs::RunsElsewhere(const BatchJobRecord& job, std::string_view verb) {
  if (IsFinal(job.state)) return Status::Ok();
  ProcessIdentity runner = ProcessIdentity::FromJson(job.stats.value("runner", nlohmann::json()));
  if (!MayBeAlive(runner)) return Status::Ok();
  return FailedPrecondition("batch job " + job.id + " is run by another strm process (pid " +
                            std::to_string(runner.pid) + " on " + runner.host + "); " +
                            std::string(verb) + " it there, or stop that process");
}

Status LocalJobs::Cancel(std::string_view id) {
  if (auto live = running_.Latest(id); live && !IsFinal(live->state) && running_.Cancel(id))
    return Status::Ok();
  STRM_ASSIGN_OR_RETURN(BatchJobRecord job, Get(id));
  if (IsFinal(job.state))
    return FailedPrecondition("batch job " + job.id + " has ended (" +
                              std::string(JobStateName(job.state)) + "); nothing to cancel");
  STRM_RETURN_IF_ERROR(RunsElsewhere(job, "cancel"));
  // Its process is gone (a server's job, waiting for the server to run it again): it will not
  // run any more.
  return catalog_.UpdateBatchJob(job.id, JobState::kCancelled, "cancelled", {});
}

Status LocalJobs::Delete(std::string_view id) {
  if (running_.Cancel(id)) {
    if (!running_.WaitGone(id, kDeleteWait))
      return Unavailable("batch job " + std::string(id) +
                         " was asked to stop but has not stopped yet; delete it again later");
  } else {
    STRM_ASSIGN_OR_RETURN(BatchJobRecord job, catalog_.GetBatchJob(id));
    STRM_RETURN_IF_ERROR(RunsElsewhere(job, "delete"));
  }
  return catalog_.DeleteBatchJob(id);
}

// A CLI's job left unfinished by a process that no longer exists will never finish: record it
// as ERROR (once), so that it is not shown as RUNNING forever. A server's job waits for the
// server to start again and run it.
Status LocalJobs::MarkOrphaned(BatchJobRecord& job) {
  if (IsFinal(job.state) || !job.stats.contains("runner") || RunByServer(job)) return Status::Ok();
  ProcessIdentity runner = ProcessIdentity::FromJson(job.stats["runner"]);
  if (MayBeAlive(runner)) return Status::Ok();
  job.state = JobState::kError;
  job.message = "the strm process that ran this job (pid " + std::to_string(runner.pid) +
                ") ended before the job finished";
  return catalog_.UpdateBatchJob(job.id, job.state, job.message, job.stats);
}

}  // namespace strm
