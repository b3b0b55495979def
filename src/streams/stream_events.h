// The events of a source stream (SPEC §3 "Ingest"): an event is read from its body (Avro
// binary, or JSON plain or in Avro's encoding), checked against the contract that its
// strmMeta.eventContractRef names, encrypted field by field under its key, given its strmMeta,
// and written as one line of JSON, strmMeta first and the contract's fields in schema order:
// the form events keep in the log, egress and exports.
//
// An EventContract is a contract made ready for events once (its regexes compiled); it is
// immutable and thread-safe. Every error is InvalidArgument and one sentence that names the
// field and never holds a value (values may be personal data).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/result.h"
#include "formats/avro.h"
#include "privacy/consent.h"
#include "privacy/contract.h"
#include "privacy/tink_keyset.h"

namespace re2 {
class RE2;
}

namespace strm {

// "application/x-avro-binary", "application/json"; a request without the header is Avro
// binary (STRM's Java and Rust drivers send none).
enum class EventEncoding { kAvroBinary, kJson };
// Unsupported (-> 415) for another media type; parameters (";charset=...") are ignored.
std::optional<EventEncoding> ParseEventEncoding(std::string_view header);

// The event of `body` as a plain JSON object. `avro`: the Avro schema of the sender's schema
// ref, when strm knows it (binary needs it; JSON is read through it when given, so Avro's
// tagged unions are understood).
Result<nlohmann::json> DecodeEvent(EventEncoding encoding, std::string_view body,
                                   const AvroSchema* avro);

// strmMeta.eventContractRef of a decoded event.
Result<ContractRef> EventContractRef(const nlohmann::json& event);

class EventContract {
 public:
  static Result<std::shared_ptr<const EventContract>> Make(DataContract contract);
  ~EventContract();
  const DataContract& contract() const { return contract_; }

  // Checks the event: strmMeta (an object whose consentLevels, if any, are integers >= 0),
  // each schema field's type and presence (required fields, repeated ones as arrays), the
  // regex validations of non-empty values, and a non-empty key field. Returns the key field's
  // value (numbers and booleans as their JSON text).
  Result<std::string> Check(const nlohmann::json& event) const;

  // Encrypts each PII field's non-empty value in place (standard base64 of the Tink
  // ciphertext; a number or boolean is encrypted as its JSON text) and fills strmMeta:
  // nonce, timestamp (epoch ms), keyLink; billingId and consentLevels stay as sent.
  void Seal(nlohmann::json& event, const DataKey& key, const DeterministicAead& aead, int32_t nonce,
            int64_t timestamp) const;

  // One line of JSON (no newline): strmMeta first (its members in STRM's order), then the
  // schema's top-level fields in order, then any other member.
  std::string ToLine(const nlohmann::json& event) const;

 private:
  explicit EventContract(DataContract contract);
  DataContract contract_;
  std::vector<std::unique_ptr<re2::RE2>> regexes_;  // one per validation
};

// The member of an event at a contract path ("customer/id"), or nullptr when it is absent or
// null.
const nlohmann::json* EventField(const nlohmann::json& event, std::string_view path);
nlohmann::json* EventField(nlohmann::json& event, std::string_view path);

// The consent levels of an event (strmMeta.consentLevels, sorted, each once; none: empty).
ConsentLevels EventConsentLevels(const nlohmann::json& event);

}  // namespace strm
