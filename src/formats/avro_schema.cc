// Avro schemas from their JSON (avro.h); the datums are avro.cc's.
#include <map>

#include "formats/avro.h"

namespace strm {
namespace {

using json = nlohmann::json;
using Kind = AvroType::Kind;

constexpr int kMaxDepth = 64;

constexpr std::pair<std::string_view, Kind> kPrimitives[] = {
    {"null", Kind::kNull},   {"boolean", Kind::kBoolean}, {"int", Kind::kInt},
    {"long", Kind::kLong},   {"float", Kind::kFloat},     {"double", Kind::kDouble},
    {"bytes", Kind::kBytes}, {"string", Kind::kString}};

Status SchemaError(const std::string& what) { return InvalidArgument("avro schema: " + what); }

// Builds the nodes of a schema from its JSON.
class SchemaBuilder {
 public:
  explicit SchemaBuilder(std::vector<std::unique_ptr<AvroType>>& nodes) : nodes_(nodes) {}

  Result<const AvroType*> Build(const json& j, const std::string& ns, int depth) {
    if (depth > kMaxDepth) return SchemaError("nested more than 64 deep");
    if (j.is_string()) return Named(j.get<std::string>(), ns);
    if (j.is_array()) {
      AvroType* u = New(Kind::kUnion);
      for (const json& b : j) {
        STRM_ASSIGN_OR_RETURN(const AvroType* t, Build(b, ns, depth + 1));
        if (t->kind == Kind::kUnion) return SchemaError("a union holds another union");
        for (const AvroType* other : u->branches)
          if (other->kind == t->kind && (t->name.empty() || t->name == other->name))
            return SchemaError("a union holds two branches of type " +
                               std::string(t->name.empty() ? AvroKindName(t->kind) : t->name));
        u->branches.push_back(t);
      }
      if (u->branches.empty()) return SchemaError("a union has no branch");
      return u;
    }
    if (!j.is_object()) return SchemaError("a type must be a name, an object or a union");
    auto type_it = j.find("type");
    if (type_it == j.end()) return SchemaError("a type object has no \"type\"");
    if (!type_it->is_string()) return Build(*type_it, ns, depth + 1);  // {"type": [...]}
    const std::string type = type_it->get<std::string>();
    if (type == "record" || type == "error") return Record(j, ns, depth);
    if (type == "enum") {
      std::string space = ns;
      STRM_ASSIGN_OR_RETURN(AvroType * e, Define(j, space, Kind::kEnum));
      auto symbols = j.find("symbols");
      if (symbols == j.end() || !symbols->is_array() || symbols->empty())
        return SchemaError("enum '" + e->name + "' has no symbols");
      for (const json& s : *symbols) {
        if (!s.is_string())
          return SchemaError("enum '" + e->name + "' has a symbol that is not a string");
        e->symbols.push_back(s.get<std::string>());
      }
      return e;
    }
    if (type == "fixed") {
      std::string space = ns;
      STRM_ASSIGN_OR_RETURN(AvroType * f, Define(j, space, Kind::kFixed));
      auto size = j.find("size");
      if (size == j.end() || !size->is_number_unsigned())
        return SchemaError("fixed '" + f->name + "' has no size");
      f->size = size->get<size_t>();
      return f;
    }
    if (type == "array" || type == "map") {
      AvroType* c = New(type == "array" ? Kind::kArray : Kind::kMap);
      auto items = j.find(type == "array" ? "items" : "values");
      if (items == j.end())
        return SchemaError(std::string("an ") + type + " has no " +
                           (type == "array" ? "items" : "values"));
      STRM_ASSIGN_OR_RETURN(c->items, Build(*items, ns, depth + 1));
      return c;
    }
    return Named(type, ns);  // a primitive with attributes (logicalType), or a named type
  }

 private:
  AvroType* New(Kind kind) {
    nodes_.push_back(std::make_unique<AvroType>());
    nodes_.back()->kind = kind;
    return nodes_.back().get();
  }

  static std::string FullName(const std::string& name, const std::string& ns) {
    if (name.find('.') != std::string::npos || ns.empty()) return name;
    return ns + "." + name;
  }

  Result<const AvroType*> Named(const std::string& name, const std::string& ns) {
    for (const auto& [n, kind] : kPrimitives)
      if (name == n) return static_cast<const AvroType*>(New(kind));
    for (const std::string& full : {FullName(name, ns), name})
      if (auto it = named_.find(full); it != named_.end()) return it->second;
    return SchemaError("unknown type '" + name + "'");
  }

  Result<AvroType*> Define(const json& j, std::string& ns, Kind kind) {
    auto name = j.find("name");
    if (name == j.end() || !name->is_string() || name->get<std::string>().empty())
      return SchemaError(std::string("a ") + std::string(AvroKindName(kind)) + " has no name");
    std::string n = name->get<std::string>();
    if (auto space = j.find("namespace");
        space != j.end() && space->is_string() && n.find('.') == std::string::npos)
      ns = space->get<std::string>();
    const std::string full = FullName(n, ns);
    if (const size_t dot = full.rfind('.'); dot != std::string::npos) ns = full.substr(0, dot);
    if (named_.contains(full)) return SchemaError("type '" + full + "' is defined twice");
    AvroType* t = New(kind);
    t->name = full;
    named_[full] = t;
    return t;
  }

  Result<const AvroType*> Record(const json& j, std::string ns, int depth) {
    STRM_ASSIGN_OR_RETURN(AvroType * r, Define(j, ns, Kind::kRecord));
    auto fields = j.find("fields");
    if (fields == j.end() || !fields->is_array())
      return SchemaError("record '" + r->name + "' has no fields");
    for (const json& f : *fields) {
      AvroField field;
      auto name = f.find("name");
      if (!f.is_object() || name == f.end() || !name->is_string())
        return SchemaError("a field of record '" + r->name + "' has no name");
      field.name = name->get<std::string>();
      for (const AvroField& other : r->fields)
        if (other.name == field.name)
          return SchemaError("record '" + r->name + "' has two fields '" + field.name + "'");
      auto type = f.find("type");
      if (type == f.end())
        return SchemaError("field '" + field.name + "' of record '" + r->name + "' has no type");
      STRM_ASSIGN_OR_RETURN(field.type, Build(*type, ns, depth + 1));
      if (auto d = f.find("default"); d != f.end()) field.default_value = *d;
      r->fields.push_back(std::move(field));
    }
    return r;
  }

  std::vector<std::unique_ptr<AvroType>>& nodes_;
  std::map<std::string, const AvroType*> named_;
};

}  // namespace

std::string_view AvroKindName(AvroType::Kind kind) {
  static constexpr std::string_view kNames[] = {"null",   "boolean", "int",    "long",   "float",
                                                "double", "bytes",   "string", "record", "enum",
                                                "array",  "map",     "union",  "fixed"};
  return kNames[static_cast<int>(kind)];
}

Result<AvroSchema> AvroSchema::Parse(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return SchemaError("not valid JSON");
  auto nodes = std::make_shared<std::vector<std::unique_ptr<AvroType>>>();
  SchemaBuilder builder(*nodes);
  STRM_ASSIGN_OR_RETURN(const AvroType* root, builder.Build(j, "", 0));
  AvroSchema s;
  s.nodes_ = std::move(nodes);
  s.root_ = root;
  return s;
}

const AvroField* AvroSchema::Field(std::string_view name) const {
  for (const AvroField& f : root_->fields)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace strm
