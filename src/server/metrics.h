// The server's metrics in Prometheus's text format (version 0.0.4), names prefixed `strm_`
// (SPEC §5): HTTP requests by route, method and status with a latency histogram by route, batch
// jobs by state, the input files of watching jobs by end, and the rows, bytes and errors (by kind)
// of the jobs this server ran. Routes are patterns ("/api/v1/batch-jobs/{id}"), never raw paths, so
// that the series stay few. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "catalog/catalog.h"

namespace strm::server {

class Metrics {
 public:
  void CountRequest(std::string_view route, std::string_view method, int status, double seconds);
  // A job's state changed (LocalPlatformOptions::on_transition): a final one adds its rows,
  // bytes, or its error kind.
  void JobTransition(const BatchJobRecord& job);
  // An input file of a watching job ended (LocalPlatformOptions::on_file): DONE adds its rows
  // and bytes (a watching job never finishes), and every end counts by state.
  void JobFile(const BatchJobFile& file);
  // Everything, with `jobs` (the catalog's batch jobs now) counted by state.
  std::string Render(const std::vector<BatchJobRecord>& jobs) const;

  // The histogram's upper bounds, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  uint64_t job_rows_ = 0, job_bytes_ = 0;
  std::map<std::string, uint64_t> job_ends_;    // final state -> jobs
  std::map<std::string, uint64_t> job_errors_;  // error kind -> jobs
  std::map<std::string, uint64_t> file_ends_;   // DONE or FAILED -> files
};

}  // namespace strm::server
