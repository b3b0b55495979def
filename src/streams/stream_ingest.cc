#include "streams/stream_ingest.h"

#include <openssl/crypto.h>

#include <random>

#include "core/siphash.h"
#include "privacy/builtin_contracts.h"

namespace strm {
namespace {

bool SameSecret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool HasClient(const StreamRecord& s, std::string_view client_id) {
  for (const StreamCredential& c : s.credentials)
    if (c.client_id == client_id) return true;
  return false;
}

int32_t RandomNonce() {
  thread_local std::mt19937 rng(std::random_device{}());
  return static_cast<int32_t>(rng() & 0x7fffffff);
}

}  // namespace

struct StreamIngest::Source {
  std::string events_topic, keys_topic;
  int partitions = 1;
  std::unique_ptr<StreamKeys> keys;
};

StreamIngest::StreamIngest(Catalog& catalog, EventLog& log, std::span<const uint8_t, 32> master_key,
                           StreamIngestOptions options)
    : catalog_(catalog),
      log_(log),
      box_(master_key),
      tokens_(master_key),
      options_(options),
      now_ms_(options.now_ms),
      max_in_flight_(options.max_in_flight) {}

StreamIngest::~StreamIngest() = default;

Result<StreamLogin> StreamIngest::Issue(const StreamRecord& stream, std::string_view client_id) {
  const int64_t now = Now() / 1000;
  StreamTokenClaims c{
      StreamTokenKind::kAccess, stream.name, stream.id,
      std::string(client_id),   now,         now + options_.access_token_life.count()};
  StreamLogin out;
  out.access_token = tokens_.Issue(c);
  c.kind = StreamTokenKind::kRefresh;
  c.expires_at = now + options_.refresh_token_life.count();
  out.refresh_token = tokens_.Issue(c);
  out.expires_in = options_.access_token_life.count();
  out.refresh_expires_in = options_.refresh_token_life.count();
  out.expires_at = now + out.expires_in;
  return out;
}

Result<StreamLogin> StreamIngest::Login(std::string_view client_id,
                                        std::string_view client_secret) {
  const auto refused = [] { return PermissionDenied("invalid client credentials"); };
  std::string name;
  {
    std::unique_lock lock(mu_);
    auto it = clients_.find(client_id);
    const int64_t now = Now();
    if (it == clients_.end() && now - clients_loaded_at >= options_.cache_ttl.count()) {
      clients_loaded_at = now;  // an unknown id reloads the index once per cache_ttl at most
      lock.unlock();
      STRM_ASSIGN_OR_RETURN(auto all, catalog_.ListStreams());
      lock.lock();
      clients_.clear();
      for (const StreamRecord& s : all)
        for (const StreamCredential& c : s.credentials) clients_[c.client_id] = s.name;
      it = clients_.find(client_id);
    }
    if (it == clients_.end()) return refused();
    name = it->second;
  }
  auto stream = CachedStream(name);
  if (!stream.ok()) return refused();
  for (const StreamCredential& c : (*stream)->credentials)
    if (c.client_id == client_id && SameSecret(c.client_secret, client_secret))
      return Issue(**stream, client_id);
  return refused();
}

Result<StreamLogin> StreamIngest::LoginAs(std::string_view name) {
  STRM_ASSIGN_OR_RETURN(auto stream, CachedStream(name));
  if (stream->credentials.empty())
    return FailedPrecondition("stream " + stream->name + " has no client");
  return Issue(*stream, stream->credentials[0].client_id);
}

Result<StreamLogin> StreamIngest::Refresh(std::string_view refresh_token) {
  STRM_ASSIGN_OR_RETURN(StreamTokenClaims c,
                        tokens_.Verify(refresh_token, StreamTokenKind::kRefresh, Now() / 1000));
  auto stream = CachedStream(c.stream);
  if (!stream.ok() || (*stream)->id != c.stream_id || !HasClient(**stream, c.client_id))
    return PermissionDenied("the token's stream or client no longer exists");
  return Issue(**stream, c.client_id);
}

Result<StreamTokenClaims> StreamIngest::Authorize(std::string_view access_token) {
  // A token checked lately is not checked again (its signature costs more than the rest of a
  // small event) until its stream's cache entry is due, so a deleted stream's tokens still
  // stop within cache_ttl.
  const int64_t now = Now();
  {
    std::lock_guard lock(mu_);
    auto it = authorized_.find(access_token);
    if (it != authorized_.end() && now < it->second.valid_until) return it->second.claims;
  }
  STRM_ASSIGN_OR_RETURN(StreamTokenClaims c,
                        tokens_.Verify(access_token, StreamTokenKind::kAccess, now / 1000));
  int64_t fetched_at = 0;
  auto stream = CachedStream(c.stream, &fetched_at);
  if (!stream.ok() || (*stream)->id != c.stream_id || !HasClient(**stream, c.client_id))
    return PermissionDenied("the token's stream or client no longer exists");
  std::lock_guard lock(mu_);
  if (authorized_.size() >= kMaxAuthorized) authorized_.clear();
  authorized_[std::string(access_token)] = {
      c, std::min(fetched_at + options_.cache_ttl.count(), c.expires_at * 1000)};
  return c;
}

Result<std::shared_ptr<const StreamRecord>> StreamIngest::CachedStream(std::string_view name,
                                                                       int64_t* fetched_at) {
  const int64_t now = Now();
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(name);
    if (it != streams_.end() && now - it->second.fetched_at < options_.cache_ttl.count()) {
      if (fetched_at) *fetched_at = it->second.fetched_at;
      return it->second.stream;
    }
  }
  auto s = catalog_.GetStream(name);
  std::lock_guard lock(mu_);
  if (!s.ok()) {
    streams_.erase(std::string(name));
    return s.status();
  }
  auto shared = std::make_shared<const StreamRecord>(std::move(s).value());
  streams_[std::string(name)] = {shared, now};
  if (fetched_at) *fetched_at = now;
  return shared;
}

Result<std::shared_ptr<const EventContract>> StreamIngest::CachedContract(const ContractRef& ref) {
  const std::string key = ref.ToString();
  {
    std::lock_guard lock(mu_);
    if (auto it = contracts_.find(key); it != contracts_.end()) return it->second;
  }
  auto contract = catalog_.GetDataContract(ref);
  if (contract.status().code() == StatusCode::kNotFound)
    return InvalidArgument("field 'strmMeta.eventContractRef' names data contract " + key +
                           ", which does not exist");
  if (!contract.ok()) return contract.status();
  STRM_ASSIGN_OR_RETURN(auto made, EventContract::Make(std::move(contract).value()));
  std::lock_guard lock(mu_);
  contracts_[key] = made;  // versions never change; a deleted one is kept until a restart
  return made;
}

Result<std::shared_ptr<StreamIngest::Source>> StreamIngest::SourceOf(const StreamRecord& stream) {
  std::lock_guard lock(mu_);
  if (auto it = sources_.find(stream.id); it != sources_.end()) return it->second;
  auto source = std::make_shared<Source>();
  source->events_topic = EventsTopic(stream.id);
  source->keys_topic = KeysTopic(stream.id);
  Status made = log_.CreateTopic(source->events_topic, options_.partitions);
  if (!made.ok() && made.code() != StatusCode::kAlreadyExists) return made;
  STRM_ASSIGN_OR_RETURN(source->partitions, log_.Partitions(source->events_topic));
  STRM_RETURN_IF_ERROR(log_.CreateTopic(source->keys_topic, 1));
  const std::string keys_topic = source->keys_topic, stream_id = stream.id;
  source->keys = std::make_unique<StreamKeys>(
      box_, stream.id,
      [this, keys_topic, stream_id](const StreamKeyRecord& k, std::function<void(Status)> done) {
        const Bytes sealed = SealStreamKey(box_, stream_id, k);
        log_.Append(keys_topic, 0,
                    {{k.key.KeyLinkText(), std::string(sealed.begin(), sealed.end())}},
                    [done](Result<uint64_t> r) { done(r.status()); });
      },
      options_.key_life);
  // The keys still young enough, back from the key stream.
  const int64_t now = Now();
  STRM_ASSIGN_OR_RETURN(uint64_t end, log_.EndOffset(keys_topic, 0));
  STRM_ASSIGN_OR_RETURN(uint64_t offset, log_.StartOffset(keys_topic, 0));
  while (offset < end) {
    STRM_ASSIGN_OR_RETURN(LogRead read,
                          log_.Read(keys_topic, 0, offset, 4 << 20, std::chrono::milliseconds(0)));
    for (const StoredRecord& r : read.records) {
      const auto& v = r.record.value;
      STRM_ASSIGN_OR_RETURN(
          StreamKeyRecord k,
          OpenStreamKey(box_, stream_id,
                        std::span(reinterpret_cast<const uint8_t*>(v.data()), v.size())));
      if (k.created_at + options_.key_life.count() > now) source->keys->Restore(k);
    }
    if (read.next_offset <= offset) break;
    offset = read.next_offset;
  }
  sources_[stream.id] = source;
  return source;
}

Result<std::shared_ptr<const AvroSchema>> StreamIngest::CachedAvro(std::string_view schema_ref) {
  {
    std::lock_guard lock(mu_);
    if (auto it = avro_.find(schema_ref); it != avro_.end()) return it->second;
  }
  std::string text;
  if (auto builtin = BuiltinAvroSchema(schema_ref)) {
    text = *builtin;
  } else {
    // A contract of the catalog: its events' Avro schema is the one its simple schema gives.
    auto ref = ContractRef::Parse(schema_ref);
    if (!ref.ok())
      return InvalidArgument("no Avro schema is known for schema ref " + std::string(schema_ref) +
                             ": it must name a data contract (handle/name/version)");
    auto contract = CachedContract(*ref);
    if (!contract.ok())
      return InvalidArgument("no Avro schema is known for schema ref " + std::string(schema_ref) +
                             ": no such data contract");
    text = AvroSchemaJson((*contract)->contract().schema).dump();
  }
  auto parsed = AvroSchema::Parse(text);
  if (!parsed.ok())
    return InvalidArgument("the schema of " + std::string(schema_ref) +
                           " has no Avro form: " + parsed.status().message());
  auto shared = std::make_shared<const AvroSchema>(std::move(parsed).value());
  std::lock_guard lock(mu_);
  avro_[std::string(schema_ref)] = shared;  // versions never change
  return shared;
}

void StreamIngest::Ingest(const StreamTokenClaims& who, EventEncoding encoding,
                          std::string_view schema_ref, std::string_view body,
                          std::function<void(Status)> done) {
  std::shared_ptr<const AvroSchema> avro;
  if (BuiltinAvroSchema(schema_ref) || encoding == EventEncoding::kAvroBinary) {
    if (schema_ref.empty())
      return done(InvalidArgument(
          "the header Strm-Schema-Ref is missing (it names the schema of an Avro body)"));
    auto found = CachedAvro(schema_ref);
    if (!found.ok()) return done(found.status());
    avro = *found;
  }
  auto event = DecodeEvent(encoding, body, avro.get());
  if (!event.ok()) return done(event.status());
  IngestDecoded(who, std::move(event).value(), std::move(done));
}

Result<std::shared_ptr<StreamIngest::Source>> StreamIngest::WritableSource(
    const StreamTokenClaims& who) {
  auto stream = CachedStream(who.stream);
  if (!stream.ok()) return PermissionDenied("stream " + who.stream + " no longer exists");
  if (!(*stream)->linked_stream.empty())
    return PermissionDenied("stream " + (*stream)->name +
                            " is derived: its events come from stream " + (*stream)->linked_stream +
                            ", not from clients");
  return SourceOf(**stream);
}

void StreamIngest::IngestDecoded(const StreamTokenClaims& who, nlohmann::json event,
                                 std::function<void(Status)> done) {
  std::vector<nlohmann::json> one;
  one.push_back(std::move(event));
  IngestBatch(who, std::move(one),
              [done = std::move(done)](std::vector<Status> r) { done(std::move(r[0])); });
}

// A batch waits for the keys of all its events (new ones are stored first), seals them in
// order, and appends them with one Append per partition: one group commit for the request.
struct StreamIngest::Batch {
  std::vector<nlohmann::json> events;
  std::vector<Status> results;
  std::vector<std::shared_ptr<const EventContract>> contracts;  // null: refused
  std::vector<DataKey> keys;
  std::atomic<size_t> left{0};  // keys, then partitions, still to come
  std::shared_ptr<Source> source;
  int64_t now = 0;
  std::function<void(std::vector<Status>)> done;
};

void StreamIngest::IngestBatch(const StreamTokenClaims& who, std::vector<nlohmann::json> events,
                               std::function<void(std::vector<Status>)> done) {
  auto b = std::make_shared<Batch>();
  const size_t n = events.size();
  b->events = std::move(events);
  b->results.resize(n);
  b->contracts.resize(n);
  b->keys.resize(n);
  b->done = std::move(done);
  b->now = Now();
  auto source = WritableSource(who);
  if (!source.ok()) {
    for (Status& r : b->results) r = source.status();
    return b->done(std::move(b->results));
  }
  b->source = *source;
  std::vector<std::string> key_values(n);
  for (size_t i = 0; i < n; ++i) {
    auto ref = EventContractRef(b->events[i]);
    if (!ref.ok()) {
      b->results[i] = ref.status();
      continue;
    }
    auto contract = CachedContract(*ref);
    if (!contract.ok()) {
      b->results[i] = contract.status();
      continue;
    }
    auto key_value = (*contract)->Check(b->events[i]);
    if (!key_value.ok()) {
      b->results[i] = key_value.status();
      continue;
    }
    b->contracts[i] = *contract;
    key_values[i] = std::move(key_value).value();
  }
  in_flight_.fetch_add(n, std::memory_order_relaxed);
  b->left = n + 1;  // one more for this loop, so that Seal waits for its end
  for (size_t i = 0; i < n; ++i) {
    if (!b->contracts[i]) {
      b->left.fetch_sub(1);
      continue;
    }
    b->source->keys->WithKey(key_values[i], b->now, [this, b, i](Result<DataKey> key) {
      if (key.ok()) {
        b->keys[i] = std::move(key).value();
      } else {
        b->results[i] = key.status();
        b->contracts[i] = nullptr;
      }
      if (b->left.fetch_sub(1) == 1) Seal(b);
    });
  }
  if (b->left.fetch_sub(1) == 1) Seal(b);
}

void StreamIngest::Seal(const std::shared_ptr<Batch>& b) {
  const Source& src = *b->source;
  std::vector<std::vector<LogRecord>> records(src.partitions);
  std::vector<std::vector<size_t>> indexes(src.partitions);  // events of each append
  std::optional<DeterministicAead> aead;
  const TinkKeyset* aead_keyset = nullptr;
  for (size_t i = 0; i < b->events.size(); ++i) {
    if (!b->contracts[i]) continue;
    const DataKey& key = b->keys[i];
    if (!aead) {
      aead.emplace(key.keyset);
    } else if (!(*aead_keyset == key.keyset)) {
      aead->Rekey(key.keyset);  // the cipher contexts reused
    }
    aead_keyset = &key.keyset;
    b->contracts[i]->Seal(b->events[i], key, *aead, RandomNonce(), b->now);
    std::string link = key.KeyLinkText();
    const int partition =
        src.partitions == 1 ? 0 : static_cast<int>(SipHash24(SipKey{}, link) % src.partitions);
    std::string line = b->contracts[i]->ToLine(b->events[i]);
    records[partition].push_back({std::move(link), std::move(line)});
    indexes[partition].push_back(i);
  }
  size_t appends = 0;
  for (const auto& r : records) appends += r.empty() ? 0 : 1;
  auto finish = [this, b] {
    in_flight_.fetch_sub(b->events.size(), std::memory_order_relaxed);
    b->done(std::move(b->results));
  };
  if (appends == 0) return finish();
  b->left = appends;
  for (int p = 0; p < src.partitions; ++p) {
    if (records[p].empty()) continue;
    log_.Append(src.events_topic, p, std::move(records[p]),
                [b, finish, which = std::move(indexes[p])](Result<uint64_t> r) {
                  if (!r.ok())
                    for (size_t i : which) b->results[i] = r.status();
                  if (b->left.fetch_sub(1) == 1) finish();
                });
  }
}

}  // namespace strm
