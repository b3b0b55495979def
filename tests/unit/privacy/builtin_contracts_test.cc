// The built-in contract and its events' Avro schema agree: every field of the contract's
// schema is a field of the Avro record (after strmMeta), with the same names and order.
#include "privacy/builtin_contracts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

TEST(BuiltinContracts, TheExampleContractAndItsAvroSchemaAgree) {
  ASSERT_EQ(BuiltinContracts().size(), 1u);
  const DataContract& c = BuiltinContracts()[0];
  EXPECT_EQ(c.ref.ToString(), "strmprivacy/example/1.3.0");
  EXPECT_EQ(FindBuiltinContract(c.ref), &c);
  EXPECT_EQ(FindBuiltinContract(*ContractRef::Parse("strmprivacy/example/1.3.1")), nullptr);
  auto avro = nlohmann::json::parse(*BuiltinAvroSchema("strmprivacy/demo/1.0.2"));
  EXPECT_EQ(avro["name"], "DemoEvent");
  EXPECT_EQ(avro["namespace"], c.schema.ns);
  std::vector<std::string> avro_fields, contract_fields;
  for (const auto& f : avro["fields"]) avro_fields.push_back(f["name"]);
  for (const auto& n : c.schema.nodes) contract_fields.push_back(n.name);
  contract_fields.insert(contract_fields.begin(), "strmMeta");
  EXPECT_EQ(avro_fields, contract_fields);
  EXPECT_EQ(avro["fields"][2]["type"], "string") << "the key field is required";
  EXPECT_EQ(AvroSchemaJson(c.schema), avro) << "STRM's schema is the Avro form of the simple one";
}

}  // namespace
}  // namespace strm
