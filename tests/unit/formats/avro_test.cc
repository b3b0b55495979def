// Avro schemas and datums (formats/avro.h), against the byte examples of the Avro 1.11
// specification ("Binary Encoding") and the shape of STRM's demo events.
#include "formats/avro.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "formats/strm_demo_event.h"

namespace strm {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

AvroSchema Schema(const std::string& text) {
  auto s = AvroSchema::Parse(text);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : *AvroSchema::Parse(R"("null")");
}

TEST(Avro, LongsAreZigZagVarints) {
  const AvroSchema s = Schema(R"("long")");
  const std::vector<std::pair<int64_t, std::string>> examples = {
      {0, Bytes({0x00})}, {-1, Bytes({0x01})},  {1, Bytes({0x02})},       {-2, Bytes({0x03})},
      {2, Bytes({0x04})}, {-64, Bytes({0x7f})}, {64, Bytes({0x80, 0x01})}};
  for (const auto& [v, bytes] : examples) {
    EXPECT_EQ(*s.EncodeBinary(v), bytes) << v;
    EXPECT_EQ(*s.DecodeBinary(bytes), json(v)) << v;
  }
  for (int64_t v : {INT64_MAX, INT64_MIN, int64_t{1} << 40})
    EXPECT_EQ(*s.DecodeBinary(*s.EncodeBinary(v)), json(v));
  EXPECT_EQ(s.DecodeBinary(Bytes({0x80})).status().message(),
            "avro datum: the value ends before the datum does");
  EXPECT_EQ(s.DecodeBinary(std::string(11, '\xff')).status().message(),
            "avro datum: the value is a number longer than 64 bits");
  EXPECT_EQ(Schema(R"("int")").DecodeBinary(*s.EncodeBinary(int64_t{1} << 40)).status().message(),
            "avro datum: the value does not fit an int");
}

// The specification's record example: {"a": 27, "b": "foo"} is 36 06 66 6f 6f.
TEST(Avro, RecordsAreTheirFieldsInOrder) {
  const AvroSchema s = Schema(R"({"type": "record", "name": "test", "fields": [
      {"name": "a", "type": "long"}, {"name": "b", "type": "string"}]})");
  const std::string bytes = Bytes({0x36, 0x06, 0x66, 0x6f, 0x6f});
  EXPECT_EQ(*s.EncodeBinary(json{{"a", 27}, {"b", "foo"}}), bytes);
  EXPECT_EQ(*s.DecodeBinary(bytes), (json{{"a", 27}, {"b", "foo"}}));
  EXPECT_EQ(s.DecodeBinary(bytes + "x").status().message(),
            "avro datum: bytes follow the end of the value");
  EXPECT_EQ(s.DecodeBinary(bytes.substr(0, 1)).status().message(),
            "avro datum: field 'b' ends before the datum does");
  EXPECT_EQ(s.DecodeBinary(Bytes({0x36, 0x7e})).status().message(),
            "avro datum: field 'b' has a length beyond the end of the datum");
}

// The specification's examples: an array of longs [3, 27] is 04 06 36 00; a union
// ["null","string"] is 00 for null and 02 02 61 for "a".
TEST(Avro, ArraysMapsAndUnions) {
  const AvroSchema array = Schema(R"({"type": "array", "items": "long"})");
  EXPECT_EQ(*array.EncodeBinary(json{3, 27}), Bytes({0x04, 0x06, 0x36, 0x00}));
  EXPECT_EQ(*array.DecodeBinary(Bytes({0x04, 0x06, 0x36, 0x00})), json({3, 27}));
  // Blocks with a negative count carry their size: read as well.
  EXPECT_EQ(*array.DecodeBinary(Bytes({0x03, 0x04, 0x06, 0x36, 0x00})), json({3, 27}));
  const AvroSchema u = Schema(R"(["null", "string"])");
  EXPECT_EQ(*u.EncodeBinary(nullptr), Bytes({0x00}));
  EXPECT_EQ(*u.EncodeBinary("a"), Bytes({0x02, 0x02, 0x61}));
  EXPECT_EQ(*u.DecodeBinary(Bytes({0x02, 0x02, 0x61})), json("a"));
  EXPECT_EQ(u.DecodeBinary(Bytes({0x04})).status().message(),
            "avro datum: the value names no branch of its union");
  const AvroSchema map = Schema(R"({"type": "map", "values": "int"})");
  EXPECT_EQ(*map.DecodeBinary(*map.EncodeBinary(json{{"x", 1}, {"y", -2}})),
            (json{{"x", 1}, {"y", -2}}));
  // A count no datum of this size can hold is refused before anything is allocated.
  const AvroSchema nulls = Schema(R"({"type": "array", "items": "null"})");
  EXPECT_THAT(nulls.DecodeBinary(Bytes({0xfe, 0xff, 0xff, 0xff, 0x0f})).status().message(),
              HasSubstr("has more items than the datum can hold"));
}

TEST(Avro, PrimitivesEnumsFixedAndBytes) {
  const AvroSchema s = Schema(R"({"type": "record", "name": "P", "namespace": "x", "fields": [
      {"name": "b", "type": "boolean"}, {"name": "f", "type": "float"},
      {"name": "d", "type": "double"}, {"name": "e", "type": {"type": "enum", "name": "E",
        "symbols": ["RED", "GREEN"]}},
      {"name": "x", "type": {"type": "fixed", "name": "F", "size": 2}},
      {"name": "y", "type": "bytes"}, {"name": "again", "type": "E"}]})");
  const json v = {{"b", true},           {"f", 1.5}, {"d", -0.25},    {"e", "GREEN"},
                  {"x", "\xc3\xbf\x01"}, {"y", ""},  {"again", "RED"}};
  const std::string bytes = *s.EncodeBinary(v);
  EXPECT_EQ(bytes, Bytes({0x01, 0x00, 0x00, 0xc0, 0x3f, 0, 0, 0, 0, 0, 0, 0xd0, 0xbf, 0x02, 0xff,
                          0x01, 0x00, 0x00}));
  EXPECT_EQ(*s.DecodeBinary(bytes), v);
  EXPECT_EQ(s.FromJson(json{{"b", true},
                            {"f", 1},
                            {"d", 0},
                            {"e", "BLUE"},
                            {"x", "ab"},
                            {"y", ""},
                            {"again", "RED"}})
                .status()
                .message(),
            "field 'e' is not a symbol of enum x.E");
  std::string bad = bytes;
  bad[0] = 2;
  EXPECT_EQ(s.DecodeBinary(bad).status().message(),
            "avro datum: field 'b' is not a boolean (0 or 1)");
  const AvroSchema str = Schema(R"("string")");
  EXPECT_EQ(str.DecodeBinary(Bytes({0x04, 0xc3, 0x28})).status().message(),
            "avro datum: the value is not valid UTF-8");
}

// STRM's demo events: strmMeta with a union and an array, then the event's fields.
constexpr std::string_view kDemo = kStrmDemoEventAvroSchema;

TEST(Avro, DemoEventsReadFromBinaryPlainJsonAndAvroJsonAlike) {
  const AvroSchema s = Schema(std::string(kDemo));
  const json plain = {{"strmMeta",
                       {{"eventContractRef", "strmprivacy/example/1.3.0"},
                        {"nonce", nullptr},
                        {"timestamp", nullptr},
                        {"keyLink", nullptr},
                        {"billingId", nullptr},
                        {"consentLevels", {0, 1}}}},
                      {"uniqueIdentifier", "u-1"},
                      {"consistentValue", "session-7"},
                      {"someSensitiveValue", nullptr},
                      {"notSensitiveValue", "ok"}};
  const std::string binary = *s.EncodeBinary(plain);
  EXPECT_EQ(*s.DecodeBinary(binary), plain);
  // Avro's JSON encoding tags the unions' values; defaults fill what is left out.
  const json avro_json = json::parse(R"({"strmMeta": {"eventContractRef":
      "strmprivacy/example/1.3.0", "consentLevels": [0, 1]}, "uniqueIdentifier":
      {"string": "u-1"}, "consistentValue": "session-7", "notSensitiveValue": {"string": "ok"}})");
  EXPECT_EQ(*s.FromJson(avro_json), plain);
  // Errors name the field, never the value.
  json wrong = plain;
  wrong["strmMeta"]["consentLevels"][1] = "secret-level";
  auto e = s.FromJson(wrong);
  EXPECT_EQ(e.status().message(),
            "field 'strmMeta.consentLevels[1]' must be an integer of 32 bits");
  wrong = plain;
  wrong.erase("consistentValue");
  EXPECT_EQ(s.FromJson(wrong).status().message(), "field 'consistentValue' is missing");
  wrong = plain;
  wrong["email"] = "alice@example.com";
  EXPECT_EQ(s.FromJson(wrong).status().message(),
            "field 'email' is not in the schema (record io.strmprivacy.schemas.demo.v1.DemoEvent)");
  wrong = plain;
  wrong["uniqueIdentifier"] = 12;
  EXPECT_EQ(s.FromJson(wrong).status().message(),
            "field 'uniqueIdentifier' must be one of null, string");
  std::string cut = binary.substr(0, binary.size() - 3);
  EXPECT_THAT(s.DecodeBinary(cut).status().message(), HasSubstr("notSensitiveValue"));
}

// A demo event worked out by hand from the specification (docs/strm-wire.md, section 3), as
// STRM's drivers put it on the wire.
TEST(Avro, ADemoEventEncodesAsTheDriversSendIt) {
  const AvroSchema s = Schema(std::string(kDemo));
  const json event = {
      {"strmMeta", {{"eventContractRef", "strmprivacy/example/1.3.0"}, {"consentLevels", {0, 1}}}},
      {"uniqueIdentifier", "unique-14"},
      {"consistentValue", "session-740"},
      {"someSensitiveValue", "sensitive-1"},
      {"notSensitiveValue", "not-sensitive-39"}};
  auto bytes = s.EncodeBinary(event);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : *bytes) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  EXPECT_EQ(hex,
            "327374726d707269766163792f6578616d706c652f312e332e3000000000040002000212756e69717565"
            "2d31341673657373696f6e2d373430021673656e7369746976652d3102206e6f742d73656e73697469"
            "76652d3339");
}

TEST(Avro, BadSchemasSayWhatIsWrong) {
  auto error = [](const std::string& text) {
    auto s = AvroSchema::Parse(text);
    return s.ok() ? std::string("OK") : s.status().message();
  };
  EXPECT_EQ(error("{"), "avro schema: not valid JSON");
  EXPECT_EQ(error(R"("longer")"), "avro schema: unknown type 'longer'");
  EXPECT_EQ(error(R"({"type": "record", "name": "R", "fields": [{"name": "a"}]})"),
            "avro schema: field 'a' of record 'R' has no type");
  EXPECT_EQ(error(R"({"type": "record", "fields": []})"), "avro schema: a record has no name");
  EXPECT_EQ(error(R"(["null", "null"])"), "avro schema: a union holds two branches of type null");
  EXPECT_EQ(error(R"({"type": "enum", "name": "E", "symbols": []})"),
            "avro schema: enum 'E' has no symbols");
  EXPECT_EQ(error(R"({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"},
      {"name": "a", "type": "int"}]})"),
            "avro schema: record 'R' has two fields 'a'");
  // A record may hold itself (a linked list).
  const AvroSchema list = Schema(R"({"type": "record", "name": "L", "fields": [
      {"name": "v", "type": "int"}, {"name": "next", "type": ["null", "L"]}]})");
  const json v = {{"v", 1}, {"next", {{"v", 2}, {"next", nullptr}}}};
  EXPECT_EQ(*list.DecodeBinary(*list.EncodeBinary(v)), v);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += Bytes({0x02, 0x02});
  EXPECT_THAT(list.DecodeBinary(deep).status().message(), HasSubstr("nested more than 64 deep"));
}

}  // namespace
}  // namespace strm
