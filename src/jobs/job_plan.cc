#include "jobs/job_plan.h"

#include <map>

#include "formats/charset.h"
#include "formats/csv_writer.h"

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

bool MatchesFieldPattern(std::string_view pattern, std::string_view name) {
  // Iterative glob with backtracking to the last '*'.
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

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
        for (const auto& pattern : patterns) {
          bool any = false;
          for (const auto& f : Leaves(contract.schema))
            any = any || MatchesFieldPattern(pattern, f.path);
          if (!any)
            return InvalidArgument(where + ".masked_fields: pattern '" + pattern +
                                   "' matches no field of contract " + ref);
        }
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

  for (const DerivedDataConfig& d : config.derived_data) {
    DerivedPlan dp;
    dp.purpose = d.purpose;
    const MaskedFieldsConfig* masks = MasksFor(config, d);
    const std::vector<std::string>* patterns = nullptr;
    if (masks) {
      auto it = masks->field_patterns.find(plan.contract_ref);
      if (it != masks->field_patterns.end()) patterns = &it->second;
    }
    for (const OutputColumn& c : plan.columns) {
      dp.decrypt.push_back(c.pii_level >= 0 && dp.purpose.DecryptsField(c.pii_level));
      bool mask = false;
      std::string path(c.name);
      for (char& ch : path)
        if (ch == '.') ch = '/';
      if (patterns)
        for (const auto& p : *patterns) mask = mask || MatchesFieldPattern(p, path);
      dp.mask.push_back(mask);
    }
    if (masks) dp.masker.emplace(masks->hash_type, masks->seed);
    plan.derived.push_back(std::move(dp));
  }

  std::vector<std::string_view> names;
  for (const OutputColumn& c : plan.columns) names.push_back(c.name);
  for (std::string_view m : kMetaColumns) names.push_back(m);
  AppendCsvRecord(plan.output_header, names);
  return plan;
}

}  // namespace strm
