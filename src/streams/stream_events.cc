#include "streams/stream_events.h"

#include "formats/json_writer.h"

#include <re2/re2.h>

#include <algorithm>

#include "privacy/schema.h"

namespace strm {
namespace {

using json = nlohmann::json;

Status FieldError(std::string_view field, std::string_view problem) {
  return InvalidArgument("field '" + std::string(field) + "' " + std::string(problem));
}

bool HasType(const json& v, FieldType t) {
  switch (t) {
    case FieldType::kString:
      return v.is_string();
    case FieldType::kBoolean:
      return v.is_boolean();
    case FieldType::kFloat:
      return v.is_number();
    case FieldType::kInteger:
    case FieldType::kLong:
      return v.is_number_integer();
    case FieldType::kNode:
      return v.is_object();
  }
  return false;
}

// A scalar's text: a string as it is, anything else as its JSON.
std::string Text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

constexpr const char* kMetaOrder[] = {"eventContractRef", "nonce",     "timestamp",
                                      "keyLink",          "billingId", "consentLevels"};

}  // namespace

const json* EventField(const json& event, std::string_view path) {
  const json* v = &event;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (!v->is_object()) return nullptr;
    auto it = v->find(std::string(path.substr(0, slash)));
    if (it == v->end()) return nullptr;
    v = &*it;
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return v->is_null() ? nullptr : v;
}

json* EventField(json& event, std::string_view path) {
  return const_cast<json*>(EventField(static_cast<const json&>(event), path));
}

std::optional<EventEncoding> ParseEventEncoding(std::string_view header) {
  std::string_view type = header.substr(0, header.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  std::string lower(type);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower == "application/x-avro-binary") return EventEncoding::kAvroBinary;
  if (lower == "application/json") return EventEncoding::kJson;
  return std::nullopt;
}

Result<json> DecodeEvent(EventEncoding encoding, std::string_view body, const AvroSchema* avro) {
  if (encoding == EventEncoding::kAvroBinary) {
    if (avro == nullptr)
      return InvalidArgument(
          "no Avro schema is known for this schema ref: send the event as application/json");
    auto v = avro->DecodeBinary(body);
    if (!v.ok())
      return InvalidArgument("the Avro body does not match its schema: " + v.status().message());
    return v;
  }
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidArgument("the body is not valid JSON");
  if (!parsed.is_object()) return InvalidArgument("the event must be a JSON object");
  if (avro == nullptr) return parsed;
  auto v = avro->FromJson(parsed);
  if (!v.ok())
    return InvalidArgument("the event does not match its schema: " + v.status().message());
  return v;
}

Result<ContractRef> EventContractRef(const json& event) {
  const json* ref = EventField(event, "strmMeta/eventContractRef");
  if (ref == nullptr || !ref->is_string())
    return FieldError("strmMeta.eventContractRef",
                      "is missing (it names the event's data contract)");
  auto parsed = ContractRef::Parse(ref->get<std::string>());
  if (!parsed.ok()) return FieldError("strmMeta.eventContractRef", "must be handle/name/version");
  return parsed;
}

Result<std::shared_ptr<const EventContract>> EventContract::Make(DataContract contract) {
  auto c = std::shared_ptr<EventContract>(new EventContract(std::move(contract)));
  for (const RegexValidation& v : c->contract_.validations) {
    auto re = std::make_unique<re2::RE2>(v.regex, re2::RE2::Quiet);
    if (!re->ok())
      return InvalidArgument("data contract " + c->contract_.ref.ToString() + ": the regex of '" +
                             v.field + "' does not compile");
    c->regexes_.push_back(std::move(re));
  }
  return std::shared_ptr<const EventContract>(std::move(c));
}

EventContract::EventContract(DataContract contract) : contract_(std::move(contract)) {}
EventContract::~EventContract() = default;

Result<std::string> EventContract::Check(const json& event) const {
  const json* meta = EventField(event, "strmMeta");
  if (meta == nullptr || !meta->is_object()) return FieldError("strmMeta", "must be an object");
  if (const json* levels = EventField(event, "strmMeta/consentLevels")) {
    if (!levels->is_array()) return FieldError("strmMeta.consentLevels", "must be an array");
    for (const json& l : *levels)
      if (!l.is_number_integer() || l.get<int64_t>() < 0 || l.get<int64_t>() > INT32_MAX)
        return FieldError("strmMeta.consentLevels", "must hold integers >= 0");
  }
  for (const SchemaField& f : Leaves(contract_.schema)) {
    const json* v = EventField(event, f.path);
    if (v == nullptr) {
      if (f.required) return FieldError(f.path, "is required");
      continue;
    }
    const auto type_error = [&] {
      return FieldError(f.path, "must be " + std::string(f.repeated ? "an array of " : "") +
                                    std::string(FieldTypeName(f.type)));
    };
    if (f.repeated) {
      if (!v->is_array()) return type_error();
      for (const json& item : *v)
        if (!HasType(item, f.type)) return type_error();
    } else if (!HasType(*v, f.type)) {
      return type_error();
    }
  }
  for (size_t i = 0; i < contract_.validations.size(); ++i) {
    const RegexValidation& v = contract_.validations[i];
    const json* value = EventField(event, v.field);
    if (value == nullptr || value->is_array() || value->is_object()) continue;
    const std::string text = Text(*value);
    if (!text.empty() && !re2::RE2::FullMatch(text, *regexes_[i]))
      return FieldError(v.field, "does not match its validation regex");
  }
  const json* key = EventField(event, contract_.key_field);
  if (key == nullptr || key->is_array() || key->is_object() || Text(*key).empty())
    return FieldError(contract_.key_field, "(the key field) must have a value");
  return Text(*key);
}

void EventContract::Seal(json& event, const DataKey& key, const DeterministicAead& aead,
                         int32_t nonce, int64_t timestamp) const {
  for (const auto& [path, level] : contract_.pii_fields) {
    (void)level;
    json* v = EventField(event, path);
    if (v == nullptr || v->is_array() || v->is_object()) continue;
    const std::string plain = Text(*v);
    if (plain.empty()) continue;
    std::string sealed;
    aead.EncryptToBase64(plain, sealed);
    *v = std::move(sealed);
  }
  json& meta = event["strmMeta"];
  meta["nonce"] = nonce;
  meta["timestamp"] = timestamp;
  meta["keyLink"] = key.KeyLinkText();
  if (!meta.contains("billingId")) meta["billingId"] = nullptr;
  if (!meta.contains("consentLevels")) meta["consentLevels"] = json::array();
}

namespace {

// Appends `object` as a JSON object whose members named in `first` come first, in that
// order, then the others in the object's order; `value(name, v, out)` writes each value.
template <typename Names, typename WriteValue>
void AppendMembersInOrder(const json& object, const Names& first, WriteValue value,
                          std::string& out) {
  out += '{';
  std::vector<std::string_view> written;
  auto member = [&](std::string_view name, const json& v) {
    if (std::find(written.begin(), written.end(), name) != written.end()) return;
    if (!written.empty()) out += ',';
    AppendJsonString(name, out);
    out += ':';
    value(name, v, out);
    written.push_back(name);
  };
  for (std::string_view name : first)
    if (auto it = object.find(name); it != object.end()) member(name, *it);
  for (const auto& [name, v] : object.items()) member(name, v);
  out += '}';
}

}  // namespace

std::string EventContract::ToLine(const json& event) const {
  // strmMeta first (its members in STRM's order), then the schema's fields, then the rest.
  std::vector<std::string_view> first;
  if (auto meta = event.find("strmMeta"); meta != event.end() && meta->is_object())
    first.push_back("strmMeta");
  for (const SchemaNode& node : contract_.schema.nodes) first.push_back(node.name);
  std::string out;
  AppendMembersInOrder(
      event, first,
      [](std::string_view name, const json& v, std::string& to) {
        if (name == "strmMeta" && v.is_object()) {
          AppendMembersInOrder(
              v, kMetaOrder,
              [](std::string_view, const json& mv, std::string& mto) { AppendJson(mv, mto); }, to);
        } else {
          AppendJson(v, to);
        }
      },
      out);
  return out;
}

ConsentLevels EventConsentLevels(const json& event) {
  ConsentLevels out;
  const json* levels = EventField(event, "strmMeta/consentLevels");
  if (levels == nullptr || !levels->is_array()) return out;
  for (const json& l : *levels)
    if (l.is_number_integer() && l.get<int64_t>() >= 0 && l.get<int64_t>() <= INT32_MAX)
      out.push_back(l.get<int>());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace strm
