#include "jobs/batch_job_runner.h"

#include <charconv>
#include <chrono>
#include <deque>
#include <future>
#include <optional>

#include <fmt/format.h>

#include "core/worker_pool.h"
#include "formats/charset.h"
#include "formats/csv_reader.h"
#include "formats/csv_writer.h"
#include "jobs/block_transform.h"
#include "jobs/job_plan.h"
#include "jobs/key_cache.h"
#include "jobs/output_commit.h"
#include "privacy/tink_keyset.h"

namespace strm {
namespace {

using Clock = std::chrono::steady_clock;

struct Sink {
  std::string what;  // "encrypted_data", for messages
  std::shared_ptr<ObjectStore> store;
  std::string key;
  std::unique_ptr<OutputStream> out;
};

Result<Sink> OpenSink(const StoreResolver& stores, const JobOutput& o) {
  STRM_ASSIGN_OR_RETURN(auto store, stores(o.location.connector));
  std::string key = JoinKey(o.location.path_prefix, o.location.file_name);
  auto out = store->OpenWrite(key, WriteOptions{.secret = o.secret});
  if (!out.ok()) return out.status().WithContext(o.what + " (" + key + ")");
  return Sink{o.what, std::move(store), std::move(key), std::move(out).value()};
}

Status CancelledStatus() { return Cancelled("the job was cancelled; no output was committed"); }

// Reader and parser errors end in "in row N"; name the file as row errors do.
Status InFile(const Status& s, const std::string& file) {
  if (s.ok()) return s;
  std::string m = s.message();
  if (!m.empty() && m[0] >= 'a' && m[0] <= 'z') m[0] = static_cast<char>(m[0] - 'a' + 'A');
  return Status(s.code(), m + " of " + file);
}

// The input objects of the job: one file, or every object matching a glob / the prefix.
Result<std::vector<ObjectInfo>> ListInputs(ObjectStore& store, const DataLocation& src) {
  if (!HasInputPattern(src)) {
    std::string key = JoinKey(src.path_prefix, src.file_name);
    uint64_t size = 0;
    if (auto listed = store.List(key); listed.ok())
      for (const auto& o : *listed)
        if (o.key == key) size = o.size;
    return std::vector<ObjectInfo>{{key, size}};
  }
  std::string prefix = src.path_prefix.empty() ? "" : JoinKey(src.path_prefix, "");
  STRM_ASSIGN_OR_RETURN(auto all, store.List(prefix));
  std::vector<ObjectInfo> out;
  for (auto& o : all) {
    if (IsInputName(src, std::string_view(o.key).substr(prefix.size())))
      out.push_back(std::move(o));
  }
  if (out.empty())
    return NotFound("no input file matches '" + JoinKey(src.path_prefix, src.file_name) + "' in " +
                    store.Describe());
  return out;
}

class JobRun {
 public:
  JobRun(const BatchJobConfig& config, const DataContract& contract, KeyStore& key_store,
         const StoreResolver& stores, const JobRunOptions& options)
      : config_(config),
        contract_(contract),
        stores_(stores),
        options_(options),
        threads_(ResolveThreadCount(options.threads)),
        // One thread means one core: then new keys are stored in line, not in the background.
        keys_(&key_store, config.batch_job_group_id.empty() ? config.id : config.batch_job_group_id,
              KeyGroupOptions{threads_ > 1}) {}

  Result<JobOutcome> Run() {
    start_ = Clock::now();
    STRM_RETURN_IF_ERROR(CheckJobLocations(config_, stores_));
    STRM_ASSIGN_OR_RETURN(auto source, stores_(config_.source.connector));
    STRM_ASSIGN_OR_RETURN(auto inputs, ListInputs(*source, config_.source));
    for (const auto& in : inputs) progress_.total_bytes += in.size;

    // Open every output first: a target that cannot be written fails before any work.
    for (const JobOutput& o : JobOutputs(config_)) {
      STRM_ASSIGN_OR_RETURN(Sink sink, OpenSink(stores_, o));
      if (o.what == "encryption_keys_data") {
        STRM_RETURN_IF_ERROR(sink.out->Write("keyLink,encryptionKey,policyId,expiresAt\n"));
        keys_out_ = std::move(sink);
      } else if (o.what == "rejected_data") {
        STRM_RETURN_IF_ERROR(sink.out->Write("row,reason,record\n"));
        rejected_ = std::move(sink);
      } else {
        sinks_.push_back(std::move(sink));  // encrypted, then derived in order
      }
    }

    // One thread means one core: the main thread then transforms the blocks itself.
    std::optional<WorkerPool> pool;
    if (threads_ > 1) pool.emplace(threads_);
    for (const auto& in : inputs)
      STRM_RETURN_IF_ERROR(RunFile(*source, in.key, pool ? &*pool : nullptr));

    // The keys output was written with the blocks: the keys still waiting to be stored are
    // stored now, before any output that needs them becomes visible.
    // A signal that came while the last blocks were processed stops the run here.
    if (Cancelling()) return CancelledStatus();
    Status flushed = keys_.Flush();
    STRM_RETURN_IF_ERROR(flushed.WithContext("Cannot store encryption keys"));
    // All rows went through: every output becomes visible, or none does (the keys first).
    std::vector<StagedOutput> staged;
    auto stage = [&staged](Sink& s) {
      staged.push_back({s.what, s.store.get(), s.key, s.out.get()});
    };
    stage(*keys_out_);
    for (Sink& s : sinks_) stage(s);
    if (rejected_) stage(*rejected_);
    STRM_RETURN_IF_ERROR(CommitAllOrNothing(staged, options_.cancel));
    outcome_.files = inputs.size();
    outcome_.bytes = progress_.bytes;
    outcome_.seconds = Seconds();
    return outcome_;
  }

 private:
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  bool Cancelling() const { return options_.cancel != nullptr && options_.cancel->load(); }

  Status RunFile(ObjectStore& source, const std::string& key, WorkerPool* pool) {
    auto opened = source.OpenRead(key);
    if (!opened.ok()) return opened.status().WithContext("source_data");
    std::unique_ptr<InputStream> in = std::move(opened).value();
    if (!IsUtf8Charset(config_.source.charset)) {
      STRM_ASSIGN_OR_RETURN(in, NewUtf8Converter(std::move(in), config_.source.charset));
    }
    CsvBlockReader reader(in.get(), options_.block_size, config_.max_record_bytes);
    auto first_block = reader.Next();
    if (!first_block.ok()) return InFile(first_block.status(), key);
    CsvBlock first = std::move(first_block).value();
    if (first.data.empty()) return InvalidArgument(key + " is empty: a header row is required");

    // Rows are validated by the workers; here only the header is needed.
    CsvRecords header_records;
    STRM_RETURN_IF_ERROR(InFile(header_records.Parse(first, false), key));
    auto header = header_records[0];
    for (std::string_view h : header)
      if (!IsValidUtf8(h)) return InvalidArgument("Invalid UTF-8 in the header of " + key);
    STRM_ASSIGN_OR_RETURN(JobPlan plan, CompileJobPlan(config_, contract_, header, key));
    if (first_file_) {
      for (Sink& s : sinks_) STRM_RETURN_IF_ERROR(s.out->Write(plan.output_header));
      first_file_ = false;
    }

    std::vector<std::unique_ptr<BlockTransformer>> transformers;
    for (int i = 0; i < threads_; ++i)
      transformers.push_back(
          std::make_unique<BlockTransformer>(&plan, &keys_, config_.on_error, key_row_base_));
    uint64_t file_rows = 0;  // records of this file (the header included)

    std::deque<std::future<BlockOutput>> in_flight;
    std::deque<size_t> in_flight_sizes;  // the input bytes of each block in flight
    size_t in_flight_bytes = 0;
    auto submit = [&](CsvBlock block, size_t skip) {
      file_rows = std::max(file_rows, block.first_row + block.rows);
      in_flight_sizes.push_back(block.data.size());
      in_flight_bytes += block.data.size();
      auto shared = std::make_shared<CsvBlock>(std::move(block));
      BlockOutput out;
      if (!spare_outputs_.empty()) {  // reuse a written block's buffers
        out = std::move(spare_outputs_.back());
        spare_outputs_.pop_back();
      }
      if (pool == nullptr) {
        std::promise<BlockOutput> done;
        transformers[0]->Process(*shared, skip, out);
        done.set_value(std::move(out));
        in_flight.push_back(done.get_future());
        return;
      }
      in_flight.push_back(
          pool->Submit([shared, skip, &transformers, out = std::move(out)](int w) mutable {
            transformers[w]->Process(*shared, skip, out);
            return std::move(out);
          }));
    };
    submit(std::move(first), 1);
    bool eof = false;
    Status failure;
    Status read_failure;  // reported after the blocks before it, which may hold earlier errors
    // Four blocks a worker in flight: a worker whose block took longer (new keys to create,
    // a preemption) holds the others up only once the queue behind it has drained. Records
    // of up to max_record_bytes make larger blocks: then the bytes in flight are the bound.
    const size_t max_blocks = static_cast<size_t>(4 * threads_);
    const size_t max_bytes = max_blocks * options_.block_size;
    auto refill = [&] {
      while (!eof && failure.ok() && in_flight.size() < max_blocks && in_flight_bytes < max_bytes) {
        auto block = reader.Next();
        if (!block.ok()) {
          read_failure = InFile(block.status(), key);
          eof = true;
          break;
        }
        if (block->data.empty()) {
          eof = true;
          break;
        }
        submit(std::move(block).value(), 0);
      }
    };
    refill();
    while (!in_flight.empty()) {
      if (failure.ok() && Cancelling()) failure = CancelledStatus();
      BlockOutput out = in_flight.front().get();
      in_flight.pop_front();
      in_flight_bytes -= in_flight_sizes.front();
      in_flight_sizes.pop_front();
      if (failure.ok()) failure = out.error;
      // The freed place goes to the workers before this block is written: a worker that
      // finished its block then finds the next one waiting, not the main thread writing.
      refill();
      if (!failure.ok()) continue;  // drain the workers, then fail
      failure = WriteBlock(out);
      progress_.rows += out.rows + out.rejected_rows;
      progress_.bytes += out.input_bytes;  // written, not merely read ahead
      progress_.seconds = Seconds();
      if (options_.on_progress) options_.on_progress(progress_);
      spare_outputs_.push_back(std::move(out));
    }
    key_row_base_ += file_rows;
    return failure.ok() ? read_failure : failure;
  }

  Status WriteBlock(const BlockOutput& out) {
    STRM_RETURN_IF_ERROR(sinks_[0].out->Write(out.encrypted.view()));
    for (size_t d = 0; d < out.derived.size(); ++d)
      STRM_RETURN_IF_ERROR(sinks_[d + 1].out->Write(out.derived[d].view()));
    if (rejected_ && !out.rejected.empty())
      STRM_RETURN_IF_ERROR(rejected_->out->Write(out.rejected));
    STRM_RETURN_IF_ERROR(WriteKeyLines(out));
    outcome_.rows += out.rows;
    outcome_.rejected += out.rejected_rows;
    return Status::Ok();
  }

  // The keys output's lines of `out`'s keys that were first used in its block. Every block
  // before it has been written, so no row can now use one of its keys first: a key's
  // first_row is final, and the line belongs to this block if it is still the row the block
  // saw. So the keys output lists the keys in order of first use, as the rows are written.
  Status WriteKeyLines(const BlockOutput& out) {
    size_t kept = 0;
    for (const BlockOutput::KeyLine& k : out.key_lines)
      kept += k.entry->first_row.load(std::memory_order_relaxed) == k.row;
    outcome_.keys += kept;
    if (kept == out.key_lines.size()) return keys_out_->out->Write(out.keys);
    std::string lines;  // rare: a block processed alongside used some of the keys first
    size_t begin = 0;
    for (const BlockOutput::KeyLine& k : out.key_lines) {
      if (k.entry->first_row.load(std::memory_order_relaxed) == k.row)
        lines.append(out.keys, begin, k.end - begin);
      begin = k.end;
    }
    return keys_out_->out->Write(lines);
  }

  const BatchJobConfig& config_;
  const DataContract& contract_;
  const StoreResolver& stores_;
  const JobRunOptions& options_;
  int threads_;
  KeyCache keys_;
  Clock::time_point start_;
  std::vector<Sink> sinks_;  // encrypted, then derived in order
  std::optional<Sink> rejected_;
  std::optional<Sink> keys_out_;
  uint64_t key_row_base_ = 0;  // rows of the files before the current one
  bool first_file_ = true;
  std::vector<BlockOutput> spare_outputs_;
  JobProgress progress_;
  JobOutcome outcome_;
};

}  // namespace

Result<JobOutcome> RunBatchJob(const BatchJobConfig& config, const DataContract& contract,
                               KeyStore& keys, const StoreResolver& stores,
                               const JobRunOptions& options) {
  if (config.id.empty()) return InvalidArgument("a batch job needs an id before it runs");
  if (!(config.contract == contract.ref))
    return InvalidArgument("the job uses contract " + config.contract.ToString() + ", not " +
                           contract.ref.ToString());
  STRM_RETURN_IF_ERROR(ValidateJob(config, contract));
  // Outputs not committed are aborted by their destructors: nothing half-written remains.
  return JobRun(config, contract, keys, stores, options).Run();
}

std::string FinishedMessage(const JobOutcome& o) {
  double rate = o.seconds > 0 ? static_cast<double>(o.rows + o.rejected) / o.seconds : 0;
  std::string m = fmt::format("Processed {} records in {:.2f} s ({:.0f} records/s)",
                              o.rows + o.rejected, o.seconds, rate);
  if (o.rejected > 0) m += fmt::format("; {} rejected", o.rejected);
  return m;
}

}  // namespace strm
