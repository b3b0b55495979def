// Timestamps written with a Java DateTimeFormatter pattern, read as epoch milliseconds.
// Supported pattern letters: y/u (year), M (month, number or text), d, H, h with a, m, s,
// S... (fraction of second), n... (nano-of-second digits), Z, X/XXX, x/xxx (offsets),
// VV (zone id), and quoted literals ('T', '' for a quote); other characters are literal.
// Values without an offset or zone are read in the default zone (an IANA id), with the
// usual Java rules in gaps and overlaps (gap: shifted forward; overlap: the earlier offset).
// Fields the pattern lacks default to 1970-01-01 00:00:00. Unlike Java's SMART resolver,
// an impossible day (2023-02-29) or hour 24 is an error, not adjusted.
// E/EEE/EEEE (day-of-week text) are accepted and must agree with the date. Optional sections
// and reserved characters ([ ] { } #) are rejected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace strm {

class TimestampFormat {
 public:
  // InvalidArgument for an unknown pattern letter ("unsupported pattern letter 'Q' in
  // timestamp format 'yyyy-QQ'"), an unsupported letter count ("unsupported pattern 'ddd'
  // in timestamp format 'ddd'"), a reserved character ("unsupported pattern character '['
  // in ..."), 'h' without 'a' ("pattern letter 'h' needs 'a' in ..."), an unclosed quote
  // ("unclosed quote in timestamp format 'yyyy'T'"), or an unknown zone id ("unknown time
  // zone 'Mars/Base'"). The default zone is an IANA id, "Z", or an offset id ("+01:00",
  // "UTC+1").
  static Result<TimestampFormat> Compile(std::string_view pattern, std::string_view default_zone);

  TimestampFormat(const TimestampFormat&);
  TimestampFormat& operator=(const TimestampFormat&);
  TimestampFormat(TimestampFormat&&) noexcept;
  TimestampFormat& operator=(TimestampFormat&&) noexcept;
  ~TimestampFormat();

  // The epoch milliseconds of `value` (sub-millisecond digits are dropped, toward the past).
  // InvalidArgument "expected yyyy-MM-dd HH:mm:ss" (the pattern) when it does not match.
  // Not thread-safe (it caches the zone offset of the last local-time period, the last zone
  // id read with VV, and the date fields read from the last value's leading "yyyy-MM-dd"
  // part, which most rows of a file share): copy one per thread. No heap allocation unless
  // it fails.
  Result<int64_t> ParseEpochMillis(std::string_view value) const;

  const std::string& pattern() const;

 private:
  struct Impl;
  explicit TimestampFormat(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strm
