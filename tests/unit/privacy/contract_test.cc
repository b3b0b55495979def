#include "privacy/contract.h"
#include "testing/test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

using ::strm::testing::ReadTestFile;

const ContractRef kDemoRef{"databert-handle", "batch_job_public", "1.0.0"};

SimpleSchema DemoSchema() {
  Result<SimpleSchema> s = ParseSimpleSchema(ReadTestFile("demo/schema.json"));
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : SimpleSchema{};
}

SimpleSchema NestedSchema() {
  Result<SimpleSchema> s = ParseSimpleSchema(R"(
name: Orders
nodes:
  - {type: STRING, name: order_id}
  - type: NODE
    name: customer
    nodes:
      - {type: STRING, name: id}
      - {type: STRING, name: email}
)");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : SimpleSchema{};
}

// The error of a contract definition over the demo schema.
std::string DemoError(std::string_view definition) {
  Result<DataContract> c = MakeDataContract(kDemoRef, DemoSchema(), definition);
  if (c.ok()) return "OK";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  return c.status().message();
}

std::string RefError(std::string_view text) {
  Result<ContractRef> r = ContractRef::Parse(text);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(ContractRef, ParsesAndPrints) {
  Result<ContractRef> r = ContractRef::Parse("databert-handle/batch_job_public/1.0.0");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->handle, "databert-handle");
  EXPECT_EQ(r->name, "batch_job_public");
  EXPECT_EQ(r->version, "1.0.0");
  EXPECT_EQ(r->ToString(), "databert-handle/batch_job_public/1.0.0");
  EXPECT_EQ(*r, kDemoRef);
  EXPECT_EQ(ContractRef::Parse("h/n/10.200.3000")->version, "10.200.3000");
}

TEST(ContractRef, ErrorsSayWhichPartIsWrong) {
  EXPECT_EQ(RefError("abc"),
            "invalid contract ref 'abc': expected handle/name/version, got 1 part");
  EXPECT_EQ(RefError("a/b"),
            "invalid contract ref 'a/b': expected handle/name/version, got 2 parts");
  EXPECT_EQ(RefError("a/b/1.0.0/x"),
            "invalid contract ref 'a/b/1.0.0/x': expected handle/name/version, got 4 parts");
  EXPECT_EQ(RefError("/b/1.0.0"), "invalid contract ref '/b/1.0.0': empty handle");
  EXPECT_EQ(RefError("a//1.0.0"), "invalid contract ref 'a//1.0.0': empty name");
  EXPECT_EQ(RefError("a/b/"), "invalid contract ref 'a/b/': empty version");
  EXPECT_EQ(RefError("a/b/1.0"),
            "invalid contract ref 'a/b/1.0': version '1.0' is not "
            "MAJOR.MINOR.PATCH");
  EXPECT_EQ(RefError("a/b/1.0.x"),
            "invalid contract ref 'a/b/1.0.x': version '1.0.x' is not "
            "MAJOR.MINOR.PATCH");
  EXPECT_EQ(RefError("a/b/1..0"),
            "invalid contract ref 'a/b/1..0': version '1..0' is not "
            "MAJOR.MINOR.PATCH");
  EXPECT_EQ(RefError("a/b/v1.0.0"),
            "invalid contract ref 'a/b/v1.0.0': version 'v1.0.0' is not "
            "MAJOR.MINOR.PATCH");
  EXPECT_EQ(RefError("a/b/1.0.0.1"),
            "invalid contract ref 'a/b/1.0.0.1': version '1.0.0.1' is "
            "not MAJOR.MINOR.PATCH");
}

TEST(MakeDataContract, DemoContract) {
  Result<DataContract> c =
      MakeDataContract(kDemoRef, DemoSchema(), ReadTestFile("demo/contract.json"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->ref, kDemoRef);
  EXPECT_EQ(c->schema, DemoSchema());
  EXPECT_EQ(c->key_field, "UserName");
  EXPECT_EQ(c->pii_fields,
            (std::map<std::string, int>{{"Email", 1}, {"PrivateFieldA", 2}, {"PrivateFieldB", 2}}));
  ASSERT_EQ(c->validations.size(), 1u);
  EXPECT_EQ(c->validations[0], (RegexValidation{"Email", "^[^@]+@[^@]+$"}));
  EXPECT_EQ(c->data_subject_field, "UserName");
  EXPECT_FALSE(c->is_public);
}

TEST(MakeDataContract, SnakeCaseEqualsCamelCase) {
  Result<DataContract> camel =
      MakeDataContract(kDemoRef, DemoSchema(), ReadTestFile("demo/contract.json"));
  Result<DataContract> snake = MakeDataContract(kDemoRef, DemoSchema(), R"({
    "key_field": "UserName",
    "pii_fields": {"Email": "1", "PrivateFieldA": 2, "PrivateFieldB": 2},
    "validations": [{"field": "Email", "type": "REGEX", "value": "^[^@]+@[^@]+$"}],
    "data_subject_field": "UserName",
    "is_public": false
  })");
  ASSERT_TRUE(camel.ok()) << camel.status().message();
  ASSERT_TRUE(snake.ok()) << snake.status().message();
  EXPECT_EQ(*snake, *camel);
}

TEST(MakeDataContract, FieldMetadataWinsOverPiiFields) {
  Result<DataContract> c = MakeDataContract(kDemoRef, DemoSchema(), R"({
    "keyField": "UserName",
    "piiFields": {"Email": 1},
    "fieldMetadata": [
      {"fieldName": "PrivateFieldA", "personalDataConfig": {"isPii": true, "purposeLevel": 3}},
      {"field_name": "Email", "personal_data_config": {"is_pii": false, "is_quasi_id": true}},
      {"fieldName": "PrivateFieldB", "personalDataConfig": {"isPii": true},
       "statisticalDataType": "NUMERICAL"},
      {"fieldName": "SessionId"}
    ],
    "isPublic": true
  })");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->pii_fields,
            (std::map<std::string, int>{{"PrivateFieldA", 3}, {"PrivateFieldB", 0}}));
  EXPECT_TRUE(c->is_public);
  EXPECT_EQ(c->data_subject_field, "");
  EXPECT_TRUE(c->validations.empty());
}

TEST(MakeDataContract, EmptyFieldMetadataKeepsPiiFields) {
  Result<DataContract> c = MakeDataContract(kDemoRef, DemoSchema(), R"({
    "keyField": "UserName", "piiFields": {"Email": 1}, "fieldMetadata": []})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->pii_fields, (std::map<std::string, int>{{"Email", 1}}));
}

TEST(MakeDataContract, StrmMembersThatTheCliOverridesAreIgnored) {
  Result<DataContract> c = MakeDataContract(kDemoRef, DemoSchema(), R"({
    "keyField": "UserName", "ref": {"handle": "x"}, "metadata": {"title": "t"},
    "projectId": "p", "state": "ACTIVE", "id": "i", "schema": {}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->ref, kDemoRef);
  EXPECT_EQ(c->key_field, "UserName");
}

TEST(MakeDataContract, NestedFieldsUseSlashPaths) {
  ContractRef ref{"shop", "orders", "2.1.0"};
  Result<DataContract> c = MakeDataContract(ref, NestedSchema(), R"({
    "keyField": "customer/id", "piiFields": {"customer/email": 1},
    "validations": [{"field": "customer/email", "type": "regex", "value": ".+@.+"}]})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->key_field, "customer/id");
  EXPECT_EQ(c->pii_fields, (std::map<std::string, int>{{"customer/email", 1}}));

  EXPECT_EQ(MakeDataContract(ref, NestedSchema(), R"({"keyField": "customer"})").status().message(),
            "contract shop/orders/2.1.0: key field 'customer' is a NODE, not a field");
  EXPECT_EQ(
      MakeDataContract(ref, NestedSchema(), R"({"keyField": "customer.id"})").status().message(),
      "contract shop/orders/2.1.0: key field 'customer.id' is not in the schema");
}

TEST(MakeDataContract, SemanticErrorsNameContractAndField) {
  const std::string p = "contract databert-handle/batch_job_public/1.0.0: ";
  EXPECT_EQ(DemoError(R"({"keyField": "UserNme"})"),
            p + "key field 'UserNme' is not in the schema");
  EXPECT_EQ(DemoError(R"({"piiFields": {"Email": 1}})"), p + "missing key_field");
  EXPECT_EQ(DemoError(R"({"keyField": "UserName", "piiFields": {"Emial": 1}})"),
            p + "PII field 'Emial' is not in the schema");
  EXPECT_EQ(DemoError(R"({"keyField": "UserName", "piiFields": {"Email": -1}})"),
            p + "PII field 'Email' has negative purpose level -1");
  EXPECT_EQ(DemoError(R"({"keyField": "UserName", "fieldMetadata": [{"fieldName": "Email",
              "personalDataConfig": {"isPii": true, "purposeLevel": -2}}]})"),
            p + "PII field 'Email' has negative purpose level -2");
  EXPECT_EQ(DemoError(R"({"keyField": "UserName", "fieldMetadata": [{"fieldName": "Mail",
              "personalDataConfig": {"isPii": true}}]})"),
            p + "PII field 'Mail' is not in the schema");
  EXPECT_EQ(DemoError(R"({"keyField": "UserName",
              "validations": [{"field": "Mail", "type": "regex", "value": "x"}]})"),
            p + "validation field 'Mail' is not in the schema");
  EXPECT_EQ(DemoError(R"({"keyField": "UserName",
              "validations": [{"field": "Email", "type": "regex", "value": "(a"}]})"),
            p + "invalid regex '(a' for field 'Email': missing ): (a");
  EXPECT_EQ(DemoError(R"({"keyField": "UserName", "dataSubjectField": "User"})"),
            p + "data subject field 'User' is not in the schema");
}

TEST(MakeDataContract, StructuralErrorsNameTheLine) {
  const std::string p = "contract databert-handle/batch_job_public/1.0.0 line ";
  EXPECT_EQ(DemoError("{\n  \"keyField\": \"UserName\",\n  \"piiField\": {}\n}"),
            p + "3: unknown key 'piiField' in contract definition");
  EXPECT_EQ(
      DemoError("{\n  \"keyField\": \"UserName\",\n  \"validations\": [\n"
                "    {\"field\": \"Email\",\n     \"type\": \"range\", \"value\": \"1\"}]\n}"),
      p + "5: validation of field 'Email' has unsupported type 'range' (expected regex)");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"validations\": [{\"field\": \"Email\"}]}"),
            p + "2: validation of field 'Email' has unsupported type '' (expected regex)");
  EXPECT_EQ(
      DemoError("{\"keyField\": \"UserName\",\n \"validations\": [\n  {\"type\": \"regex\"}]}"),
      p + "3: missing field in validations[0]");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"validations\": [\n  {\"field\": \"Email\", "
                      "\"type\": \"regex\", \"value\": \"x\", \"message\": \"m\"}]}"),
            p + "3: unknown key 'message' in validations[0]");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"validations\": {}}"),
            p + "2: validations must be a list");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"piiFields\": [\"Email\"]}"),
            p + "2: pii_fields must be an object");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"piiFields\": {\n  \"Email\": \"one\"}}"),
            p + "3: purpose level of PII field 'Email' must be an integer");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"piiFields\": {\"Email\": 3000000000}}"),
            p + "2: purpose level of PII field 'Email' is out of range");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"fieldMetadata\": {}}"),
            p + "2: field_metadata must be a list");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"fieldMetadata\": [\n"
                      "  {\"personalDataConfig\": {\"isPii\": true}}]}"),
            p + "3: missing field_name in field_metadata[0]");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"fieldMetadata\": [\n"
                      "  {\"fieldName\": \"Email\"},\n  {\"fieldName\": \"Email\"}]}"),
            p + "4: duplicate field 'Email' in field_metadata");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"fieldMetadata\": [{\"fieldName\": "
                      "\"Email\",\n  \"personalDataConfig\": {\"isPii\": true, \"level\": 1}}]}"),
            p + "3: unknown key 'level' in personal_data_config of 'Email'");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"fieldMetadata\": [{\"fieldName\": "
                      "\"Email\",\n  \"personalDataConfig\": {\"isPii\": true,\n"
                      "  \"purposeLevel\": 4000000000}}]}"),
            p + "4: purpose level of PII field 'Email' is out of range");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"fieldMetadata\": [{\"fieldName\": "
                      "\"Email\",\n  \"pii\": true}]}"),
            p + "3: unknown key 'pii' in field_metadata[0]");
  EXPECT_EQ(DemoError("{\"keyField\": \"UserName\",\n \"isPublic\": \"yes\"}"),
            p + "2: 'isPublic' must be true or false");
  EXPECT_EQ(DemoError("[1]"), p + "1: 'contract definition' must be an object");
}

TEST(MakeDataContract, SyntaxErrorsNameLineAndColumn) {
  // The wording after the position is json_document's; this test owns the position.
  const std::string e = DemoError("{\n  \"keyField\": UserName\n}");
  EXPECT_TRUE(e.starts_with("contract databert-handle/batch_job_public/1.0.0 line 2, column 15: "))
      << e;
}

constexpr char kDemoCatalogJson[] =
    R"({"data_subject_field":"UserName","is_public":false,"key_field":"UserName",)"
    R"("pii_fields":{"Email":1,"PrivateFieldA":2,"PrivateFieldB":2},)"
    R"("ref":{"handle":"databert-handle","name":"batch_job_public","version":"1.0.0"},)"
    R"("schema":{"name":"Batch job demo","nodes":[{"name":"SessionId","type":"STRING"},)"
    R"({"name":"UserName","type":"STRING"},{"name":"Email","type":"STRING"},)"
    R"({"name":"PublicFieldA","type":"STRING"},{"name":"PublicFieldB","type":"FLOAT"},)"
    R"({"name":"PrivateFieldA","type":"STRING"},{"name":"PrivateFieldB","type":"LONG"},)"
    R"({"name":"PrivacyPlane","type":"INTEGER"}]},)"
    R"("validations":[{"field":"Email","type":"regex","value":"^[^@]+@[^@]+$"}]})";

TEST(ContractJson, DemoCanonicalFormRoundTrips) {
  Result<DataContract> c =
      MakeDataContract(kDemoRef, DemoSchema(), ReadTestFile("demo/contract.json"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  nlohmann::json j = ContractToJson(*c);
  EXPECT_EQ(j.dump(), kDemoCatalogJson);
  Result<DataContract> back = ContractFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, *c);
  EXPECT_EQ(ContractToJson(*back), j);
}

TEST(ContractJson, NestedContractRoundTrips) {
  DataContract c;
  c.ref = {"shop", "orders", "2.1.0"};
  c.schema = NestedSchema();
  c.key_field = "customer/id";
  c.pii_fields = {{"customer/email", 0}, {"order_id", 5}};
  c.validations = {{"order_id", "^[0-9]+$"}, {"customer/email", ".+"}};
  c.data_subject_field = "customer/id";
  c.is_public = true;
  Result<DataContract> back = ContractFromJson(ContractToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, c);
}

TEST(ContractJson, FromJsonErrors) {
  nlohmann::json good = nlohmann::json::parse(kDemoCatalogJson);
  auto error = [](const nlohmann::json& j) {
    Result<DataContract> c = ContractFromJson(j);
    return c.ok() ? std::string("OK") : c.status().message();
  };
  EXPECT_EQ(error(good), "OK");

  nlohmann::json j = good;
  j.erase("ref");
  EXPECT_EQ(error(j), "data contract JSON line 1: missing ref");
  j = good;
  j["ref"]["version"] = "1.0";
  EXPECT_EQ(error(j),
            "data contract JSON line 10: invalid contract ref "
            "'databert-handle/batch_job_public/1.0': version '1.0' is not "
            "MAJOR.MINOR.PATCH");
  j = good;
  j.erase("schema");
  EXPECT_EQ(error(j), "data contract JSON line 1: missing schema");
  j = good;
  j["schema"]["nodes"][0]["type"] = "TEXT";
  EXPECT_EQ(error(j), "data contract JSON line 15: node 'SessionId': unknown type 'TEXT'");
  j = good;
  j["key_field"] = "Nobody";
  EXPECT_EQ(error(j),
            "contract databert-handle/batch_job_public/1.0.0: key field 'Nobody' is not in the "
            "schema");
  j = good;
  j["extra"] = 1;
  EXPECT_EQ(error(j), "data contract JSON line 3: unknown key 'extra' in data contract JSON");
  EXPECT_EQ(error(nlohmann::json::array()),
            "data contract JSON line 1: 'data contract JSON' must be "
            "an object");
}

}  // namespace
}  // namespace strm
