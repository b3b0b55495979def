#include "streams/stream_derivation.h"

#include <map>
#include <set>
#include <vector>

#include "privacy/event_policy.h"
#include "streams/stream_events.h"
#include "streams/stream_ingest.h"
#include "streams/stream_keys.h"

namespace strm {
namespace {

using json = nlohmann::json;

// Per partition: where the deriver is, and the derived lines that may already be in the log
// past that point (after a crash between an append and its record).
struct Position {
  uint64_t next = 0;
  std::multiset<std::string> maybe_done;
  size_t left_to_check = 0;
};

}  // namespace

struct StreamDeriver::State {
  State(const SecretBox& b, Contracts c, StreamRecord src, StreamRecord d)
      : box(b), contracts(std::move(c)), source(std::move(src)), derived(std::move(d)) {}
  const SecretBox& box;
  Contracts contracts;
  StreamRecord source, derived;
  std::string source_topic, keys_topic, derived_topic, group;
  int partitions = 1;
  struct ForContract {
    std::shared_ptr<const EventContract> contract;
    PurposePolicy policy;
  };
  std::map<std::string, ForContract> by_contract;  // by contract ref
  std::map<std::string, TinkKeyset> keys;          // by keyLink
  uint64_t keys_read = 0;                          // the key topic's offset read up to
  std::vector<Position> positions;
};

StreamDeriver::StreamDeriver(EventLog& log, const SecretBox& box, Contracts contracts,
                             StreamRecord source, StreamRecord derived, DeriverOptions options)
    : log_(log),
      state_(std::make_unique<State>(box, std::move(contracts), std::move(source),
                                     std::move(derived))),
      options_(std::move(options)) {
  State& s = *state_;
  s.source_topic = StreamIngest::EventsTopic(s.source.id);
  s.keys_topic = StreamIngest::KeysTopic(s.source.id);
  s.derived_topic = StreamIngest::EventsTopic(s.derived.id);
  s.group = "derive." + s.derived.id;
  thread_ = std::thread([this] { Run(); });
}

StreamDeriver::~StreamDeriver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Result<std::optional<std::string>> StreamDeriver::Derive(std::string_view line) {
  State& s = *state_;
  json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return Internal("a record of " + s.source_topic + " is not an event");
  STRM_ASSIGN_OR_RETURN(ContractRef ref, EventContractRef(event));
  const std::string ref_text = ref.ToString();
  auto it = s.by_contract.find(ref_text);
  if (it == s.by_contract.end()) {
    STRM_ASSIGN_OR_RETURN(DataContract contract, s.contracts(ref));
    const auto masked = s.derived.masked_fields.find(ref_text);
    const std::vector<std::string>* patterns =
        masked == s.derived.masked_fields.end() ? nullptr : &masked->second;
    Purpose purpose{ConsentLevelType::kGranular, s.derived.consent_levels};
    PurposePolicy policy = MakePurposePolicy(contract, purpose, patterns,
                                             Masker(HashType::kMurmur3_128, s.derived.mask_seed));
    STRM_ASSIGN_OR_RETURN(auto made, EventContract::Make(std::move(contract)));
    it = s.by_contract.emplace(ref_text, State::ForContract{made, std::move(policy)}).first;
  }
  const PurposePolicy& policy = it->second.policy;
  if (!policy.Sees(EventConsentLevels(event))) return std::optional<std::string>();

  std::optional<DeterministicAead> aead;
  for (const PurposeField& f : policy.fields) {
    if (f.output == FieldOutput::kAsStored) continue;
    json* v = EventField(event, f.field.path);
    if (v == nullptr || v->is_array() || v->is_object()) continue;
    std::string value = v->is_string() ? v->get<std::string>() : v->dump();
    if (value.empty()) continue;
    if (f.pii_level >= 0) {
      if (!aead) {
        const json* link = EventField(event, "strmMeta/keyLink");
        if (link == nullptr || !link->is_string())
          return Internal("an event of " + s.source_topic + " has no keyLink");
        auto key = s.keys.find(link->get<std::string>());
        if (key == s.keys.end()) {  // newer than what was read: read the key stream on
          STRM_ASSIGN_OR_RETURN(uint64_t end, log_.EndOffset(s.keys_topic, 0));
          while (s.keys_read < end) {
            STRM_ASSIGN_OR_RETURN(LogRead r, log_.Read(s.keys_topic, 0, s.keys_read, 4 << 20,
                                                       std::chrono::milliseconds(0)));
            for (const StoredRecord& rec : r.records) {
              const std::string& sealed = rec.record.value;
              STRM_ASSIGN_OR_RETURN(
                  StreamKeyRecord k,
                  OpenStreamKey(s.box, s.source.id,
                                {reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size()}));
              s.keys[k.key.KeyLinkText()] = k.key.keyset;
            }
            if (r.next_offset <= s.keys_read) break;
            s.keys_read = r.next_offset;
          }
          key = s.keys.find(link->get<std::string>());
          if (key == s.keys.end())
            return Internal("the key of an event of stream " + s.source.name +
                            " is not in its key stream");
        }
        aead.emplace(key->second);
      }
      STRM_ASSIGN_OR_RETURN(value, aead->DecryptBase64(value));
    }
    if (f.output == FieldOutput::kMaskOfPlaintext && policy.masker)
      value = policy.masker->Mask(value);
    *v = std::move(value);
  }
  return std::optional<std::string>(it->second.contract->ToLine(event));
}

void StreamDeriver::Run() {
  State& s = *state_;
  auto fail = [this](const Status& st) {
    running_ = false;
    if (options_.on_error) options_.on_error(st);
  };
  // The source's topic may not exist yet (no event so far): made here as ingest would.
  Status made = log_.CreateTopic(s.source_topic, 1);
  if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return fail(made);
  auto partitions = log_.Partitions(s.source_topic);
  if (!partitions.ok()) return fail(partitions.status());
  s.partitions = *partitions;
  for (const auto& [topic, n] :
       {std::pair{s.keys_topic, 1}, std::pair{s.derived_topic, s.partitions}}) {
    Status t = log_.CreateTopic(topic, n);
    if (!t.ok()) return fail(t);
  }
  s.positions.resize(static_cast<size_t>(s.partitions));
  for (int p = 0; p < s.partitions; ++p) {
    Position& pos = s.positions[static_cast<size_t>(p)];
    auto committed = log_.CommittedOffset(s.group, s.source_topic, p);
    if (!committed.ok()) return fail(committed.status());
    pos.next = committed->value_or(0);
    // The derived tail: at most one batch can be in the log past the recorded position.
    auto end = log_.EndOffset(s.derived_topic, p);
    if (!end.ok()) return fail(end.status());
    const uint64_t from = *end > options_.batch ? *end - options_.batch : 0;
    for (uint64_t o = from; o < *end;) {
      auto r = log_.Read(s.derived_topic, p, o, 4 << 20, std::chrono::milliseconds(0));
      if (!r.ok()) return fail(r.status());
      for (const StoredRecord& rec : r->records) pos.maybe_done.insert(rec.record.value);
      if (r->next_offset <= o) break;
      o = r->next_offset;
    }
    pos.left_to_check = committed->has_value() || *end > 0 ? options_.batch : 0;
  }
  while (!stop_) {
    bool any = false;
    for (int p = 0; p < s.partitions && !stop_; ++p) {
      auto read = log_.Read(s.source_topic, p, s.positions[static_cast<size_t>(p)].next, 1 << 20,
                            s.partitions == 1 ? options_.poll : std::chrono::milliseconds(0));
      if (!read.ok()) return fail(read.status());
      if (read->records.empty()) continue;
      any = true;
      Position& pos = s.positions[static_cast<size_t>(p)];
      std::vector<LogRecord> out;
      for (const StoredRecord& rec : read->records) {
        auto derived = Derive(rec.record.value);
        if (!derived.ok()) return fail(derived.status());
        if (!*derived) continue;
        if (pos.left_to_check > 0) {
          --pos.left_to_check;
          auto done = pos.maybe_done.find(**derived);
          if (done != pos.maybe_done.end()) {  // appended before a crash: not again
            pos.maybe_done.erase(done);
            continue;
          }
        }
        out.push_back({rec.record.key, std::move(**derived)});
      }
      if (!out.empty()) {
        auto appended = AppendAndWait(log_, s.derived_topic, p, std::move(out));
        if (!appended.ok()) return fail(appended.status());
      }
      Status c = log_.CommitOffset(s.group, s.source_topic, p, read->next_offset);
      if (!c.ok()) return fail(c);
      pos.next = read->next_offset;
    }
    if (!any && s.partitions > 1) std::this_thread::sleep_for(options_.poll);
  }
  running_ = false;
}

}  // namespace strm
