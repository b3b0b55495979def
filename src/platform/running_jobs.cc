#include "platform/running_jobs.h"

#include <algorithm>

namespace strm {

RunningJobs::RunningJobs(int slots) {
  for (int i = 0; i < std::max(slots, 1); ++i) slots_.emplace_back([this] { Slot(); });
}

RunningJobs::~RunningJobs() { Stop(); }

void RunningJobs::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) job->cancel.store(true);
    // Queued jobs run on the slots with their flag set, and record their own end there.
  }
  changed_.notify_all();
  for (auto& t : slots_)
    if (t.joinable()) t.join();
  std::vector<std::thread> apart;
  {
    std::lock_guard lock(mu_);
    apart.swap(apart_);
  }
  for (auto& t : apart) t.join();
}

Status RunningJobs::Start(const BatchJobRecord& record, Work work, bool own_thread) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return FailedPrecondition("the platform is stopping; no job can start");
    auto job = std::make_shared<Job>();
    job->latest = record;
    job->work = std::move(work);
    jobs_[record.id] = job;
    if (own_thread) {
      RunApart(record.id, job);
    } else {
      queue_.push_back(record.id);
    }
  }
  changed_.notify_all();
  return Status::Ok();
}

void RunningJobs::RunApart(const std::string& id, std::shared_ptr<Job> job) {
  job->started = true;
  apart_.emplace_back([this, job, id] {
    job->work(id, job->cancel);
    {
      std::lock_guard inner(mu_);
      jobs_.erase(id);
    }
    changed_.notify_all();
  });
}

void RunningJobs::Slot() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return !queue_.empty() || (stopping_ && queue_.empty()); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::string id = std::move(queue_.front());
    queue_.pop_front();
    auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    std::shared_ptr<Job> job = it->second;
    job->started = true;
    lock.unlock();
    job->work(id, job->cancel);
    lock.lock();
    jobs_.erase(id);
    changed_.notify_all();
  }
}

void RunningJobs::Publish(BatchJobRecord record) {
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(record.id);
    if (it == jobs_.end()) return;
    record.updated_at = std::max(record.updated_at, it->second->latest.updated_at + 1);
    it->second->latest = std::move(record);
  }
  changed_.notify_all();
}

std::optional<BatchJobRecord> RunningJobs::Latest(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second->latest;
}

std::optional<BatchJobRecord> RunningJobs::WaitNewer(std::string_view id, int64_t seen_updated_at,
                                                     std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::optional<BatchJobRecord> out;
  changed_.wait_for(lock, timeout, [&] {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return true;
    if (it->second->latest.updated_at > seen_updated_at) {
      out = it->second->latest;
      return true;
    }
    return false;
  });
  if (!out) {
    auto it = jobs_.find(id);
    if (it != jobs_.end()) out = it->second->latest;
  }
  return out;
}

bool RunningJobs::Cancel(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return false;
  it->second->cancel.store(true);
  if (!it->second->started) {
    // Not waiting for a slot: its work runs now, sees the flag, and records CANCELLED.
    queue_.erase(std::remove(queue_.begin(), queue_.end(), it->first), queue_.end());
    RunApart(it->first, it->second);
  }
  return true;
}

bool RunningJobs::WaitGone(std::string_view id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return jobs_.find(id) == jobs_.end(); });
}

}  // namespace strm
