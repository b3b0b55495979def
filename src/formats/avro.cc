#include "formats/avro.h"

#include <cmath>
#include <cstring>
#include <map>

#include "formats/charset.h"

namespace strm {
namespace {

using json = nlohmann::json;
using Kind = AvroType::Kind;

constexpr int kMaxDepth = 64;

// ---- binary -------------------------------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  Result<json> Value(const AvroType& t, std::string& path, int depth) {
    if (depth > kMaxDepth) return Error(path, "is nested more than 64 deep");
    switch (t.kind) {
      case Kind::kNull:
        return json(nullptr);
      case Kind::kBoolean: {
        STRM_ASSIGN_OR_RETURN(std::string_view b, Take(1, path));
        if (b[0] != 0 && b[0] != 1) return Error(path, "is not a boolean (0 or 1)");
        return json(b[0] == 1);
      }
      case Kind::kInt: {
        STRM_ASSIGN_OR_RETURN(int64_t v, Long(path));
        if (v < INT32_MIN || v > INT32_MAX) return Error(path, "does not fit an int");
        return json(v);
      }
      case Kind::kLong: {
        STRM_ASSIGN_OR_RETURN(int64_t v, Long(path));
        return json(v);
      }
      case Kind::kFloat: {
        STRM_ASSIGN_OR_RETURN(std::string_view b, Take(4, path));
        float f;
        std::memcpy(&f, b.data(), 4);  // little-endian, as the machine
        if (!std::isfinite(f)) return Error(path, "is not a finite number");
        return json(static_cast<double>(f));
      }
      case Kind::kDouble: {
        STRM_ASSIGN_OR_RETURN(std::string_view b, Take(8, path));
        double d;
        std::memcpy(&d, b.data(), 8);
        if (!std::isfinite(d)) return Error(path, "is not a finite number");
        return json(d);
      }
      case Kind::kBytes:
      case Kind::kString: {
        STRM_ASSIGN_OR_RETURN(int64_t n, Long(path));
        if (n < 0 || static_cast<uint64_t>(n) > in_.size() - at_)
          return Error(path, "has a length beyond the end of the datum");
        STRM_ASSIGN_OR_RETURN(std::string_view b, Take(static_cast<size_t>(n), path));
        if (t.kind == Kind::kString) return Utf8(b, path);
        return json(Latin1(b));
      }
      case Kind::kFixed: {
        STRM_ASSIGN_OR_RETURN(std::string_view b, Take(t.size, path));
        return json(Latin1(b));
      }
      case Kind::kEnum: {
        STRM_ASSIGN_OR_RETURN(int64_t i, Long(path));
        if (i < 0 || static_cast<size_t>(i) >= t.symbols.size())
          return Error(path, "is not a symbol of enum " + t.name);
        return json(t.symbols[static_cast<size_t>(i)]);
      }
      case Kind::kUnion: {
        STRM_ASSIGN_OR_RETURN(int64_t i, Long(path));
        if (i < 0 || static_cast<size_t>(i) >= t.branches.size())
          return Error(path, "names no branch of its union");
        return Value(*t.branches[static_cast<size_t>(i)], path, depth + 1);
      }
      case Kind::kRecord: {
        json out = json::object();
        const size_t len = path.size();
        for (const AvroField& f : t.fields) {
          if (len > 0) path += '.';
          path += f.name;
          STRM_ASSIGN_OR_RETURN(out[f.name], Value(*f.type, path, depth + 1));
          path.resize(len);
        }
        return out;
      }
      case Kind::kArray:
      case Kind::kMap: {
        json out = t.kind == Kind::kArray ? json::array() : json::object();
        const size_t len = path.size();
        for (;;) {
          STRM_ASSIGN_OR_RETURN(int64_t count, Long(path));
          if (count == 0) return out;
          if (count < 0) {
            if (count == INT64_MIN) return Error(path, "has a bad block count");
            count = -count;
            STRM_RETURN_IF_ERROR(Long(path).status());  // the block's size in bytes
          }
          // Every item takes a byte at least, but for null items: bound those too.
          if (static_cast<uint64_t>(count) > in_.size() - at_ + (1u << 16))
            return Error(path, "has more items than the datum can hold");
          for (int64_t i = 0; i < count; ++i) {
            std::string key;
            if (t.kind == Kind::kMap) {
              STRM_ASSIGN_OR_RETURN(json k, Value(String(), path, depth + 1));
              key = k.get<std::string>();
            }
            path += t.kind == Kind::kArray ? "[" + std::to_string(out.size()) + "]" : "[]";
            STRM_ASSIGN_OR_RETURN(json v, Value(*t.items, path, depth + 1));
            path.resize(len);
            if (t.kind == Kind::kArray) {
              out.push_back(std::move(v));
            } else {
              out[key] = std::move(v);
            }
          }
        }
      }
    }
    return Error(path, "has an unknown type");
  }

  bool AtEnd() const { return at_ == in_.size(); }

 private:
  static const AvroType& String() {
    static const AvroType t{Kind::kString, {}, {}, {}, {}, nullptr, 0};
    return t;
  }
  static Status Error(const std::string& path, const std::string& what) {
    return InvalidArgument(
        "avro datum: " + (path.empty() ? std::string("the value") : "field '" + path + "'") + " " +
        what);
  }
  Result<std::string_view> Take(size_t n, const std::string& path) {
    if (n > in_.size() - at_) return Error(path, "ends before the datum does");
    std::string_view out = in_.substr(at_, n);
    at_ += n;
    return out;
  }
  Result<int64_t> Long(const std::string& path) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (at_ >= in_.size()) return Error(path, "ends before the datum does");
      const auto b = static_cast<unsigned char>(in_[at_++]);
      if (shift == 63 && (b & 0x7E) != 0) return Error(path, "is a number longer than 64 bits");
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
    }
    return Error(path, "is a number longer than 64 bits");
  }
  static std::string Latin1(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      }
    }
    return out;
  }
  static Result<json> Utf8(std::string_view b, const std::string& path) {
    if (!IsValidUtf8(b)) return Error(path, "is not valid UTF-8");
    return json(std::string(b));
  }

  std::string_view in_;
  size_t at_ = 0;
};

void PutLong(std::string& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out.push_back(static_cast<char>((z & 0x7F) | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<char>(z));
}

Status ValueError(const std::string& path, const std::string& what) {
  return InvalidArgument((path.empty() ? std::string("the event") : "field '" + path + "'") + " " +
                         what);
}

// Bytes of a string whose characters are U+0000–U+00FF.
Result<std::string> FromLatin1(const std::string& s, const std::string& path) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size()) {
      out.push_back(
          static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F)));
    } else {
      return ValueError(path, "must be a string of bytes (characters U+0000 to U+00FF)");
    }
  }
  return out;
}

bool Fits(const AvroType& t, const json& v) {
  switch (t.kind) {
    case Kind::kNull:
      return v.is_null();
    case Kind::kBoolean:
      return v.is_boolean();
    case Kind::kInt:
      return v.is_number_integer() && v.get<int64_t>() >= INT32_MIN &&
             v.get<int64_t>() <= INT32_MAX;
    case Kind::kLong:
      return v.is_number_integer();
    case Kind::kFloat:
    case Kind::kDouble:
      return v.is_number();
    case Kind::kBytes:
    case Kind::kString:
    case Kind::kFixed:
    case Kind::kEnum:
      return v.is_string();
    case Kind::kRecord:
    case Kind::kMap:
      return v.is_object();
    case Kind::kArray:
      return v.is_array();
    case Kind::kUnion:
      return false;
  }
  return false;
}

std::string BranchName(const AvroType& t) {
  return t.name.empty() ? std::string(AvroKindName(t.kind)) : t.name;
}

// A JSON value (plain, or Avro's JSON encoding) checked against `t`, as a plain value.
Result<json> Conform(const AvroType& t, const json& v, std::string& path, int depth) {
  if (depth > kMaxDepth) return ValueError(path, "is nested more than 64 deep");
  auto wrong = [&](const char* expected) {
    return ValueError(path, std::string("must be ") + expected);
  };
  switch (t.kind) {
    case Kind::kNull:
      if (!v.is_null()) return wrong("null");
      return v;
    case Kind::kBoolean:
      if (!v.is_boolean()) return wrong("true or false");
      return v;
    case Kind::kInt:
      if (!Fits(t, v)) return wrong("an integer of 32 bits");
      return v;
    case Kind::kLong:
      if (!v.is_number_integer()) return wrong("an integer");
      return v;
    case Kind::kFloat:
    case Kind::kDouble:
      if (!v.is_number()) return wrong("a number");
      return json(v.get<double>());
    case Kind::kString:
      if (!v.is_string()) return wrong("a string");
      return v;
    case Kind::kBytes:
    case Kind::kFixed: {
      if (!v.is_string()) return wrong("a string of bytes");
      STRM_ASSIGN_OR_RETURN(std::string bytes, FromLatin1(v.get<std::string>(), path));
      if (t.kind == Kind::kFixed && bytes.size() != t.size)
        return ValueError(path, "must be " + std::to_string(t.size) + " bytes");
      return v;
    }
    case Kind::kEnum:
      if (!v.is_string()) return wrong(("a symbol of enum " + t.name).c_str());
      for (const std::string& s : t.symbols)
        if (s == v.get<std::string>()) return v;
      return ValueError(path, "is not a symbol of enum " + t.name);
    case Kind::kUnion: {
      // Avro's JSON encoding: {"<branch name>": value}.
      if (v.is_object() && v.size() == 1)
        for (const AvroType* b : t.branches)
          if (v.begin().key() == BranchName(*b) ||
              (!b->name.empty() && b->name.substr(b->name.rfind('.') + 1) == v.begin().key()))
            return Conform(*b, v.begin().value(), path, depth + 1);
      for (const AvroType* b : t.branches)
        if (Fits(*b, v)) {
          auto r = Conform(*b, v, path, depth + 1);
          if (r.ok() || b->kind != Kind::kRecord) return r;
        }
      std::string names;
      for (const AvroType* b : t.branches) names += (names.empty() ? "" : ", ") + BranchName(*b);
      return ValueError(path, "must be one of " + names);
    }
    case Kind::kRecord: {
      if (!v.is_object()) return wrong(("an object (record " + t.name + ")").c_str());
      json out = json::object();
      const size_t len = path.size();
      for (const AvroField& f : t.fields) {
        if (len > 0) path += '.';
        path += f.name;
        auto it = v.find(f.name);
        if (it != v.end()) {
          STRM_ASSIGN_OR_RETURN(out[f.name], Conform(*f.type, *it, path, depth + 1));
        } else if (f.default_value) {
          // A union's default is of its first branch, untagged.
          const AvroType& dt = f.type->kind == Kind::kUnion ? *f.type->branches[0] : *f.type;
          STRM_ASSIGN_OR_RETURN(out[f.name], Conform(dt, *f.default_value, path, depth + 1));
        } else {
          return ValueError(path, "is missing");
        }
        path.resize(len);
      }
      for (auto it = v.begin(); it != v.end(); ++it) {
        bool known = false;
        for (const AvroField& f : t.fields) known = known || f.name == it.key();
        if (!known)
          return ValueError(len == 0 ? it.key() : path + "." + it.key(),
                            "is not in the schema (record " + t.name + ")");
      }
      return out;
    }
    case Kind::kArray: {
      if (!v.is_array()) return wrong("an array");
      json out = json::array();
      const size_t len = path.size();
      for (size_t i = 0; i < v.size(); ++i) {
        path += "[" + std::to_string(i) + "]";
        STRM_ASSIGN_OR_RETURN(json item, Conform(*t.items, v[i], path, depth + 1));
        out.push_back(std::move(item));
        path.resize(len);
      }
      return out;
    }
    case Kind::kMap: {
      if (!v.is_object()) return wrong("an object (a map)");
      json out = json::object();
      const size_t len = path.size();
      for (auto it = v.begin(); it != v.end(); ++it) {
        path += "[]";
        STRM_ASSIGN_OR_RETURN(out[it.key()], Conform(*t.items, it.value(), path, depth + 1));
        path.resize(len);
      }
      return out;
    }
  }
  return ValueError(path, "has an unknown type");
}

// A plain value (as Conform gives) in the binary encoding.
Status Encode(const AvroType& t, const json& v, std::string& out, std::string& path) {
  switch (t.kind) {
    case Kind::kNull:
      return Status::Ok();
    case Kind::kBoolean:
      out.push_back(v.get<bool>() ? 1 : 0);
      return Status::Ok();
    case Kind::kInt:
    case Kind::kLong:
    case Kind::kEnum:
      if (t.kind == Kind::kEnum) {
        for (size_t i = 0; i < t.symbols.size(); ++i)
          if (t.symbols[i] == v.get<std::string>()) PutLong(out, static_cast<int64_t>(i));
      } else {
        PutLong(out, v.get<int64_t>());
      }
      return Status::Ok();
    case Kind::kFloat: {
      const auto f = static_cast<float>(v.get<double>());
      out.append(reinterpret_cast<const char*>(&f), 4);
      return Status::Ok();
    }
    case Kind::kDouble: {
      const double d = v.get<double>();
      out.append(reinterpret_cast<const char*>(&d), 8);
      return Status::Ok();
    }
    case Kind::kString:
      PutLong(out, static_cast<int64_t>(v.get_ref<const std::string&>().size()));
      out += v.get_ref<const std::string&>();
      return Status::Ok();
    case Kind::kBytes:
    case Kind::kFixed: {
      STRM_ASSIGN_OR_RETURN(std::string bytes, FromLatin1(v.get<std::string>(), path));
      if (t.kind == Kind::kBytes) PutLong(out, static_cast<int64_t>(bytes.size()));
      out += bytes;
      return Status::Ok();
    }
    case Kind::kUnion:
      for (size_t i = 0; i < t.branches.size(); ++i)
        if (Fits(*t.branches[i], v)) {
          PutLong(out, static_cast<int64_t>(i));
          return Encode(*t.branches[i], v, out, path);
        }
      return ValueError(path, "fits no branch of its union");
    case Kind::kRecord:
      for (const AvroField& f : t.fields) {
        const size_t len = path.size();
        path += (len > 0 ? "." : "") + f.name;
        auto it = v.find(f.name);
        if (it == v.end()) return ValueError(path, "is missing");
        STRM_RETURN_IF_ERROR(Encode(*f.type, *it, out, path));
        path.resize(len);
      }
      return Status::Ok();
    case Kind::kArray:
    case Kind::kMap:
      if (!v.empty()) {
        PutLong(out, static_cast<int64_t>(v.size()));
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (t.kind == Kind::kMap) {
            PutLong(out, static_cast<int64_t>(it.key().size()));
            out += it.key();
          }
          STRM_RETURN_IF_ERROR(Encode(*t.items, it.value(), out, path));
        }
      }
      out.push_back(0);
      return Status::Ok();
  }
  return ValueError(path, "has an unknown type");
}

}  // namespace

Result<nlohmann::json> AvroSchema::DecodeBinary(std::string_view datum) const {
  Decoder d(datum);
  std::string path;
  STRM_ASSIGN_OR_RETURN(json v, d.Value(*root_, path, 0));
  if (!d.AtEnd()) return InvalidArgument("avro datum: bytes follow the end of the value");
  return v;
}

Result<std::string> AvroSchema::EncodeBinary(const nlohmann::json& value) const {
  std::string path;
  STRM_ASSIGN_OR_RETURN(json plain, Conform(*root_, value, path, 0));
  std::string out;
  STRM_RETURN_IF_ERROR(Encode(*root_, plain, out, path));
  return out;
}

Result<nlohmann::json> AvroSchema::FromJson(const nlohmann::json& value) const {
  std::string path;
  return Conform(*root_, value, path, 0);
}

}  // namespace strm
