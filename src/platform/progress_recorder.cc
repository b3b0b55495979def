#include "platform/progress_recorder.h"

#include <utility>

namespace strm {

ProgressRecorder::ProgressRecorder(Record record, std::chrono::milliseconds period)
    : record_(std::move(record)), period_(period), thread_([this] { Loop(); }) {}

ProgressRecorder::~ProgressRecorder() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ProgressRecorder::Offer(const JobProgress& progress) {
  std::lock_guard lock(mu_);  // held by Loop only to copy, never during a record
  latest_ = progress;
  fresh_ = true;
}

void ProgressRecorder::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, period_, [this] { return stop_; })) return;
    if (!fresh_) continue;
    const JobProgress progress = latest_;
    fresh_ = false;
    lock.unlock();
    record_(progress);
    lock.lock();
  }
}

}  // namespace strm
