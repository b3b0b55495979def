// Catalog: strm's state — data connectors, data contracts, batch jobs and the key store.
// Secrets (credentials, keysets, job configs with masking seeds) are sealed at rest with the
// master key (secret_box.h). Implementations are thread-safe and safe to share between
// processes on one $STRM_HOME (SQLite with WAL and a busy timeout).
#pragma once

#include <cstdint>
#include <memory>
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

struct BatchJobRecord {
  std::string id;
  nlohmann::json config;  // canonical job config, seeds included (sealed at rest)
  JobState state = JobState::kPending;
  std::string message;
  nlohmann::json stats = nlohmann::json::object();  // rows, bytes, seconds, rows_per_second
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// One encryption key of the key store (SPEC §2 step 4).
struct DataKey {
  std::string key_link;  // UUIDv4
  TinkKeyset keyset;
  int64_t expires_at = 0;  // epoch ms
  std::string policy_id;
};

// Which key a row needs: the value of the contract's key field and the UTC day (days since
// 1970-01-01) of the row's timestamp, within a key group (batch_job_group_id or job id).
struct KeyRequest {
  std::string value;
  int64_t day = 0;
};

// Exclusive use of one key group by one job run. While a writer is open, no other writer of
// that group exists in any thread or process sharing the catalog (OpenKeyGroup waits for
// it), so keys can be created in memory and stored in large batches: random inserts into
// the key store's B-tree cost a page write each when stored one transaction at a time.
// GetOrCreate hands each full batch of new keys to a background thread that seals and
// stores it (one transaction), then checkpoints the WAL, so callers do not wait for the
// database (KeyGroupOptions); they wait only when a bounded number of new keys are pending
// behind a batch being stored. Flush stores the rest, checkpoints and waits: the keys are
// then durable. Keys not flushed when the writer is destroyed may be dropped, so a run
// flushes before it commits any output that uses them. While a writer is open, its
// catalog's connection does not checkpoint by itself. Thread-safe. Must not outlive its
// catalog.
class KeyGroupWriter {
 public:
  virtual ~KeyGroupWriter() = default;
  // The keys for `requests`, in order: stored or pending keys are returned, missing ones
  // created (random keyset and keyLink, expiry 7 years after the start of the day) and
  // kept pending. Equal requests get the same key; so do concurrent calls.
  virtual Result<std::vector<DataKey>> GetOrCreate(const std::vector<KeyRequest>& requests) = 0;
  // Stores every key created so far, and waits until they are stored. Errors of a
  // background store come back here (and from the next GetOrCreate).
  virtual Status Flush() = 0;
  virtual size_t pending() const = 0;  // keys created and not yet stored
};

struct KeyGroupOptions {
  // Full batches of new keys are stored by a background thread; false: by the GetOrCreate
  // call that filled them (a run limited to one thread).
  bool store_in_background = true;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  virtual Status CreateDataConnector(const DataConnector& c) = 0;             // AlreadyExists
  virtual Result<DataConnector> GetDataConnector(std::string_view name) = 0;  // NotFound
  virtual Result<std::vector<DataConnector>> ListDataConnectors() = 0;        // by name
  virtual Status DeleteDataConnector(std::string_view name) = 0;              // NotFound

  virtual Status CreateDataContract(const DataContract& c) = 0;  // AlreadyExists
  virtual Result<DataContract> GetDataContract(const ContractRef& ref) = 0;
  virtual Result<std::vector<DataContract>> ListDataContracts() = 0;
  virtual Status DeleteDataContract(const ContractRef& ref) = 0;

  virtual Status CreateBatchJob(const BatchJobRecord& job) = 0;
  // Sets state, message and stats, and updated_at to now.
  virtual Status UpdateBatchJob(std::string_view id, JobState state, std::string_view message,
                                const nlohmann::json& stats) = 0;
  virtual Result<BatchJobRecord> GetBatchJob(std::string_view id) = 0;
  virtual Result<std::vector<BatchJobRecord>> ListBatchJobs() = 0;  // oldest first
  virtual Status DeleteBatchJob(std::string_view id) = 0;

  // The keys for `requests` within `group`, in the same order: existing keys are returned,
  // missing ones created (random keyset and keyLink, expiry 7 years after the start of the
  // day) — all in one transaction, so concurrent jobs of one group agree on every key.
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
