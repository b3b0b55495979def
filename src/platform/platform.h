// Platform: the verbs of strm (SPEC §5), the one seam behind every front end. The CLI talks
// to a Platform; LocalPlatform does the work in process on the embedded catalog (a server
// will wrap the same LocalPlatform; a RemotePlatform will talk to that server). Entity rules
// live behind this interface only.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/result.h"
#include "jobs/batch_job_runner.h"
#include "jobs/csv_preview.h"
#include "privacy/contract.h"

namespace strm {

// The key stream of a source stream (SPEC §3): the keys its events were encrypted with. It
// has the source's name and lives as long as it.
struct KeyStream {
  std::string name;
  std::string stream_id;  // the source stream's id
  int64_t created_at = 0;
  bool operator==(const KeyStream&) const = default;
};

struct SubmitBatchJobOptions {
  int threads = 0;  // worker threads of the run; <= 0: the platform's default
};

class Platform {
 public:
  virtual ~Platform() = default;

  // Creates a connector after checking access: an empty `.strm_test_<uuid>.jsonl` is written
  // under the connector's root and deleted again. A connector that fails is not created.
  virtual Result<DataConnector> CreateDataConnector(DataConnector connector) = 0;
  virtual Result<DataConnector> GetDataConnector(std::string_view name) = 0;
  virtual Result<std::vector<DataConnector>> ListDataConnectors() = 0;
  // Ids of the batch jobs that read from or write to the connector.
  virtual Result<std::vector<std::string>> DataConnectorDependents(std::string_view name) = 0;
  // Refuses (FailedPrecondition naming them) while jobs depend on the connector, unless
  // `recursive`, which deletes those jobs too.
  virtual Status DeleteDataConnector(std::string_view name, bool recursive) = 0;

  virtual Result<DataContract> CreateDataContract(const ContractRef& ref,
                                                  std::string_view schema_text,
                                                  std::string_view contract_text) = 0;
  virtual Result<DataContract> GetDataContract(const ContractRef& ref) = 0;
  virtual Result<std::vector<DataContract>> ListDataContracts() = 0;
  virtual Status DeleteDataContract(const ContractRef& ref) = 0;

  // Streams (SPEC §3). `stream` holds what its creator chose: a source stream has a name
  // and, optionally, a description and tags; a derived one has linked_stream, consent_levels
  // (its purposes, at least one; GRANULAR) and optionally masked_fields and mask_seed, and a
  // default name (DefaultDerivedStreamName) when its name is empty. strm gives the id, the
  // credentials (one client; derived streams get theirs for egress), the seed when fields are
  // masked without one, and created_at. The answer holds the credentials as made, secret
  // included: the one time they are shown unasked. InvalidArgument naming what is wrong (a
  // masked field that the contract does not have, ...), AlreadyExists, NotFound (the source).
  virtual Result<StreamRecord> CreateStream(StreamRecord stream) = 0;
  virtual Result<StreamRecord> GetStream(std::string_view name) = 0;
  virtual Result<std::vector<StreamRecord>> ListStreams() = 0;  // by name
  // A source that has derived streams is refused (FailedPrecondition naming them) unless
  // `recursive`, which deletes those first. Its events and keys go with it.
  virtual Status DeleteStream(std::string_view name, bool recursive) = 0;
  virtual Result<KeyStream> GetKeyStream(std::string_view name) = 0;  // NotFound
  virtual Result<std::vector<KeyStream>> ListKeyStreams() = 0;        // by name

  // Batch jobs are asynchronous. SubmitBatchJob checks the job file (an invalid one is an
  // error and creates nothing), stores the job PENDING and returns it at once; the job runs on
  // the platform's bounded pool, its record showing its state and progress as it goes
  // (stats: rows, bytes, total_bytes, seconds). A job that fails ends in ERROR_STARTING or
  // ERROR with its message; one that is cancelled in CANCELLED, with no output committed.
  virtual Result<BatchJobRecord> SubmitBatchJob(std::string_view job_json, std::string source_name,
                                                const SubmitBatchJobOptions& options) = 0;
  // The job as soon as its record is newer than `seen_updated_at` (or at once if it is), or
  // as it is when `timeout` has passed.
  virtual Result<BatchJobRecord> WatchBatchJob(std::string_view id, int64_t seen_updated_at,
                                               std::chrono::milliseconds timeout) = 0;
  // Asks a pending or running job to stop; it ends CANCELLED. FailedPrecondition if it has
  // ended already, or runs in another process that this platform cannot reach.
  virtual Status CancelBatchJob(std::string_view id) = 0;
  virtual Result<BatchJobRecord> GetBatchJob(std::string_view id) = 0;
  virtual Result<std::vector<BatchJobRecord>> ListBatchJobs() = 0;
  // A running job is cancelled first, and deleted once it has stopped.
  virtual Status DeleteBatchJob(std::string_view id) = 0;
  // The first `rows` rows of the job's input and of each output that exists (encrypted,
  // derived in order, keys), for a side-by-side look.
  virtual Result<std::vector<CsvPreview>> PreviewBatchJob(std::string_view id, size_t rows) = 0;
};

struct LocalPlatformOptions {
  int job_slots = 1;  // batch jobs that run at once; more wait PENDING
  // A server: jobs that a server left unfinished when it stopped (killed, or drained) run
  // again from the start, their record saying so. Without it (the CLI) such jobs are left
  // for the server, and jobs of other processes that died are shown as ERROR.
  bool server = false;
  // Called on each change of a job's state (not on progress), from the thread that runs it,
  // after the catalog has it: for a server's log and metrics. Must not block.
  std::function<void(const BatchJobRecord&)> on_transition;
  // A job of many input files: each file's change of state (file_set_run.h), likewise.
  std::function<void(const BatchJobRecord&, const BatchJobFile&)> on_file;
  // A server's job whose source is a glob or a prefix watches it (SPEC §5): how long between
  // two listings.
  std::chrono::milliseconds watch_interval{10000};
};

// The embedded platform on `home` ($STRM_HOME). Destroying it cancels the jobs it runs and
// waits for them to stop.
Result<std::unique_ptr<Platform>> OpenLocalPlatform(const std::string& home,
                                                    const LocalPlatformOptions& options = {});

// Names are 4–100 printable ASCII characters without '/' (SPEC §1).
Status ValidateEntityName(std::string_view kind, std::string_view name);

}  // namespace strm
