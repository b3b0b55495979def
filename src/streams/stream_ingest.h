// StreamIngest: the events of source streams, from their clients' credentials to the log
// (SPEC §3 "Tokens" and "Ingest"), without HTTP (server/stream_routes.h speaks that).
//
// Clients log in with a stream's client id and secret and get an access token bound to that
// stream (streams/stream_tokens.h). An event sent with it is decoded, checked against the
// contract its strmMeta names, encrypted under the key of (stream, key-field value)
// (streams/stream_keys.h; a new key is durable in the key stream first), given its strmMeta,
// and appended to the stream's events topic; `done` is called once it is durable. Events of
// all connections share the log's group commit.
//
// Each source stream has two topics, named after its id (so a stream deleted and made again
// starts empty): "events.<id>" and "keys.<id>" (sealed key records). Streams and contracts
// are read from the catalog and kept for `cache_ttl`: a deleted stream's tokens stop working
// within that time. Thread-safe; `done` runs on the calling thread or the log's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "catalog/catalog.h"
#include "catalog/secret_box.h"
#include "core/result.h"
#include "streams/event_log.h"
#include "streams/stream_events.h"
#include "streams/stream_keys.h"
#include "streams/stream_tokens.h"

namespace strm {

struct StreamIngestOptions {
  std::function<int64_t()> now_ms;  // epoch ms; the system clock when empty
  std::chrono::milliseconds key_life = std::chrono::hours(24);
  std::chrono::seconds access_token_life{3600};
  std::chrono::seconds refresh_token_life{86400};
  size_t max_in_flight = 100'000;  // events taken and not yet durable; Saturated() above
  std::chrono::milliseconds cache_ttl{2000};
  int partitions = 1;  // of a new stream's events topic
};

struct StreamLogin {
  std::string access_token, refresh_token;
  int64_t expires_in = 0;          // s
  int64_t refresh_expires_in = 0;  // s
  int64_t expires_at = 0;          // epoch s
};

class StreamIngest {
 public:
  StreamIngest(Catalog& catalog, EventLog& log, std::span<const uint8_t, 32> master_key,
               StreamIngestOptions options = {});
  ~StreamIngest();

  // Client credentials -> tokens. PermissionDenied "invalid client credentials" for an unknown
  // client or a wrong secret (the same sentence for both).
  Result<StreamLogin> Login(std::string_view client_id, std::string_view client_secret);
  // A refresh token -> new tokens; PermissionDenied with the reason.
  Result<StreamLogin> Refresh(std::string_view refresh_token);
  // Tokens for the first client of stream `name`, for whoever may act for the stream (the
  // holder of an API token: `strm listen web-socket`, `strm simulate random-events`).
  Result<StreamLogin> LoginAs(std::string_view name);
  // An access token's claims, if it is valid and its stream and client still exist.
  Result<StreamTokenClaims> Authorize(std::string_view access_token);

  // Too many events wait for the disk: the caller should answer 429.
  bool Saturated() const { return in_flight_.load(std::memory_order_relaxed) >= max_in_flight_; }

  // One event of `who`'s stream. done(OK) once it is durable; InvalidArgument (the event is
  // wrong: one sentence naming the field), PermissionDenied (a derived stream's client),
  // NotFound (an unknown contract) or the log's error otherwise.
  void Ingest(const StreamTokenClaims& who, EventEncoding encoding, std::string_view schema_ref,
              std::string_view body, std::function<void(Status)> done);
  // The same for an event already decoded (a JSON element of a batch).
  void IngestDecoded(const StreamTokenClaims& who, nlohmann::json event,
                     std::function<void(Status)> done);
  // Many decoded events (POST /events): done(one status per event, in order) once all that
  // were taken are durable, with one append per partition for them all.
  void IngestBatch(const StreamTokenClaims& who, std::vector<nlohmann::json> events,
                   std::function<void(std::vector<Status>)> done);

  static std::string EventsTopic(std::string_view stream_id) {
    return "events." + std::string(stream_id);
  }
  static std::string KeysTopic(std::string_view stream_id) {
    return "keys." + std::string(stream_id);
  }

 private:
  struct Source;  // a source stream's topics and keys
  struct Batch;   // events on their way to the log
  Result<std::shared_ptr<Source>> WritableSource(const StreamTokenClaims& who);
  void Seal(const std::shared_ptr<Batch>& b);
  // `fetched_at`, if given, gets when the record was read from the catalog (epoch ms).
  Result<std::shared_ptr<const StreamRecord>> CachedStream(std::string_view name,
                                                           int64_t* fetched_at = nullptr);
  Result<std::shared_ptr<const EventContract>> CachedContract(const ContractRef& ref);
  Result<std::shared_ptr<const AvroSchema>> CachedAvro(std::string_view schema_ref);
  Result<std::shared_ptr<Source>> SourceOf(const StreamRecord& stream);
  Result<StreamLogin> Issue(const StreamRecord& stream, std::string_view client_id);
  int64_t Now() const { return now_ms_ ? now_ms_() : NowMillis(); }

  Catalog& catalog_;
  EventLog& log_;
  SecretBox box_;
  StreamTokens tokens_;
  const StreamIngestOptions options_;
  const std::function<int64_t()> now_ms_;
  const size_t max_in_flight_;
  std::atomic<size_t> in_flight_{0};

  std::mutex mu_;
  struct CachedRecord {
    std::shared_ptr<const StreamRecord> stream;
    int64_t fetched_at = 0;
  };
  struct StringHash {  // lookups by string_view
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct AuthorizedToken {
    StreamTokenClaims claims;
    int64_t valid_until = 0;  // epoch ms
  };
  static constexpr size_t kMaxAuthorized = 10'000;  // tokens remembered; then forgotten at once
  std::unordered_map<std::string, AuthorizedToken, StringHash, std::equal_to<>> authorized_;
  std::map<std::string, CachedRecord, std::less<>> streams_;  // by name
  std::map<std::string, std::string, std::less<>> clients_;   // client id -> stream name
  int64_t clients_loaded_at = -1;
  std::map<std::string, std::shared_ptr<const EventContract>, std::less<>> contracts_;
  std::map<std::string, std::shared_ptr<Source>, std::less<>> sources_;         // by stream id
  std::map<std::string, std::shared_ptr<const AvroSchema>, std::less<>> avro_;  // by schema ref
};

}  // namespace strm
