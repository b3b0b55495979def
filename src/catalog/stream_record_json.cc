#include "catalog/stream_record_json.h"

namespace strm {

std::string StreamToStoredJson(const StreamRecord& s) {
  nlohmann::json credentials = nlohmann::json::array();
  for (const StreamCredential& c : s.credentials)
    credentials.push_back({{"client_id", c.client_id}, {"client_secret", c.client_secret}});
  return nlohmann::json{{"id", s.id},
                        {"description", s.description},
                        {"tags", s.tags},
                        {"linked_stream", s.linked_stream},
                        {"consent_levels", s.consent_levels},
                        {"consent_level_type", s.consent_level_type},
                        {"masked_fields", s.masked_fields},
                        {"mask_seed", s.mask_seed},
                        {"credentials", credentials}}
      .dump();
}

Result<StreamRecord> StreamFromStoredJson(std::string name, int64_t created_at,
                                          std::string_view body) {
  StreamRecord s;
  s.name = std::move(name);
  s.created_at = created_at;
  auto j = nlohmann::json::parse(body, nullptr, false);
  try {
    s.id = j.at("id").get<std::string>();
    s.description = j.at("description").get<std::string>();
    s.tags = j.at("tags").get<std::vector<std::string>>();
    s.linked_stream = j.at("linked_stream").get<std::string>();
    s.consent_levels = j.at("consent_levels").get<std::vector<int>>();
    s.consent_level_type = j.at("consent_level_type").get<std::string>();
    s.masked_fields = j.at("masked_fields").get<std::map<std::string, std::vector<std::string>>>();
    s.mask_seed = j.at("mask_seed").get<std::string>();
    for (const auto& c : j.at("credentials"))
      s.credentials.push_back(
          {c.at("client_id").get<std::string>(), c.at("client_secret").get<std::string>()});
  } catch (const nlohmann::json::exception&) {
    return Internal("catalog: the stored record of stream " + s.name + " is not readable");
  }
  return s;
}

}  // namespace strm
