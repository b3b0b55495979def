// Fuzzes Avro (formats/avro.h), the body of every event a client posts:
//   input: [mode byte] rest...
//   mode even: rest is a datum of STRM's demo event schema; mode odd: rest is a schema's text.
// A datum that decodes must encode again to a datum that decodes to the same value, and read
// back from its JSON form unchanged; a schema that parses must take a datum of nothing but
// zeros without crashing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "formats/avro.h"

namespace strm {
namespace {

constexpr std::string_view kDemo = R"({"type": "record", "name": "DemoEvent",
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
  {"name": "notSensitiveValue", "type": ["null", "string"], "default": null},
  {"name": "score", "type": ["null", "double", {"type": "map", "values": "float"}]},
  {"name": "raw", "type": {"type": "fixed", "name": "Raw", "size": 3}},
  {"name": "tags", "type": {"type": "array", "items": {"type": "enum", "name": "T",
    "symbols": ["A", "B"]}}}]})";

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "avro_fuzzer: %s\n", what);
    std::abort();
  }
}

void FuzzDatum(const AvroSchema& schema, std::string_view datum) {
  auto value = schema.DecodeBinary(datum);
  if (!value.ok()) return;
  auto again = schema.EncodeBinary(*value);
  Check(again.ok(), "a decoded value does not encode");
  auto back = schema.DecodeBinary(*again);
  Check(back.ok() && *back == *value, "encoding a decoded value changes it");
  auto from_json = schema.FromJson(*value);
  Check(from_json.ok() && *from_json == *value, "a decoded value does not read back as JSON");
}

}  // namespace
}  // namespace strm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const strm::AvroSchema demo = *strm::AvroSchema::Parse(strm::kDemo);
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    strm::FuzzDatum(demo, rest);
  } else if (auto schema = strm::AvroSchema::Parse(rest); schema.ok()) {
    strm::FuzzDatum(*schema, std::string(64, '\0'));
  }
  return 0;
}
