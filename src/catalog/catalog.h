// Catalog: strm's state — data connectors, data contracts, batch jobs, streams, the key store
// (as a KeyStore, privacy/key_store.h) and the server's API tokens.
// Secrets (credentials, keysets, job configs with masking seeds) are sealed at rest with the
// master key (secret_box.h). Implementations are thread-safe and safe to share between
// processes on one $STRM_HOME (SQLite with WAL and a busy timeout).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "privacy/contract.h"
#include "privacy/key_store.h"
#include "privacy/tink_keyset.h"

namespace strm {

struct DataConnector {
  std::string name;
  std::string type;         // "local" (more with the object-store connectors)
  nlohmann::json location;  // type-specific, no secrets: {"path": "/abs/dir"} for local
  std::string credentials;  // secret; empty when the type needs none
  int64_t created_at = 0;   // epoch ms
};

enum class JobState { kPending, kStarted, kRunning, kFinished, kErrorStarting, kError, kCancelled };
// FINISHED, ERROR_STARTING, ERROR and CANCELLED: the job will not change any more.
bool IsFinal(JobState s);
std::string_view JobStateName(JobState s);  // "PENDING", ...
Result<JobState> ParseJobState(std::string_view name);

// An input file of a batch job whose source is a glob or a prefix (SPEC §5 "Watching jobs"):
// NEW when seen, PROCESSING while a run has it, then DONE or FAILED for good.
enum class JobFileState { kNew, kProcessing, kDone, kFailed };
std::string_view JobFileStateName(JobFileState s);  // "NEW", ...
Result<JobFileState> ParseJobFileState(std::string_view name);

struct BatchJobFile {
  std::string name;  // the object's name under the source's path prefix
  int64_t seq = 0;   // order of appearance within the job, from 1
  JobFileState state = JobFileState::kNew;
  std::string message;                              // what its run did, or why it failed
  nlohmann::json stats = nlohmann::json::object();  // rows, rejected_rows, keys, attempts, ...
  int64_t first_seen = 0;                           // epoch ms
  int64_t updated_at = 0;
};

struct BatchJobRecord {
  std::string id;
  nlohmann::json config;  // canonical job config, seeds included (sealed at rest)
  JobState state = JobState::kPending;
  std::string message;
  nlohmann::json stats = nlohmann::json::object();  // rows, bytes, seconds, rows_per_second
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::vector<BatchJobFile> files;  // a job of many input files: each; filled by GetBatchJob
};

// A stream (SPEC §3): a source stream, whose clients send events with its credentials, or a
// derived one (linked_stream set), which holds the events of its source that its consent
// levels allow, decrypted and masked. Every source stream has a key stream of its name.
struct StreamCredential {
  std::string client_id;      // public
  std::string client_secret;  // secret
  bool operator==(const StreamCredential&) const = default;
};

struct StreamRecord {
  std::string name;
  std::string id;  // a UUIDv4 given by strm (it names exported objects)
  std::string description;
  std::vector<std::string> tags;
  std::string linked_stream;        // derived: the source stream's name; empty: a source
  std::vector<int> consent_levels;  // derived
  std::string consent_level_type;   // derived: "CUMULATIVE" or "GRANULAR"
  std::map<std::string, std::vector<std::string>> masked_fields;  // contract ref -> fields
  std::string mask_seed;                                          // secret
  std::vector<StreamCredential> credentials;                      // a source's clients
  int64_t created_at = 0;                                         // epoch ms
  bool operator==(const StreamRecord&) const = default;
};

// A token of the server's API (platform/api_tokens.h makes and checks them). Only the SHA-256
// digest of the token's text is stored, never the text.
struct ApiToken {
  std::string id;    // unique; the token's text starts with it
  std::string name;  // what it is for, as its creator called it; not unique
  std::array<uint8_t, 32> digest{};
  int64_t created_at = 0;             // epoch ms
  std::optional<int64_t> revoked_at;  // epoch ms; absent while the token is valid
};

class Catalog : public KeyStore {
 public:
  ~Catalog() override = default;

  virtual Status CreateDataConnector(const DataConnector& c) = 0;             // AlreadyExists
  virtual Result<DataConnector> GetDataConnector(std::string_view name) = 0;  // NotFound
  virtual Result<std::vector<DataConnector>> ListDataConnectors() = 0;        // by name
  virtual Status DeleteDataConnector(std::string_view name) = 0;              // NotFound

  // The built-in contracts (privacy/builtin_contracts.h) are answered and listed as if stored;
  // creating one of their refs is AlreadyExists, deleting one FailedPrecondition.
  virtual Status CreateDataContract(const DataContract& c) = 0;  // AlreadyExists
  virtual Result<DataContract> GetDataContract(const ContractRef& ref) = 0;
  virtual Result<std::vector<DataContract>> ListDataContracts() = 0;  // by ref
  virtual Status DeleteDataContract(const ContractRef& ref) = 0;

  virtual Status CreateBatchJob(const BatchJobRecord& job) = 0;
  // Sets state, message and stats, and updated_at to now.
  virtual Status UpdateBatchJob(std::string_view id, JobState state, std::string_view message,
                                const nlohmann::json& stats) = 0;
  virtual Result<BatchJobRecord> GetBatchJob(std::string_view id) = 0;
  virtual Result<std::vector<BatchJobRecord>> ListBatchJobs() = 0;  // oldest first
  virtual Status DeleteBatchJob(std::string_view id) = 0;           // its files too

  // The input files of job `job_id` (catalog-side state of a watching job, so that each file
  // is processed once across restarts). AddBatchJobFiles records those of `names` that the job
  // does not have yet as NEW, in the order given, after the files it has; it returns them.
  virtual Result<std::vector<BatchJobFile>> AddBatchJobFiles(
      std::string_view job_id, const std::vector<std::string>& names) = 0;
  // Sets the file's state, message and stats, and its updated_at to now. NotFound.
  virtual Status UpdateBatchJobFile(std::string_view job_id, const BatchJobFile& file) = 0;
  virtual Result<std::vector<BatchJobFile>> ListBatchJobFiles(
      std::string_view job_id) = 0;  // by seq

  // Streams: the whole record sealed at rest (its secrets with it). Create: AlreadyExists, or
  // NotFound when its linked stream does not exist. Delete: NotFound, or FailedPrecondition
  // naming the derived streams of a source that has some.
  virtual Status CreateStream(const StreamRecord& stream) = 0;
  virtual Result<StreamRecord> GetStream(std::string_view name) = 0;  // NotFound
  virtual Result<std::vector<StreamRecord>> ListStreams() = 0;        // by name
  virtual Status DeleteStream(std::string_view name) = 0;

  virtual Status CreateApiToken(const ApiToken& token) = 0;       // AlreadyExists (same id)
  virtual Result<ApiToken> GetApiToken(std::string_view id) = 0;  // NotFound
  virtual Result<std::vector<ApiToken>> ListApiTokens() = 0;      // oldest first
  // Revokes the token whose id is `id_or_name`, or else the one so named, at `at` (epoch ms).
  // A token revoked already keeps its first time. NotFound when no token has that id or name;
  // FailedPrecondition, naming their ids, when several tokens have that name.
  virtual Status RevokeApiToken(std::string_view id_or_name, int64_t at) = 0;

  // The key store (privacy/key_store.h): GetOrCreateKeys and OpenKeyGroup, the keys sealed
  // at rest and found by HMAC lookups, never by key-field values.
};

// Opens (creating if needed) the SQLite catalog `<home>/catalog.db`, with the master key
// of LoadOrCreateMasterKey(home).
Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& home);

int64_t NowMillis();

}  // namespace strm
