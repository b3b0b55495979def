#include "jobs/batch_job_config.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <initializer_list>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/json_document.h"

namespace strm {
namespace {

using nlohmann::json;
using Members = std::initializer_list<std::string_view>;

const std::set<std::string> kIgnored = {"billing_id"};  // deprecated in STRM, accepted anywhere

// Names objects in messages: "encrypted_data.target", "derived_data[0].target".
std::string Join(const std::string& parent, std::string_view child) {
  return parent.empty() ? std::string(child) : parent + "." + std::string(child);
}

// "job.json line 4: missing 'file_name' in encrypted_data.target" (at the parent's line).
Status Missing(const JsonObjectReader& r, std::string_view name, const std::string& what) {
  return r.ErrorAt(name,
                   "missing '" + std::string(name) + "'" + (what.empty() ? "" : " in " + what));
}

std::string Quoted(std::string_view name, const std::string& what) {
  return "'" + std::string(name) + "'" + (what.empty() ? "" : " in " + what);
}

// Opens the object at `pointer` and rejects unknown keys before anything else is read, so a
// misspelt key is reported as such rather than as the required member it was meant to be.
Result<JsonObjectReader> Open(const JsonDocument& doc, std::string pointer, std::string what,
                              Members members) {
  JsonObjectReader r(doc, std::move(pointer), std::move(what));
  STRM_RETURN_IF_ERROR(r.status());
  for (std::string_view m : members) (void)r.Get(m);
  STRM_RETURN_IF_ERROR(r.Finish(kIgnored));
  return r;
}

// An object member of `parent`: nullopt when absent or null.
Result<std::optional<JsonObjectReader>> Member(const JsonDocument& doc, JsonObjectReader& parent,
                                               std::string_view name, const std::string& what,
                                               Members members) {
  if (parent.Get(name) == nullptr) return std::optional<JsonObjectReader>();
  STRM_ASSIGN_OR_RETURN(JsonObjectReader r,
                        Open(doc, parent.PointerOf(name), Join(what, name), members));
  return std::optional<JsonObjectReader>(std::move(r));
}

Result<JsonObjectReader> Required(const JsonDocument& doc, JsonObjectReader& parent,
                                  std::string_view name, const std::string& what, Members members) {
  STRM_ASSIGN_OR_RETURN(std::optional<JsonObjectReader> r,
                        Member(doc, parent, name, what, members));
  if (!r) return Missing(parent, name, what);
  return std::move(*r);
}

Result<std::string> RequiredString(JsonObjectReader& r, std::string_view name,
                                   const std::string& what) {
  if (r.Get(name) == nullptr) return Missing(r, name, what);
  STRM_ASSIGN_OR_RETURN(std::string s, r.GetString(name));
  if (s.empty()) return r.ErrorAt(name, Quoted(name, what) + " must not be empty");
  return s;
}

// A JSON integer, or one written as a string ("2"), as protobuf's JSON mapping allows.
std::optional<int64_t> AsInteger(const json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return v.get<int64_t>();
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

// A list of consent levels: integers >= 0, returned sorted and without duplicates.
Result<ConsentLevels> ReadLevels(const JsonDocument& doc, JsonObjectReader& r,
                                 std::string_view name, const std::string& what) {
  const json* v = r.Get(name);
  std::string pointer = r.PointerOf(name);
  if (v == nullptr) return Missing(r, name, what);
  if (!v->is_array()) return r.ErrorAt(name, Quoted(name, what) + " must be a list of integers");
  ConsentLevels levels;
  for (size_t i = 0; i < v->size(); ++i) {
    std::string where = doc.Where(pointer + "/" + std::to_string(i));
    std::optional<int64_t> n = AsInteger((*v)[i]);
    if (!n || *n > INT_MAX) {
      return InvalidArgument(where + ": " + Quoted(name, what) + " must be a list of integers");
    }
    if (*n < 0) {
      return InvalidArgument(where + ": " + Quoted(name, what) + " must be >= 0, got " +
                             std::to_string(*n));
    }
    levels.push_back(static_cast<int>(*n));
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

// An enum given by name ("GRANULAR") or number (2 or "2").
template <typename T, typename ParseFn>
Result<std::optional<T>> ReadEnum(const JsonDocument& doc, JsonObjectReader& r,
                                  std::string_view name, const std::string& what, ParseFn parse) {
  const json* v = r.Get(name);
  if (v == nullptr) return std::optional<T>();
  std::string text;
  if (v->is_string()) {
    text = v->get<std::string>();
  } else if (v->is_number_integer()) {
    text = v->dump();
  } else {
    return r.ErrorAt(name, Quoted(name, what) + " must be a name or a number");
  }
  Result<T> parsed = parse(text);
  if (!parsed.ok()) return parsed.status().WithContext(doc.Where(r.PointerOf(name)));
  return std::optional<T>(*parsed);
}

// DataConnectorAndType: {data_connector_ref{name}, data_type{csv{charset}}, file_name,
// path_prefix?}. For a source, file_name may be absent when path_prefix is given.
Result<DataLocation> ReadLocation(const JsonDocument& doc, JsonObjectReader& parent,
                                  std::string_view name, const std::string& parent_what,
                                  bool is_source) {
  std::string what = Join(parent_what, name);
  STRM_ASSIGN_OR_RETURN(JsonObjectReader r,
                        Required(doc, parent, name, parent_what,
                                 {"data_connector_ref", "data_type", "file_name", "path_prefix"}));
  DataLocation loc;
  STRM_ASSIGN_OR_RETURN(JsonObjectReader ref,
                        Required(doc, r, "data_connector_ref", what, {"name"}));
  STRM_ASSIGN_OR_RETURN(loc.connector,
                        RequiredString(ref, "name", Join(what, "data_connector_ref")));
  STRM_ASSIGN_OR_RETURN(std::optional<JsonObjectReader> type,
                        Member(doc, r, "data_type", what, {"csv"}));
  if (type) {
    STRM_ASSIGN_OR_RETURN(std::optional<JsonObjectReader> csv,
                          Member(doc, *type, "csv", Join(what, "data_type"), {"charset"}));
    if (csv) {
      STRM_ASSIGN_OR_RETURN(loc.charset, csv->GetString("charset", loc.charset));
      if (loc.charset.empty()) loc.charset = "UTF-8";
    }
  }
  STRM_ASSIGN_OR_RETURN(loc.path_prefix, r.GetString("path_prefix"));
  if (is_source) {
    STRM_ASSIGN_OR_RETURN(loc.file_name, r.GetString("file_name"));
    if (loc.file_name.empty() && loc.path_prefix.empty()) {
      return r.ErrorAt("file_name", what + " needs 'file_name' or 'path_prefix'");
    }
  } else {
    STRM_ASSIGN_OR_RETURN(loc.file_name, RequiredString(r, "file_name", what));
  }
  return loc;
}

// {target: DataConnectorAndType}
Result<std::optional<DataLocation>> ReadTargetHolder(const JsonDocument& doc,
                                                     JsonObjectReader& root, std::string_view name,
                                                     bool required) {
  STRM_ASSIGN_OR_RETURN(std::optional<JsonObjectReader> r, Member(doc, root, name, "", {"target"}));
  if (!r) {
    if (required) return Missing(root, name, "");
    return std::optional<DataLocation>();
  }
  STRM_ASSIGN_OR_RETURN(DataLocation loc,
                        ReadLocation(doc, *r, "target", std::string(name), false));
  return std::optional<DataLocation>(std::move(loc));
}

Result<ConsentConfig> ReadConsent(const JsonDocument& doc, JsonObjectReader& root) {
  STRM_ASSIGN_OR_RETURN(
      JsonObjectReader r,
      Required(doc, root, "consent", "", {"default_consent_levels", "consent_level_extractor"}));
  const std::string what = "consent";
  ConsentConfig c;
  if (r.Get("default_consent_levels") != nullptr) {
    STRM_ASSIGN_OR_RETURN(c.default_levels, ReadLevels(doc, r, "default_consent_levels", what));
  }
  STRM_ASSIGN_OR_RETURN(
      std::optional<JsonObjectReader> ex,
      Member(doc, r, "consent_level_extractor", what, {"field", "field_patterns"}));
  if (!ex) return c;
  const std::string ex_what = Join(what, "consent_level_extractor");
  STRM_ASSIGN_OR_RETURN(c.extractor_field, RequiredString(*ex, "field", ex_what));
  const json* patterns = ex->Get("field_patterns");
  if (patterns == nullptr) return c;
  if (!patterns->is_object()) {
    return ex->ErrorAt("field_patterns", Quoted("field_patterns", ex_what) + " must be an object");
  }
  // Keys are field values, not member names: read them as they are.
  for (const auto& [value, entry] : patterns->items()) {
    std::string pointer = ex->PointerOf("field_patterns") + "/" + EscapeJsonPointer(value);
    std::string entry_what = Join(ex_what, "field_patterns") + "['" + value + "']";
    STRM_ASSIGN_OR_RETURN(JsonObjectReader p, Open(doc, pointer, entry_what, {"consent_levels"}));
    STRM_ASSIGN_OR_RETURN(c.field_patterns[value],
                          ReadLevels(doc, p, "consent_levels", entry_what));
  }
  return c;
}

Result<TimestampConfig> ReadEncryption(const JsonDocument& doc, JsonObjectReader& root,
                                       std::string* group_id) {
  STRM_ASSIGN_OR_RETURN(JsonObjectReader r, Required(doc, root, "encryption", "",
                                                     {"timestamp_config", "batch_job_group_id"}));
  STRM_ASSIGN_OR_RETURN(*group_id, r.GetString("batch_job_group_id"));
  const std::string what = "encryption.timestamp_config";
  STRM_ASSIGN_OR_RETURN(JsonObjectReader ts, Required(doc, r, "timestamp_config", "encryption",
                                                      {"field", "format", "default_time_zone"}));
  TimestampConfig t;
  STRM_ASSIGN_OR_RETURN(t.field, RequiredString(ts, "field", what));
  STRM_ASSIGN_OR_RETURN(t.format, RequiredString(ts, "format", what));
  STRM_ASSIGN_OR_RETURN(std::optional<JsonObjectReader> zone,
                        Member(doc, ts, "default_time_zone", what, {"id"}));
  if (zone) {
    STRM_ASSIGN_OR_RETURN(t.default_zone, zone->GetString("id", t.default_zone));
    if (t.default_zone.empty()) t.default_zone = "UTC";
  }
  return t;
}

Result<ContractRef> ReadContractRef(const JsonDocument& doc, JsonObjectReader& root) {
  const std::string what = "event_contract_ref";
  STRM_ASSIGN_OR_RETURN(JsonObjectReader r,
                        Required(doc, root, what, "", {"handle", "name", "version"}));
  ContractRef ref;
  STRM_ASSIGN_OR_RETURN(ref.handle, RequiredString(r, "handle", what));
  STRM_ASSIGN_OR_RETURN(ref.name, RequiredString(r, "name", what));
  STRM_ASSIGN_OR_RETURN(ref.version, RequiredString(r, "version", what));
  // Parsing the joined form checks the version and that no part contains a '/'.
  Result<ContractRef> parsed = ContractRef::Parse(ref.ToString());
  if (!parsed.ok()) return parsed.status().WithContext(doc.Where(root.PointerOf(what)));
  return ref;
}

Result<std::optional<MaskedFieldsConfig>> ReadMaskedFields(const JsonDocument& doc,
                                                           JsonObjectReader& parent,
                                                           const std::string& parent_what) {
  const std::string what = Join(parent_what, "masked_fields");
  STRM_ASSIGN_OR_RETURN(
      std::optional<JsonObjectReader> r,
      Member(doc, parent, "masked_fields", parent_what, {"hash_type", "seed", "field_patterns"}));
  if (!r) return std::optional<MaskedFieldsConfig>();
  MaskedFieldsConfig m;
  STRM_ASSIGN_OR_RETURN(std::optional<HashType> type,
                        ReadEnum<HashType>(doc, *r, "hash_type", what, ParseHashType));
  if (type) m.hash_type = *type;
  STRM_ASSIGN_OR_RETURN(m.seed, r->GetString("seed"));
  const json* patterns = r->Get("field_patterns");
  if (patterns != nullptr && !patterns->is_object()) {
    return r->ErrorAt("field_patterns", Quoted("field_patterns", what) + " must be an object");
  }
  if (patterns == nullptr) return std::optional<MaskedFieldsConfig>(std::move(m));
  for (const auto& [key, entry] : patterns->items()) {
    std::string pointer = r->PointerOf("field_patterns") + "/" + EscapeJsonPointer(key);
    Result<ContractRef> ref = ContractRef::Parse(key);
    if (!ref.ok()) return ref.status().WithContext(doc.Where(pointer));
    std::string entry_what = Join(what, "field_patterns") + "['" + key + "']";
    STRM_ASSIGN_OR_RETURN(JsonObjectReader p, Open(doc, pointer, entry_what, {"field_patterns"}));
    const json* list = p.Get("field_patterns");
    if (list == nullptr) return Missing(p, "field_patterns", entry_what);
    std::vector<std::string>& out = m.field_patterns[ref->ToString()];
    bool strings = list->is_array();
    for (size_t i = 0; strings && i < list->size(); ++i) {
      strings = (*list)[i].is_string();
      if (strings) out.push_back((*list)[i].get<std::string>());
    }
    if (!strings) {
      return p.ErrorAt("field_patterns",
                       Quoted("field_patterns", entry_what) + " must be a list of strings");
    }
  }
  return std::optional<MaskedFieldsConfig>(std::move(m));
}

Result<DerivedDataConfig> ReadDerived(const JsonDocument& doc, const std::string& pointer,
                                      const std::string& what) {
  STRM_ASSIGN_OR_RETURN(JsonObjectReader r,
                        Open(doc, pointer, what,
                             {"target", "consent_levels", "consent_level_type", "masked_fields"}));
  DerivedDataConfig d;
  STRM_ASSIGN_OR_RETURN(d.target, ReadLocation(doc, r, "target", what, false));
  STRM_ASSIGN_OR_RETURN(d.purpose.levels, ReadLevels(doc, r, "consent_levels", what));
  STRM_ASSIGN_OR_RETURN(
      std::optional<ConsentLevelType> type,
      ReadEnum<ConsentLevelType>(doc, r, "consent_level_type", what, ParseConsentLevelType));
  if (!type) return Missing(r, "consent_level_type", what);
  d.purpose.type = *type;
  STRM_RETURN_IF_ERROR(d.purpose.Validate().WithContext(doc.Where(pointer) + ": " + what));
  STRM_ASSIGN_OR_RETURN(d.masked_fields, ReadMaskedFields(doc, r, what));
  return d;
}

Result<BatchJobConfig> ReadJob(const JsonDocument& doc) {
  STRM_ASSIGN_OR_RETURN(JsonObjectReader root,
                        Open(doc, "", "",
                             {"ref", "source_data", "consent", "encryption", "event_contract_ref",
                              "encrypted_data", "encryption_keys_data", "derived_data",
                              "masked_fields", "on_error", "rejected_data", "max_record_bytes"}));
  BatchJobConfig c;
  STRM_ASSIGN_OR_RETURN(std::optional<JsonObjectReader> ref, Member(doc, root, "ref", "", {"id"}));
  if (ref) {
    STRM_ASSIGN_OR_RETURN(c.id, ref->GetString("id"));
    if (!c.id.empty() && !IsUuid(c.id)) {
      return ref->ErrorAt("id", "'id' in ref must be a UUID, got '" + c.id + "'");
    }
  }
  STRM_ASSIGN_OR_RETURN(c.source, ReadLocation(doc, root, "source_data", "", true));
  STRM_ASSIGN_OR_RETURN(c.consent, ReadConsent(doc, root));
  STRM_ASSIGN_OR_RETURN(c.timestamp, ReadEncryption(doc, root, &c.batch_job_group_id));
  STRM_ASSIGN_OR_RETURN(c.contract, ReadContractRef(doc, root));
  STRM_ASSIGN_OR_RETURN(std::optional<DataLocation> enc,
                        ReadTargetHolder(doc, root, "encrypted_data", true));
  c.encrypted_data = std::move(*enc);
  STRM_ASSIGN_OR_RETURN(std::optional<DataLocation> keys,
                        ReadTargetHolder(doc, root, "encryption_keys_data", true));
  c.encryption_keys_data = std::move(*keys);
  if (const json* derived = root.Get("derived_data")) {
    if (!derived->is_array()) return root.ErrorAt("derived_data", "'derived_data' must be a list");
    for (size_t i = 0; i < derived->size(); ++i) {
      std::string pointer = root.PointerOf("derived_data") + "/" + std::to_string(i);
      STRM_ASSIGN_OR_RETURN(DerivedDataConfig d,
                            ReadDerived(doc, pointer, "derived_data[" + std::to_string(i) + "]"));
      c.derived_data.push_back(std::move(d));
    }
  }
  STRM_ASSIGN_OR_RETURN(c.masked_fields, ReadMaskedFields(doc, root, ""));
  STRM_ASSIGN_OR_RETURN(std::string on_error, root.GetString("on_error", "FAIL"));
  if (on_error == "SKIP") {
    c.on_error = OnError::kSkip;
  } else if (on_error != "FAIL") {
    return root.ErrorAt("on_error",
                        "'on_error' must be \"FAIL\" or \"SKIP\", got \"" + on_error + "\"");
  }
  STRM_ASSIGN_OR_RETURN(c.rejected_data, ReadTargetHolder(doc, root, "rejected_data", false));
  STRM_ASSIGN_OR_RETURN(
      int64_t max_record,
      root.GetInt("max_record_bytes", static_cast<int64_t>(kDefaultMaxRecordBytes)));
  if (max_record < 1 || static_cast<uint64_t>(max_record) > kMaxMaxRecordBytes)
    return root.ErrorAt("max_record_bytes", "'max_record_bytes' must be from 1 to " +
                                                std::to_string(kMaxMaxRecordBytes) + ", got " +
                                                std::to_string(max_record));
  c.max_record_bytes = static_cast<uint64_t>(max_record);
  return c;
}

json LevelsToJson(const ConsentLevels& levels) {
  json a = json::array();
  for (int l : levels) a.push_back(l);
  return a;
}

json LocationToJson(const DataLocation& l) {
  json j = json::object();
  j["data_connector_ref"]["name"] = l.connector;
  j["data_type"]["csv"]["charset"] = l.charset;
  if (!l.path_prefix.empty()) j["path_prefix"] = l.path_prefix;
  if (!l.file_name.empty()) j["file_name"] = l.file_name;
  return j;
}

json MaskedFieldsToJson(const MaskedFieldsConfig& m) {
  json j = json::object();
  j["hash_type"] = HashTypeName(m.hash_type);
  if (!m.seed.empty()) j["seed"] = m.seed;
  json patterns = json::object();
  for (const auto& [ref, list] : m.field_patterns) patterns[ref]["field_patterns"] = list;
  j["field_patterns"] = std::move(patterns);
  return j;
}

}  // namespace

Result<BatchJobConfig> ParseBatchJobConfig(std::string_view json_text, std::string source_name) {
  STRM_ASSIGN_OR_RETURN(JsonDocument doc, ParseJsonDocument(json_text, std::move(source_name)));
  return ReadJob(doc);
}

json BatchJobConfigToJson(const BatchJobConfig& c) {
  json j = json::object();
  if (!c.id.empty()) j["ref"]["id"] = c.id;
  j["source_data"] = LocationToJson(c.source);
  json consent = json::object();
  if (c.consent.default_levels) {
    consent["default_consent_levels"] = LevelsToJson(*c.consent.default_levels);
  }
  if (c.consent.extractor_field) {
    json ex = json::object();
    ex["field"] = *c.consent.extractor_field;
    ex["field_patterns"] = json::object();
    for (const auto& [value, levels] : c.consent.field_patterns) {
      ex["field_patterns"][value]["consent_levels"] = LevelsToJson(levels);
    }
    consent["consent_level_extractor"] = std::move(ex);
  }
  j["consent"] = std::move(consent);
  json ts = json::object();
  ts["field"] = c.timestamp.field;
  ts["format"] = c.timestamp.format;
  ts["default_time_zone"]["id"] = c.timestamp.default_zone;
  j["encryption"]["timestamp_config"] = std::move(ts);
  if (!c.batch_job_group_id.empty()) j["encryption"]["batch_job_group_id"] = c.batch_job_group_id;
  j["event_contract_ref"] = {
      {"handle", c.contract.handle}, {"name", c.contract.name}, {"version", c.contract.version}};
  j["encrypted_data"]["target"] = LocationToJson(c.encrypted_data);
  j["encryption_keys_data"]["target"] = LocationToJson(c.encryption_keys_data);
  if (!c.derived_data.empty()) {
    json derived = json::array();
    for (const DerivedDataConfig& d : c.derived_data) {
      json e = json::object();
      e["target"] = LocationToJson(d.target);
      e["consent_levels"] = LevelsToJson(d.purpose.levels);
      e["consent_level_type"] = ConsentLevelTypeName(d.purpose.type);
      if (d.masked_fields) e["masked_fields"] = MaskedFieldsToJson(*d.masked_fields);
      derived.push_back(std::move(e));
    }
    j["derived_data"] = std::move(derived);
  }
  if (c.masked_fields) j["masked_fields"] = MaskedFieldsToJson(*c.masked_fields);
  j["on_error"] = c.on_error == OnError::kSkip ? "SKIP" : "FAIL";
  if (c.rejected_data) j["rejected_data"]["target"] = LocationToJson(*c.rejected_data);
  if (c.max_record_bytes != kDefaultMaxRecordBytes) j["max_record_bytes"] = c.max_record_bytes;
  return j;
}

BatchJobConfig RedactSecrets(BatchJobConfig config) {
  auto redact = [](std::optional<MaskedFieldsConfig>& m) {
    if (m && !m->seed.empty()) m->seed = "****";
  };
  redact(config.masked_fields);
  for (DerivedDataConfig& d : config.derived_data) redact(d.masked_fields);
  return config;
}

DataLocation RejectedLocation(const BatchJobConfig& config) {
  if (config.rejected_data) return *config.rejected_data;
  DataLocation loc = config.encrypted_data;
  std::string stem = loc.file_name;
  if (stem.ends_with(".csv")) stem.resize(stem.size() - 4);
  loc.file_name = stem + "-rejected.csv";
  return loc;
}

}  // namespace strm
