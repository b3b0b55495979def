#include "privacy/schema.h"
#include "testing/test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

using ::strm::testing::ReadTestFile;

std::string ErrorOf(std::string_view text) {
  Result<SimpleSchema> r = ParseSimpleSchema(text);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

constexpr char kNestedYaml[] = R"(# An order with a nested customer record.
name: Orders
namespace: com.example.orders
doc: One order per row
nodes:
  - type: string
    name: order_id
    required: true
  - type: NODE
    name: customer
    nodes:
      - type: String
        name: id
        required: true
      - type: LONG
        name: score
        repeated: true
        doc: "loyalty scores"
  - type: float
    name: total
)";

constexpr char kNestedCanonical[] =
    R"({"doc":"One order per row","name":"Orders","namespace":"com.example.orders","nodes":[)"
    R"({"name":"order_id","required":true,"type":"STRING"},)"
    R"({"name":"customer","nodes":[{"name":"id","required":true,"type":"STRING"},)"
    R"({"doc":"loyalty scores","name":"score","repeated":true,"type":"LONG"}],"type":"NODE"},)"
    R"({"name":"total","type":"FLOAT"}]})";

TEST(FieldTypeName, NamesEveryType) {
  EXPECT_EQ(FieldTypeName(FieldType::kString), "STRING");
  EXPECT_EQ(FieldTypeName(FieldType::kBoolean), "BOOLEAN");
  EXPECT_EQ(FieldTypeName(FieldType::kFloat), "FLOAT");
  EXPECT_EQ(FieldTypeName(FieldType::kInteger), "INTEGER");
  EXPECT_EQ(FieldTypeName(FieldType::kLong), "LONG");
  EXPECT_EQ(FieldTypeName(FieldType::kNode), "NODE");
}

TEST(ParseSimpleSchema, DemoSchema) {
  Result<SimpleSchema> s = ParseSimpleSchema(ReadTestFile("demo/schema.json"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "Batch job demo");
  EXPECT_EQ(s->ns, "");
  EXPECT_EQ(s->doc, "");
  std::vector<SchemaField> expected = {
      {"SessionId", "SessionId", FieldType::kString, false, false},
      {"UserName", "UserName", FieldType::kString, false, false},
      {"Email", "Email", FieldType::kString, false, false},
      {"PublicFieldA", "PublicFieldA", FieldType::kString, false, false},
      {"PublicFieldB", "PublicFieldB", FieldType::kFloat, false, false},
      {"PrivateFieldA", "PrivateFieldA", FieldType::kString, false, false},
      {"PrivateFieldB", "PrivateFieldB", FieldType::kLong, false, false},
      {"PrivacyPlane", "PrivacyPlane", FieldType::kInteger, false, false},
  };
  EXPECT_EQ(Leaves(*s), expected);
}

TEST(ParseSimpleSchema, NestedYamlFlattensDepthFirst) {
  Result<SimpleSchema> s = ParseSimpleSchema(kNestedYaml);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "Orders");
  EXPECT_EQ(s->ns, "com.example.orders");
  EXPECT_EQ(s->doc, "One order per row");
  ASSERT_EQ(s->nodes.size(), 3u);
  EXPECT_EQ(s->nodes[1].type, FieldType::kNode);
  ASSERT_EQ(s->nodes[1].nodes.size(), 2u);
  EXPECT_EQ(s->nodes[1].nodes[1].doc, "loyalty scores");
  std::vector<SchemaField> expected = {
      {"order_id", "order_id", FieldType::kString, true, false},
      {"customer/id", "customer.id", FieldType::kString, true, false},
      {"customer/score", "customer.score", FieldType::kLong, false, true},
      {"total", "total", FieldType::kFloat, false, false},
  };
  EXPECT_EQ(Leaves(*s), expected);
}

TEST(ParseSimpleSchema, JsonAndYamlGiveTheSameSchema) {
  Result<SimpleSchema> yaml = ParseSimpleSchema(kNestedYaml);
  Result<SimpleSchema> json = ParseSimpleSchema(std::string("  \n") + kNestedCanonical);
  ASSERT_TRUE(yaml.ok()) << yaml.status().message();
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ(*yaml, *json);
}

TEST(ParseSimpleSchema, AcceptsEnumNumbersAvroNamesAndNulls) {
  Result<SimpleSchema> s = ParseSimpleSchema(
      R"({"name":"n","avroName":"n","doc":null,"nodes":[)"
      R"({"type":4,"name":"a","avro_name":"a","required":null},{"type":"boolean","name":"b"},)"
      R"({"type":10,"name":"c","nodes":[{"type":"Float","name":"d"}]}]})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::vector<SchemaField> expected = {
      {"a", "a", FieldType::kInteger, false, false},
      {"b", "b", FieldType::kBoolean, false, false},
      {"c/d", "c.d", FieldType::kFloat, false, false},
  };
  EXPECT_EQ(Leaves(*s), expected);
}

TEST(ParseSimpleSchema, LeafWithEmptyNodesIsALeaf) {
  Result<SimpleSchema> s = ParseSimpleSchema(R"({"name":"n","nodes":[{"type":"STRING",
      "name":"a","nodes":[]}]})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->nodes[0].nodes.empty());
}

TEST(SchemaToJson, CanonicalFormRoundTrips) {
  Result<SimpleSchema> s = ParseSimpleSchema(kNestedYaml);
  ASSERT_TRUE(s.ok()) << s.status().message();
  nlohmann::json j = SchemaToJson(*s);
  EXPECT_EQ(j.dump(), kNestedCanonical);
  Result<SimpleSchema> back = ParseSimpleSchema(j.dump());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, *s);
  EXPECT_EQ(SchemaToJson(*back), j);
}

TEST(SchemaToJson, DemoSchemaOmitsFalseAndEmptyMembers) {
  Result<SimpleSchema> s = ParseSimpleSchema(ReadTestFile("demo/schema.json"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  nlohmann::json j = SchemaToJson(*s);
  EXPECT_EQ(j["nodes"][0].dump(), R"({"name":"SessionId","type":"STRING"})");
  EXPECT_EQ(j["nodes"][7].dump(), R"({"name":"PrivacyPlane","type":"INTEGER"})");
  EXPECT_FALSE(j.contains("namespace"));
  EXPECT_FALSE(j.contains("doc"));
}

TEST(ParseSimpleSchema, NodeErrorsNameThePath) {
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRNG","name":"x"}]})"),
            "node 'x': unknown type 'STRNG'");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"NODE","name":"customer",
                      "nodes":[{"type":"STRNG","name":"id"}]}]})"),
            "node 'customer/id': unknown type 'STRNG'");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":7,"name":"a"}]})"),
            "node 'a': unknown type '7'");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":true,"name":"a"}]})"),
            "node 'a': 'type' must be a string");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"name":"a"}]})"), "node 'a': missing type");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a"},{"type":"STRING"}]})"),
            "node #2: missing name");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":""}]})"),
            "node #1: missing name");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"NODE","name":"customer",
                      "nodes":[{"type":"STRING"}]}]})"),
            "node #1 of 'customer': missing name");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":3}]})"),
            "node #1: 'name' must be a string");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a/b"}]})"),
            "node #1: name 'a/b' contains '/'");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":["a"]})"), "node #1: not an object");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a"},
                      {"type":"LONG","name":"a"}]})"),
            "node 'a': duplicate name");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"NODE","name":"customer"}]})"),
            "node 'customer': a NODE needs nodes");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"NODE","name":"customer","nodes":[]}]})"),
            "node 'customer': a NODE needs nodes");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"NODE","name":"c","nodes":{}}]})"),
            "node 'c': 'nodes' must be a list");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a",
                      "nodes":[{"type":"STRING","name":"b"}]}]})"),
            "node 'a': a STRING field cannot have nodes");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a","requird":true}]})"),
            "node 'a': unknown key 'requird'");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a","required":"yes"}]})"),
            "node 'a': 'required' must be true or false");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a","repeated":1}]})"),
            "node 'a': 'repeated' must be true or false");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[{"type":"STRING","name":"a","doc":1}]})"),
            "node 'a': 'doc' must be a string");
}

TEST(ParseSimpleSchema, SchemaErrors) {
  EXPECT_EQ(ErrorOf(R"({"nodes":[{"type":"STRING","name":"a"}]})"), "schema: missing name");
  EXPECT_EQ(ErrorOf(R"({"name":1,"nodes":[{"type":"STRING","name":"a"}]})"),
            "schema: 'name' must be a string");
  EXPECT_EQ(ErrorOf(R"({"name":"s","namespace":2,"nodes":[{"type":"STRING","name":"a"}]})"),
            "schema: 'namespace' must be a string");
  EXPECT_EQ(ErrorOf(R"({"name":"s"})"), "schema: missing nodes");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":[]})"), "schema: missing nodes");
  EXPECT_EQ(ErrorOf(R"({"name":"s","nodes":"a"})"), "schema: 'nodes' must be a list");
  EXPECT_EQ(ErrorOf(R"({"name":"s","fields":[],"nodes":[{"type":"STRING","name":"a"}]})"),
            "schema: unknown key 'fields'");
  EXPECT_EQ(ErrorOf(" \n\t"), "schema: empty document");
  EXPECT_EQ(ErrorOf("[1, 2]"), "schema: not an object");
  EXPECT_EQ(ErrorOf("just a line"), "schema: not an object");
  EXPECT_EQ(ErrorOf("{\"name\": }"),
            "schema: invalid JSON: parse error at line 1, column 10: syntax error while parsing "
            "value - unexpected '}'; expected '[', '{', or a literal");
  EXPECT_EQ(ErrorOf("name: [a\nnodes: []\n"),
            "schema: invalid YAML: yaml-cpp: error at line 2, column 6: end of sequence flow "
            "not found");
}

TEST(ParseSimpleSchema, YamlThatIsNotUtf8IsAnError) {
  // Found by contract_fuzzer: yaml-cpp passed the bytes through, and writing the schema as
  // JSON (SchemaToJson(...).dump(), as the catalog does) threw.
  const std::string yaml = "name: nested\nnodes:\n  - type: node\n    name: cu" +
                           std::string(22, '\xa4') +
                           "stomerjjjjjjjjjjjjjjjjjjjjJjjjjjjjjjjjjj\n    nodes:\n      - {type: "
                           "string, name: id, required: true}\n      - type: 3\n        name: "
                           "n\n        repeated: true\n";
  EXPECT_EQ(ErrorOf(yaml), "schema: invalid YAML: not valid UTF-8");
  EXPECT_EQ(ErrorOf("name: s\xff\nnodes:\n  - {type: STRING, name: x}\n"),
            "schema: invalid YAML: not valid UTF-8");
}

TEST(ParseSimpleSchema, NestingIsLimited) {
  // Found with large inputs to contract_fuzzer: 20000 nested NODEs overflowed the stack.
  auto nested = [](int levels) {
    std::string s = R"({"name":"s","nodes":)";
    for (int i = 0; i < levels; ++i) s += R"([{"type":"NODE","name":"a","nodes":)";
    s += R"([{"type":"STRING","name":"b"}])";
    for (int i = 0; i < levels; ++i) s += "}]";
    return s + "}";
  };
  EXPECT_EQ(ErrorOf(nested(20000)), "schema: nested deeper than 128 levels");
  EXPECT_EQ(ErrorOf(nested(63)), "schema: nested deeper than 128 levels");
  Result<SimpleSchema> ok = ParseSimpleSchema(nested(62));  // 128 levels of JSON
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(Leaves(*ok).size(), 1u);
  EXPECT_EQ(ErrorOf("name: s\nnodes: " + std::string(200, '[') + std::string(200, ']')),
            "schema: nested deeper than 128 levels");
}

TEST(ParseSimpleSchema, YamlAliasesAreLimited) {
  // Found while seeding contract_fuzzer with YAML aliases: an alias inside the node it names
  // is a cycle, converted to JSON until the stack overflowed.
  EXPECT_EQ(ErrorOf("name: x\nnodes: &a [*a]\n"), "schema: nested deeper than 128 levels");
  // And "billion laughs": 586 bytes of aliases of aliases stand for 9^9 values, converted
  // for minutes and gigabytes.
  std::string laughs = "name: laughs\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    const std::string a = "*a" + std::to_string(i - 1);
    laughs += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + a;
    for (int k = 1; k < 9; ++k) laughs += ", " + a;
    laughs += "]\n";
  }
  laughs += "nodes: [{type: string, name: a}]\n";
  ASSERT_EQ(laughs.size(), 586u);
  EXPECT_EQ(ErrorOf(laughs), "schema: YAML aliases expand the document by more than 256 KiB");
  // Aliases that repeat a node are fine.
  Result<SimpleSchema> ok = ParseSimpleSchema(
      "name: s\nnodes:\n  - &id {type: STRING, name: id}\n  - type: NODE\n    name: c\n"
      "    nodes: [*id]\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(Leaves(*ok).size(), 2u);
  EXPECT_EQ(Leaves(*ok)[1].path, "c/id");
}

TEST(ParseSimpleSchema, YamlErrorsMatchJsonErrors) {
  EXPECT_EQ(ErrorOf("name: s\nnodes:\n  - type: STRNG\n    name: x\n"),
            "node 'x': unknown type 'STRNG'");
  EXPECT_EQ(ErrorOf("name: s\nnodes:\n  - type: STRING\n    name: x\n    requird: true\n"),
            "node 'x': unknown key 'requird'");
  // A quoted "true" is a string, not a boolean.
  EXPECT_EQ(ErrorOf("name: s\nnodes:\n  - type: STRING\n    name: x\n    required: \"true\"\n"),
            "node 'x': 'required' must be true or false");
  EXPECT_EQ(ErrorOf("name: s\nnodes:\n  - type: STRING\n    name: 2021\n"),
            "node #1: 'name' must be a string");
  EXPECT_EQ(ErrorOf("name:\nnodes:\n  - type: STRING\n    name: x\n"), "schema: missing name");
}

TEST(SchemaTest, TheAvroFormHasAFieldPerNodeWithTypesArraysRecordsAndOptionals) {
  auto schema = ParseSimpleSchema(R"({"name": "Order", "nodes": [
    {"type": "LONG", "name": "id", "required": true},
    {"type": "FLOAT", "name": "total"},
    {"type": "STRING", "name": "tags", "repeated": true, "required": true},
    {"type": "NODE", "name": "customer", "nodes": [
      {"type": "INTEGER", "name": "age"}, {"type": "BOOLEAN", "name": "member", "required": true}]}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  const nlohmann::json avro = AvroSchemaJson(*schema);
  EXPECT_EQ(avro["name"], "Order");
  EXPECT_FALSE(avro.contains("namespace"));
  ASSERT_EQ(avro["fields"].size(), 5u);
  EXPECT_EQ(avro["fields"][0]["name"], "strmMeta");
  EXPECT_EQ(avro["fields"][1], nlohmann::json::parse(R"({"name": "id", "type": "long"})"));
  EXPECT_EQ(
      avro["fields"][2],
      nlohmann::json::parse(R"({"name": "total", "type": ["null", "float"], "default": null})"));
  EXPECT_EQ(
      avro["fields"][3],
      nlohmann::json::parse(R"({"name": "tags", "type": {"type": "array", "items": "string"}})"));
  EXPECT_EQ(avro["fields"][4], nlohmann::json::parse(R"({"name": "customer", "type": ["null",
    {"type": "record", "name": "Order_customer", "fields": [
      {"name": "age", "type": ["null", "int"], "default": null},
      {"name": "member", "type": "boolean"}]}], "default": null})"));
}

}  // namespace
}  // namespace strm
