// BlockTransformer: the per-row work of a batch job over one block of CSV records —
// validate, extract consent, parse the timestamp, pick the key, encrypt the PII fields, and
// derive every purpose output from the plaintext it already holds (never by decrypting).
// One transformer per worker thread; it keeps that thread's cipher contexts and scratch
// space, so a block allocates nothing once the buffers have grown to a block's size.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/decimal_memo.h"
#include "core/output_buffer.h"
#include "core/status.h"
#include "formats/csv_reader.h"
#include "jobs/batch_job_config.h"
#include "jobs/job_plan.h"
#include "jobs/key_cache.h"
#include "privacy/row_encryptor.h"

namespace strm {

// The formatted output of one block, written in block order by the runner. Reuse one for
// many blocks: Process clears it and keeps its buffers' capacity.
struct BlockOutput {
  OutputBuffer encrypted;
  std::vector<OutputBuffer> derived;  // one per derived output
  std::string rejected;               // rows rejected with on_error SKIP
  uint64_t rows = 0;                  // rows written to the encrypted output
  uint64_t rejected_rows = 0;
  uint64_t input_bytes = 0;  // size of the block's input, for progress
  // Lines of the keys output for the keys whose first use may be in this block (those whose
  // first row was one of its rows when it resolved them), in the order of those rows. A block
  // before it, processed at the same time, may still have used one first: when the blocks
  // before it have been written, the line belongs here if the key's first_row is still `row`.
  struct KeyLine {
    const KeyEntry* entry;
    uint64_t row;  // the key's first row in this block (with the transformer's row base)
    size_t end;    // of its line in `keys`
  };
  std::string keys;
  std::vector<KeyLine> key_lines;
  Status error;  // the first row error with on_error FAIL (outputs are then meaningless)
};

class BlockTransformer {
 public:
  // Rows mark the keys they use with their number plus `key_row_base` (rows of the files
  // before this one, so that first uses compare across files).
  BlockTransformer(const JobPlan* plan, KeyCache* keys, OnError on_error,
                   uint64_t key_row_base = 0);

  // Processes the records of `block` into `out`, skipping its first `skip` records (the
  // header).
  void Process(const CsvBlock& block, size_t skip, BlockOutput& out);

 private:
  struct RowState {
    bool ok = false;
    uint32_t consent = 0;  // index into consents_
    uint32_t key = 0;      // index into distinct_ of this block
    int64_t timestamp = 0;
  };
  // What a consent-field value means, computed once per distinct value.
  struct ConsentInfo {
    std::string csv;            // strmMeta.consentLevels as a CSV field ("\"[0,2]\"")
    std::vector<bool> derived;  // per derived output: the row is kept
  };
  // The consent of a row whose extractor field holds `value`, or an error.
  Result<uint32_t> ConsentOf(std::string_view value);

  // Fills `row` or returns the reason the record cannot be processed.
  Status CheckRow(std::span<const std::string_view> fields, uint64_t row_number, bool check_utf8,
                  RowState& row);
  void Reject(BlockOutput& out, uint64_t row_number, std::span<const std::string_view> fields,
              const std::string& reason);
  // Pass 1's key work: the distinct keys of the block's good rows, resolved in one call.
  Status ResolveKeys(const CsvBlock& block, size_t skip, BlockOutput& out);
  // Encrypts the PII values of the good rows rows[0..n) (n <= RowEncryptor::kRowsAtOnce)
  // together, into group_values_ / group_cipher_ (row k's: group_rows_[k].out).
  void EncryptGroup(const size_t* rows, size_t n);
  // Writes a row; cipher[i] is the ciphertext of its i-th non-empty PII value.
  void WriteRow(std::span<const std::string_view> fields, const RowState& row,
                uint8_t* const* cipher, BlockOutput& out);

  const JobPlan* plan_;
  KeyCache* keys_;
  uint64_t key_row_base_;
  OnError on_error_;
  TimestampFormat timestamp_;   // this thread's copy (it caches)
  DecimalMemo timestamp_text_;  // strmMeta.timestamp: rows in time order share its digits
  std::vector<std::optional<Masker>> maskers_;
  // This thread's copies of the plan's validation regexes, for the values SimpleRegex does
  // not decide: an RE2 shared by threads takes a shared lock on every match, and its cache
  // line then travels between the cores.
  std::vector<std::unique_ptr<RE2>> regexes_;
  std::string meta_prefix_;  // ",<contract ref>,0," after the schema columns
  CsvRecords records_;
  RowEncryptor encryptor_;
  std::vector<ConsentInfo> consents_;
  std::unordered_map<std::string, uint32_t> consent_index_;        // bounded, see ConsentOf
  std::vector<std::pair<std::string, uint32_t>> recent_consents_;  // the first few of them
  // Per-block scratch, reused.
  std::vector<RowState> rows_;
  std::vector<KeyCache::Request> distinct_;
  std::vector<KeyEntry*> entries_;                    // per distinct key
  std::vector<uint32_t> dedup_;                       // open addressing over distinct_, 0 = empty
  std::vector<std::pair<size_t, size_t>> cipher_at_;  // per column: ciphertext in `encrypted`
  // A group of rows encrypted together: their PII values in column order, row after row,
  // and where each value's ciphertext starts in group_raw_.
  std::vector<std::string_view> group_values_;
  std::vector<uint8_t> group_raw_;
  std::vector<uint8_t*> group_cipher_;
  std::vector<RowToEncrypt> group_rows_;
};

}  // namespace strm
