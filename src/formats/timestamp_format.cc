#include "formats/timestamp_format.h"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bytes.h"

namespace strm {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
// date/tz bounds open-ended intervals with sentinels near years -32767 and 32767, beyond
// +-kFar seconds (about year 5138); every real transition lies within.
constexpr int64_t kFar = 100'000'000'000;
constexpr int64_t kMaxSeconds = INT64_MAX / 1000 - 1;

// Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The year of Hinnant's civil_from_days.
constexpr int64_t YearFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  return static_cast<int64_t>(yoe) + era * 400 + (mp >= 10);
}

constexpr bool IsLeap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int DaysInMonth(int64_t y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Monday = 0; 1970-01-01 was a Thursday.
constexpr int WeekdayFromDays(int64_t days) {
  const int w = static_cast<int>((days + 3) % 7);
  return w < 0 ? w + 7 : w;
}

constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

constexpr std::array<std::string_view, 12> kMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kWeekdays = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Reads exactly two digits.
inline bool Read2(const char*& p, const char* end, int* out) {
  if (end - p < 2 || !IsDigit(p[0]) || !IsDigit(p[1])) return false;
  *out = (p[0] - '0') * 10 + (p[1] - '0');
  p += 2;
  return true;
}

// Index of the name in `names` that `p` starts with (its first 3 letters if `abbreviated`),
// or -1. Case-sensitive, as Java's default.
template <size_t N>
int ReadName(const char*& p, const char* end, const std::array<std::string_view, N>& names,
             bool abbreviated) {
  const size_t avail = static_cast<size_t>(end - p);
  if (avail < 3) return -1;
  for (size_t i = 0; i < N; ++i) {
    const std::string_view name = names[i];
    if (p[0] != name[0] || p[1] != name[1] || p[2] != name[2]) continue;
    const size_t len = abbreviated ? 3 : name.size();
    if (avail < len || std::memcmp(p + 3, name.data() + 3, len - 3) != 0) return -1;
    p += len;
    return static_cast<int>(i);
  }
  return -1;
}

// How an offset element of the pattern is written: Java's "+HHmm", "+HH:MM", "+HHMMss"...
struct OffsetStyle {
  bool colon = false;             // ':' between the parts
  bool minutes_optional = false;  // "+HHmm": minutes may be absent
  bool seconds = false;           // "...ss": optional seconds
  bool z_for_zero = false;        // "Z" means +00:00
};

bool ReadOffset(const char*& p, const char* end, OffsetStyle style, int32_t* out) {
  if (style.z_for_zero && p < end && *p == 'Z') {
    ++p;
    *out = 0;
    return true;
  }
  if (p == end || (*p != '+' && *p != '-')) return false;
  const int sign = *p == '-' ? -1 : 1;
  const char* q = p + 1;
  int h = 0, m = 0, s = 0;
  if (!Read2(q, end, &h)) return false;
  const char* r = q;
  if (style.colon && !(r < end && *r++ == ':')) r = nullptr;
  if (r != nullptr && Read2(r, end, &m)) {
    q = r;
    if (style.seconds) {
      const char* t = q;
      if (style.colon && !(t < end && *t++ == ':')) t = nullptr;
      if (t != nullptr && Read2(t, end, &s)) q = t;
    }
  } else if (!style.minutes_optional) {
    return false;
  }
  if (m > 59 || s > 59 || h * 3600 + m * 60 + s > 18 * 3600) return false;
  *out = sign * (h * 3600 + m * 60 + s);
  p = q;
  return true;
}

// A whole offset zone id as java.time.ZoneOffset.of reads it: +h, +hh, +hh:mm, +hhmm,
// +hh:mm:ss, +hhmmss (or '-').
bool ParseOffsetId(std::string_view id, int32_t* out) {
  if (id.size() < 2 || (id[0] != '+' && id[0] != '-')) return false;
  const std::string_view r = id.substr(1);
  for (size_t i = 0; i < r.size(); ++i) {
    if (!IsDigit(r[i]) && !(r[i] == ':' && (i == 2 || i == 5))) return false;
  }
  auto two = [&](size_t i) { return (r[i] - '0') * 10 + (r[i + 1] - '0'); };
  int h = 0, m = 0, s = 0;
  const bool colons = r.size() >= 5 && r[2] == ':';
  if (r.size() == 1) {
    h = r[0] - '0';
  } else if (r.size() == 2) {
    h = two(0);
  } else if (r.size() == 4 && r.find(':') == std::string_view::npos) {
    h = two(0), m = two(2);
  } else if (r.size() == 5 && colons) {
    h = two(0), m = two(3);
  } else if (r.size() == 6 && r.find(':') == std::string_view::npos) {
    h = two(0), m = two(2), s = two(4);
  } else if (r.size() == 8 && colons && r[5] == ':') {
    h = two(0), m = two(3), s = two(6);
  } else {
    return false;
  }
  if (m > 59 || s > 59 || h * 3600 + m * 60 + s > 18 * 3600) return false;
  *out = (id[0] == '-' ? -1 : 1) * (h * 3600 + m * 60 + s);
  return true;
}

// The UTC offset of an offset-style zone id ("Z", "UTC", "+01:00", "UTC+1", "GMT-05:30").
std::optional<int32_t> FixedZoneOffset(std::string_view id) {
  if (id == "Z" || id == "UTC" || id == "GMT" || id == "UT") return 0;
  for (std::string_view prefix : {"UTC", "GMT", "UT"}) {
    if (id.size() > prefix.size() && id.substr(0, prefix.size()) == prefix &&
        (id[prefix.size()] == '+' || id[prefix.size()] == '-')) {
      id.remove_prefix(prefix.size());
      break;
    }
  }
  int32_t offset = 0;
  if (ParseOffsetId(id, &offset)) return offset;
  return std::nullopt;
}

// The UTC offsets of an IANA zone as a step function of local time. Below starts[0] the
// offset is offsets[0]; from starts[i] on it is offsets[i + 1]. A start is the transition's
// UTC time plus the larger of the two offsets, which gives Java's ZonedDateTime.of rules: a
// local time in a gap takes the offset before it (so it moves forward by the gap), one in an
// overlap the earlier offset.
struct ZoneTable {
  std::vector<int64_t> starts;
  std::vector<int32_t> offsets;
  // date/tz reads the system tzdata's transitions, which end in 2037 (the POSIX rule for
  // later years is not read); zones whose last transition is in 2037 are extrapolated from
  // this local time on.
  int64_t extrapolate_from = INT64_MAX;
};

int64_t Seconds(date::sys_seconds t) { return t.time_since_epoch().count(); }

std::shared_ptr<const ZoneTable> BuildZoneTable(const date::time_zone* tz) {
  auto table = std::make_shared<ZoneTable>();
  auto info = tz->get_info(date::sys_seconds{std::chrono::seconds{-kFar}});
  table->offsets.push_back(static_cast<int32_t>(info.offset.count()));
  int64_t last_transition = INT64_MIN;
  while (Seconds(info.end) < kFar) {
    auto next = tz->get_info(info.end);
    if (Seconds(next.end) <= Seconds(info.end)) break;  // defensive: no progress
    if (next.offset != info.offset) {
      last_transition = Seconds(info.end);
      table->starts.push_back(last_transition + std::max(info.offset, next.offset).count());
      table->offsets.push_back(static_cast<int32_t>(next.offset.count()));
    }
    info = std::move(next);
  }
  if (last_transition >= DaysFromCivil(2037, 1, 1) * kSecondsPerDay &&
      last_transition < DaysFromCivil(2038, 1, 1) * kSecondsPerDay) {
    table->extrapolate_from = DaysFromCivil(2038, 1, 1) * kSecondsPerDay;
  }
  return table;
}

// Tables are immutable and shared by every format (and thread) that uses the zone.
std::shared_ptr<const ZoneTable> ZoneTableFor(const date::time_zone* tz) {
  static auto* const mu = new std::mutex;
  static auto* const tables =
      new std::unordered_map<const date::time_zone*, std::shared_ptr<const ZoneTable>>;
  std::lock_guard<std::mutex> lock(*mu);
  auto& table = (*tables)[tz];
  if (table == nullptr) table = BuildZoneTable(tz);
  return table;
}

// Local time -> UTC for one zone: a fixed offset, or a zone table with the local-time
// interval of the last lookup cached.
class ZoneRules {
 public:
  static ZoneRules Fixed(int32_t offset) {
    ZoneRules r;
    r.fixed_ = offset;
    return r;
  }

  // An IANA zone or offset id; nullopt when unknown.
  static std::optional<ZoneRules> Of(std::string_view id) {
    if (auto offset = FixedZoneOffset(id)) return Fixed(*offset);
    try {
      auto table = ZoneTableFor(date::locate_zone(id));
      if (table->starts.empty()) return Fixed(table->offsets[0]);  // UTC, Etc/GMT+5...
      ZoneRules r;
      r.table_ = std::move(table);
      return r;
    } catch (const std::exception&) {  // unknown id, unreadable tzdata
      return std::nullopt;
    }
  }

  int64_t ToUtc(int64_t local) const {
    if (table_ == nullptr) return local - fixed_;
    if (local >= lo_ && local < hi_) return local - offset_;
    return Lookup(local);
  }

 private:
  int64_t Lookup(int64_t local) const {
    const ZoneTable& t = *table_;
    // From 2038 on, use the latest year <= 2037 with the same calendar (leap year and
    // weekday of January 1st): it has the same rule-based transitions.
    int64_t shift = 0, clip_lo = INT64_MIN, clip_hi = t.extrapolate_from;
    if (local >= t.extrapolate_from) {
      const int64_t year = YearFromDays(FloorDiv(local, kSecondsPerDay));
      const int64_t jan1 = DaysFromCivil(year, 1, 1);
      int64_t same = 2037;
      while (IsLeap(same) != IsLeap(year) ||
             WeekdayFromDays(DaysFromCivil(same, 1, 1)) != WeekdayFromDays(jan1)) {
        --same;  // 2010..2037 hold every calendar, so this stops within 28 steps
      }
      shift = (jan1 - DaysFromCivil(same, 1, 1)) * kSecondsPerDay;
      clip_lo = jan1 * kSecondsPerDay;
      clip_hi = DaysFromCivil(year + 1, 1, 1) * kSecondsPerDay;
    }
    const auto it = std::upper_bound(t.starts.begin(), t.starts.end(), local - shift);
    const size_t k = static_cast<size_t>(it - t.starts.begin());
    offset_ = t.offsets[k];
    lo_ = std::max(k > 0 ? t.starts[k - 1] + shift : INT64_MIN, clip_lo);
    hi_ = std::min(k < t.starts.size() ? t.starts[k] + shift : INT64_MAX, clip_hi);
    return local - offset_;
  }

  std::shared_ptr<const ZoneTable> table_;  // null: fixed_ applies
  int32_t fixed_ = 0;
  mutable int64_t lo_ = 0, hi_ = 0;  // local seconds [lo_, hi_) have offset_
  mutable int64_t offset_ = 0;
};

// One step of a compiled pattern.
enum class Op : uint8_t {
  kChar,       // one literal character
  kLiteral,    // a longer literal
  kDigits,     // exactly min_width digits into a slot
  kVarDigits,  // min_width..max_width digits into a slot
  kFraction,   // fraction-of-second digits (S: exact; n: count..9)
  kMonthShort,
  kMonthFull,
  kWeekdayShort,
  kWeekdayFull,
  kAmPm,
  kOffset,
  kZoneId,
};

// Where a number goes.
enum Slot : uint8_t {
  kYear,
  kYearOfEra,
  kMonth,
  kDay,
  kHour,
  kClockHour,
  kMinute,
  kSecond,
  kSlotCount,
};

struct Element {
  Op op = Op::kChar;
  Slot slot = kYear;
  uint8_t min_width = 0, max_width = 0;
  // Digits left for the fixed-width numbers that follow without a separator (Java's
  // adjacent value parsing), e.g. "MMdd" after a variable-width "y".
  uint8_t reserve = 0;
  char ch = 0;                                 // kChar
  int16_t bias = 0;                            // added to the number: 2000 for "yy"
  OffsetStyle offset;                          // kOffset
  uint32_t literal_pos = 0, literal_size = 0;  // kLiteral, in Impl::literals
};

bool IsNumeric(Op op) { return op == Op::kDigits || op == Op::kVarDigits || op == Op::kFraction; }

// Reads exactly `width` digits in one pass.
inline bool ReadFixed(const char*& p, const char* end, unsigned width, int64_t* out) {
  if (static_cast<size_t>(end - p) < width) return false;
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  if (width == 2) {
    const unsigned a = u[0] - '0', b = u[1] - '0';
    if ((a > 9) | (b > 9)) return false;
    *out = a * 10 + b;
  } else {
    int64_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
      const unsigned d = u[i] - '0';
      if (d > 9) return false;
      v = v * 10 + d;
    }
    *out = v;
  }
  p += width;
  return true;
}

// Reads min..max digits greedily, leaving `reserve` digits for what follows; returns how
// many it read, 0 when too few.
inline size_t ReadVariable(const char*& p, const char* end, const Element& e, int64_t* out) {
  const size_t limit = std::min<size_t>(size_t{e.max_width} + e.reserve, end - p);
  size_t avail = 0;
  while (avail < limit && IsDigit(p[avail])) ++avail;
  const size_t take = avail > e.reserve ? std::min<size_t>(e.max_width, avail - e.reserve) : 0;
  if (take < e.min_width) return 0;
  int64_t v = 0;
  for (size_t i = 0; i < take; ++i) v = v * 10 + (p[i] - '0');
  p += take;
  *out = v;
  return take;
}

constexpr int64_t kPow10[] = {1,      10,      100,      1000,      10000,
                              100000, 1000000, 10000000, 100000000, 1000000000};

inline bool IsZoneIdChar(char c) {
  return IsAsciiLetter(c) || IsDigit(c) || c == '/' || c == '_' || c == '-' || c == '+' ||
         c == '.' || c == '~' || c == ':';
}

}  // namespace

struct TimestampFormat::Impl {
  std::string pattern;
  std::string literals;
  std::vector<Element> elements;
  ZoneRules default_zone;
  // The date prefix memo: most rows of a file share their date (and many their minute), and
  // a pattern that starts with fixed-width date fields and literals ("yyyy-MM-dd HH.mm.")
  // reads the same slots from the same bytes. prefix_elements/prefix_size: how many leading
  // elements qualify and the bytes they read (0: no memo); the last value's prefix and the
  // slots it gave.
  size_t prefix_elements = 0, prefix_size = 0;
  mutable bool prefix_valid = false;
  mutable std::array<char, 32> prefix_text{};
  mutable std::array<int64_t, kSlotCount> prefix_slots{};
  // The last zone id read with VV and its rules.
  mutable ZoneRules value_zone;
  mutable std::array<char, 64> value_zone_id{};
  mutable size_t value_zone_id_size = 0;  // 0: none cached

  Status Error() const { return InvalidArgument("expected " + pattern); }

  Status PatternError(std::string what) const {
    return InvalidArgument(std::move(what) + " in timestamp format '" + pattern + "'");
  }

  void AddLiteral(std::string_view text) {
    Element* last = elements.empty() ? nullptr : &elements.back();
    if (last != nullptr && last->op == Op::kChar) {  // grow a one-character literal
      last->op = Op::kLiteral;
      last->literal_pos = static_cast<uint32_t>(literals.size());
      last->literal_size = 1;
      literals.push_back(last->ch);
    }
    if (last != nullptr && last->op == Op::kLiteral) {
      literals.append(text);
      last->literal_size += static_cast<uint32_t>(text.size());
      return;
    }
    Element e;
    e.op = Op::kChar;
    e.ch = text[0];
    elements.push_back(e);
    if (text.size() > 1) AddLiteral(text.substr(1));
  }

  Status AddField(char letter, int count);
  Status Compile();
  // The rules of the zone id read from a value (cached when named), or null if unknown.
  const ZoneRules* ValueZone(std::string_view id) const;
};

Status TimestampFormat::Impl::AddField(char letter, int count) {
  Element e;
  auto number = [&](Slot slot, int min, int max) {
    e.op = min == max ? Op::kDigits : Op::kVarDigits;
    e.slot = slot;
    e.min_width = static_cast<uint8_t>(min);
    e.max_width = static_cast<uint8_t>(max);
  };
  auto offset = [&](bool colon, bool minutes_optional, bool seconds, bool z) {
    e.op = Op::kOffset;
    e.offset = OffsetStyle{colon, minutes_optional, seconds, z};
  };
  bool supported = true;
  switch (letter) {
    case 'y':
    case 'u': {
      const Slot slot = letter == 'y' ? kYearOfEra : kYear;
      if (count == 2) {
        number(kYear, 2, 2);  // 2000-2099, as Java's reduced parsing
        e.bias = 2000;
      } else if (count <= 3) {
        number(slot, count, 9);
      } else {
        supported = count <= 9;
        number(slot, count, count);
      }
      break;
    }
    case 'M':
      if (count <= 2) {
        number(kMonth, count, 2);
      } else {
        supported = count <= 4;
        e.op = count == 3 ? Op::kMonthShort : Op::kMonthFull;
      }
      break;
    case 'd':
    case 'H':
    case 'h':
    case 'm':
    case 's': {
      constexpr Slot kSlots[] = {kDay, kHour, kClockHour, kMinute, kSecond};
      supported = count <= 2;
      number(kSlots[std::string_view("dHhms").find(letter)], count, 2);
      break;
    }
    case 'a':
      supported = count == 1;
      e.op = Op::kAmPm;
      break;
    case 'S':  // exactly `count` fraction digits
    case 'n':  // nano-of-second digits, read as a fraction like 'S' (see VECTORS.md §4)
      supported = count <= 9;
      number(kSecond, count, letter == 'S' ? count : 9);
      e.op = Op::kFraction;
      break;
    case 'E':
      supported = count <= 4;
      e.op = count == 4 ? Op::kWeekdayFull : Op::kWeekdayShort;
      break;
    case 'Z':
      supported = count != 4 && count <= 5;
      if (count <= 3) {
        offset(false, false, false, false);  // +HHMM
      } else {
        offset(true, false, true, true);  // +HH:MM:ss, Z
      }
      break;
    case 'X':
    case 'x':
      supported = count <= 5;
      // X: +HHmm, XX: +HHMM, XXX: +HH:MM, XXXX: +HHMMss, XXXXX: +HH:MM:ss; x without "Z".
      offset(count == 3 || count == 5, count == 1, count >= 4, letter == 'X');
      break;
    case 'V':
      supported = count == 2;
      e.op = Op::kZoneId;
      break;
    default:
      return PatternError(std::string("unsupported pattern letter '") + letter + "'");
  }
  if (!supported) {
    return PatternError("unsupported pattern '" + std::string(count, letter) + "'");
  }
  elements.push_back(e);
  return Status::Ok();
}

Status TimestampFormat::Impl::Compile() {
  const std::string_view p = pattern;
  bool clock_hour = false, am_pm = false;
  for (size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (IsAsciiLetter(c)) {
      size_t j = i;
      while (j < p.size() && p[j] == c) ++j;
      STRM_RETURN_IF_ERROR(AddField(c, static_cast<int>(j - i)));
      clock_hour |= c == 'h';
      am_pm |= c == 'a';
      i = j;
    } else if (c == '\'') {
      if (i + 1 < p.size() && p[i + 1] == '\'') {  // '' outside quotes: one quote
        AddLiteral("'");
        i += 2;
        continue;
      }
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= p.size()) return PatternError("unclosed quote");
        if (p[j] != '\'') {
          AddLiteral(p.substr(j, 1));
        } else if (j + 1 < p.size() && p[j + 1] == '\'') {
          AddLiteral("'");
          ++j;
        } else {
          break;
        }
      }
      i = j + 1;
    } else if (std::string_view("[]{}#").find(c) != std::string_view::npos) {
      return PatternError(std::string("unsupported pattern character '") + c + "'");
    } else {
      AddLiteral(p.substr(i, 1));
      ++i;
    }
  }
  if (clock_hour && !am_pm) return PatternError("pattern letter 'h' needs 'a'");
  for (size_t i = 0; i < elements.size(); ++i) {
    if (!IsNumeric(elements[i].op) || elements[i].min_width == elements[i].max_width) continue;
    int reserve = 0;
    for (size_t j = i + 1; j < elements.size() && IsNumeric(elements[j].op) &&
                           elements[j].min_width == elements[j].max_width;
         ++j) {
      reserve += elements[j].min_width;
    }
    elements[i].reserve = static_cast<uint8_t>(std::min(reserve, 255));
  }
  // The date prefix (see prefix_elements): literals and fixed-width date, hour and minute
  // fields read exactly their width and depend on nothing else (a file's rows come about a
  // thousand a minute in a large file, so the memo holds for that many).
  size_t n = 0, size = 0;
  bool has_date = false;
  for (; n < elements.size(); ++n) {
    const Element& e = elements[n];
    size_t width = 0;
    if (e.op == Op::kChar) {
      width = 1;
    } else if (e.op == Op::kLiteral) {
      width = e.literal_size;
    } else if (e.op == Op::kDigits && e.slot <= kMinute && e.reserve == 0) {
      width = e.min_width;
      has_date = has_date || e.slot <= kDay;
    } else {
      break;
    }
    if (size + width > prefix_text.size()) break;
    size += width;
  }
  if (has_date) {
    prefix_elements = n;
    prefix_size = size;
  }
  return Status::Ok();
}

const ZoneRules* TimestampFormat::Impl::ValueZone(std::string_view id) const {
  if (value_zone_id_size != 0 && id == std::string_view(value_zone_id.data(), value_zone_id_size)) {
    return &value_zone;
  }
  auto rules = ZoneRules::Of(id);
  if (!rules) return nullptr;
  value_zone = *rules;
  value_zone_id_size = id.size() <= value_zone_id.size() ? id.size() : 0;
  std::memcpy(value_zone_id.data(), id.data(), value_zone_id_size);
  return &value_zone;
}

Result<TimestampFormat> TimestampFormat::Compile(std::string_view pattern,
                                                 std::string_view default_zone) {
  auto impl = std::make_unique<Impl>();
  impl->pattern = std::string(pattern);
  STRM_RETURN_IF_ERROR(impl->Compile());
  auto zone = ZoneRules::Of(default_zone);
  if (!zone) return InvalidArgument("unknown time zone '" + std::string(default_zone) + "'");
  impl->default_zone = *zone;
  return TimestampFormat(std::move(impl));
}

Result<int64_t> TimestampFormat::ParseEpochMillis(std::string_view value) const {
  const Impl& m = *impl_;
  const char* p = value.data();
  const char* const end = p + value.size();
  // Defaults for what the pattern lacks: 1970-01-01 00:00:00.
  int64_t slots[kSlotCount] = {1970, -1, 1, 1, 0, -1, 0, 0};
  int64_t millis = 0, weekday = -1, v = 0;
  int pm = -1;
  int32_t offset = 0;
  bool has_offset = false;
  const ZoneRules* zone = &m.default_zone;
  size_t first = 0;
  if (m.prefix_valid && value.size() >= m.prefix_size &&
      SameBytes(value.data(), m.prefix_text.data(), m.prefix_size)) {
    std::copy(m.prefix_slots.begin(), m.prefix_slots.end(), slots);
    p += m.prefix_size;
    first = m.prefix_elements;
  }
  for (size_t k = first; k < m.elements.size(); ++k) {
    if (k == m.prefix_elements && k > first) {  // a new date prefix, read without error
      std::memcpy(m.prefix_text.data(), value.data(), m.prefix_size);
      std::copy(slots, slots + kSlotCount, m.prefix_slots.begin());
      m.prefix_valid = true;
    }
    const Element& e = m.elements[k];
    switch (e.op) {
      case Op::kChar:
        if (p == end || *p != e.ch) return m.Error();
        ++p;
        break;
      case Op::kLiteral:
        if (static_cast<size_t>(end - p) < e.literal_size ||
            std::memcmp(p, m.literals.data() + e.literal_pos, e.literal_size) != 0) {
          return m.Error();
        }
        p += e.literal_size;
        break;
      case Op::kDigits:
        if (!ReadFixed(p, end, e.min_width, &v)) return m.Error();
        slots[e.slot] = v + e.bias;
        break;
      case Op::kVarDigits:
        if (ReadVariable(p, end, e, &v) == 0) return m.Error();
        slots[e.slot] = v;
        break;
      case Op::kFraction: {  // keep milliseconds; the rest is dropped (toward the past)
        const size_t digits = ReadVariable(p, end, e, &v);
        if (digits == 0) return m.Error();
        millis = digits <= 3 ? v * kPow10[3 - digits] : v / kPow10[digits - 3];
        break;
      }
      case Op::kMonthShort:
      case Op::kMonthFull:
        slots[kMonth] = ReadName(p, end, kMonths, e.op == Op::kMonthShort) + 1;
        if (slots[kMonth] == 0) return m.Error();
        break;
      case Op::kWeekdayShort:
      case Op::kWeekdayFull:
        weekday = ReadName(p, end, kWeekdays, e.op == Op::kWeekdayShort);
        if (weekday < 0) return m.Error();
        break;
      case Op::kAmPm:
        if (end - p < 2 || (p[0] != 'A' && p[0] != 'P') || p[1] != 'M') return m.Error();
        pm = p[0] == 'P';
        p += 2;
        break;
      case Op::kOffset:
        if (!ReadOffset(p, end, e.offset, &offset)) return m.Error();
        has_offset = true;
        break;
      case Op::kZoneId: {
        const char* q = p;
        while (q < end && IsZoneIdChar(*q)) ++q;
        zone = m.ValueZone(std::string_view(p, static_cast<size_t>(q - p)));
        if (zone == nullptr) return m.Error();
        p = q;
        break;
      }
    }
  }
  if (p != end) return m.Error();
  int64_t year = slots[kYear], hour = slots[kHour];
  if (slots[kYearOfEra] >= 0) {
    if (slots[kYearOfEra] == 0) return m.Error();  // year-of-era starts at 1
    year = slots[kYearOfEra];
  }
  if (slots[kClockHour] >= 0) {
    if (slots[kClockHour] < 1 || slots[kClockHour] > 12) return m.Error();
    hour = slots[kClockHour] % 12 + (pm == 1 ? 12 : 0);
  } else if (pm >= 0 && (hour >= 12) != (pm == 1)) {
    return m.Error();  // "HH a" must agree, as Java cross-checks
  }
  const int64_t month = slots[kMonth], day = slots[kDay], minute = slots[kMinute],
                second = slots[kSecond];
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, static_cast<int>(month)) ||
      hour > 23 || minute > 59 || second > 59) {
    return m.Error();
  }
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  if (weekday >= 0 && weekday != WeekdayFromDays(days)) return m.Error();
  const int64_t local = days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
  const int64_t utc = has_offset ? local - offset : zone->ToUtc(local);
  if (utc > kMaxSeconds || utc < -kMaxSeconds) return m.Error();
  return utc * 1000 + millis;
}

TimestampFormat::TimestampFormat(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TimestampFormat::TimestampFormat(const TimestampFormat& other)
    : impl_(std::make_unique<Impl>(*other.impl_)) {}
TimestampFormat& TimestampFormat::operator=(const TimestampFormat& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
TimestampFormat::TimestampFormat(TimestampFormat&&) noexcept = default;
TimestampFormat& TimestampFormat::operator=(TimestampFormat&&) noexcept = default;
TimestampFormat::~TimestampFormat() = default;

const std::string& TimestampFormat::pattern() const { return impl_->pattern; }

}  // namespace strm
