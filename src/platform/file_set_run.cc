#include "platform/file_set_run.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <thread>

#include "jobs/job_plan.h"

namespace strm {
namespace {

constexpr int kAttempts = 3;  // of a file whose runs fail for a reason that may pass
constexpr auto kCancelPoll = std::chrono::milliseconds(50);

// A failure of the file itself, which another attempt would repeat.
bool FileIsAtFault(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound ||
         s.code() == StatusCode::kFailedPrecondition;
}

std::string Seconds(std::chrono::milliseconds d) {
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

class FileSetRun {
 public:
  FileSetRun(const BatchJobConfig& config, const DataContract& contract, Catalog& catalog,
             const StoreResolver& stores, const FileSetRunOptions& options)
      : config_(config), contract_(contract), catalog_(catalog), stores_(stores), opt_(options) {}

  Result<FileSetOutcome> Run() {
    start_ = std::chrono::steady_clock::now();
    STRM_ASSIGN_OR_RETURN(auto source, stores_(config_.source.connector));
    STRM_ASSIGN_OR_RETURN(files_, catalog_.ListBatchJobFiles(config_.id));
    for (const BatchJobFile& f : files_)
      if (f.state == JobFileState::kDone) Count(f.stats);
    const std::string prefix =
        config_.source.path_prefix.empty() ? "" : JoinKey(config_.source.path_prefix, "");
    for (;;) {
      if (Cancelling()) return Stopped();
      auto listed = source->List(prefix);
      if (!listed.ok()) {
        Status s =
            listed.status().WithContext("cannot list the job's input in " + source->Describe());
        if (!opt_.watch) return s;
        Update(s.message() + "; trying again in " + Seconds(opt_.interval));
      } else {
        STRM_RETURN_IF_ERROR(Record(*listed, prefix));
        if (!opt_.watch && files_.empty())
          return NotFound("no input file matches '" +
                          JoinKey(config_.source.path_prefix, config_.source.file_name) + "' in " +
                          source->Describe());
        Update("");
        STRM_RETURN_IF_ERROR(Pass());
        if (Cancelling()) return Stopped();
      }
      if (!opt_.watch) {
        outcome_.total.seconds = Elapsed();
        return outcome_;
      }
      for (auto waited = std::chrono::milliseconds(0); waited < opt_.interval;
           waited += kCancelPoll) {
        if (Cancelling()) return Stopped();
        std::this_thread::sleep_for(std::min(kCancelPoll, opt_.interval - waited));
      }
    }
  }

 private:
  bool Cancelling() const { return opt_.cancel != nullptr && opt_.cancel->load(); }
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  // The inputs in `listed` that the job has not recorded yet, recorded NEW in the order they
  // were listed. Watching, only those that the previous listing saw with the same size.
  Status Record(const std::vector<ObjectInfo>& listed, const std::string& prefix) {
    std::set<std::string, std::less<>> known;
    for (const BatchJobFile& f : files_) known.insert(f.name);
    std::vector<std::string> fresh;
    std::map<std::string, uint64_t> seen;
    for (const ObjectInfo& o : listed) {
      std::string name = o.key.substr(prefix.size());
      if (!IsInputName(config_.source, name) || known.contains(name)) continue;
      sizes_[name] = o.size;
      auto before = last_seen_.find(name);
      if (!opt_.watch || (before != last_seen_.end() && before->second == o.size)) {
        fresh.push_back(std::move(name));
      } else {
        seen[name] = o.size;
      }
    }
    last_seen_ = std::move(seen);
    if (fresh.empty()) return Status::Ok();
    STRM_ASSIGN_OR_RETURN(auto added, catalog_.AddBatchJobFiles(config_.id, fresh));
    for (BatchJobFile& f : added) {
      if (opt_.on_file) opt_.on_file(f);
      files_.push_back(std::move(f));
    }
    return Status::Ok();
  }

  // Runs the files waiting, in order; stops at a failure that may pass.
  Status Pass() {
    for (BatchJobFile& f : files_) {
      if (f.state != JobFileState::kNew && f.state != JobFileState::kProcessing) continue;
      if (Cancelling()) return Status::Ok();
      STRM_ASSIGN_OR_RETURN(bool go_on, RunFile(f));
      Update("");
      if (!go_on) break;
    }
    return Status::Ok();
  }

  // False when the pass should stop here (cancelled, or a failure that may pass).
  Result<bool> RunFile(BatchJobFile& f) {
    const int attempt = f.stats.value("attempts", 0) + 1;
    f.state = JobFileState::kProcessing;
    f.stats["attempts"] = attempt;
    STRM_RETURN_IF_ERROR(SetFile(f));

    JobRunOptions run;
    run.threads = opt_.threads;
    run.cancel = opt_.cancel;
    if (opt_.on_progress)
      run.on_progress = [this](const JobProgress& p) {
        JobProgress all = p;
        all.rows += outcome_.total.rows;
        all.bytes += outcome_.total.bytes;
        all.total_bytes = p.total_bytes + outcome_.total.bytes + WaitingBytes();
        all.seconds = Elapsed();
        opt_.on_progress(all);
      };
    auto done = RunBatchJob(ForInputFile(config_, f.name), contract_, catalog_, stores_, run);
    bool go_on = true;
    if (done.ok()) {
      f.state = JobFileState::kDone;
      f.message = FinishedMessage(*done);
      f.stats = {{"rows", done->rows},   {"rejected_rows", done->rejected}, {"keys", done->keys},
                 {"bytes", done->bytes}, {"seconds", done->seconds},        {"attempts", attempt}};
      Count(f.stats);
    } else if (done.status().code() == StatusCode::kCancelled) {
      f.state = JobFileState::kNew;  // to run again whole; its attempt does not count
      f.stats["attempts"] = attempt - 1;
      go_on = false;
    } else if (opt_.watch && !FileIsAtFault(done.status()) && attempt < kAttempts) {
      f.state = JobFileState::kNew;
      f.message = fmt::format("attempt {} of {} failed, tried again at the next listing: {}",
                              attempt, kAttempts, done.status().message());
      go_on = false;
    } else {
      f.state = JobFileState::kFailed;
      f.message = done.status().message();
      if (outcome_.failed++ == 0) outcome_.first_failure = f.name + ": " + f.message;
    }
    STRM_RETURN_IF_ERROR(SetFile(f));
    return go_on;
  }

  Status SetFile(BatchJobFile& f) {
    STRM_RETURN_IF_ERROR(catalog_.UpdateBatchJobFile(config_.id, f));
    f.updated_at = NowMillis();
    if (opt_.on_file) opt_.on_file(f);
    return Status::Ok();
  }

  void Count(const nlohmann::json& stats) {
    outcome_.total.rows += stats.value("rows", uint64_t{0});
    outcome_.total.rejected += stats.value("rejected_rows", uint64_t{0});
    outcome_.total.keys += stats.value("keys", uint64_t{0});
    outcome_.total.bytes += stats.value("bytes", uint64_t{0});
    ++outcome_.total.files;
  }

  uint64_t WaitingBytes() const {
    uint64_t n = 0;
    for (const BatchJobFile& f : files_)
      if (f.state == JobFileState::kNew)
        if (auto it = sizes_.find(f.name); it != sizes_.end()) n += it->second;
    return n;
  }

  struct Counts {
    uint64_t done = 0, failed = 0, waiting = 0;
  };
  Counts Tally() const {
    Counts c;
    for (const BatchJobFile& f : files_) {
      if (f.state == JobFileState::kDone) ++c.done;
      if (f.state == JobFileState::kFailed) ++c.failed;
      if (f.state == JobFileState::kNew || f.state == JobFileState::kProcessing) ++c.waiting;
    }
    return c;
  }

  std::string Summary() const {
    const Counts c = Tally();
    return fmt::format("{} file{} done, {} failed, {} waiting", c.done, c.done == 1 ? "" : "s",
                       c.failed, c.waiting);
  }

  // The job's message and stats now; `trouble` (a listing that failed) goes first.
  void Update(const std::string& trouble) {
    if (!opt_.on_update) return;
    const Counts c = Tally();
    std::string message = opt_.watch
                              ? "watching " + config_.source.connector + ": " +
                                    JoinKey(config_.source.path_prefix, config_.source.file_name) +
                                    " (every " + Seconds(opt_.interval) + "): " + Summary()
                              : Summary();
    if (!trouble.empty()) message = trouble + "; " + message;
    opt_.on_update(message, {{"files", files_.size()},
                             {"files_done", c.done},
                             {"files_failed", c.failed},
                             {"files_waiting", c.waiting},
                             {"rows", outcome_.total.rows},
                             {"rejected_rows", outcome_.total.rejected},
                             {"keys", outcome_.total.keys},
                             {"bytes", outcome_.total.bytes},
                             {"seconds", Elapsed()}});
  }

  Status Stopped() const {
    return Cancelled(opt_.watch ? "stopped watching its source: " + Summary()
                                : "the job was cancelled: " + Summary());
  }

  const BatchJobConfig& config_;
  const DataContract& contract_;
  Catalog& catalog_;
  const StoreResolver& stores_;
  const FileSetRunOptions& opt_;
  std::chrono::steady_clock::time_point start_;
  std::vector<BatchJobFile> files_;            // in order of appearance
  std::map<std::string, uint64_t> last_seen_;  // not yet recorded: the size last listed
  std::map<std::string, uint64_t> sizes_;      // listed sizes, for progress
  FileSetOutcome outcome_;
};

}  // namespace

Result<FileSetOutcome> RunFileSet(const BatchJobConfig& config, const DataContract& contract,
                                  Catalog& catalog, const StoreResolver& stores,
                                  const FileSetRunOptions& options) {
  return FileSetRun(config, contract, catalog, stores, options).Run();
}

}  // namespace strm
