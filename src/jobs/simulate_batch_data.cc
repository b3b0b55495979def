#include "jobs/simulate_batch_data.h"

#include <fmt/format.h>

#include <string>

namespace strm {
namespace {

// splitmix64: fast, good enough for test data, and reproducible.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
};

void AppendLetters(std::string& out, Rng& rng, int n) {
  uint64_t bits = rng.Next();
  for (int i = 0; i < n; ++i, bits /= 26) out += static_cast<char>('a' + bits % 26);
}

void AppendMixed(std::string& out, Rng& rng, int n) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  uint64_t bits = rng.Next();
  for (int i = 0; i < n; ++i, bits /= 52) out += kChars[bits % 52];
}

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

}  // namespace

Status WriteSimulatedBatchData(const BatchDataSpec& spec, OutputStream& out) {
  auto bound = [](const char* what, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v >= lo && v <= hi) return Status::Ok();
    return InvalidArgument(fmt::format("{} must be from {} to {}, got {}", what, lo, hi, v));
  };
  STRM_RETURN_IF_ERROR(bound("rows", spec.rows, 0, kMaxSimulatedRows));
  STRM_RETURN_IF_ERROR(bound("users", spec.users, 1, kMaxSimulatedUsers));
  STRM_RETURN_IF_ERROR(bound("days", spec.days, 1, kMaxSimulatedDays));
  Rng rng{spec.seed * 0x2545F4914F6CDD1DULL + 1};
  std::string buf =
      "SessionId,UserName,Timestamp,Email,PublicFieldA,PublicFieldB,PrivateFieldA,"
      "PrivateFieldB,PrivacyPlane\n";
  const uint64_t users = spec.users;
  const int64_t start_us = int64_t{1644102000} * 1000000;  // 2022-02-06T00:00:00+01:00
  const int64_t span_us = static_cast<int64_t>(spec.days) * 86400000000LL;
  const int64_t step_us = spec.rows > 0 ? span_us / static_cast<int64_t>(spec.rows) : 0;
  const int64_t local_start_us = start_us + 3600000000LL;  // the written times are in +01:00
  for (uint64_t i = 0; i < spec.rows; ++i) {
    uint64_t user = rng.Below(users);
    // Row i falls at a random point of its own step, so the times rise and stay in the span.
    int64_t local_us = local_start_us + static_cast<int64_t>(i) * step_us +
                       static_cast<int64_t>(rng.Below(static_cast<uint64_t>(step_us)));
    int64_t secs = local_us / 1000000;
    int y;
    unsigned mo, d;
    CivilFromDays(secs / 86400, y, mo, d);
    int64_t sod = secs % 86400;
    buf += fmt::format("session_{}_{},user_{},", user, i % 7, user);
    buf += fmt::format("{:04d}-{:02d}-{:02d} {:02d}.{:02d}.{:02d}.{:06d}:+0100,", y, mo, d,
                       sod / 3600, sod / 60 % 60, sod % 60, local_us % 1000000);
    AppendLetters(buf, rng, 8);
    buf += '@';
    AppendLetters(buf, rng, 6);
    buf += ".com,PublicFieldA_";
    AppendMixed(buf, rng, 8);
    buf += fmt::format(",{},PrivateFieldA_", static_cast<double>(rng.Next() >> 11) * 0x1.0p-53);
    AppendMixed(buf, rng, 8);
    buf += fmt::format(",{},{}\n", rng.Below(1000000000000000ULL), rng.Below(3));
    if (buf.size() > (1 << 20)) {
      STRM_RETURN_IF_ERROR(out.Write(buf));
      buf.clear();
    }
  }
  return out.Write(buf);
}

}  // namespace strm
