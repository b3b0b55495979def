#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "core/bytes.h"
#include "jobs/batch_job_config.h"
#include "jobs/job_plan.h"
#include "platform/connector_store.h"
#include "platform/platform.h"
#include "platform/process_identity.h"
#include "platform/progress_recorder.h"
#include "storage/local_store.h"

namespace strm {
namespace {

// The connectors a job uses, each once, in the order of the job file.
std::vector<std::string> ConnectorsOf(const BatchJobConfig& c) {
  std::vector<std::string> unique{c.source.connector};
  for (const JobOutput& o : JobOutputs(c))
    if (std::find(unique.begin(), unique.end(), o.location.connector) == unique.end())
      unique.push_back(o.location.connector);
  return unique;
}

// Writes an empty `.strm_test_<uuid>.jsonl` at the connector's root, then deletes it.
Status CheckAccess(ObjectStore& store, std::string_view connector) {
  std::string key = ".strm_test_" + NewUuidV4() + ".jsonl";
  auto out = store.OpenWrite(key);
  if (!out.ok())
    return PermissionDenied("data connector '" + std::string(connector) +
                            "': cannot write a test object: " + out.status().message());
  if (Status s = (*out)->Commit(); !s.ok())
    return PermissionDenied("data connector '" + std::string(connector) +
                            "': cannot write a test object: " + s.message());
  // Deleting needs a permission a write-only connector may lack (SPEC §1: deleted "where
  // the credentials allow"): the empty test object then stays, and the check still passes.
  (void)store.Delete(key);
  return Status::Ok();
}

class LocalPlatform final : public Platform {
 public:
  explicit LocalPlatform(std::unique_ptr<Catalog> catalog) : catalog_(std::move(catalog)) {}

  Result<DataConnector> CreateDataConnector(DataConnector c) override {
    STRM_RETURN_IF_ERROR(ValidateEntityName("data connector", c.name));
    if (catalog_->GetDataConnector(c.name).ok())
      return AlreadyExists("data connector '" + c.name + "' already exists");
    STRM_ASSIGN_OR_RETURN(auto store, OpenConnectorStore(c));
    STRM_RETURN_IF_ERROR(CheckAccess(*store, c.name));
    c.created_at = NowMillis();
    STRM_RETURN_IF_ERROR(catalog_->CreateDataConnector(c));
    return c;
  }

  Result<DataConnector> GetDataConnector(std::string_view name) override {
    return catalog_->GetDataConnector(name);
  }

  Result<std::vector<DataConnector>> ListDataConnectors() override {
    return catalog_->ListDataConnectors();
  }

  Result<std::vector<std::string>> DataConnectorDependents(std::string_view name) override {
    STRM_ASSIGN_OR_RETURN(auto jobs, catalog_->ListBatchJobs());
    std::vector<std::string> ids;
    for (const auto& j : jobs) {
      auto config = ParseBatchJobConfig(j.config.dump(), "batch job " + j.id);
      if (!config.ok()) continue;
      auto used = ConnectorsOf(*config);
      if (std::find(used.begin(), used.end(), name) != used.end()) ids.push_back(j.id);
    }
    return ids;
  }

  Status DeleteDataConnector(std::string_view name, bool recursive) override {
    STRM_RETURN_IF_ERROR(catalog_->GetDataConnector(name).status());
    STRM_ASSIGN_OR_RETURN(auto dependents, DataConnectorDependents(name));
    if (!dependents.empty() && !recursive) {
      std::string list;
      for (const auto& id : dependents) list += (list.empty() ? "" : ", ") + id;
      return FailedPrecondition("data connector '" + std::string(name) + "' is used by " +
                                std::to_string(dependents.size()) + " batch job" +
                                (dependents.size() == 1 ? "" : "s") + " (" + list +
                                "); delete them first, or use --recursive");
    }
    for (const auto& id : dependents) STRM_RETURN_IF_ERROR(catalog_->DeleteBatchJob(id));
    return catalog_->DeleteDataConnector(name);
  }

  Result<DataContract> CreateDataContract(const ContractRef& ref, std::string_view schema_text,
                                          std::string_view contract_text) override {
    STRM_ASSIGN_OR_RETURN(SimpleSchema schema, ParseSimpleSchema(schema_text));
    STRM_ASSIGN_OR_RETURN(DataContract c, MakeDataContract(ref, std::move(schema), contract_text));
    STRM_RETURN_IF_ERROR(catalog_->CreateDataContract(c));
    return c;
  }

  Result<DataContract> GetDataContract(const ContractRef& ref) override {
    return catalog_->GetDataContract(ref);
  }
  Result<std::vector<DataContract>> ListDataContracts() override {
    return catalog_->ListDataContracts();
  }
  Status DeleteDataContract(const ContractRef& ref) override {
    return catalog_->DeleteDataContract(ref);
  }

  Result<BatchJobRecord> CreateBatchJob(std::string_view job_json, std::string source_name,
                                        const CreateBatchJobOptions& options) override {
    STRM_ASSIGN_OR_RETURN(BatchJobConfig config, ParseBatchJobConfig(job_json, source_name));
    if (config.id.empty()) config.id = NewUuidV4();
    if (catalog_->GetBatchJob(config.id).ok())
      return AlreadyExists("batch job " + config.id + " already exists");
    FillSeeds(config);
    STRM_ASSIGN_OR_RETURN(DataContract contract, catalog_->GetDataContract(config.contract));
    STRM_RETURN_IF_ERROR(ValidateJob(config, contract).WithContext(source_name));
    for (const auto& name : ConnectorsOf(config)) {
      auto c = catalog_->GetDataConnector(name);
      if (!c.ok()) return c.status().WithContext(source_name);
    }

    BatchJobRecord job;
    job.id = config.id;
    job.config = BatchJobConfigToJson(config);
    job.created_at = job.updated_at = NowMillis();
    // While the job is not finished, its stats name the process that runs it.
    const nlohmann::json runner = {{"runner", CurrentProcess().ToJson()}};
    job.stats = runner;
    STRM_RETURN_IF_ERROR(catalog_->CreateBatchJob(job));

    // STARTED: no two outputs are one object, and every connector can be written to.
    std::map<std::string, std::shared_ptr<ObjectStore>> stores;
    StoreResolver resolver =
        [&stores](const std::string& name) -> Result<std::shared_ptr<ObjectStore>> {
      auto it = stores.find(name);
      if (it == stores.end()) return NotFound("data connector '" + name + "' does not exist");
      return it->second;
    };
    Status started = OpenStores(ConnectorsOf(config), stores);
    if (started.ok()) started = CheckJobLocations(config, resolver);
    for (const auto& [name, store] : stores)
      if (started.ok()) started = CheckAccess(*store, name);
    if (!started.ok()) return Fail(job.id, JobState::kErrorStarting, started);
    STRM_RETURN_IF_ERROR(catalog_->UpdateBatchJob(job.id, JobState::kStarted, "", runner));
    STRM_RETURN_IF_ERROR(catalog_->UpdateBatchJob(job.id, JobState::kRunning, "", runner));

    // While it runs, the job's record shows its progress, updated about once a second.
    std::optional<ProgressRecorder> recorder(
        std::in_place,
        [&](const JobProgress& p) {
          nlohmann::json stats = ProgressStats(p);
          stats.update(runner);
          (void)catalog_->UpdateBatchJob(job.id, JobState::kRunning, "", stats);
        },
        std::chrono::seconds(1));
    JobRunOptions run;
    run.threads = options.threads;
    run.cancel = options.cancel;
    run.on_progress = [&](const JobProgress& p) {
      if (options.on_progress) options.on_progress(p);
      recorder->Offer(p);
    };
    auto outcome = RunBatchJob(config, contract, *catalog_, resolver, run);
    recorder.reset();  // no RUNNING record after the final one
    if (!outcome.ok())
      return Fail(job.id,
                  outcome.status().code() == StatusCode::kCancelled ? JobState::kCancelled
                                                                    : JobState::kError,
                  outcome.status());
    nlohmann::json stats = {{"rows", outcome->rows},   {"rejected_rows", outcome->rejected},
                            {"bytes", outcome->bytes}, {"keys", outcome->keys},
                            {"files", outcome->files}, {"seconds", outcome->seconds}};
    stats["rows_per_second"] =
        outcome->seconds > 0 ? static_cast<double>(outcome->rows) / outcome->seconds : 0.0;
    STRM_RETURN_IF_ERROR(
        catalog_->UpdateBatchJob(job.id, JobState::kFinished, FinishedMessage(*outcome), stats));
    return catalog_->GetBatchJob(job.id);
  }

  Result<BatchJobRecord> GetBatchJob(std::string_view id) override {
    STRM_ASSIGN_OR_RETURN(BatchJobRecord job, catalog_->GetBatchJob(id));
    STRM_RETURN_IF_ERROR(MarkOrphaned(job));
    return job;
  }
  Result<std::vector<BatchJobRecord>> ListBatchJobs() override {
    STRM_ASSIGN_OR_RETURN(auto jobs, catalog_->ListBatchJobs());
    for (auto& job : jobs) STRM_RETURN_IF_ERROR(MarkOrphaned(job));
    return jobs;
  }
  Status DeleteBatchJob(std::string_view id) override { return catalog_->DeleteBatchJob(id); }

  Result<std::vector<CsvPreview>> PreviewBatchJob(std::string_view id, size_t rows) override {
    STRM_ASSIGN_OR_RETURN(BatchJobRecord job, catalog_->GetBatchJob(id));
    STRM_ASSIGN_OR_RETURN(BatchJobConfig config,
                          ParseBatchJobConfig(job.config.dump(), "batch job " + job.id));
    std::vector<std::pair<std::string, DataLocation>> parts;
    if (!HasInputPattern(config.source)) parts.emplace_back("input", config.source);
    parts.emplace_back("encrypted_data", config.encrypted_data);
    for (size_t i = 0; i < config.derived_data.size(); ++i)
      parts.emplace_back("derived_data[" + std::to_string(i) + "]", config.derived_data[i].target);
    parts.emplace_back("encryption_keys_data", config.encryption_keys_data);
    std::vector<CsvPreview> out;
    for (const auto& [what, loc] : parts) {
      STRM_ASSIGN_OR_RETURN(DataConnector c, catalog_->GetDataConnector(loc.connector));
      STRM_ASSIGN_OR_RETURN(auto store, OpenConnectorStore(c));
      std::string key = JoinKey(loc.path_prefix, loc.file_name);
      auto p = ReadCsvPreview(*store, key, loc.charset, rows, what + " (" + key + ")");
      if (p.status().code() == StatusCode::kNotFound) continue;  // not written (yet)
      if (!p.ok()) return p.status();
      out.push_back(std::move(p).value());
    }
    return out;
  }

 private:
  // A job left unfinished by a process that no longer exists will never finish: record it
  // as ERROR (once), so that it is not shown as RUNNING forever.
  Status MarkOrphaned(BatchJobRecord& job) {
    if (IsFinal(job.state) || !job.stats.contains("runner")) return Status::Ok();
    ProcessIdentity runner = ProcessIdentity::FromJson(job.stats["runner"]);
    if (MayBeAlive(runner)) return Status::Ok();
    job.state = JobState::kError;
    job.message = "the strm process that ran this job (pid " + std::to_string(runner.pid) +
                  ") ended before the job finished";
    return catalog_->UpdateBatchJob(job.id, job.state, job.message, job.stats);
  }

  static nlohmann::json ProgressStats(const JobProgress& p) {
    return {{"rows", p.rows},
            {"bytes", p.bytes},
            {"seconds", p.seconds},
            {"rows_per_second", p.seconds > 0 ? static_cast<double>(p.rows) / p.seconds : 0.0}};
  }

  // Masks need a seed; a job file without one gets a random seed, stored with the job.
  static void FillSeeds(BatchJobConfig& config) {
    auto fill = [](std::optional<MaskedFieldsConfig>& m) {
      if (m && m->seed.empty()) m->seed = HexEncode(SecureRandomBytes(16));
    };
    fill(config.masked_fields);
    for (auto& d : config.derived_data) fill(d.masked_fields);
  }

  Status OpenStores(const std::vector<std::string>& names,
                    std::map<std::string, std::shared_ptr<ObjectStore>>& stores) {
    for (const std::string& name : names) {
      STRM_ASSIGN_OR_RETURN(DataConnector c, catalog_->GetDataConnector(name));
      STRM_ASSIGN_OR_RETURN(stores[name], OpenConnectorStore(c));
    }
    return Status::Ok();
  }

  Status Fail(const std::string& id, JobState state, const Status& cause) {
    (void)catalog_->UpdateBatchJob(id, state, cause.message(), {});
    if (state == JobState::kCancelled)
      return Cancelled("batch job " + id + " was cancelled; no output was committed");
    return Status(cause.code(), "batch job " + id + " failed: " + cause.message());
  }

  std::unique_ptr<Catalog> catalog_;
};

}  // namespace

Status ValidateEntityName(std::string_view kind, std::string_view name) {
  if (name.size() < 4 || name.size() > 100)
    return InvalidArgument(std::string(kind) + " name '" + std::string(name) +
                           "' must have 4 to 100 characters");
  for (char c : name)
    if (c < 0x21 || c > 0x7e || c == '/')
      return InvalidArgument(std::string(kind) + " name '" + std::string(name) +
                             "' may hold only printable characters other than '/' and spaces");
  return Status::Ok();
}

Result<std::unique_ptr<Platform>> OpenLocalPlatform(const std::string& home) {
  STRM_ASSIGN_OR_RETURN(auto catalog, OpenSqliteCatalog(home));
  return std::unique_ptr<Platform>(new LocalPlatform(std::move(catalog)));
}

}  // namespace strm
