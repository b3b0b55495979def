#include "privacy/builtin_contracts.h"

#include <cstdio>

#include <cstdlib>
#include "formats/strm_demo_event.h"

namespace strm {
namespace {

// The simple schema of STRM's demo event (its strmMeta is the events' envelope, not a field
// of the contract).
constexpr std::string_view kExampleSchema = R"({
  "name": "DemoEvent", "namespace": "io.strmprivacy.schemas.demo.v1",
  "nodes": [
    {"type": "STRING", "name": "uniqueIdentifier"},
    {"type": "STRING", "name": "consistentValue", "required": true},
    {"type": "STRING", "name": "someSensitiveValue"},
    {"type": "STRING", "name": "notSensitiveValue"}]})";

constexpr std::string_view kExampleContract = R"({
  "keyField": "consistentValue",
  "piiFields": {"uniqueIdentifier": 1, "consistentValue": 2, "someSensitiveValue": 3},
  "validations": [{"field": "consistentValue", "type": "regex", "value": "^.+$"}],
  "isPublic": true})";

DataContract Make(std::string_view ref, std::string_view schema, std::string_view contract) {
  auto r = ContractRef::Parse(ref);
  auto s = ParseSimpleSchema(schema);
  auto c = r.ok() && s.ok() ? MakeDataContract(*r, *s, contract)
                            : Result<DataContract>(r.ok() ? s.status() : r.status());
  if (!c.ok()) {  // a bug in the texts above, which a unit test catches
    std::fprintf(stderr, "built-in contract %.*s: %s\n", static_cast<int>(ref.size()), ref.data(),
                 c.status().message().c_str());
    std::abort();
  }
  return *c;
}

}  // namespace

const std::vector<DataContract>& BuiltinContracts() {
  static const std::vector<DataContract> contracts = {
      Make("strmprivacy/example/1.3.0", kExampleSchema, kExampleContract)};
  return contracts;
}

const DataContract* FindBuiltinContract(const ContractRef& ref) {
  for (const DataContract& c : BuiltinContracts())
    if (c.ref == ref) return &c;
  return nullptr;
}

std::optional<std::string_view> BuiltinAvroSchema(std::string_view schema_ref) {
  if (schema_ref == "strmprivacy/example/1.3.0" || schema_ref == "strmprivacy/demo/1.0.2")
    return kStrmDemoEventAvroSchema;
  return std::nullopt;
}

}  // namespace strm
