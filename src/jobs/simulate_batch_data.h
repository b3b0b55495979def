// `strm simulate batch-data`: demo-shaped CSV rows (the columns of the demo input:
// SessionId,UserName,Timestamp,Email,PublicFieldA,PublicFieldB,PrivateFieldA,PrivateFieldB,
// PrivacyPlane) for demos and benchmarks. Timestamps rise through `days` days from
// 2022-02-06T00:00:00+01:00 in the demo's format (yyyy-MM-dd HH.mm.ss.nnnnnn:Z); each row
// belongs to one of `users` users; PrivacyPlane is 0, 1 or 2. The same seed gives the same
// file.
#pragma once

#include <cstdint>

#include "core/stream.h"

namespace strm {

struct BatchDataSpec {
  uint64_t rows = 1000;
  uint64_t users = 100;
  uint64_t days = 7;
  uint64_t seed = 1;
};

// The bounds of a spec: rows up to 10^12, users from 1 to 10^9, days from 1 to 36,500.
inline constexpr uint64_t kMaxSimulatedRows = 1'000'000'000'000;
inline constexpr uint64_t kMaxSimulatedUsers = 1'000'000'000;
inline constexpr uint64_t kMaxSimulatedDays = 36'500;

// Writes the header and `spec.rows` rows to `out` (without committing it). InvalidArgument
// for a spec out of its bounds ("users must be from 1 to 1000000000, got 0").
Status WriteSimulatedBatchData(const BatchDataSpec& spec, OutputStream& out);

}  // namespace strm
