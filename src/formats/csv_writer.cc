#include "formats/csv_writer.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace strm {
namespace {

constexpr std::array<bool, 256> kNeedsQuotes = [] {
  std::array<bool, 256> t{};
  t[','] = t['"'] = t['\r'] = t['\n'] = true;
  return t;
}();

// The high bit of each byte of `x` that equals `c` (and maybe of bytes above a match).
constexpr uint64_t MatchBytes(uint64_t x, char c) {
  uint64_t y = x ^ (0x0101010101010101ULL * static_cast<unsigned char>(c));
  return (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
}

bool NeedsQuotes(std::string_view f) {
  if (f.empty()) return false;
  if (f.front() == ' ' || f.back() == ' ') return true;
  const char* p = f.data();
  const char* end = p + f.size();
  for (; end - p >= 8; p += 8) {  // eight bytes at a time
    uint64_t x;
    std::memcpy(&x, p, 8);
    if ((MatchBytes(x, ',') | MatchBytes(x, '"') | MatchBytes(x, '\r') | MatchBytes(x, '\n')) !=
        0) {
      return true;
    }
  }
  for (; p < end; ++p) {
    if (kNeedsQuotes[static_cast<unsigned char>(*p)]) return true;
  }
  return false;
}

}  // namespace

char* WriteCsvField(char* out, std::string_view field) {
  if (!NeedsQuotes(field)) {
    if (!field.empty()) std::memcpy(out, field.data(), field.size());
    return out + field.size();
  }
  *out++ = '"';
  for (char c : field) {
    *out++ = c;
    if (c == '"') *out++ = '"';  // doubled
  }
  *out++ = '"';
  return out;
}

void AppendCsvField(std::string& out, std::string_view field) {
  if (!NeedsQuotes(field)) {
    out.append(field);
    return;
  }
  const size_t pos = out.size();
  out.resize(pos + MaxCsvFieldSize(field.size()));
  out.resize(static_cast<size_t>(WriteCsvField(out.data() + pos, field) - out.data()));
}

void AppendCsvRecord(std::string& out, std::span<const std::string_view> fields) {
  if (fields.size() == 1 && fields[0].empty()) {
    out.append("\"\"\n");  // not a blank line, which a reader at the end of a file drops
    return;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendCsvField(out, fields[i]);
  }
  out.push_back('\n');
}

}  // namespace strm
