#include "platform/entity_json.h"

#include <date/date.h>

#include <chrono>

#include "storage/connector_credentials.h"

namespace strm {
namespace {

using json = nlohmann::json;

// SPEC §1's name of each connector type's location.
struct LocationMember {
  std::string_view type, member;
};
constexpr LocationMember kLocationMembers[] = {
    {"local", "local_directory"},
    {"s3", "s3_bucket"},
    {"gcs", "google_cloud_storage_bucket"},
    {"azure-blob-storage", "azure_blob_storage_container"},
};

// The compact text that connector_credentials.h stores, so that credentials read back from
// their JSON form are the stored bytes again. Never throws on text that is not UTF-8.
std::string CompactText(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json CredentialsJson(const std::string& stored, Secrets secrets) {
  json j = json::parse(stored, nullptr, /*allow_exceptions=*/false);
  // Unreadable: nothing can be shown member by member, so nothing is, whatever was asked.
  if (!j.is_object()) return std::string(kRedactedSecret);
  if (secrets == Secrets::kMasked) RedactCanonicalCredentials(j);
  return j;
}

// Seeds of the masked_fields of a job config (job level, and of each derived output), in
// either spelling that the job file accepts; the stored config uses snake_case.
void MaskSeeds(json& config) {
  auto mask = [](json& owner) {
    if (!owner.is_object()) return;
    for (const char* key : {"masked_fields", "maskedFields"}) {
      auto m = owner.find(key);
      if (m == owner.end() || !m->is_object()) continue;
      auto seed = m->find("seed");
      if (seed != m->end() && !(seed->is_string() && seed->get_ref<const std::string&>().empty()))
        *seed = std::string(kRedactedSecret);
    }
  };
  mask(config);
  for (const char* key : {"derived_data", "derivedData"}) {
    auto derived = config.find(key);
    if (derived == config.end() || !derived->is_array()) continue;
    for (json& d : *derived) mask(d);
  }
}

// Reads the members of one entity's JSON form, with messages that name the field.
class FormReader {
 public:
  FormReader(const json& j, std::string_view entity) : j_(j), entity_(entity) {}

  Status Error(std::string_view field, std::string_view problem) const {
    return InvalidArgument(std::string(entity_) + " JSON: field '" + std::string(field) + "' " +
                           std::string(problem));
  }
  Status NotAnObject() const {
    return InvalidArgument(std::string(entity_) + " JSON: not an object");
  }

  // The member at `path` (one or two levels: "ref.id"), or nullptr when absent or null.
  const json* Find(std::string_view path) const {
    const json* v = &j_;
    while (!path.empty()) {
      const size_t dot = path.find('.');
      if (!v->is_object()) return nullptr;
      auto it = v->find(std::string(path.substr(0, dot)));
      if (it == v->end()) return nullptr;
      v = &*it;
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    }
    return v->is_null() ? nullptr : v;
  }

  Result<std::string> String(std::string_view path) const {
    const json* v = Find(path);
    if (v == nullptr) return Error(path, "is missing");
    if (!v->is_string()) return Error(path, "must be a string");
    return v->get<std::string>();
  }

  Result<int64_t> Timestamp(std::string_view path) const {
    STRM_ASSIGN_OR_RETURN(std::string text, String(path));
    auto t = ParseTimestamp(text);
    if (!t.ok()) return Error(path, "must be a UTC timestamp like 2026-11-21T12:57:00.123Z");
    return *t;
  }

 private:
  const json& j_;
  std::string_view entity_;
};

}  // namespace

std::string_view ConnectorLocationMember(std::string_view type) {
  for (const LocationMember& l : kLocationMembers)
    if (l.type == type) return l.member;
  return type;
}

std::string FormatTimestamp(int64_t epoch_millis) {
  using namespace std::chrono;
  return date::format("%FT%TZ", time_point<system_clock, milliseconds>(milliseconds(epoch_millis)));
}

Result<int64_t> ParseTimestamp(std::string_view text) {
  // Exactly what FormatTimestamp writes for years 0-9999: "YYYY-MM-DDTHH:MM:SS.mmmZ".
  constexpr std::string_view kShape = "0000-00-00T00:00:00.000Z";
  auto bad = [&] {
    return InvalidArgument("'" + std::string(text) +
                           "' is not a UTC timestamp like 2026-11-21T12:57:00.123Z");
  };
  if (text.size() != kShape.size()) return bad();
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == '0' ? !digit : text[i] != kShape[i]) return bad();
  }
  auto number = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const date::year_month_day day{date::year(number(0, 4)), date::month(number(5, 2)),
                                 date::day(number(8, 2))};
  const int hours = number(11, 2), minutes = number(14, 2), seconds = number(17, 2);
  if (!day.ok() || hours > 23 || minutes > 59 || seconds > 59) return bad();
  using namespace std::chrono;
  const milliseconds ms = date::sys_days(day).time_since_epoch() + hours * 1h + minutes * 1min +
                          seconds * 1s + milliseconds(number(20, 3));
  return static_cast<int64_t>(ms.count());
}

json ConnectorJson(const DataConnector& c, Secrets secrets) {
  json j = {{"ref", {{"name", c.name}}}};
  j[std::string(ConnectorLocationMember(c.type))] = c.location;
  if (!c.credentials.empty()) j["credentials"] = CredentialsJson(c.credentials, secrets);
  j["created_at"] = FormatTimestamp(c.created_at);
  return j;
}

Result<DataConnector> ConnectorFromJson(const json& j) {
  FormReader r(j, "data connector");
  if (!j.is_object()) return r.NotAnObject();
  DataConnector c;
  STRM_ASSIGN_OR_RETURN(c.name, r.String("ref.name"));
  const LocationMember* found = nullptr;
  for (const LocationMember& l : kLocationMembers) {
    if (r.Find(l.member) == nullptr) continue;
    if (found != nullptr)
      return r.Error(l.member, "cannot be given with '" + std::string(found->member) + "'");
    found = &l;
  }
  if (found == nullptr) {
    std::string names;
    for (const LocationMember& l : kLocationMembers)
      names += (names.empty() ? "'" : ", '") + std::string(l.member) + "'";
    return InvalidArgument("data connector JSON: no location: expected one of the fields " + names);
  }
  c.type = found->type;
  c.location = *r.Find(found->member);
  if (!c.location.is_object()) return r.Error(found->member, "must be an object");
  if (const json* creds = r.Find("credentials")) {
    if (creds->is_object()) {
      c.credentials = CompactText(*creds);
    } else if (creds->is_string() && creds->get_ref<const std::string&>() == kRedactedSecret) {
      c.credentials = kRedactedSecret;  // credentials that could not be shown
    } else {
      return r.Error("credentials", "must be an object");
    }
  }
  STRM_ASSIGN_OR_RETURN(c.created_at, r.Timestamp("created_at"));
  return c;
}

json ContractJson(const DataContract& c, Secrets /*secrets*/) { return ContractToJson(c); }

json BatchJobJson(const BatchJobRecord& job, Secrets secrets) {
  json j = job.config;
  if (secrets == Secrets::kMasked) MaskSeeds(j);
  j["ref"] = {{"id", job.id}};
  j["state"] = JobStateName(job.state);
  j["message"] = job.message;
  j["stats"] = job.stats;
  j["created_at"] = FormatTimestamp(job.created_at);
  j["updated_at"] = FormatTimestamp(job.updated_at);
  if (!job.files.empty()) {
    json files = json::array();
    for (const BatchJobFile& f : job.files)
      files.push_back({{"name", f.name},
                       {"seq", f.seq},
                       {"state", JobFileStateName(f.state)},
                       {"message", f.message},
                       {"stats", f.stats},
                       {"first_seen", FormatTimestamp(f.first_seen)},
                       {"updated_at", FormatTimestamp(f.updated_at)}});
    j["files"] = std::move(files);
  }
  return j;
}

namespace {

Result<BatchJobFile> BatchJobFileFromJson(const json& j, const std::string& where) {
  FormReader r(j, where);
  if (!j.is_object()) return r.NotAnObject();
  BatchJobFile f;
  STRM_ASSIGN_OR_RETURN(f.name, r.String("name"));
  const json* seq = r.Find("seq");
  if (seq == nullptr || !seq->is_number_integer()) return r.Error("seq", "must be an integer");
  f.seq = seq->get<int64_t>();
  STRM_ASSIGN_OR_RETURN(std::string state, r.String("state"));
  auto parsed = ParseJobFileState(state);
  if (!parsed.ok()) return r.Error("state", "must be one of NEW, PROCESSING, DONE, FAILED");
  f.state = *parsed;
  STRM_ASSIGN_OR_RETURN(f.message, r.String("message"));
  const json* stats = r.Find("stats");
  if (stats == nullptr || !stats->is_object()) return r.Error("stats", "must be an object");
  f.stats = *stats;
  STRM_ASSIGN_OR_RETURN(f.first_seen, r.Timestamp("first_seen"));
  STRM_ASSIGN_OR_RETURN(f.updated_at, r.Timestamp("updated_at"));
  return f;
}

}  // namespace

Result<BatchJobRecord> BatchJobFromJson(const json& j) {
  FormReader r(j, "batch job");
  if (!j.is_object()) return r.NotAnObject();
  BatchJobRecord job;
  STRM_ASSIGN_OR_RETURN(job.id, r.String("ref.id"));
  STRM_ASSIGN_OR_RETURN(std::string state, r.String("state"));
  auto parsed = ParseJobState(state);
  if (!parsed.ok()) {
    std::string names;
    for (int s = 0; s <= static_cast<int>(JobState::kCancelled); ++s)
      names += (s ? ", " : "") + std::string(JobStateName(static_cast<JobState>(s)));
    return r.Error("state", "must be one of " + names);
  }
  job.state = *parsed;
  STRM_ASSIGN_OR_RETURN(job.message, r.String("message"));
  const json* stats = r.Find("stats");
  if (stats == nullptr) return r.Error("stats", "is missing");
  if (!stats->is_object()) return r.Error("stats", "must be an object");
  job.stats = *stats;
  STRM_ASSIGN_OR_RETURN(job.created_at, r.Timestamp("created_at"));
  STRM_ASSIGN_OR_RETURN(job.updated_at, r.Timestamp("updated_at"));
  if (const json* files = r.Find("files")) {
    if (!files->is_array()) return r.Error("files", "must be an array");
    for (size_t i = 0; i < files->size(); ++i) {
      STRM_ASSIGN_OR_RETURN(
          BatchJobFile f,
          BatchJobFileFromJson((*files)[i], "batch job files[" + std::to_string(i) + "]"));
      job.files.push_back(std::move(f));
    }
  }
  // The rest, "ref" included, is the job's config.
  job.config = j;
  for (const char* key : {"state", "message", "stats", "created_at", "updated_at", "files"})
    job.config.erase(key);
  return job;
}

json StreamJson(const StreamRecord& s, Secrets secrets) {
  const auto secret = [secrets](const std::string& v) {
    return secrets == Secrets::kMasked && !v.empty() ? std::string(kRedactedSecret) : v;
  };
  json j = {{"ref", {{"name", s.name}}},
            {"name", s.name},
            {"id", s.id},
            {"description", s.description},
            {"tags", s.tags}};
  if (!s.linked_stream.empty()) {
    j["linked_stream"] = s.linked_stream;
    j["consent_levels"] = s.consent_levels;
    j["consent_level_type"] = s.consent_level_type;
    if (!s.masked_fields.empty()) {
      json patterns = json::object();
      for (const auto& [ref, fields] : s.masked_fields) patterns[ref] = {{"field_names", fields}};
      j["masked_fields"] = {{"seed", secret(s.mask_seed)}, {"field_patterns", patterns}};
    }
  }
  json creds = json::array();
  for (const StreamCredential& c : s.credentials)
    creds.push_back({{"clientId", c.client_id}, {"clientSecret", secret(c.client_secret)}});
  j["credentials"] = std::move(creds);
  j["created_at"] = FormatTimestamp(s.created_at);
  return j;
}

namespace {

Result<std::vector<std::string>> StringList(const FormReader& r, std::string_view path) {
  std::vector<std::string> out;
  const json* v = r.Find(path);
  if (v == nullptr) return out;
  if (!v->is_array()) return r.Error(path, "must be an array of strings");
  for (const json& item : *v) {
    if (!item.is_string()) return r.Error(path, "must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

Result<StreamRecord> StreamFromJson(const json& j) {
  FormReader r(j, "stream");
  if (!j.is_object()) return r.NotAnObject();
  StreamRecord s;
  if (r.Find("name") != nullptr) {
    STRM_ASSIGN_OR_RETURN(s.name, r.String("name"));
  } else if (r.Find("ref.name") != nullptr) {
    STRM_ASSIGN_OR_RETURN(s.name, r.String("ref.name"));
  }
  if (r.Find("id") != nullptr) {
    STRM_ASSIGN_OR_RETURN(s.id, r.String("id"));
  }
  if (r.Find("description") != nullptr) {
    STRM_ASSIGN_OR_RETURN(s.description, r.String("description"));
  }
  STRM_ASSIGN_OR_RETURN(s.tags, StringList(r, "tags"));
  if (r.Find("linked_stream") != nullptr) {
    STRM_ASSIGN_OR_RETURN(s.linked_stream, r.String("linked_stream"));
  }
  if (const json* levels = r.Find("consent_levels")) {
    if (!levels->is_array()) return r.Error("consent_levels", "must be an array of integers >= 0");
    for (const json& l : *levels) {
      if (!l.is_number_integer() || l.get<int64_t>() < 0 || l.get<int64_t>() > 1'000'000)
        return r.Error("consent_levels", "must be an array of integers >= 0");
      s.consent_levels.push_back(l.get<int>());
    }
  }
  if (r.Find("consent_level_type") != nullptr) {
    STRM_ASSIGN_OR_RETURN(s.consent_level_type, r.String("consent_level_type"));
  }
  if (const json* masked = r.Find("masked_fields")) {
    if (!masked->is_object()) return r.Error("masked_fields", "must be an object");
    if (r.Find("masked_fields.seed") != nullptr) {
      STRM_ASSIGN_OR_RETURN(s.mask_seed, r.String("masked_fields.seed"));
    }
    const json* patterns = r.Find("masked_fields.field_patterns");
    if (patterns == nullptr || !patterns->is_object())
      return r.Error("masked_fields.field_patterns", "must be an object");
    for (const auto& [ref, pattern] : patterns->items()) {
      const std::string where = "masked_fields.field_patterns." + ref + ".field_names";
      const json* names = pattern.is_object() && pattern.contains("field_names")
                              ? &pattern["field_names"]
                              : nullptr;
      if (names == nullptr || !names->is_array()) return r.Error(where, "must be an array");
      for (const json& n : *names) {
        if (!n.is_string()) return r.Error(where, "must be an array of strings");
        s.masked_fields[ref].push_back(n.get<std::string>());
      }
    }
  }
  if (const json* creds = r.Find("credentials")) {
    if (!creds->is_array()) return r.Error("credentials", "must be an array");
    for (const json& c : *creds) {
      if (!c.is_object() || !c.contains("clientId") || !c["clientId"].is_string() ||
          !c.contains("clientSecret") || !c["clientSecret"].is_string())
        return r.Error("credentials", "must hold objects with clientId and clientSecret");
      s.credentials.push_back(
          {c["clientId"].get<std::string>(), c["clientSecret"].get<std::string>()});
    }
  }
  if (r.Find("created_at") != nullptr) {
    STRM_ASSIGN_OR_RETURN(s.created_at, r.Timestamp("created_at"));
  }
  return s;
}

json KeyStreamJson(const KeyStream& k) {
  return {{"ref", {{"name", k.name}}},
          {"name", k.name},
          {"stream_id", k.stream_id},
          {"created_at", FormatTimestamp(k.created_at)}};
}

Result<KeyStream> KeyStreamFromJson(const json& j) {
  FormReader r(j, "key stream");
  if (!j.is_object()) return r.NotAnObject();
  KeyStream k;
  STRM_ASSIGN_OR_RETURN(k.name, r.String("name"));
  STRM_ASSIGN_OR_RETURN(k.stream_id, r.String("stream_id"));
  STRM_ASSIGN_OR_RETURN(k.created_at, r.Timestamp("created_at"));
  return k;
}

}  // namespace strm
