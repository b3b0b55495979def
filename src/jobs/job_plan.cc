#include "jobs/job_plan.h"

#include <map>

#include "formats/charset.h"
#include "formats/csv_writer.h"
#include "privacy/event_policy.h"

namespace strm {
namespace {

constexpr std::string_view kMetaColumns[] = {"strmMeta.eventContractRef", "strmMeta.nonce",
                                             "strmMeta.timestamp",        "strmMeta.keyLink",
                                             "strmMeta.billingId",        "strmMeta.consentLevels"};

std::string ToColumn(std::string_view path) {
  std::string c(path);
  for (char& ch : c)
    if (ch == '/') ch = '.';
  return c;
}

const MaskedFieldsConfig* MasksFor(const BatchJobConfig& config, const DerivedDataConfig& d) {
  if (d.masked_fields) return &*d.masked_fields;
  if (config.masked_fields) return &*config.masked_fields;
  return nullptr;
}

}  // namespace

Status ValidateJob(const BatchJobConfig& config, const DataContract& contract) {
  auto ts = TimestampFormat::Compile(config.timestamp.format, config.timestamp.default_zone);
  if (!ts.ok()) return ts.status().WithContext("encryption.timestamp_config");
  if (config.timestamp.field.empty())
    return InvalidArgument("encryption.timestamp_config: the timestamp field is missing");
  // Outputs are written in UTF-8 only; say so rather than mislabel the bytes.
  auto check_utf8 = [](const DataLocation& loc, const std::string& what) -> Status {
    if (IsUtf8Charset(loc.charset)) return Status::Ok();
    return InvalidArgument(what + ": output charset '" + loc.charset +
                           "' is not supported (outputs are written in UTF-8)");
  };
  STRM_RETURN_IF_ERROR(check_utf8(config.encrypted_data, "encrypted_data"));
  STRM_RETURN_IF_ERROR(check_utf8(config.encryption_keys_data, "encryption_keys_data"));
  for (size_t i = 0; i < config.derived_data.size(); ++i)
    STRM_RETURN_IF_ERROR(
        check_utf8(config.derived_data[i].target, "derived_data[" + std::to_string(i) + "]"));
  std::string ref = contract.ref.ToString();
  for (size_t i = 0; i < config.derived_data.size(); ++i) {
    const DerivedDataConfig& d = config.derived_data[i];
    std::string where = "derived_data[" + std::to_string(i) + "]";
    STRM_RETURN_IF_ERROR(d.purpose.Validate().WithContext(where));
    if (const MaskedFieldsConfig* m = MasksFor(config, d)) {
      for (const auto& [contract_ref, patterns] : m->field_patterns) {
        if (contract_ref != ref)
          return InvalidArgument(where + ".masked_fields names contract " + contract_ref +
                                 ", but the job uses " + ref);
        STRM_RETURN_IF_ERROR(CheckMaskPatterns(contract, patterns, where + ".masked_fields"));
      }
    }
  }
  return Status::Ok();
}

Result<JobPlan> CompileJobPlan(const BatchJobConfig& config, const DataContract& contract,
                               std::span<const std::string_view> header, std::string source_name) {
  STRM_RETURN_IF_ERROR(ValidateJob(config, contract));
  JobPlan plan;
  plan.source_name = std::move(source_name);
  plan.input_fields = header.size();
  plan.contract_ref = contract.ref.ToString();
  plan.key_group = config.batch_job_group_id.empty() ? config.id : config.batch_job_group_id;

  std::map<std::string_view, size_t> index;
  for (size_t i = 0; i < header.size(); ++i) {
    if (!index.emplace(header[i], i).second)
      return InvalidArgument(plan.source_name + ": column '" + std::string(header[i]) +
                             "' appears twice in the header");
  }
  auto find = [&](std::string_view column, std::string_view role) -> Result<size_t> {
    auto it = index.find(column);
    if (it == index.end())
      return InvalidArgument(plan.source_name + ": column '" + std::string(column) + "' " +
                             std::string(role) + " is not in the header");
    return it->second;
  };

  std::string role = "of contract " + plan.contract_ref;
  for (const SchemaField& f : Leaves(contract.schema)) {
    STRM_ASSIGN_OR_RETURN(size_t in, find(f.column, role));
    auto pii = contract.pii_fields.find(f.path);
    plan.columns.push_back({f.column, in, pii == contract.pii_fields.end() ? -1 : pii->second});
  }
  STRM_ASSIGN_OR_RETURN(plan.timestamp_input,
                        find(ToColumn(config.timestamp.field), "(the timestamp field)"));
  STRM_ASSIGN_OR_RETURN(plan.key_input, find(ToColumn(contract.key_field), "(the key field)"));
  if (config.consent.extractor_field) {
    STRM_ASSIGN_OR_RETURN(plan.consent_input, find(ToColumn(*config.consent.extractor_field),
                                                   "(the consent_level_extractor field)"));
  }
  for (const RegexValidation& v : contract.validations) {
    STRM_ASSIGN_OR_RETURN(size_t in, find(ToColumn(v.field), "(a validated field)"));
    auto re = std::make_shared<RE2>(v.regex, RE2::Quiet);
    if (!re->ok())
      return InvalidArgument("contract " + plan.contract_ref + ": invalid regex for field '" +
                             v.field + "': " + re->error());
    // RE2::Quiet leaves every option affecting matches at its default, as SimpleRegex needs.
    plan.validations.push_back({in, v.field, std::move(re), SimpleRegex::Compile(v.regex)});
  }
  // A field is personal data when the contract lists it as PII, whatever else it is.
  auto personal = [&contract](std::string_view column) {
    for (const auto& [path, level] : contract.pii_fields)
      if (ToColumn(path) == column) return true;
    return false;
  };
  plan.timestamp_personal = personal(ToColumn(config.timestamp.field));
  plan.consent =
      ConsentExtractor(config.consent, config.consent.extractor_field &&
                                           personal(ToColumn(*config.consent.extractor_field)));
  STRM_ASSIGN_OR_RETURN(
      auto ts, TimestampFormat::Compile(config.timestamp.format, config.timestamp.default_zone));
  plan.timestamp = std::move(ts);

  // What each purpose decrypts and masks comes from privacy/event_policy, as for streams; the
  // plan's columns are the schema's leaves in the same order.
  for (const DerivedDataConfig& d : config.derived_data) {
    const MaskedFieldsConfig* masks = MasksFor(config, d);
    const std::vector<std::string>* patterns = nullptr;
    std::optional<Masker> masker;
    if (masks) {
      auto it = masks->field_patterns.find(plan.contract_ref);
      if (it != masks->field_patterns.end()) patterns = &it->second;
      masker.emplace(masks->hash_type, masks->seed);
    }
    PurposePolicy policy = MakePurposePolicy(contract, d.purpose, patterns, masker);
    DerivedPlan dp;
    dp.purpose = d.purpose;
    for (const PurposeField& f : policy.fields) {
      dp.decrypt.push_back(f.pii_level >= 0 && f.output != FieldOutput::kAsStored);
      dp.mask.push_back(f.output == FieldOutput::kMaskOfPlaintext);
    }
    dp.masker = std::move(masker);
    plan.derived.push_back(std::move(dp));
  }

  std::vector<std::string_view> names;
  for (const OutputColumn& c : plan.columns) names.push_back(c.name);
  for (std::string_view m : kMetaColumns) names.push_back(m);
  AppendCsvRecord(plan.output_header, names);
  return plan;
}

}  // namespace strm
