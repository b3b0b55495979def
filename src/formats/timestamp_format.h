// Timestamps written with a Java DateTimeFormatter pattern, read as epoch milliseconds.
// Supported pattern letters: y/u (year), M (month, number or text), d, H, h with a, m, s,
// S... (fraction of second), n... (nano-of-second digits), Z, X/XXX, x/xxx (offsets),
// VV (zone id), and quoted literals ('T', '' for a quote); other characters are literal.
// Values without an offset or zone are read in the default zone (an IANA id), with the
// usual Java rules in gaps and overlaps (gap: shifted forward; overlap: the earlier offset).
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
  // timestamp format 'yyyy-QQ'"), an unclosed quote, or an unknown zone id.
  static Result<TimestampFormat> Compile(std::string_view pattern, std::string_view default_zone);

  TimestampFormat(const TimestampFormat&);
  TimestampFormat& operator=(const TimestampFormat&);
  TimestampFormat(TimestampFormat&&) noexcept;
  TimestampFormat& operator=(TimestampFormat&&) noexcept;
  ~TimestampFormat();

  // The epoch milliseconds of `value` (sub-millisecond digits are dropped, toward the past).
  // InvalidArgument "expected yyyy-MM-dd HH:mm:ss" (the pattern) when it does not match.
  // Not thread-safe (it caches recent dates and zone offsets): copy one per thread.
  Result<int64_t> ParseEpochMillis(std::string_view value) const;

  const std::string& pattern() const;

 private:
  struct Impl;
  explicit TimestampFormat(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strm
