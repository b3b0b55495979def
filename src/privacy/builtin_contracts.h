// The data contracts every strm has, as STRM has them (SPEC §3 "Built in"): the public
// example contract `strmprivacy/example/1.3.0`, whose events are STRM's demo events (Avro
// record io.strmprivacy.schemas.demo.v1.DemoEvent, docs/strm-wire.md). They are not stored:
// the catalog answers them, lists them, and refuses to create or delete one of their refs.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "privacy/contract.h"

namespace strm {

// Every built-in contract, by ref.
const std::vector<DataContract>& BuiltinContracts();

// The built-in contract of `ref`, if it is one.
const DataContract* FindBuiltinContract(const ContractRef& ref);

// The Avro schema (JSON text) of a built-in schema ref as STRM's drivers send it in
// Strm-Schema-Ref: `strmprivacy/example/1.3.0` and its older name `strmprivacy/demo/1.0.2`.
std::optional<std::string_view> BuiltinAvroSchema(std::string_view schema_ref);

}  // namespace strm
