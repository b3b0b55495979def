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
#include "formats/strm_demo_event.h"

namespace strm {
namespace {

// STRM's demo event with a field of each kind it lacks (a union with a map, fixed, enums).
std::string FuzzSchema() {
  auto j = nlohmann::json::parse(kStrmDemoEventAvroSchema);
  j["fields"].push_back(nlohmann::json::parse(
      R"({"name": "score", "type": ["null", "double", {"type": "map", "values": "float"}]})"));
  j["fields"].push_back(nlohmann::json::parse(
      R"({"name": "raw", "type": {"type": "fixed", "name": "Raw", "size": 3}})"));
  j["fields"].push_back(nlohmann::json::parse(R"({"name": "tags", "type": {"type": "array",
      "items": {"type": "enum", "name": "T", "symbols": ["A", "B"]}}})"));
  return j.dump();
}

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
  static const strm::AvroSchema demo = *strm::AvroSchema::Parse(strm::FuzzSchema());
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    strm::FuzzDatum(demo, rest);
  } else if (auto schema = strm::AvroSchema::Parse(rest); schema.ok()) {
    strm::FuzzDatum(*schema, std::string(64, '\0'));
  }
  return 0;
}
