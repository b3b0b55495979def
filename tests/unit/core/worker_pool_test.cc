#include "core/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

namespace strm {
namespace {

TEST(WorkerPool, RunsEveryTaskAndReturnsResults) {
  WorkerPool pool(3);
  std::vector<std::future<int>> results;
  for (int i = 0; i < 100; ++i) results.push_back(pool.Submit([i](int) { return i * i; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(results[i].get(), i * i);
}

TEST(WorkerPool, PassesWorkerIndexWithinRange) {
  WorkerPool pool(2);
  std::vector<std::future<int>> results;
  for (int i = 0; i < 50; ++i) results.push_back(pool.Submit([](int w) { return w; }));
  for (auto& r : results) {
    int w = r.get();
    EXPECT_GE(w, 0);
    EXPECT_LT(w, 2);
  }
}

TEST(WorkerPool, DestructionDrainsQueue) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(1);
    for (int i = 0; i < 20; ++i) (void)pool.Submit([&done](int) { return ++done; });
  }
  EXPECT_EQ(done.load(), 20);
}

TEST(ResolveThreadCount, DefaultsToCores) {
  EXPECT_EQ(ResolveThreadCount(3), 3);
  EXPECT_GE(ResolveThreadCount(0), 1);
}

}  // namespace
}  // namespace strm
