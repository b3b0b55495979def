// The embedded platform: entities in the catalog, batch jobs on LocalJobs. See platform.h.
#include <algorithm>
#include <chrono>

#include "jobs/batch_job_config.h"
#include "jobs/job_locations.h"
#include "platform/connector_store.h"
#include "platform/local_jobs.h"
#include "platform/local_streams.h"
#include "platform/platform.h"
#include "storage/local_store.h"

namespace strm {
namespace {

class LocalPlatform final : public Platform {
 public:
  LocalPlatform(std::unique_ptr<Catalog> catalog, const LocalPlatformOptions& options)
      : catalog_(std::move(catalog)), jobs_(*catalog_, options) {}

  Status Resume() { return jobs_.ResumeUnfinished(); }

  Result<DataConnector> CreateDataConnector(DataConnector c) override {
    STRM_RETURN_IF_ERROR(ValidateEntityName("data connector", c.name));
    if (catalog_->GetDataConnector(c.name).ok())
      return AlreadyExists("data connector '" + c.name + "' already exists");
    STRM_ASSIGN_OR_RETURN(auto store, OpenConnectorStore(c));
    STRM_RETURN_IF_ERROR(CheckConnectorAccess(*store, c.name));
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
      auto used = JobConnectors(*config);
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
    // As DeleteBatchJob: a running job is cancelled and waited for, never deleted under its
    // own feet (nor shown afterwards from the running jobs' memory).
    for (const auto& id : dependents) STRM_RETURN_IF_ERROR(jobs_.Delete(id));
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

  Result<StreamRecord> CreateStream(StreamRecord stream) override {
    return CreateStreamIn(*catalog_, std::move(stream));
  }
  Result<StreamRecord> GetStream(std::string_view name) override {
    return catalog_->GetStream(name);
  }
  Result<std::vector<StreamRecord>> ListStreams() override { return catalog_->ListStreams(); }
  Status DeleteStream(std::string_view name, bool recursive) override {
    return DeleteStreamIn(*catalog_, name, recursive);
  }
  Result<KeyStream> GetKeyStream(std::string_view name) override {
    auto s = catalog_->GetStream(name);
    if (s.status().code() == StatusCode::kNotFound)
      return NotFound("key stream " + std::string(name) + " does not exist");
    if (!s.ok()) return s.status();
    return KeyStreamOf(*s);
  }
  Result<std::vector<KeyStream>> ListKeyStreams() override {
    STRM_ASSIGN_OR_RETURN(auto all, catalog_->ListStreams());
    std::vector<KeyStream> out;
    for (const StreamRecord& s : all)
      if (s.linked_stream.empty()) out.push_back(*KeyStreamOf(s));
    return out;
  }

  Result<BatchJobRecord> SubmitBatchJob(std::string_view job_json, std::string source_name,
                                        const SubmitBatchJobOptions& options) override {
    return jobs_.Submit(job_json, std::move(source_name), options);
  }
  Result<BatchJobRecord> WatchBatchJob(std::string_view id, int64_t seen_updated_at,
                                       std::chrono::milliseconds timeout) override {
    return jobs_.Watch(id, seen_updated_at, timeout);
  }
  Status CancelBatchJob(std::string_view id) override { return jobs_.Cancel(id); }
  Result<BatchJobRecord> GetBatchJob(std::string_view id) override { return jobs_.Get(id); }
  Result<std::vector<BatchJobRecord>> ListBatchJobs() override { return jobs_.List(); }
  Status DeleteBatchJob(std::string_view id) override { return jobs_.Delete(id); }

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
  std::unique_ptr<Catalog> catalog_;
  LocalJobs jobs_;  // after the catalog it uses
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

Result<std::unique_ptr<Platform>> OpenLocalPlatform(const std::string& home,
                                                    const LocalPlatformOptions& options) {
  STRM_ASSIGN_OR_RETURN(auto catalog, OpenSqliteCatalog(home));
  auto platform = std::make_unique<LocalPlatform>(std::move(catalog), options);
  if (options.server) STRM_RETURN_IF_ERROR(platform->Resume());
  return std::unique_ptr<Platform>(std::move(platform));
}

}  // namespace strm
