// CSV output (RFC 4180): fields are quoted only when they contain ',', '"', CR or LF (or
// start/end with a space), quotes are doubled, records end with LF. Appending to a string
// lets worker threads format whole blocks that one writer then writes in order.
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace strm {

void AppendCsvField(std::string& out, std::string_view field);
// The same at a raw cursor, which must have MaxCsvFieldSize(field.size()) bytes of room;
// returns the end of what it wrote.
char* WriteCsvField(char* out, std::string_view field);
constexpr size_t MaxCsvFieldSize(size_t n) { return 2 * n + 2; }
// WriteCsvField for a field known to hold no ',', '"', CR or LF (CsvRecords::plain()): only
// a leading or trailing space still calls for quotes.
inline char* WritePlainCsvField(char* out, std::string_view field) {
  if (field.empty()) return out;
  if (field.front() == ' ' || field.back() == ' ') return WriteCsvField(out, field);
  std::memcpy(out, field.data(), field.size());
  return out + field.size();
}
// Fields separated by ',', then '\n'. A record of one empty field is written as `""` so
// that it does not read back as a blank line.
void AppendCsvRecord(std::string& out, std::span<const std::string_view> fields);

}  // namespace strm
