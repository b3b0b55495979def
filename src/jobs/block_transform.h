// BlockTransformer: the per-row work of a batch job over one block of CSV records —
// validate, extract consent, parse the timestamp, pick the key, encrypt the PII fields, and
// derive every purpose output from the plaintext it already holds (never by decrypting).
// One transformer per worker thread; it keeps that thread's cipher contexts.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "formats/csv_reader.h"
#include "jobs/batch_job_config.h"
#include "jobs/job_plan.h"
#include "jobs/key_cache.h"

namespace strm {

// The formatted output of one block, written in block order by the runner.
struct BlockOutput {
  std::string encrypted;
  std::vector<std::string> derived;  // one per derived output
  std::string rejected;              // rows rejected with on_error SKIP
  uint64_t rows = 0;                 // rows written to the encrypted output
  uint64_t rejected_rows = 0;
  uint64_t input_bytes = 0;  // size of the block's input, for progress
  Status error;  // the first row error with on_error FAIL (outputs are then meaningless)
};

class BlockTransformer {
 public:
  BlockTransformer(const JobPlan* plan, KeyCache* keys, OnError on_error);

  // Processes the records of `block`, skipping its first `skip` records (the header).
  BlockOutput Process(const CsvBlock& block, size_t skip);

 private:
  struct RowState {
    bool ok = false;
    int64_t timestamp = 0;
    ConsentLevels consent;
    size_t key = 0;  // index into keys_ of this block
  };
  // A cipher context and the key it currently holds; rekeyed when another key needs it.
  struct CipherSlot {
    const KeyEntry* owner = nullptr;
    std::optional<DeterministicAead> aead;
  };
  static constexpr size_t kCipherSlots = 64;

  // This thread's cipher for `entry`, rekeying a slot if needed.
  DeterministicAead& CipherFor(const KeyEntry* entry);

  // Fills `row` or returns the reason the record cannot be processed.
  Status CheckRow(std::span<const std::string_view> fields, uint64_t row_number, RowState& row);
  void Reject(BlockOutput& out, uint64_t row_number, std::span<const std::string_view> fields,
              const std::string& reason);

  const JobPlan* plan_;
  KeyCache* keys_;
  OnError on_error_;
  TimestampFormat timestamp_;  // this thread's copy (it caches)
  std::vector<std::optional<Masker>> maskers_;
  CsvRecords records_;
  std::unordered_map<std::string, KeyEntry*> local_keys_;  // bounded, see Process
  std::array<CipherSlot, kCipherSlots> ciphers_;
  // Per-block scratch, reused.
  std::vector<RowState> rows_;
  std::vector<KeyEntry*> block_keys_;
  std::string id_, ciphertexts_, number_;
  std::vector<std::string_view> out_fields_;
};

}  // namespace strm
