// A batch job's configuration: the STRM job file (SPEC §2), loaded unchanged. Keys may be
// snake_case or lowerCamelCase, enums names or numbers, `billing_id` is accepted anywhere
// and ignored, `null` is absent; unknown keys are errors that name the key and the line.
// The canonical form written back (ToJson) uses snake_case and enum names.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"
#include "formats/csv_reader.h"
#include "privacy/consent.h"
#include "privacy/contract.h"
#include "privacy/masking.h"

namespace strm {

// Where a job reads from or writes to: a data connector and an object in it.
struct DataLocation {
  std::string connector;          // data_connector_ref.name
  std::string path_prefix;        // optional; joined to file_name with '/'
  std::string file_name;          // an object name; for sources also a glob ("*.csv")
  std::string charset = "UTF-8";  // data_type.csv.charset
  bool operator==(const DataLocation&) const = default;
};

struct TimestampConfig {
  std::string field;
  std::string format;
  std::string default_zone = "UTC";  // default_time_zone.id
  bool operator==(const TimestampConfig&) const = default;
};

struct MaskedFieldsConfig {
  HashType hash_type = HashType::kMurmur3_128;
  std::string seed;  // empty in a file: strm stores a random one with the job
  // contract ref ("handle/name/version") -> field names or patterns with '*'
  std::map<std::string, std::vector<std::string>> field_patterns;
  bool operator==(const MaskedFieldsConfig&) const = default;
};

struct DerivedDataConfig {
  DataLocation target;
  Purpose purpose;                                  // consent_levels + consent_level_type
  std::optional<MaskedFieldsConfig> masked_fields;  // absent: the job-level masked_fields
};

enum class OnError { kFail, kSkip };

struct BatchJobConfig {
  std::string id;  // a UUIDv4 given by strm; a file may carry one (ref.id)
  DataLocation source;
  ConsentConfig consent;
  TimestampConfig timestamp;
  std::string batch_job_group_id;  // empty: keys are per job
  ContractRef contract;            // event_contract_ref
  DataLocation encrypted_data;
  DataLocation encryption_keys_data;
  std::vector<DerivedDataConfig> derived_data;
  std::optional<MaskedFieldsConfig> masked_fields;  // job level, for derived outputs
  OnError on_error = OnError::kFail;
  // Where rejected rows go with on_error SKIP (rejected_data.target); absent: next to the
  // encrypted data, named "<encrypted stem>-rejected.csv".
  std::optional<DataLocation> rejected_data;
  // The longest record (CSV row, without its line end) the job accepts, 1 B to 1 GiB; a
  // longer one is an error that names the row and the limit.
  uint64_t max_record_bytes = kDefaultMaxRecordBytes;
};

inline constexpr uint64_t kMaxMaxRecordBytes = uint64_t{1} << 30;

// Parses a job file. `source_name` names the file in messages. Checks what can be checked
// without the catalog: required members, levels >= 0, purposes valid, file names present,
// on_error "FAIL" or "SKIP".
Result<BatchJobConfig> ParseBatchJobConfig(std::string_view json, std::string source_name);

// The canonical JSON form (snake_case, enum names). Seeds are written as they are: callers
// that show a job to a user replace them with "****" (see RedactSecrets).
nlohmann::json BatchJobConfigToJson(const BatchJobConfig& config);

// A copy with every masking seed replaced by "****".
BatchJobConfig RedactSecrets(BatchJobConfig config);

// The rejected-rows location for a config (rejected_data or its default).
DataLocation RejectedLocation(const BatchJobConfig& config);

}  // namespace strm
