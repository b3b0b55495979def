// Avro (specification 1.11): schemas, and datums in Avro's binary encoding (the datum alone,
// no container file or header: what STRM's drivers send as application/x-avro-binary) and in
// JSON (SPEC §3). Datums are read into, and written from, plain JSON values: records as
// objects, arrays and maps as arrays and objects, enums as their symbol, bytes and fixed as
// strings whose characters are the bytes (U+0000–U+00FF, as Avro's JSON encoding has them),
// and a union as the value of its branch (null, or the value itself), not tagged.
//
// Reading JSON takes both forms a client may send: plain JSON, where a union's branch is the
// first one the value fits, and Avro's JSON encoding, where a non-null union value is tagged
// with its branch's name ({"string": "x"}). A record's missing field takes its default, or is
// an error. Logical types are read as their underlying type.
//
// Every error names the field, as a path from the record ("strmMeta.consentLevels[2]"), and
// never quotes a value (values may be personal data). Decoding is bounded by the datum:
// lengths and counts beyond what the remaining bytes can hold are errors, nesting is at most
// 64 deep, and the whole datum must be read. Pure functions, thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace strm {

struct AvroType;

struct AvroField {
  std::string name;
  const AvroType* type = nullptr;
  std::optional<nlohmann::json> default_value;  // as the schema writes it (JSON encoding)
};

// A node of a schema; owned by its AvroSchema (a record may refer to itself).
struct AvroType {
  enum class Kind {
    kNull,
    kBoolean,
    kInt,
    kLong,
    kFloat,
    kDouble,
    kBytes,
    kString,
    kRecord,
    kEnum,
    kArray,
    kMap,
    kUnion,
    kFixed
  };
  Kind kind = Kind::kNull;
  std::string name;                       // full name of a record, enum or fixed
  std::vector<AvroField> fields;          // record
  std::vector<std::string> symbols;       // enum
  std::vector<const AvroType*> branches;  // union
  const AvroType* items = nullptr;        // array items, map values
  size_t size = 0;                        // fixed
};

// The name of a kind as the schema spells it ("record", "long", ...).
std::string_view AvroKindName(AvroType::Kind kind);

class AvroSchema {
 public:
  // Parses a schema from its JSON text. InvalidArgument naming what is wrong ("avro schema:
  // field 'a' of record 'x.Y' has no type").
  static Result<AvroSchema> Parse(std::string_view json_text);

  const AvroType& root() const { return *root_; }
  // The record's field called `name`, or nullptr (the root must be a record).
  const AvroField* Field(std::string_view name) const;

  // Binary datum -> plain JSON value; and back.
  Result<nlohmann::json> DecodeBinary(std::string_view datum) const;
  Result<std::string> EncodeBinary(const nlohmann::json& value) const;
  // A JSON value in either form (see above) -> the plain JSON value, checked against the
  // schema and with defaults filled in.
  Result<nlohmann::json> FromJson(const nlohmann::json& value) const;

 private:
  std::shared_ptr<const std::vector<std::unique_ptr<AvroType>>> nodes_;  // every node
  const AvroType* root_ = nullptr;
};

}  // namespace strm
