// Platform: the verbs of strm (SPEC §5), the one seam behind every front end. The CLI talks
// to a Platform; LocalPlatform does the work in process on the embedded catalog (a server
// will wrap the same LocalPlatform; a RemotePlatform will talk to that server). Entity rules
// live behind this interface only.
#pragma once

#include <atomic>
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

struct CreateBatchJobOptions {
  int threads = 0;  // worker threads; <= 0: the number of cores
  std::function<void(const JobProgress&)> on_progress;
  const std::atomic<bool>* cancel = nullptr;  // see JobRunOptions::cancel
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

  // Creates a batch job from a job file and runs it to its end (embedded mode). An invalid
  // job file is an error and creates nothing; a job that fails while running is stored with
  // state ERROR and its message, and is returned as an error.
  virtual Result<BatchJobRecord> CreateBatchJob(std::string_view job_json, std::string source_name,
                                                const CreateBatchJobOptions& options) = 0;
  virtual Result<BatchJobRecord> GetBatchJob(std::string_view id) = 0;
  virtual Result<std::vector<BatchJobRecord>> ListBatchJobs() = 0;
  virtual Status DeleteBatchJob(std::string_view id) = 0;
  // The first `rows` rows of the job's input and of each output that exists (encrypted,
  // derived in order, keys), for a side-by-side look.
  virtual Result<std::vector<CsvPreview>> PreviewBatchJob(std::string_view id, size_t rows) = 0;
};

// The embedded platform on `home` ($STRM_HOME).
Result<std::unique_ptr<Platform>> OpenLocalPlatform(const std::string& home);

// Names are 4–100 printable ASCII characters without '/' (SPEC §1).
Status ValidateEntityName(std::string_view kind, std::string_view name);

}  // namespace strm
