// Data contracts: a schema plus which fields are personal data, at which purpose level, and
// which field keys the encryption (the data subject). Referenced as handle/name/version.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"
#include "privacy/schema.h"

namespace strm {

struct ContractRef {
  std::string handle, name, version;  // version is MAJOR.MINOR.PATCH

  // Parses "handle/name/version"; errors say what is wrong.
  static Result<ContractRef> Parse(std::string_view text);
  std::string ToString() const;  // "handle/name/version"
  bool operator==(const ContractRef&) const = default;
  auto operator<=>(const ContractRef&) const = default;
};

struct RegexValidation {
  std::string field;  // a field path
  std::string regex;  // RE2 syntax (compatible with the common subset of Java's)
  bool operator==(const RegexValidation&) const = default;
};

struct DataContract {
  ContractRef ref;
  SimpleSchema schema;
  std::string key_field;                  // a field path; its value chooses the key
  std::map<std::string, int> pii_fields;  // field path -> purpose level (>= 0)
  std::vector<RegexValidation> validations;
  std::string data_subject_field;
  bool is_public = false;
  bool operator==(const DataContract&) const = default;
};

// Builds a contract from a contract definition (the STRM contract JSON: keyField/key_field,
// piiFields/pii_fields, fieldMetadata/field_metadata (wins over piiFields when it has
// entries), validations, dataSubjectField, isPublic; unknown keys are errors naming the key
// and the line; the other members of STRM's DataContract message (id, ref, state, metadata,
// project_id, schema) are accepted and ignored, as STRM's CLI overrides them) and a
// schema. Checks that every referenced field is a leaf of the schema, that levels are >= 0,
// that validation types are "regex" and that regexes compile. Errors name the contract
// ("contract h/n/1.0.0: key field 'UserNme' is not in the schema").
Result<DataContract> MakeDataContract(const ContractRef& ref, SimpleSchema schema,
                                      std::string_view contract_definition_json);

// The JSON form of a whole contract, and back: {ref{handle, name, version}, schema
// (SchemaToJson), key_field, pii_fields, validations[{field, type: "regex", value}],
// data_subject_field, is_public}, every member always present. The catalog stores it, and it
// is the entity's form for the CLI and the API (platform/entity_json.h). ContractFromJson
// re-runs MakeDataContract's checks; its errors name the member ("data contract JSON line 3:
// unknown key 'extra' in data contract JSON"); ContractFromJson(ContractToJson(c)) == c.
nlohmann::json ContractToJson(const DataContract& c);
Result<DataContract> ContractFromJson(const nlohmann::json& j);

}  // namespace strm
