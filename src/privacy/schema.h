// Simple schemas: the shape of a data contract's data. A schema is a tree of nodes; leaves
// are the fields. Nested fields are addressed with '/' in contracts ("customer/id") and
// flattened with '.' in CSV headers ("customer.id").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"

namespace strm {

enum class FieldType { kString, kBoolean, kFloat, kInteger, kLong, kNode };

std::string_view FieldTypeName(FieldType t);  // "STRING", ...

struct SchemaNode {
  FieldType type = FieldType::kString;
  std::string name;
  bool required = false;
  bool repeated = false;
  std::string doc;
  std::vector<SchemaNode> nodes;  // only for kNode
  bool operator==(const SchemaNode&) const = default;
};

struct SimpleSchema {
  std::string name;
  std::string ns;  // "namespace"
  std::string doc;
  std::vector<SchemaNode> nodes;
  bool operator==(const SimpleSchema&) const = default;
};

// One leaf of a schema, in schema order (depth first).
struct SchemaField {
  std::string path;    // "customer/id"
  std::string column;  // "customer.id"
  FieldType type = FieldType::kString;
  bool required = false;
  bool repeated = false;
  bool operator==(const SchemaField&) const = default;
};

// Parses a simple schema written as JSON or YAML (JSON when the first non-space character
// is '{'). Types may be written in any case ("string", "STRING") or as STRM's enum numbers.
// Errors name the node and the problem: unknown type, missing name, duplicate name, a NODE
// without nodes, a leaf with nodes, an unknown key ("node 'customer/id': unknown type
// 'STRNG'"). STRM's `avro_name`/`avroName` is accepted and ignored. YAML must be UTF-8, and
// nesting deeper than 128 JSON levels (about 63 nested NODEs) is an error, as are YAML
// aliases that expand the document by more than 256 KiB.
Result<SimpleSchema> ParseSimpleSchema(std::string_view text);

std::vector<SchemaField> Leaves(const SimpleSchema& schema);

// The canonical JSON form: upper-case types; false and empty optional members omitted.
// ParseSimpleSchema(SchemaToJson(s).dump()) == s.
nlohmann::json SchemaToJson(const SimpleSchema& schema);

// The Avro schema (JSON) of events of a contract with this schema, as STRM's drivers encode
// them: a record named by the schema's name and namespace whose first field is `strmMeta`
// (the event envelope: eventContractRef, then nonce, timestamp, keyLink, billingId as
// optional, then consentLevels, an array of int), then a field per node in order: STRING
// "string", BOOLEAN "boolean", FLOAT "float", INTEGER "int", LONG "long", NODE a record named
// <parent record>_<node>; repeated nodes are arrays; optional ones ["null", T] with default
// null. STRM's demo event schema is this of its simple schema (a unit test checks it).
nlohmann::json AvroSchemaJson(const SimpleSchema& schema);

}  // namespace strm
