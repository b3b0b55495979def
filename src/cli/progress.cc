#include "cli/progress.h"

#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace strm::cli {

void ProgressBar::Update(const JobProgress& p) {
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  drawn_ = true;
  constexpr int kWidth = 30;
  double frac = p.total_bytes > 0 ? std::min(1.0, double(p.bytes) / double(p.total_bytes)) : 0;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '=');
  if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
  double rate = p.seconds > 0 ? double(p.rows) / p.seconds : 0;
  std::fputs(fmt::format("\r[{}] {:3.0f}%  {:L} rows  {:.1f} MB  {:.0f} rows/s ", bar, frac * 100,
                         p.rows, double(p.bytes) / 1e6, rate)
                 .c_str(),
             stderr);
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (drawn_) std::fputs("\n", stderr);
  drawn_ = false;
}

}  // namespace strm::cli
