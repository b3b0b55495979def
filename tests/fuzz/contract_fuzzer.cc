// Fuzzes schemas and contract definitions: any bytes give a schema/contract or an error,
// and the documented round trips hold (SchemaToJson, ContractToJson).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "privacy/contract.h"
#include "privacy/schema.h"

namespace {

// tests/data/demo/schema.json
constexpr char kDemoSchema[] = R"({
  "name": "Batch job demo",
  "nodes": [
    { "type": "STRING",  "name": "SessionId" },
    { "type": "STRING",  "name": "UserName" },
    { "type": "STRING",  "name": "Email" },
    { "type": "STRING",  "name": "PublicFieldA" },
    { "type": "FLOAT",   "name": "PublicFieldB" },
    { "type": "STRING",  "name": "PrivateFieldA" },
    { "type": "LONG",    "name": "PrivateFieldB" },
    { "type": "INTEGER", "name": "PrivacyPlane" }
  ]
})";

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "contract_fuzzer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace strm;
  const std::string text(reinterpret_cast<const char*>(bytes), size);

  if (Result<SimpleSchema> schema = ParseSimpleSchema(text); schema.ok()) {
    (void)Leaves(*schema);
    Result<SimpleSchema> again = ParseSimpleSchema(SchemaToJson(*schema).dump());
    Check(again.ok(), "a written schema does not parse");
    Check(*again == *schema, "a written schema parses to another schema");
  }

  static const SimpleSchema demo = [] {
    Result<SimpleSchema> s = ParseSimpleSchema(kDemoSchema);
    Check(s.ok(), "demo schema");
    return *s;
  }();
  const ContractRef ref{"fuzz", "contract", "1.0.0"};
  if (Result<DataContract> c = MakeDataContract(ref, demo, text); c.ok()) {
    Result<DataContract> again = ContractFromJson(ContractToJson(*c));
    Check(again.ok(), "a written contract does not parse");
    Check(*again == *c, "a written contract parses to another contract");
  }
  return 0;
}
