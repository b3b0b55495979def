// The run of a batch job whose source is many files (a glob, or a prefix) file by file, each
// input object with outputs of its own ({input} in their names, job_locations.h), and each
// recorded in the catalog (Catalog::AddBatchJobFiles) so that it is processed once, in order
// of appearance, across restarts (SPEC §5 "Watching jobs").
//
// A pass lists the source, records the new inputs NEW, and runs each NEW or PROCESSING file
// in order: PROCESSING, then DONE or FAILED. A file left PROCESSING by a process that died
// runs again; its outputs are committed all or nothing and its keys are reused, so the
// result is the same. Watching, the run makes a pass every `interval` until it is cancelled:
//  - an object is taken once two listings in a row saw it with the same size, so that a file
//    still being written (a local copy in progress) is not read half way;
//  - a failure that may pass (a store that cannot be reached, an I/O error) leaves the file
//    NEW and ends the pass, so that the file is tried again first at the next one (three
//    attempts in all); a failure of the file itself (bad rows, a missing field) is FAILED at
//    once, and the files after it go on;
//  - a listing that fails is tried again at the next pass.
// Without watching (the CLI), one pass without the size check, and every failure is FAILED.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "catalog/catalog.h"
#include "jobs/batch_job_runner.h"

namespace strm {

struct FileSetRunOptions {
  bool watch = false;
  std::chrono::milliseconds interval{10000};  // between two listings, watching
  int threads = 0;                            // of each file's run
  const std::atomic<bool>* cancel = nullptr;
  // The job's state after each change (a file recorded or ended, a listing failed): a
  // message ("watching ...: 3 files done, 0 failed, 1 waiting") and stats (files,
  // files_done, files_failed, files_waiting, rows, rejected_rows, keys, bytes).
  std::function<void(const std::string& message, const nlohmann::json& stats)> on_update;
  // Each file's state change, after the catalog has it.
  std::function<void(const BatchJobFile& file)> on_file;
  // Progress within the running file, rows and bytes counted over the whole set.
  std::function<void(const JobProgress& progress)> on_progress;
};

struct FileSetOutcome {
  JobOutcome total;  // over the files done by every run of the job
  uint64_t failed = 0;
  std::string first_failure;  // "NAME: message" of the first failed file
};

// Runs `config` (its id set, its source a pattern) file by file. Watching, returns only once
// cancelled (Cancelled, with a message that counts the files) or when the catalog fails;
// otherwise after one pass, NotFound when no input matches.
Result<FileSetOutcome> RunFileSet(const BatchJobConfig& config, const DataContract& contract,
                                  Catalog& catalog, const StoreResolver& stores,
                                  const FileSetRunOptions& options);

}  // namespace strm
