// A fixed set of worker threads running submitted tasks in FIFO order. Each task receives
// the index of the worker that runs it (0..size-1), so callers can keep per-worker state
// (cipher contexts, parsers) without locks. Destruction waits for queued tasks to finish.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace strm {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return static_cast<int>(threads_.size()); }

  template <typename F>
  auto Submit(F&& f) -> std::future<decltype(f(0))> {
    using R = decltype(f(0));
    auto task = std::make_shared<std::packaged_task<R(int)>>(std::forward<F>(f));
    std::future<R> fut = task->get_future();
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back([task](int w) { (*task)(w); });
    }
    cv_.notify_one();
    return fut;
  }

 private:
  void Loop(int index);
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(int)>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// The number of worker threads to use for `requested` (<= 0: the number of cores).
int ResolveThreadCount(int requested);

}  // namespace strm
