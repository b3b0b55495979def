// Catalog: strm's state — data connectors, data contracts, batch jobs, the key store and the
// server's API tokens.
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

// One encryption key of the key store (SPEC §2 step 4).
struct DataKey {
  std::array<uint8_t, 16> key_link{};  // the UUIDv4's bytes
  TinkKeyset keyset;
  int64_t expires_at = 0;  // epoch ms
  std::string policy_id;
  std::string KeyLinkText() const;  // lowercase 8-4-4-4-12
};

// A new key for `day`: keyset, key id and keyLink from 84 bytes the caller drew from a secure
// random source (the key, then 4 for the key id, then 16 for the keyLink); expiry 7 years
// after the start of the day; no policy.
inline constexpr size_t kNewKeyRandomBytes = 84;
DataKey NewDataKey(std::span<const uint8_t, kNewKeyRandomBytes> random, int64_t day);

// Which key a row needs: the value of the contract's key field and the UTC day (days since
// 1970-01-01) of the row's timestamp, within a key group (batch_job_group_id or job id).
struct KeyRequest {
  std::string value;
  int64_t day = 0;
};

// Where a key request's key is stored: an HMAC under the master key of (group, day, value),
// with the group and the day, so that the catalog holds no key-field value. Opaque to callers.
struct KeyLookup {
  std::array<uint8_t, 28> bytes{};
  bool operator==(const KeyLookup&) const = default;
  auto operator<=>(const KeyLookup&) const = default;
};

// Exclusive use of one key group by one job run. While a writer is open, no other writer of
// that group exists in any thread or process sharing the catalog (OpenKeyGroup waits for
// it), so new keys are made by the caller, in memory, and stored in large batches.
//
// A caller that needs the key of a request asks, in order: its own memory (a run's KeyCache
// holds every key it used); FindStored, for keys stored before this writer opened (nothing to
// do for a group that had none, the usual case: a job's own group); and otherwise makes the key
// (NewDataKey) and hands it to AddNew. AddNew passes each full batch of new keys to a
// background thread that seals and stores it in one transaction, then checkpoints the WAL, so
// callers do not wait for the database (KeyGroupOptions); they wait only when a bounded number
// of new keys are not stored yet. Flush stores the rest, checkpoints and waits: the keys are
// then durable. Keys not flushed when the writer is destroyed are dropped, so a run flushes
// before it commits any output that uses them. While a writer is open, its catalog's
// connection does not checkpoint by itself. Thread-safe. Must not outlive its catalog.
class KeyGroupWriter {
 public:
  virtual ~KeyGroupWriter() = default;
  // The lookup of the key of `value` (a key-field value) on `day`. Pure; any thread, without
  // waiting.
  virtual KeyLookup Lookup(std::string_view value, int64_t day) const = 0;
  // Whether the group had stored keys when this writer opened: if not (a job's own group,
  // the usual case), FindStored finds nothing and need not be asked.
  virtual bool has_stored_keys() const = 0;
  // found[i] (found.size() == lookups.size()) is set to the key of lookups[i] if it was
  // stored before this writer opened, and left empty otherwise. PermissionDenied if a stored
  // key does not open.
  virtual Status FindStored(std::span<const KeyLookup> lookups,
                            std::span<std::optional<DataKey>> found) = 0;
  // Adds keys[i] as the key of lookups[i]. The caller guarantees that no lookup has a key
  // already, stored or added (a KeyCache does, under its lock); the catalog does not check.
  // Errors of a background store come back here.
  virtual Status AddNew(std::span<const KeyLookup> lookups, std::span<const DataKey> keys) = 0;
  // Stores every key added so far, and waits until they are durable. Errors of a
  // background store come back here.
  virtual Status Flush() = 0;
  virtual size_t pending() const = 0;  // keys added and not yet stored
};

struct KeyGroupOptions {
  // Full batches of new keys are stored by a background thread; false: by the AddNew call
  // that filled them (a run limited to one thread).
  bool store_in_background = true;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

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

  // The keys for `requests` within `group`, in the same order: stored keys are returned,
  // missing ones made (NewDataKey) and stored before it returns; equal requests get one key.
  // Through a key-group writer (waiting for one that is open), so concurrent callers of one
  // group agree on every key.
  virtual Result<std::vector<DataKey>> GetOrCreateKeys(std::string_view group,
                                                       const std::vector<KeyRequest>& requests) = 0;
  // See KeyGroupWriter. Waits while another writer of `group` is open.
  virtual Result<std::unique_ptr<KeyGroupWriter>> OpenKeyGroup(std::string_view group,
                                                               KeyGroupOptions options) = 0;
  Result<std::unique_ptr<KeyGroupWriter>> OpenKeyGroup(std::string_view group) {
    return OpenKeyGroup(group, KeyGroupOptions{});
  }
};

// Opens (creating if needed) the SQLite catalog `<home>/catalog.db`, with the master key
// of LoadOrCreateMasterKey(home).
Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& home);

// Midnight UTC of `day` plus 7 calendar years (Feb 29 -> Feb 28), in epoch ms.
int64_t DefaultKeyExpiry(int64_t day);

int64_t NowMillis();

}  // namespace strm
