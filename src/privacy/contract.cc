#include "privacy/contract.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <set>

#include <nlohmann/json.hpp>

#include "core/json_document.h"

namespace strm {
namespace {

using nlohmann::json;

bool IsVersion(std::string_view v) {
  int parts = 0;
  while (true) {
    const size_t dot = v.find('.');
    const std::string_view part = v.substr(0, dot);
    if (part.empty() ||
        !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    v.remove_prefix(dot + 1);
  }
  return parts == 3;
}

// A purpose level: an int32, or its decimal string (protobuf's JSON mapping allows both).
Result<int> ReadLevel(const json& v) {
  int64_t n = 0;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > INT_MAX) {
      return InvalidArgument("is out of range");
    }
    n = v.get<int64_t>();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    const size_t sign = !s.empty() && s[0] == '-' ? 1 : 0;
    if (s.size() == sign || s.size() > 12 ||
        !std::all_of(s.begin() + sign, s.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return InvalidArgument("must be an integer");
    }
    n = std::stoll(s);
  } else {
    return InvalidArgument("must be an integer");
  }
  if (n < INT_MIN || n > INT_MAX) return InvalidArgument("is out of range");
  return static_cast<int>(n);
}

Status ReadPiiFields(const JsonDocument& doc, JsonObjectReader& r,
                     std::map<std::string, int>* out) {
  const json* pii = r.Get("pii_fields");
  if (pii == nullptr) return Status::Ok();
  if (!pii->is_object()) return r.ErrorAt("pii_fields", "pii_fields must be an object");
  for (const auto& [field, value] : pii->items()) {
    Result<int> level = ReadLevel(value);
    if (!level.ok()) {
      return InvalidArgument(doc.Where(r.PointerOf("pii_fields") + "/" + EscapeJsonPointer(field)) +
                             ": purpose level of PII field '" + field + "' " +
                             level.status().message());
    }
    (*out)[field] = *level;
  }
  return Status::Ok();
}

// STRM's newer form: [{field_name, personal_data_config{is_pii, purpose_level}}]. Members
// that strm does not use (quasi identifiers, statistics, null handling) are accepted.
Status ReadFieldMetadata(const JsonDocument& doc, JsonObjectReader& r, bool* present,
                         std::map<std::string, int>* out) {
  const json* list = r.Get("field_metadata");
  *present = list != nullptr && !(list->is_array() && list->empty());
  if (!*present) return Status::Ok();
  if (!list->is_array()) return r.ErrorAt("field_metadata", "field_metadata must be a list");
  std::set<std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string what = "field_metadata[" + std::to_string(i) + "]";
    JsonObjectReader e(doc, r.PointerOf("field_metadata") + "/" + std::to_string(i), what);
    STRM_RETURN_IF_ERROR(e.status());
    STRM_ASSIGN_OR_RETURN(std::string field, e.GetString("field_name"));
    if (field.empty()) return e.ErrorAt("field_name", "missing field_name in " + what);
    bool is_pii = false;
    int64_t level = 0;
    if (e.Get("personal_data_config") != nullptr) {
      JsonObjectReader p(doc, e.PointerOf("personal_data_config"),
                         "personal_data_config of '" + field + "'");
      STRM_RETURN_IF_ERROR(p.status());
      STRM_ASSIGN_OR_RETURN(is_pii, p.GetBool("is_pii"));
      STRM_ASSIGN_OR_RETURN(level, p.GetInt("purpose_level"));
      if (level < INT_MIN || level > INT_MAX) {
        return p.ErrorAt("purpose_level",
                         "purpose level of PII field '" + field + "' is out of range");
      }
      STRM_RETURN_IF_ERROR(p.Finish({"is_quasi_id", "gdpr_special_personal_data_type"}));
    }
    STRM_RETURN_IF_ERROR(
        e.Finish({"statistical_data_type", "ordinal_values", "null_handling_config"}));
    if (!seen.insert(field).second) {
      return e.ErrorAt("field_name", "duplicate field '" + field + "' in field_metadata");
    }
    if (is_pii) (*out)[field] = static_cast<int>(level);
  }
  return Status::Ok();
}

Status ReadValidations(const JsonDocument& doc, JsonObjectReader& r,
                       std::vector<RegexValidation>* out) {
  const json* list = r.Get("validations");
  if (list == nullptr) return Status::Ok();
  if (!list->is_array()) return r.ErrorAt("validations", "validations must be a list");
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string what = "validations[" + std::to_string(i) + "]";
    JsonObjectReader e(doc, r.PointerOf("validations") + "/" + std::to_string(i), what);
    STRM_RETURN_IF_ERROR(e.status());
    RegexValidation v;
    STRM_ASSIGN_OR_RETURN(v.field, e.GetString("field"));
    if (v.field.empty()) return e.ErrorAt("field", "missing field in " + what);
    STRM_ASSIGN_OR_RETURN(std::string type, e.GetString("type"));
    std::string lower = type;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "regex") {
      return e.ErrorAt("type", "validation of field '" + v.field + "' has unsupported type '" +
                                   type + "' (expected regex)");
    }
    STRM_ASSIGN_OR_RETURN(v.regex, e.GetString("value"));
    STRM_RETURN_IF_ERROR(e.Finish());
    out->push_back(std::move(v));
  }
  return Status::Ok();
}

// The members shared by the contract definition and the catalog form.
Status ReadDefinition(const JsonDocument& doc, JsonObjectReader& r, DataContract* c) {
  STRM_RETURN_IF_ERROR(r.status());
  STRM_ASSIGN_OR_RETURN(c->key_field, r.GetString("key_field"));
  std::map<std::string, int> pii, metadata;
  STRM_RETURN_IF_ERROR(ReadPiiFields(doc, r, &pii));
  bool has_metadata = false;
  STRM_RETURN_IF_ERROR(ReadFieldMetadata(doc, r, &has_metadata, &metadata));
  // An empty field_metadata (as STRM prints for old contracts) must not drop the PII.
  c->pii_fields = has_metadata ? std::move(metadata) : std::move(pii);
  STRM_RETURN_IF_ERROR(ReadValidations(doc, r, &c->validations));
  STRM_ASSIGN_OR_RETURN(c->data_subject_field, r.GetString("data_subject_field"));
  STRM_ASSIGN_OR_RETURN(c->is_public, r.GetBool("is_public"));
  return Status::Ok();
}

void CollectNodePaths(const std::vector<SchemaNode>& nodes, const std::string& prefix,
                      std::set<std::string>* out) {
  for (const SchemaNode& n : nodes) {
    if (n.type != FieldType::kNode) continue;
    const std::string path = prefix.empty() ? n.name : prefix + "/" + n.name;
    out->insert(path);
    CollectNodePaths(n.nodes, path, out);
  }
}

// The semantic checks, for definitions and for the catalog form alike.
Status CheckContract(const DataContract& c) {
  const std::string where = "contract " + c.ref.ToString() + ": ";
  std::set<std::string> leaves, nodes;
  for (const SchemaField& f : Leaves(c.schema)) leaves.insert(f.path);
  CollectNodePaths(c.schema.nodes, "", &nodes);
  auto check_field = [&](const std::string& role, const std::string& field) -> Status {
    if (leaves.contains(field)) return Status::Ok();
    if (nodes.contains(field)) {
      return InvalidArgument(where + role + " '" + field + "' is a NODE, not a field");
    }
    return InvalidArgument(where + role + " '" + field + "' is not in the schema");
  };

  if (c.key_field.empty()) return InvalidArgument(where + "missing key_field");
  STRM_RETURN_IF_ERROR(check_field("key field", c.key_field));
  for (const auto& [field, level] : c.pii_fields) {
    STRM_RETURN_IF_ERROR(check_field("PII field", field));
    if (level < 0) {
      return InvalidArgument(where + "PII field '" + field + "' has negative purpose level " +
                             std::to_string(level));
    }
  }
  for (const RegexValidation& v : c.validations) {
    STRM_RETURN_IF_ERROR(check_field("validation field", v.field));
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(v.regex, options);
    if (!re.ok()) {
      return InvalidArgument(where + "invalid regex '" + v.regex + "' for field '" + v.field +
                             "': " + re.error());
    }
  }
  if (!c.data_subject_field.empty()) {
    STRM_RETURN_IF_ERROR(check_field("data subject field", c.data_subject_field));
  }
  return Status::Ok();
}

}  // namespace

Result<ContractRef> ContractRef::Parse(std::string_view text) {
  const std::string prefix = "invalid contract ref '" + std::string(text) + "': ";
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 3) {
    return InvalidArgument(prefix + "expected handle/name/version, got " +
                           std::to_string(parts.size()) + " part" + (parts.size() == 1 ? "" : "s"));
  }
  if (parts[0].empty()) return InvalidArgument(prefix + "empty handle");
  if (parts[1].empty()) return InvalidArgument(prefix + "empty name");
  if (parts[2].empty()) return InvalidArgument(prefix + "empty version");
  if (!IsVersion(parts[2])) {
    return InvalidArgument(prefix + "version '" + parts[2] + "' is not MAJOR.MINOR.PATCH");
  }
  return ContractRef{parts[0], parts[1], parts[2]};
}

std::string ContractRef::ToString() const { return handle + "/" + name + "/" + version; }

Result<DataContract> MakeDataContract(const ContractRef& ref, SimpleSchema schema,
                                      std::string_view contract_definition_json) {
  DataContract c;
  c.ref = ref;
  c.schema = std::move(schema);
  STRM_ASSIGN_OR_RETURN(JsonDocument doc,
                        ParseJsonDocument(contract_definition_json, "contract " + ref.ToString()));
  JsonObjectReader r(doc, "", "contract definition");
  STRM_RETURN_IF_ERROR(ReadDefinition(doc, r, &c));
  STRM_RETURN_IF_ERROR(r.Finish({"id", "ref", "state", "metadata", "project_id", "schema"}));
  STRM_RETURN_IF_ERROR(CheckContract(c));
  return c;
}

json ContractToJson(const DataContract& c) {
  json validations = json::array();
  for (const RegexValidation& v : c.validations) {
    validations.push_back({{"field", v.field}, {"type", "regex"}, {"value", v.regex}});
  }
  json pii = json::object();
  for (const auto& [field, level] : c.pii_fields) pii[field] = level;
  return {
      {"ref", {{"handle", c.ref.handle}, {"name", c.ref.name}, {"version", c.ref.version}}},
      {"schema", SchemaToJson(c.schema)},
      {"key_field", c.key_field},
      {"pii_fields", std::move(pii)},
      {"validations", std::move(validations)},
      {"data_subject_field", c.data_subject_field},
      {"is_public", c.is_public},
  };
}

Result<DataContract> ContractFromJson(const json& j) {
  STRM_ASSIGN_OR_RETURN(JsonDocument doc, ParseJsonDocument(j.dump(2), "data contract JSON"));
  JsonObjectReader r(doc, "", "data contract JSON");
  STRM_RETURN_IF_ERROR(r.status());
  DataContract c;

  if (r.Get("ref") == nullptr) return r.ErrorAt("ref", "missing ref");
  JsonObjectReader ref(doc, r.PointerOf("ref"), "ref");
  STRM_RETURN_IF_ERROR(ref.status());
  STRM_ASSIGN_OR_RETURN(std::string handle, ref.GetString("handle"));
  STRM_ASSIGN_OR_RETURN(std::string name, ref.GetString("name"));
  STRM_ASSIGN_OR_RETURN(std::string version, ref.GetString("version"));
  STRM_RETURN_IF_ERROR(ref.Finish());
  Result<ContractRef> parsed = ContractRef::Parse(handle + "/" + name + "/" + version);
  if (!parsed.ok()) return parsed.status().WithContext(doc.Where(r.PointerOf("ref")));
  c.ref = *parsed;

  const json* schema = r.Get("schema");
  if (schema == nullptr) return r.ErrorAt("schema", "missing schema");
  Result<SimpleSchema> s = ParseSimpleSchema(schema->dump());
  if (!s.ok()) return s.status().WithContext(doc.Where(r.PointerOf("schema")));
  c.schema = *std::move(s);

  STRM_RETURN_IF_ERROR(ReadDefinition(doc, r, &c));
  STRM_RETURN_IF_ERROR(r.Finish());
  STRM_RETURN_IF_ERROR(CheckContract(c));
  return c;
}

}  // namespace strm
