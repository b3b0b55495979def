// A one-line progress bar on stderr for `create batch-job` on a terminal:
// "[=====>     ] 48%  4,800,000 rows  512.0 MB  1,020,000 rows/s". Redrawn at most 10 times
// a second; Finish() ends the line.
#pragma once

#include <chrono>

#include "jobs/batch_job_runner.h"

namespace strm::cli {

class ProgressBar {
 public:
  void Update(const JobProgress& p);
  void Finish();

 private:
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace strm::cli
