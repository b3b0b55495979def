#include "formats/json_writer.h"

#include <charconv>

namespace strm {
namespace {

// Strings with a byte >= 0x80 go through nlohmann's serializer, which checks their UTF-8.
void AppendNonAscii(std::string_view s, std::string& out) {
  out +=
      nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendInteger(auto v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

void AppendJsonString(std::string_view s, std::string& out) {
  for (unsigned char c : s)
    if (c >= 0x80) return AppendNonAscii(s, out);
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void AppendJson(const nlohmann::json& value, std::string& out) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::null:
      out += "null";
      return;
    case Type::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Type::number_integer:
      return AppendInteger(value.get<int64_t>(), out);
    case Type::number_unsigned:
      return AppendInteger(value.get<uint64_t>(), out);
    case Type::string:
      return AppendJsonString(value.get_ref<const std::string&>(), out);
    case Type::array: {
      out += '[';
      bool first = true;
      for (const auto& v : value) {
        if (!first) out += ',';
        first = false;
        AppendJson(v, out);
      }
      out += ']';
      return;
    }
    case Type::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : value.items()) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(k, out);
        out += ':';
        AppendJson(v, out);
      }
      out += '}';
      return;
    }
    default:  // floating point (nlohmann's shortest form), binary, discarded
      out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace strm
