#include "formats/timestamp_format.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <cstring>
#include <random>

#include <climits>
#include <string>
#include <vector>

// Expected values were computed independently with python3's datetime and zoneinfo (the
// system tzdata, POSIX rules included), e.g.
//   datetime(2022,3,27,2,30,tzinfo=ZoneInfo('Europe/Amsterdam')).timestamp()*1000
// (fold=0 gives Java's rules: the offset before a gap, the earlier offset in an overlap),
// and cross-checked with `date -u -d '2000-10-10 13:55:36 -0700' +%s` where possible.

namespace strm {
namespace {

int64_t Parse(std::string_view pattern, std::string_view zone, std::string_view value) {
  auto format = TimestampFormat::Compile(pattern, zone);
  EXPECT_TRUE(format.ok()) << format.status().message();
  if (!format.ok()) return INT64_MIN;
  auto ms = format->ParseEpochMillis(value);
  EXPECT_TRUE(ms.ok()) << value << ": " << ms.status().message();
  return ms.ok() ? *ms : INT64_MIN;
}

std::string ParseError(std::string_view pattern, std::string_view zone, std::string_view value) {
  auto format = TimestampFormat::Compile(pattern, zone);
  EXPECT_TRUE(format.ok()) << format.status().message();
  if (!format.ok()) return "";
  auto ms = format->ParseEpochMillis(value);
  EXPECT_FALSE(ms.ok()) << value << " parsed as " << (ms.ok() ? *ms : 0);
  if (ms.ok()) return "";
  EXPECT_EQ(ms.status().code(), StatusCode::kInvalidArgument);
  return ms.status().message();
}

std::string CompileError(std::string_view pattern, std::string_view zone = "UTC") {
  auto format = TimestampFormat::Compile(pattern, zone);
  EXPECT_FALSE(format.ok());
  if (format.ok()) return "";
  EXPECT_EQ(format.status().code(), StatusCode::kInvalidArgument);
  return format.status().message();
}

TEST(TimestampFormat, Vectors) {
  // VECTORS.md §4: nano-of-second digits read as a fraction; sub-millisecond digits dropped.
  EXPECT_EQ(Parse("yyyy-MM-dd HH.mm.ss.nnnnnn:Z", "UTC", "2022-02-06 06.43.12.962083:+0100"),
            1644126192962);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ss", "Europe/Amsterdam", "2010-12-01 08:26:00"), 1291188360000);
}

TEST(TimestampFormat, IsoWithFractionAndOffset) {
  const char* iso = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";
  EXPECT_EQ(Parse(iso, "Europe/Amsterdam", "2022-02-06T06:43:12.962Z"), 1644129792962);
  EXPECT_EQ(Parse(iso, "UTC", "2022-02-06T06:43:12.962+05:30"), 1644109992962);
  EXPECT_EQ(Parse(iso, "UTC", "2022-02-06T06:43:12.962+00:00"), 1644129792962);
  EXPECT_EQ(Parse("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSX", "UTC", "2022-02-06T06:43:12.962083999Z"),
            1644129792962);
  EXPECT_EQ(Parse("yyyy-MM-dd'T'HH:mm:ss.SX", "UTC", "2022-02-06T06:43:12.9+0530"), 1644109992900);
  EXPECT_EQ(Parse("yyyy-MM-dd'T'HH:mm:ssXX", "UTC", "2022-02-06T06:43:12+0530"), 1644109992000);
  EXPECT_EQ(Parse("yyyy-MM-dd'T'HH:mm:ssXXXXX", "UTC", "2022-02-06T06:43:12+05:30:00"),
            1644109992000);
}

TEST(TimestampFormat, NanoOfSecondDigits) {
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ss.nnnnnnnnn", "UTC", "2022-02-06 06:43:12.962083000"),
            1644129792962);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ss.nnn", "UTC", "2022-02-06 06:43:12.962083"), 1644129792962);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ss.nnn", "UTC", "2022-02-06 06:43:12.962"), 1644129792962);
}

TEST(TimestampFormat, OffsetsWithoutZ) {
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ssxxx", "Europe/Amsterdam", "2022-02-06 06:43:12-03:00"),
            1644140592000);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ssx", "UTC", "2022-02-06 06:43:12-03"), 1644140592000);
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm:ssxxx", "UTC", "2022-02-06 06:43:12Z"),
            "expected yyyy-MM-dd HH:mm:ssxxx");
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm:ssZ", "UTC", "2022-02-06 06:43:12Z"),
            "expected yyyy-MM-dd HH:mm:ssZ");
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm:ssZ", "UTC", "2022-02-06 06:43:12+01:00"),
            "expected yyyy-MM-dd HH:mm:ssZ");
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm:ssXXX", "UTC", "2022-02-06 06:43:12+19:00"),
            "expected yyyy-MM-dd HH:mm:ssXXX");
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm:ssXXX", "UTC", "2022-02-06 06:43:12+01:60"),
            "expected yyyy-MM-dd HH:mm:ssXXX");
}

TEST(TimestampFormat, ZoneIdInValue) {
  const char* p = "yyyy-MM-dd HH:mm:ss VV";
  auto format = TimestampFormat::Compile(p, "UTC");
  ASSERT_TRUE(format.ok());
  // Alternating zones exercises the cached zone id.
  EXPECT_EQ(*format->ParseEpochMillis("2022-07-01 12:00:00 Europe/Amsterdam"), 1656669600000);
  EXPECT_EQ(*format->ParseEpochMillis("2022-07-01 12:00:00 America/New_York"), 1656691200000);
  EXPECT_EQ(*format->ParseEpochMillis("2022-07-01 12:00:00 Europe/Amsterdam"), 1656669600000);
  EXPECT_EQ(*format->ParseEpochMillis("2022-02-06 06:43:12 Asia/Kolkata"), 1644109992000);
  EXPECT_EQ(*format->ParseEpochMillis("2022-02-06 06:43:12 Z"), 1644129792000);
  EXPECT_EQ(*format->ParseEpochMillis("2022-02-06 06:43:12 UTC"), 1644129792000);
  EXPECT_EQ(*format->ParseEpochMillis("2022-02-06 06:43:12 +05:30"), 1644109992000);
  EXPECT_EQ(format->ParseEpochMillis("2022-02-06 06:43:12 Mars/Base").status().message(),
            "expected yyyy-MM-dd HH:mm:ss VV");
  EXPECT_EQ(format->ParseEpochMillis("2022-02-06 06:43:12 ").status().message(),
            "expected yyyy-MM-dd HH:mm:ss VV");
}

TEST(TimestampFormat, ApacheLogStyle) {
  // date -u -d '2000-10-10 13:55:36 -0700' +%s -> 971211336
  EXPECT_EQ(Parse("dd/MMM/yyyy:HH:mm:ss Z", "UTC", "10/Oct/2000:13:55:36 -0700"), 971211336000);
  EXPECT_EQ(ParseError("dd/MMM/yyyy:HH:mm:ss Z", "UTC", "10/oct/2000:13:55:36 -0700"),
            "expected dd/MMM/yyyy:HH:mm:ss Z");
  EXPECT_EQ(ParseError("dd/MMM/yyyy:HH:mm:ss Z", "UTC", "10/Okt/2000:13:55:36 -0700"),
            "expected dd/MMM/yyyy:HH:mm:ss Z");
}

TEST(TimestampFormat, TextMonthsAndWeekdays) {
  EXPECT_EQ(Parse("d MMMM yyyy", "UTC", "6 February 2022"), 1644105600000);
  EXPECT_EQ(Parse("d MMMM yyyy", "UTC", "30 September 2022"), 1664496000000);
  EXPECT_EQ(Parse("EEE, dd MMM yyyy HH:mm:ss Z", "UTC", "Sun, 06 Feb 2022 06:43:12 +0100"),
            1644126192000);
  EXPECT_EQ(Parse("EEEE d MMMM yyyy", "UTC", "Sunday 6 February 2022"), 1644105600000);
  // The day of week must agree with the date, as Java cross-checks it.
  EXPECT_EQ(ParseError("EEE, dd MMM yyyy HH:mm:ss Z", "UTC", "Mon, 06 Feb 2022 06:43:12 +0100"),
            "expected EEE, dd MMM yyyy HH:mm:ss Z");
}

TEST(TimestampFormat, ClockHourWithAmPm) {
  const char* p = "yyyy-MM-dd h:mm a";
  EXPECT_EQ(Parse(p, "UTC", "2022-02-06 9:05 PM"), 1644181500000);
  EXPECT_EQ(Parse(p, "UTC", "2022-02-06 12:00 AM"), 1644105600000);
  EXPECT_EQ(Parse(p, "UTC", "2022-02-06 12:30 PM"), 1644150600000);
  EXPECT_EQ(Parse("h:mm a", "UTC", "9:05 PM"), 75900000);  // the date defaults to 1970-01-01
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 13:05 PM"), "expected yyyy-MM-dd h:mm a");
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 0:05 AM"), "expected yyyy-MM-dd h:mm a");
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 9:05 pm"), "expected yyyy-MM-dd h:mm a");
  // HH with a: they must agree.
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm a", "UTC", "2022-02-06 21:05 PM"), 1644181500000);
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm a", "UTC", "2022-02-06 21:05 AM"),
            "expected yyyy-MM-dd HH:mm a");
}

TEST(TimestampFormat, FractionIsTruncatedTowardThePast) {
  // 1969-12-31T23:59:59Z is -1 s; .9999 keeps 999 ms -> -1 ms, not 0.
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ss.SSSS", "UTC", "1969-12-31 23:59:59.9999"), -1);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ss.SSSS", "UTC", "1969-12-31 23:59:59.0001"), -1000);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm:ss.SSSS", "UTC", "1970-01-01 00:00:00.0009"), 0);
}

TEST(TimestampFormat, DaylightSavingGapAndOverlap) {
  const char* p = "yyyy-MM-dd HH:mm";
  // Gap: 02:30 does not exist; moved forward by the gap to 03:30 CEST = 01:30 UTC.
  EXPECT_EQ(Parse(p, "Europe/Amsterdam", "2022-03-27 02:30"), 1648344600000);
  // Overlap: 02:30 happens twice; the earlier offset (+02:00) gives 00:30 UTC.
  EXPECT_EQ(Parse(p, "Europe/Amsterdam", "2022-10-30 02:30"), 1667089800000);
  EXPECT_EQ(Parse(p, "America/New_York", "2022-03-13 02:30"), 1647156600000);
}

TEST(TimestampFormat, CachedOffsetsAcrossTransitions) {
  auto format = TimestampFormat::Compile("yyyy-MM-dd HH:mm:ss", "Europe/Amsterdam");
  ASSERT_TRUE(format.ok());
  const std::vector<std::pair<std::string, int64_t>> rows = {
      {"2022-03-27 01:59:59", 1648342799000}, {"2022-03-27 02:00:00", 1648342800000},
      {"2022-03-27 03:00:00", 1648342800000}, {"2022-10-30 01:59:59", 1667087999000},
      {"2022-10-30 02:00:00", 1667088000000}, {"2022-10-30 02:59:59", 1667091599000},
      {"2022-10-30 03:00:00", 1667095200000}, {"2022-10-30 01:00:00", 1667084400000},
      {"2022-03-27 01:59:59", 1648342799000}, {"2022-03-27 03:00:00", 1648342800000},
  };
  for (const auto& [value, ms] : rows) EXPECT_EQ(*format->ParseEpochMillis(value), ms) << value;
}

TEST(TimestampFormat, DaylightSavingAfter2037IsExtrapolated) {
  // The system tzdata lists transitions up to 2037 only; later years follow the same rules.
  auto format = TimestampFormat::Compile("yyyy-MM-dd HH:mm", "Europe/Amsterdam");
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(*format->ParseEpochMillis("2050-07-01 12:00"), 2540282400000);
  EXPECT_EQ(*format->ParseEpochMillis("2050-01-15 12:00"), 2525857200000);
  EXPECT_EQ(*format->ParseEpochMillis("2050-03-27 02:30"), 2531957400000);  // gap
  EXPECT_EQ(*format->ParseEpochMillis("2050-10-30 02:30"), 2550702600000);  // overlap
  EXPECT_EQ(*format->ParseEpochMillis("2050-10-30 03:00"), 2550708000000);
  EXPECT_EQ(*format->ParseEpochMillis("2051-10-29 02:30"), 2582152200000);
  EXPECT_EQ(*format->ParseEpochMillis("2100-03-28 02:30"), 4109880600000);
  EXPECT_EQ(*format->ParseEpochMillis("2400-10-29 03:00"), 13595565600000);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm", "Australia/Sydney", "2050-01-15 12:00"), 2525821200000);
  EXPECT_EQ(Parse("yyyy-MM-dd HH:mm", "Australia/Sydney", "2050-07-15 12:00"), 2541463200000);
}

TEST(TimestampFormat, DefaultZones) {
  const char* p = "yyyy-MM-dd HH:mm:ss";
  EXPECT_EQ(Parse(p, "+05:30", "2022-02-06 06:43:12"), 1644109992000);
  EXPECT_EQ(Parse(p, "UTC+1", "2022-02-06 06:43:12"), 1644126192000);
  EXPECT_EQ(Parse(p, "Z", "2022-02-06 06:43:12"), 1644129792000);
  EXPECT_EQ(Parse(p, "Etc/UTC", "2022-02-06 06:43:12"), 1644129792000);
  EXPECT_EQ(Parse(p, "Etc/GMT+5", "2022-02-06 06:43:12"), 1644147792000);  // POSIX sign: -5
  EXPECT_EQ(Parse(p, "Asia/Kolkata", "2022-02-06 06:43:12"), 1644109992000);
}

TEST(TimestampFormat, MissingFieldsDefault) {
  EXPECT_EQ(Parse("yyyy-MM-dd", "Europe/Amsterdam", "2022-02-06"), 1644102000000);
  EXPECT_EQ(Parse("", "UTC", ""), 0);
}

TEST(TimestampFormat, LeapDays) {
  EXPECT_EQ(Parse("yyyy-MM-dd", "UTC", "2024-02-29"), 1709164800000);
  EXPECT_EQ(ParseError("yyyy-MM-dd", "UTC", "2023-02-29"), "expected yyyy-MM-dd");
  EXPECT_EQ(ParseError("yyyy-MM-dd", "UTC", "2100-02-29"), "expected yyyy-MM-dd");
  EXPECT_EQ(ParseError("yyyy-MM-dd", "UTC", "2022-04-31"), "expected yyyy-MM-dd");
}

TEST(TimestampFormat, YearsAndAdjacentNumbers) {
  EXPECT_EQ(Parse("yy-MM-dd", "UTC", "22-02-06"), 1644105600000);
  EXPECT_EQ(Parse("yy-MM-dd", "UTC", "99-12-31"), 4102358400000);  // 2099, Java's base 2000
  EXPECT_EQ(Parse("yyyyMMddHHmmssSSS", "UTC", "20220206064312962"), 1644129792962);
  EXPECT_EQ(Parse("yMMdd", "UTC", "20220206"), 1644105600000);  // y leaves 4 digits
  EXPECT_EQ(Parse("uuuu-M-d", "UTC", "2022-2-6"), 1644105600000);
  EXPECT_EQ(ParseError("yyyy-MM-dd", "UTC", "02022-02-06"), "expected yyyy-MM-dd");
  EXPECT_EQ(ParseError("yyyy-MM-dd", "UTC", "0000-02-06"), "expected yyyy-MM-dd");
  EXPECT_EQ(ParseError("yyyyMMdd", "UTC", "2022026"), "expected yyyyMMdd");
}

TEST(TimestampFormat, QuotedLiterals) {
  EXPECT_EQ(Parse("yyyy-MM-dd'T'HH 'o''clock'", "UTC", "2022-02-06T06 o'clock"), 1644127200000);
  EXPECT_EQ(Parse("''yyyy''", "UTC", "'2022'"), 1640995200000);
  EXPECT_EQ(ParseError("yyyy'T'", "UTC", "2022t"), "expected yyyy'T'");
}

TEST(TimestampFormat, ParseErrors) {
  const char* p = "yyyy-MM-dd HH:mm:ss";
  const std::string expected = "expected yyyy-MM-dd HH:mm:ss";
  EXPECT_EQ(ParseError(p, "UTC", "2022/02/06 06:43:12"), expected);   // separator
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 06:43:12Z"), expected);  // trailing text
  EXPECT_EQ(ParseError(p, "UTC", "2010-12-01 08:26"), expected);      // SPEC's example
  EXPECT_EQ(ParseError(p, "UTC", "2022-2-06 06:43:12"), expected);    // missing digit
  EXPECT_EQ(ParseError(p, "UTC", "2022-13-06 06:43:12"), expected);   // month 13
  EXPECT_EQ(ParseError(p, "UTC", "2022-00-06 06:43:12"), expected);
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-00 06:43:12"), expected);
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 24:00:00"), expected);
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 06:60:12"), expected);
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 06:43:60"), expected);
  EXPECT_EQ(ParseError(p, "UTC", ""), expected);
  EXPECT_EQ(ParseError(p, "UTC", "2022-02-06 06:43:1x"), expected);
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm:ss.SSS", "UTC", "2022-02-06 06:43:12.96"),
            "expected yyyy-MM-dd HH:mm:ss.SSS");
  EXPECT_EQ(ParseError("yyyy-MM-dd HH:mm:ss.SSS", "UTC", "2022-02-06 06:43:12.9621"),
            "expected yyyy-MM-dd HH:mm:ss.SSS");
}

TEST(TimestampFormat, CompileErrors) {
  EXPECT_EQ(CompileError("yyyy-QQ"),
            "unsupported pattern letter 'Q' in timestamp format 'yyyy-QQ'");
  EXPECT_EQ(CompileError("yyyy-MM-ddd"),
            "unsupported pattern 'ddd' in timestamp format 'yyyy-MM-ddd'");
  EXPECT_EQ(CompileError("MMMMM"), "unsupported pattern 'MMMMM' in timestamp format 'MMMMM'");
  EXPECT_EQ(CompileError("SSSSSSSSSS"),
            "unsupported pattern 'SSSSSSSSSS' in timestamp format 'SSSSSSSSSS'");
  EXPECT_EQ(CompileError("ZZZZ"), "unsupported pattern 'ZZZZ' in timestamp format 'ZZZZ'");
  EXPECT_EQ(CompileError("XXXXXX"), "unsupported pattern 'XXXXXX' in timestamp format 'XXXXXX'");
  EXPECT_EQ(CompileError("V"), "unsupported pattern 'V' in timestamp format 'V'");
  EXPECT_EQ(CompileError("aa"), "unsupported pattern 'aa' in timestamp format 'aa'");
  EXPECT_EQ(CompileError("EEEEE"), "unsupported pattern 'EEEEE' in timestamp format 'EEEEE'");
  EXPECT_EQ(CompileError("yyyyyyyyyy"),
            "unsupported pattern 'yyyyyyyyyy' in timestamp format 'yyyyyyyyyy'");
  EXPECT_EQ(CompileError("yyyy-MM-dd[ HH:mm]"),
            "unsupported pattern character '[' in timestamp format 'yyyy-MM-dd[ HH:mm]'");
  EXPECT_EQ(CompileError("yyyy-MM-dd'T"), "unclosed quote in timestamp format 'yyyy-MM-dd'T'");
  EXPECT_EQ(CompileError("hh:mm"), "pattern letter 'h' needs 'a' in timestamp format 'hh:mm'");
  EXPECT_EQ(CompileError("yyyy", "Mars/Base"), "unknown time zone 'Mars/Base'");
  EXPECT_EQ(CompileError("yyyy", "+19:00"), "unknown time zone '+19:00'");
  EXPECT_EQ(CompileError("yyyy", ""), "unknown time zone ''");
}

TEST(TimestampFormat, CopiesAreIndependent) {
  auto format = TimestampFormat::Compile("yyyy-MM-dd HH:mm", "Europe/Amsterdam");
  ASSERT_TRUE(format.ok());
  TimestampFormat copy = *format;
  EXPECT_EQ(copy.pattern(), "yyyy-MM-dd HH:mm");
  EXPECT_EQ(*copy.ParseEpochMillis("2022-03-27 02:30"), 1648344600000);
  EXPECT_EQ(*format->ParseEpochMillis("2022-10-30 02:30"), 1667089800000);
  TimestampFormat moved = std::move(copy);
  EXPECT_EQ(*moved.ParseEpochMillis("2010-12-01 08:26"), 1291188360000);
  copy = moved;
  EXPECT_EQ(*copy.ParseEpochMillis("2010-12-01 08:26"), 1291188360000);
}

// The date-prefix memo: a long-lived format gives, value after value, exactly what a fresh
// copy gives for each value alone (runs of values of a few dates and minutes in random order,
// some invalid).
TEST(TimestampFormat, DatePrefixMemoChangesNoResult) {
  for (std::string_view pattern : {"yyyy-MM-dd HH.mm.ss.nnnnnn:Z", "yyyy-MM-dd'T'HH:mm:ssXXX",
                                   "dd/MM/yyyy HH:mm", "yy-MM-dd"}) {
    auto pristine = TimestampFormat::Compile(pattern, "Europe/Amsterdam");
    ASSERT_TRUE(pristine.ok()) << pattern;
    TimestampFormat used = *pristine;
    std::mt19937 rng(3);
    const char* dates[] = {"2022-02-06", "2022-02-07", "2022-02-30", "2022-13-01", "1999-12-31"};
    std::string date;
    int h = 0, m = 0;
    for (int i = 0; i < 2000; ++i) {
      if (i == 0 ||
          rng() % 6 == 0) {  // runs of values of one minute, as in a file (the memo covers it)
        date = dates[rng() % 5];
        h = static_cast<int>(rng() % 25);
        m = static_cast<int>(rng() % 60);
      }
      char value[64];
      const std::string_view p = pattern;
      if (p.starts_with("yyyy-MM-dd HH")) {
        std::snprintf(value, sizeof value, "%s %02d.%02d.%02d.%06d:+0100", date.c_str(), h, m,
                      static_cast<int>(rng() % 60), static_cast<int>(rng() % 1000000));
      } else if (p.starts_with("yyyy-MM-dd'T'")) {
        std::snprintf(value, sizeof value, "%sT%02d:%02d:00+02:00", date.c_str(), h, m);
      } else if (p.starts_with("dd/")) {
        std::snprintf(value, sizeof value, "%s/%s/%s %02d:%02d", date.substr(8, 2).c_str(),
                      date.substr(5, 2).c_str(), date.substr(0, 4).c_str(), h, m);
      } else {
        std::snprintf(value, sizeof value, "%s", date.substr(2).c_str());
      }
      if (rng() % 10 == 0) value[rng() % std::strlen(value)] = 'x';  // a broken value
      TimestampFormat fresh = *pristine;
      auto want = fresh.ParseEpochMillis(value);
      auto got = used.ParseEpochMillis(value);
      ASSERT_EQ(got.ok(), want.ok()) << pattern << ": " << value;
      if (want.ok()) {
        ASSERT_EQ(*got, *want) << pattern << ": " << value;
      } else {
        ASSERT_EQ(got.status().message(), want.status().message());
      }
    }
  }
}

}  // namespace
}  // namespace strm
