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
  auto stream = CachedStream(c.stream);
  if (!stream.ok() || (*stream)->id != c.stream_id || !HasClient(**stream, c.client_id))
    return PermissionDenied("the token's stream or client no longer exists");
  std::lock_guard lock(mu_);
  if (authorized_.size() >= kMaxAuthorized) authorized_.clear();
  auto stream_entry = streams_.find(c.stream);
  const int64_t stream_due = stream_entry == streams_.end()
                                 ? now
                                 : stream_entry->second.fetched_at + options_.cache_ttl.count();
  authorized_[std::string(access_token)] = {c, std::min(stream_due, c.expires_at * 1000)};
  return c;
}

Result<std::shared_ptr<const StreamRecord>> StreamIngest::CachedStream(std::string_view name) {
  const int64_t now = Now();
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(name);
    if (it != streams_.end() && now - it->second.fetched_at < options_.cache_ttl.count())
      return it->second.stream;
  }
  auto s = catalog_.GetStream(name);
  std::lock_guard lock(mu_);
  if (!s.ok()) {
    streams_.erase(std::string(name));
    return s.status();
  }
  auto shared = std::make_shared<const StreamRecord>(std::move(s).value());
  streams_[std::string(name)] = {shared, now};
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

void StreamIngest::Ingest(const StreamTokenClaims& who, EventEncoding encoding,
                          std::string_view schema_ref, std::string_view body,
                          std::function<void(Status)> done) {
  std::shared_ptr<const AvroSchema> avro;
  if (auto text = BuiltinAvroSchema(schema_ref)) {
    std::lock_guard lock(mu_);
    auto& cached = avro_[std::string(schema_ref)];
    if (!cached) {
      auto parsed = AvroSchema::Parse(*text);
      if (!parsed.ok()) return done(parsed.status());
      cached = std::make_shared<const AvroSchema>(std::move(parsed).value());
    }
    avro = cached;
  } else if (encoding == EventEncoding::kAvroBinary) {
    return done(InvalidArgument(
        schema_ref.empty()
            ? "the header Strm-Schema-Ref is missing (it names the schema of an Avro body)"
            : "no Avro schema is known for schema ref " + std::string(schema_ref) +
                  ": send the event as application/json"));
  }
  auto event = DecodeEvent(encoding, body, avro.get());
  if (!event.ok()) return done(event.status());
  IngestDecoded(who, std::move(event).value(), std::move(done));
}

void StreamIngest::IngestDecoded(const StreamTokenClaims& who, nlohmann::json event,
                                 std::function<void(Status)> done) {
  auto stream = CachedStream(who.stream);
  if (!stream.ok()) return done(PermissionDenied("stream " + who.stream + " no longer exists"));
  if (!(*stream)->linked_stream.empty())
    return done(PermissionDenied("stream " + (*stream)->name +
                                 " is derived: its events come from stream " +
                                 (*stream)->linked_stream + ", not from clients"));
  auto ref = EventContractRef(event);
  if (!ref.ok()) return done(ref.status());
  auto contract = CachedContract(*ref);
  if (!contract.ok()) return done(contract.status());
  auto key_value = (*contract)->Check(event);
  if (!key_value.ok()) return done(key_value.status());
  auto source = SourceOf(**stream);
  if (!source.ok()) return done(source.status());

  in_flight_.fetch_add(1, std::memory_order_relaxed);
  auto shared = std::make_shared<nlohmann::json>(std::move(event));
  const int64_t now = Now();
  std::shared_ptr<Source> src = *source;
  std::shared_ptr<const EventContract> c = *contract;
  src->keys->WithKey(*key_value, now, [this, shared, src, c, now, done](Result<DataKey> key) {
    if (!key.ok()) {
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      return done(key.status());
    }
    DeterministicAead aead(key->keyset);
    c->Seal(*shared, *key, aead, RandomNonce(), now);
    const std::string link = key->KeyLinkText();
    const int partition =
        src->partitions == 1 ? 0 : static_cast<int>(SipHash24(SipKey{}, link) % src->partitions);
    log_.Append(src->events_topic, partition, {{link, c->ToLine(*shared)}},
                [this, done](Result<uint64_t> r) {
                  in_flight_.fetch_sub(1, std::memory_order_relaxed);
                  done(r.status());
                });
  });
}

}  // namespace strm
