// The commit of a job run's outputs, all or nothing (SPEC §2 "All or nothing per run").
//
// Each output is written in full before any is committed; CommitAllOrNothing then
//   1. keeps the previous version of every output that has one (ObjectStore::Copy to a
//      hidden temporary name beside it, TemporaryKey);
//   2. commits the outputs one by one, in the order given (a job gives its keys output first);
//   3. if a commit fails, or `cancel` is set before the last one, puts back every output
//      already committed, and the one whose commit failed (a remote commit may take effect
//      although its answer is lost), each by copying its kept version back, or by deleting the
//      new object when there was none; and aborts the others;
//   4. deletes the kept versions (and, when keeping one failed, the name it was to be kept
//      under: the copy may have been made although its answer was lost).
// So afterwards every output is new, or every output is what it was before the run. If
// putting one back fails too (the store went away), the error says so and names where its
// previous version is kept; that copy is then left in place. A process killed outright
// during the commit cannot put anything back: kept versions then remain as hidden
// `.<name>.strm-tmp-<uuid>` objects, which no store lists (docs/operations.md).
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/object_store.h"

namespace strm {

struct StagedOutput {
  std::string what;    // "encryption_keys_data", for messages
  ObjectStore* store;  // where it goes
  std::string key;     // its name in the store
  OutputStream* out;   // everything written, not committed
};

// See above. Errors: the failing commit's Status (its code), with a message that names the
// output that failed ("derived_data[0] (out/d.csv) could not be committed, so no output of
// this run was kept: <cause>"); Cancelled ("the job was cancelled; no output was committed")
// when `cancel` was set. Failing to keep a previous version (step 1) fails the same way,
// before anything is committed.
Status CommitAllOrNothing(const std::vector<StagedOutput>& outputs,
                          const std::atomic<bool>* cancel);

}  // namespace strm
