// The contract of EventLog (streams/event_log.h) as typed tests: every implementation (the
// embedded log here, Kafka in a later issue) instantiates EventLogContract with a factory
// that makes a fresh, empty log, and must pass all of them.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "streams/event_log.h"

namespace strm::testing {

struct EventLogFactory {
  std::string name;
  // A fresh, empty log; called once per test.
  std::function<std::unique_ptr<EventLog>()> make;
};

class EventLogContract : public ::testing::TestWithParam<EventLogFactory> {
 protected:
  void SetUp() override {
    log_ = GetParam().make();
    ASSERT_NE(log_, nullptr);
  }
  void TearDown() override { log_.reset(); }

  static std::vector<LogRecord> Records(const std::string& prefix, int n) {
    std::vector<LogRecord> out;
    for (int i = 0; i < n; ++i)
      out.push_back({prefix + "-key-" + std::to_string(i), prefix + "-value-" + std::to_string(i)});
    return out;
  }
  // Every record of a partition from `from`, read in pieces of at most `max_bytes`.
  std::vector<StoredRecord> ReadAll(const std::string& topic, int partition, uint64_t from = 0,
                                    size_t max_bytes = 1 << 20) {
    std::vector<StoredRecord> out;
    for (;;) {
      auto r = log_->Read(topic, partition, from, max_bytes, std::chrono::milliseconds(0));
      EXPECT_TRUE(r.ok()) << r.status().message();
      if (!r.ok() || r->records.empty()) return out;
      for (auto& s : r->records) out.push_back(std::move(s));
      from = r->next_offset;
    }
  }

  std::unique_ptr<EventLog> log_;
};

}  // namespace strm::testing
