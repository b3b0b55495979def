// JobPlan: a batch job compiled against its contract and one input file's header — which
// input column feeds each output column, which fields are PII at which level, what each
// derived output decrypts and masks. Compiling checks everything that does not depend on
// row data, so that a bad job fails before any output is written.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "core/result.h"
#include "formats/timestamp_format.h"
#include "jobs/batch_job_config.h"
#include "privacy/consent.h"
#include "privacy/contract.h"
#include "privacy/masking.h"
#include "privacy/simple_regex.h"

namespace strm {

struct OutputColumn {
  std::string name;    // CSV column ("customer.id")
  size_t input = 0;    // index in the input record
  int pii_level = -1;  // purpose level, or -1 when not personal data
};

struct DerivedPlan {
  Purpose purpose;
  std::vector<bool> decrypt;  // per output column: PII decrypted for this purpose
  std::vector<bool> mask;     // per output column: replaced by its mask when in plaintext
  std::optional<Masker> masker;
};

struct FieldValidation {
  size_t input = 0;
  std::string field;
  std::shared_ptr<const RE2> regex;
  std::optional<SimpleRegex> simple;  // the same regex without RE2, if it has that shape
};

struct JobPlan {
  std::string source_name;  // the input object, for messages
  size_t input_fields = 0;  // fields per record (the header's count)
  std::vector<OutputColumn> columns;
  size_t timestamp_input = 0;
  bool timestamp_personal = false;  // a PII field: its values never appear in messages
  size_t key_input = 0;
  std::optional<size_t> consent_input;
  std::vector<FieldValidation> validations;
  ConsentExtractor consent{ConsentConfig{}};
  std::optional<TimestampFormat> timestamp;
  std::string contract_ref;  // strmMeta.eventContractRef
  std::string key_group;     // batch_job_group_id, or the job id
  std::vector<DerivedPlan> derived;
  std::string output_header;  // the CSV header line of encrypted and derived outputs
};

// Checks a job against its contract before anything is read: the timestamp format
// compiles, the contract ref matches, masked-field patterns name this contract, derived
// purposes are valid. Errors are one sentence naming the job part.
Status ValidateJob(const BatchJobConfig& config, const DataContract& contract);

// Compiles the plan for one input file with `header`. Errors: a schema field, the
// timestamp field or the consent field missing from the header ("input.csv: column
// 'Email' of contract h/n/v is not in the header"), duplicate header columns.
Result<JobPlan> CompileJobPlan(const BatchJobConfig& config, const DataContract& contract,
                               std::span<const std::string_view> header, std::string source_name);

}  // namespace strm
