// The embedded EventLog (event_log.h): append-only segment files under one directory, one
// writer thread that group-commits (one batch per partition and one fdatasync per file for
// everything queued, before the appends are reported done), recovery that truncates a torn
// tail, retention by size and age, readers that follow the tail, and consumer groups'
// offsets in small files replaced atomically. The format is docs/formats.md, "The embedded
// event log". One process at a time opens a directory (the server's lock on its home keeps
// others out).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "streams/event_log.h"

namespace strm {

struct EmbeddedLogOptions {
  uint64_t segment_bytes = 64 << 20;           // a new segment once the current one is this large
  uint64_t retention_bytes = 0;                // per partition, whole segments; 0: no limit
  std::chrono::milliseconds retention_age{0};  // by a segment's last append; 0: no limit
  std::function<int64_t()> now;                // epoch ms; the system clock when empty
  // Tests: called by the writer before each group commit (to hold it while appends queue).
  std::function<void()> before_commit;
};

class EmbeddedLog final : public EventLog {
 public:
  // Opens (creating) the log in `dir`: every partition is recovered (a torn tail truncated)
  // before it returns. Errors name the file.
  static Result<std::unique_ptr<EmbeddedLog>> Open(const std::string& dir,
                                                   EmbeddedLogOptions options = {});
  // Finishes the appends queued, then stops; readers waiting are woken.
  ~EmbeddedLog() override;

  Status CreateTopic(std::string_view topic, int partitions) override;
  Status DeleteTopic(std::string_view topic) override;
  Result<int> Partitions(std::string_view topic) override;
  Result<std::vector<std::string>> ListTopics() override;
  void Append(std::string_view topic, int partition, std::vector<LogRecord> records,
              AppendDone done) override;
  Result<LogRead> Read(std::string_view topic, int partition, uint64_t offset, size_t max_bytes,
                       std::chrono::milliseconds wait) override;
  Result<uint64_t> EndOffset(std::string_view topic, int partition) override;
  Result<uint64_t> StartOffset(std::string_view topic, int partition) override;
  Status CommitOffset(std::string_view group, std::string_view topic, int partition,
                      uint64_t next_offset) override;
  Result<std::optional<uint64_t>> CommittedOffset(std::string_view group, std::string_view topic,
                                                  int partition) override;

  // Group commits so far (each one fdatasync per file written): for tests and metrics.
  uint64_t commits() const { return commits_.load(); }

  struct Partition;  // embedded_log.cc

 private:
  struct Topic {
    std::string name;
    std::vector<std::shared_ptr<Partition>> partitions;
  };
  struct Pending {
    std::shared_ptr<Partition> partition;
    std::vector<LogRecord> records;
    AppendDone done;
  };

  EmbeddedLog(std::string dir, EmbeddedLogOptions options);
  Status Recover();
  Result<std::shared_ptr<Partition>> Find(std::string_view topic, int partition);
  int64_t Now() const;
  void WriterLoop();
  void Write(std::vector<Pending>& group);
  void Retain(Partition& p);

  const std::string dir_;
  const EmbeddedLogOptions options_;
  std::shared_mutex topics_mu_;
  std::map<std::string, std::shared_ptr<Topic>, std::less<>> topics_;
  std::mutex queue_mu_;
  std::condition_variable queued_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> commits_{0};
  std::thread writer_;  // last: started once the rest is set up
};

}  // namespace strm
