// Runs one batch job: source → rows → transform → sinks (DESIGN.md). The main thread reads
// blocks of whole records and writes finished blocks in order; worker threads transform
// blocks. At most 4 × threads blocks are in flight, so memory is bounded by threads ×
// block size, not by file size. The outputs are committed only after the whole input was
// processed without a failing row, and then all or nothing (output_commit.h): a failed or
// cancelled run replaces no output.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "jobs/batch_job_config.h"
#include "jobs/job_locations.h"
#include "privacy/contract.h"
#include "privacy/key_store.h"
#include "storage/object_store.h"

namespace strm {

struct JobProgress {
  uint64_t rows = 0;         // data rows processed so far
  uint64_t bytes = 0;        // input bytes read so far
  uint64_t total_bytes = 0;  // size of all input files (0 if unknown)
  double seconds = 0;
};

struct JobRunOptions {
  int threads = 0;                                      // worker threads; <= 0: the number of cores
  size_t block_size = 1 << 20;                          // bytes of input per block
  std::function<void(const JobProgress&)> on_progress;  // called from the main thread
  // When set to true (e.g. by a signal handler), the run stops after the blocks in flight
  // and fails with kCancelled; no output is committed (if it is set while the outputs are
  // committed, those already committed are put back), and every temporary is removed.
  const std::atomic<bool>* cancel = nullptr;
};

struct JobOutcome {
  uint64_t rows = 0;      // rows written to the encrypted output
  uint64_t rejected = 0;  // rows rejected (on_error SKIP)
  uint64_t bytes = 0;     // input bytes
  uint64_t keys = 0;      // keys in the keys output
  uint64_t files = 0;     // input files
  double seconds = 0;
};

// `config.id` must be set (it is the key group when batch_job_group_id is empty). Keys come
// from `keys` (the catalog, as a KeyStore).
Result<JobOutcome> RunBatchJob(const BatchJobConfig& config, const DataContract& contract,
                               KeyStore& keys, const StoreResolver& stores,
                               const JobRunOptions& options);

// "Processed 10 records in 0.01 s (1000 records/s)".
std::string FinishedMessage(const JobOutcome& outcome);

}  // namespace strm
