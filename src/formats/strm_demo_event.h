// The Avro schema of STRM's demo events (record io.strmprivacy.schemas.demo.v1.DemoEvent), as
// STRM's drivers define it (docs/strm-wire.md, section 1): the events of the built-in contract
// strmprivacy/example/1.3.0, whose schema ref is also strmprivacy/demo/1.0.2.
#pragma once

#include <string_view>

namespace strm {

inline constexpr std::string_view kStrmDemoEventAvroSchema =
    R"({"type": "record", "name": "DemoEvent",
  "namespace": "io.strmprivacy.schemas.demo.v1", "fields": [
  {"name": "strmMeta", "type": {"type": "record", "name": "StrmMeta", "fields": [
    {"name": "eventContractRef", "type": "string"},
    {"name": "nonce", "type": ["null", "int"], "default": null},
    {"name": "timestamp", "type": ["null", "long"], "default": null},
    {"name": "keyLink", "type": ["null", "string"], "default": null},
    {"name": "billingId", "type": ["null", "string"], "default": null},
    {"name": "consentLevels", "type": {"type": "array", "items": "int"}}]}},
  {"name": "uniqueIdentifier", "type": ["null", "string"], "default": null},
  {"name": "consistentValue", "type": "string"},
  {"name": "someSensitiveValue", "type": ["null", "string"], "default": null},
  {"name": "notSensitiveValue", "type": ["null", "string"], "default": null}]})";

}  // namespace strm
