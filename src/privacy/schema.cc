#include "privacy/schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <set>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

using nlohmann::json;

// Schemas are parsed recursively: a hostile nesting depth must be an error, not a stack
// overflow. Each schema level is two JSON levels (a node and its "nodes" list).
constexpr int kMaxDepth = 128;

// YAML's aliases make a document a graph: "&a [*a]" holds itself, and a few lines of aliases
// of aliases ("billion laughs") stand for billions of values. Its tree is cut off at
// kMaxDepth levels, and at the document's size plus this many bytes, written out with every
// alias replaced by what it names: far more than a schema needs, little work to refuse.
constexpr size_t kMaxYamlGrowth = 256 << 10;

Status YamlGrowsTooMuch() {
  return InvalidArgument("schema: YAML aliases expand the document by more than 256 KiB");
}

// Both syntaxes are validated as one JSON tree, so that JSON and YAML schemas give the
// same errors. Plain YAML scalars get their YAML 1.2 core meaning (bool, null, integer);
// quoted ones stay strings. `n` is at `depth` (the root at 0); `bytes_left` counts down one
// for each value and each character of a scalar or key, an alias counting each time it is
// used, and is out when the tree would be larger than the document can be without aliases.
Status YamlToJson(const YAML::Node& n, int depth, size_t& bytes_left, json& out) {
  const size_t size = 1 + (n.IsScalar() ? n.Scalar().size() : 0);
  if (bytes_left < size) return YamlGrowsTooMuch();
  bytes_left -= size;
  if ((n.IsMap() || n.IsSequence()) && n.size() > 0 && depth == kMaxDepth) {
    return InvalidArgument("schema: nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      out = json::object();
      for (const auto& kv : n) {
        json v;
        STRM_RETURN_IF_ERROR(YamlToJson(kv.second, depth + 1, bytes_left, v));
        std::string key = kv.first.as<std::string>();
        if (bytes_left < key.size()) return YamlGrowsTooMuch();
        bytes_left -= key.size();
        out[std::move(key)] = std::move(v);
      }
      return Status::Ok();
    }
    case YAML::NodeType::Sequence: {
      out = json::array();
      for (const auto& e : n) {
        json v;
        STRM_RETURN_IF_ERROR(YamlToJson(e, depth + 1, bytes_left, v));
        out.push_back(std::move(v));
      }
      return Status::Ok();
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      const size_t digits = s.size() - (!s.empty() && s[0] == '-' ? 1 : 0);
      if (n.Tag() != "?") {  // quoted or explicitly tagged
        out = s;
      } else if (s == "true" || s == "True" || s == "TRUE") {
        out = true;
      } else if (s == "false" || s == "False" || s == "FALSE") {
        out = false;
      } else if (s == "null" || s == "Null" || s == "NULL" || s == "~") {
        out = nullptr;
      } else if (digits > 0 && digits <= 18 &&
                 std::all_of(s.end() - digits, s.end(),
                             [](unsigned char c) { return std::isdigit(c); })) {
        out = std::stoll(s);
      } else {
        out = s;
      }
      return Status::Ok();
    }
    default:
      out = nullptr;
      return Status::Ok();
  }
}

// True if `j` has containers nested more than `limit` deep (recursing at most that far).
bool DeeperThan(const json& j, int limit) {
  if (!j.is_structured() || j.empty()) return false;
  if (limit == 0) return true;
  for (const json& child : j) {
    if (DeeperThan(child, limit - 1)) return true;
  }
  return false;
}

// The member, or nullptr when absent or null (null counts as absent, as in job files).
const json* Member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// STRM's protobuf JSON also spells avro_name in lowerCamelCase.
Status CheckKeys(const json& obj, const std::set<std::string>& known, const std::string& where) {
  for (const auto& [key, value] : obj.items()) {
    if (!known.contains(key)) return InvalidArgument(where + ": unknown key '" + key + "'");
  }
  return Status::Ok();
}

Status ReadString(const json& obj, const char* key, const std::string& where, std::string* out) {
  const json* v = Member(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return InvalidArgument(where + ": '" + key + "' must be a string");
  *out = v->get<std::string>();
  return Status::Ok();
}

Status ReadBool(const json& obj, const char* key, const std::string& where, bool* out) {
  const json* v = Member(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return InvalidArgument(where + ": '" + key + "' must be true or false");
  *out = v->get<bool>();
  return Status::Ok();
}

constexpr std::array<FieldType, 6> kAllTypes = {FieldType::kString, FieldType::kBoolean,
                                                FieldType::kFloat,  FieldType::kInteger,
                                                FieldType::kLong,   FieldType::kNode};

// A type name in any case, or STRM's enum number (STRING = 1 ... LONG = 5, NODE = 10).
Result<FieldType> ParseType(const json& t, const std::string& where) {
  if (t.is_number_integer()) {
    const int64_t n = t.get<int64_t>();
    if (n >= 1 && n <= 5) return kAllTypes[n - 1];
    if (n == 10) return FieldType::kNode;
    return InvalidArgument(where + ": unknown type '" + std::to_string(n) + "'");
  }
  if (!t.is_string()) return InvalidArgument(where + ": 'type' must be a string");
  const std::string name = t.get<std::string>();
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (FieldType ft : kAllTypes) {
    if (upper == FieldTypeName(ft)) return ft;
  }
  return InvalidArgument(where + ": unknown type '" + name + "'");
}

Status ParseNodes(const json& nodes, const std::string& parent, std::vector<SchemaNode>* out);

Result<SchemaNode> ParseNode(const json& j, size_t index, const std::string& parent,
                             std::set<std::string>* siblings) {
  std::string label = "node #" + std::to_string(index + 1);
  if (!parent.empty()) label += " of '" + parent + "'";
  if (!j.is_object()) return InvalidArgument(label + ": not an object");

  SchemaNode node;
  const json* name = Member(j, "name");
  if (name != nullptr && !name->is_string()) {
    return InvalidArgument(label + ": 'name' must be a string");
  }
  if (name == nullptr || name->get<std::string>().empty()) {
    return InvalidArgument(label + ": missing name");
  }
  node.name = name->get<std::string>();
  if (node.name.find('/') != std::string::npos) {
    return InvalidArgument(label + ": name '" + node.name + "' contains '/'");
  }
  const std::string path = parent.empty() ? node.name : parent + "/" + node.name;
  const std::string where = "node '" + path + "'";
  if (!siblings->insert(node.name).second) return InvalidArgument(where + ": duplicate name");
  STRM_RETURN_IF_ERROR(CheckKeys(
      j, {"type", "name", "required", "repeated", "nodes", "doc", "avro_name", "avroName"}, where));

  const json* type = Member(j, "type");
  if (type == nullptr) return InvalidArgument(where + ": missing type");
  STRM_ASSIGN_OR_RETURN(node.type, ParseType(*type, where));
  STRM_RETURN_IF_ERROR(ReadBool(j, "required", where, &node.required));
  STRM_RETURN_IF_ERROR(ReadBool(j, "repeated", where, &node.repeated));
  STRM_RETURN_IF_ERROR(ReadString(j, "doc", where, &node.doc));

  const json* children = Member(j, "nodes");
  if (children != nullptr && !children->is_array()) {
    return InvalidArgument(where + ": 'nodes' must be a list");
  }
  const bool has_children = children != nullptr && !children->empty();
  if (node.type == FieldType::kNode) {
    if (!has_children) return InvalidArgument(where + ": a NODE needs nodes");
    STRM_RETURN_IF_ERROR(ParseNodes(*children, path, &node.nodes));
  } else if (has_children) {
    return InvalidArgument(where + ": a " + std::string(FieldTypeName(node.type)) +
                           " field cannot have nodes");
  }
  return node;
}

Status ParseNodes(const json& nodes, const std::string& parent, std::vector<SchemaNode>* out) {
  std::set<std::string> siblings;
  for (size_t i = 0; i < nodes.size(); ++i) {
    STRM_ASSIGN_OR_RETURN(SchemaNode node, ParseNode(nodes[i], i, parent, &siblings));
    out->push_back(std::move(node));
  }
  return Status::Ok();
}

Result<SimpleSchema> SchemaFromTree(const json& j) {
  if (!j.is_object()) return InvalidArgument("schema: not an object");
  STRM_RETURN_IF_ERROR(
      CheckKeys(j, {"name", "namespace", "doc", "nodes", "avro_name", "avroName"}, "schema"));
  SimpleSchema schema;
  STRM_RETURN_IF_ERROR(ReadString(j, "name", "schema", &schema.name));
  if (schema.name.empty()) return InvalidArgument("schema: missing name");
  STRM_RETURN_IF_ERROR(ReadString(j, "namespace", "schema", &schema.ns));
  STRM_RETURN_IF_ERROR(ReadString(j, "doc", "schema", &schema.doc));
  const json* nodes = Member(j, "nodes");
  if (nodes != nullptr && !nodes->is_array()) {
    return InvalidArgument("schema: 'nodes' must be a list");
  }
  if (nodes == nullptr || nodes->empty()) return InvalidArgument("schema: missing nodes");
  STRM_RETURN_IF_ERROR(ParseNodes(*nodes, "", &schema.nodes));
  return schema;
}

void CollectLeaves(const std::vector<SchemaNode>& nodes, const std::string& prefix,
                   std::vector<SchemaField>* out) {
  for (const SchemaNode& n : nodes) {
    const std::string path = prefix.empty() ? n.name : prefix + "/" + n.name;
    if (n.type == FieldType::kNode) {
      CollectLeaves(n.nodes, path, out);
      continue;
    }
    std::string column = path;
    std::replace(column.begin(), column.end(), '/', '.');
    out->push_back({path, std::move(column), n.type, n.required, n.repeated});
  }
}

json NodeToJson(const SchemaNode& n) {
  json j = json::object();
  j["type"] = FieldTypeName(n.type);
  j["name"] = n.name;
  if (n.required) j["required"] = true;
  if (n.repeated) j["repeated"] = true;
  if (!n.doc.empty()) j["doc"] = n.doc;
  if (!n.nodes.empty()) {
    json children = json::array();
    for (const SchemaNode& c : n.nodes) children.push_back(NodeToJson(c));
    j["nodes"] = std::move(children);
  }
  return j;
}

}  // namespace

std::string_view FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "STRING";
    case FieldType::kBoolean:
      return "BOOLEAN";
    case FieldType::kFloat:
      return "FLOAT";
    case FieldType::kInteger:
      return "INTEGER";
    case FieldType::kLong:
      return "LONG";
    case FieldType::kNode:
      return "NODE";
  }
  return "STRING";
}

Result<SimpleSchema> ParseSimpleSchema(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return InvalidArgument("schema: empty document");
  json tree;
  if (text[first] == '{') {
    try {
      tree = json::parse(text);
    } catch (const json::exception& e) {
      std::string what = e.what();
      // Drop nlohmann's "[json.exception.parse_error.101] " tag; keep line and column.
      if (!what.empty() && what[0] == '[') {
        const size_t end = what.find("] ");
        if (end != std::string::npos) what.erase(0, end + 2);
      }
      return InvalidArgument("schema: invalid JSON: " + what);
    }
  } else {
    try {
      size_t bytes_left = text.size() + kMaxYamlGrowth;
      STRM_RETURN_IF_ERROR(YamlToJson(YAML::Load(std::string(text)), 0, bytes_left, tree));
    } catch (const std::exception& e) {
      return InvalidArgument(std::string("schema: invalid YAML: ") + e.what());
    }
    // yaml-cpp passes bytes through unchecked, but every string must be UTF-8 to be written
    // as JSON later (the catalog stores schemas as JSON).
    try {
      (void)tree.dump();
    } catch (const json::type_error&) {
      return InvalidArgument("schema: invalid YAML: not valid UTF-8");
    }
  }
  if (DeeperThan(tree, kMaxDepth)) {
    return InvalidArgument("schema: nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  return SchemaFromTree(tree);
}

std::vector<SchemaField> Leaves(const SimpleSchema& schema) {
  std::vector<SchemaField> out;
  CollectLeaves(schema.nodes, "", &out);
  return out;
}

json SchemaToJson(const SimpleSchema& schema) {
  json j = json::object();
  j["name"] = schema.name;
  if (!schema.ns.empty()) j["namespace"] = schema.ns;
  if (!schema.doc.empty()) j["doc"] = schema.doc;
  json nodes = json::array();
  for (const SchemaNode& n : schema.nodes) nodes.push_back(NodeToJson(n));
  j["nodes"] = std::move(nodes);
  return j;
}

namespace {

json AvroFields(const std::vector<SchemaNode>& nodes, const std::string& record);

constexpr std::pair<FieldType, const char*> kAvroPrimitives[] = {{FieldType::kString, "string"},
                                                                 {FieldType::kBoolean, "boolean"},
                                                                 {FieldType::kFloat, "float"},
                                                                 {FieldType::kInteger, "int"},
                                                                 {FieldType::kLong, "long"}};

json AvroType(const SchemaNode& node, const std::string& record) {
  json type;
  for (const auto& [t, name] : kAvroPrimitives)
    if (node.type == t) type = name;
  if (node.type == FieldType::kNode) {
    const std::string name = record + "_" + node.name;
    type = {{"type", "record"}, {"name", name}, {"fields", AvroFields(node.nodes, name)}};
  }
  if (node.repeated) type = {{"type", "array"}, {"items", type}};
  return type;
}

json AvroFields(const std::vector<SchemaNode>& nodes, const std::string& record) {
  json fields = json::array();
  for (const SchemaNode& node : nodes) {
    json type = AvroType(node, record);
    if (node.required) {
      fields.push_back({{"name", node.name}, {"type", type}});
    } else {
      fields.push_back(
          {{"name", node.name}, {"type", json::array({"null", type})}, {"default", nullptr}});
    }
  }
  return fields;
}

}  // namespace

json AvroSchemaJson(const SimpleSchema& schema) {
  auto optional = [](const char* name, const char* type) {
    return json{{"name", name}, {"type", json::array({"null", type})}, {"default", nullptr}};
  };
  json meta = {
      {"name", "strmMeta"},
      {"type",
       {{"type", "record"},
        {"name", "StrmMeta"},
        {"fields",
         {{{"name", "eventContractRef"}, {"type", "string"}},
          optional("nonce", "int"),
          optional("timestamp", "long"),
          optional("keyLink", "string"),
          optional("billingId", "string"),
          {{"name", "consentLevels"}, {"type", {{"type", "array"}, {"items", "int"}}}}}}}}};
  json fields = AvroFields(schema.nodes, schema.name);
  fields.insert(fields.begin(), meta);
  json out = {{"type", "record"}, {"name", schema.name}};
  if (!schema.ns.empty()) out["namespace"] = schema.ns;
  out["fields"] = fields;
  return out;
}

}  // namespace strm
