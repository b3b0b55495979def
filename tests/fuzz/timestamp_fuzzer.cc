// Fuzzes timestamp patterns and values: "<pattern>\n<value>" compiles and parses, or fails
// with an error; the whole input is also parsed as a value of the demo pattern.
#include <cstdint>
#include <string_view>

#include "formats/timestamp_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace strm;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  const size_t nl = text.find('\n');
  const std::string_view pattern = text.substr(0, nl);
  const std::string_view value = nl == text.npos ? std::string_view() : text.substr(nl + 1);
  if (Result<TimestampFormat> f = TimestampFormat::Compile(pattern, "Europe/Amsterdam"); f.ok()) {
    (void)f->ParseEpochMillis(value);
    (void)f->ParseEpochMillis(value);  // again, with the zone caches filled
  }
  static const TimestampFormat demo = [] {
    Result<TimestampFormat> f = TimestampFormat::Compile("yyyy-MM-dd HH.mm.ss.nnnnnn:Z", "UTC");
    if (!f.ok()) __builtin_trap();
    return *f;
  }();
  (void)demo.ParseEpochMillis(text);
  return 0;
}
