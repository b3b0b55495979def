// EventLog: where streams keep their events (SPEC §3 "Storage"). Durable, partitioned,
// append-only topics of records, read from offsets, with committed offsets per consumer
// group: the model of Kafka, so that the embedded log (embedded_log.h) and a Kafka-backed one
// are two implementations of one contract (tests/unit/streams/event_log_contract.h).
//
// A topic has a fixed number of partitions (1–1024). Each record of a partition has an
// offset (0, 1, 2, … in the order appended, never reused). An append is done once its
// records are durable; only then are they visible to readers, and the offsets of one append
// are consecutive. Topic names are 1–200 characters of [A-Za-z0-9._-], not "." or "..".
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace strm {

struct LogRecord {
  std::string key;    // what the record is partitioned by (may be empty)
  std::string value;  // the event
  bool operator==(const LogRecord&) const = default;
};

struct StoredRecord {
  uint64_t offset = 0;
  int64_t append_time = 0;  // epoch ms, when the log took it
  LogRecord record;
};

struct LogRead {
  std::vector<StoredRecord> records;  // consecutive offsets
  uint64_t next_offset = 0;           // where the next read goes on
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Creates `topic` with `partitions` partitions; OK if it exists with that many already,
  // AlreadyExists if with another count.
  virtual Status CreateTopic(std::string_view topic, int partitions) = 0;
  // Deletes a topic, its records and its groups' offsets. NotFound.
  virtual Status DeleteTopic(std::string_view topic) = 0;
  virtual Result<int> Partitions(std::string_view topic) = 0;  // NotFound
  virtual Result<std::vector<std::string>> ListTopics() = 0;   // by name

  // Appends `records` (at least one) to a partition, in order. `done` is called once, from
  // any thread, when they are durable, with the offset of the first; or with the error, and
  // then none of them is in the log. Does not wait for the disk.
  using AppendDone = std::function<void(Result<uint64_t> first_offset)>;
  virtual void Append(std::string_view topic, int partition, std::vector<LogRecord> records,
                      AppendDone done) = 0;

  // The records from `offset` on: at least one if there is any (even when it is larger than
  // `max_bytes`), more while their keys and values stay within `max_bytes`. When there is
  // none, waits up to `wait` for one (a reader that follows the tail). An offset below the
  // oldest one kept (retention) reads from that one; above the end, InvalidArgument.
  virtual Result<LogRead> Read(std::string_view topic, int partition, uint64_t offset,
                               size_t max_bytes, std::chrono::milliseconds wait) = 0;
  // The offset the next record appended will get, and the oldest offset still kept.
  virtual Result<uint64_t> EndOffset(std::string_view topic, int partition) = 0;
  virtual Result<uint64_t> StartOffset(std::string_view topic, int partition) = 0;

  // A consumer group's position in a partition: the next offset it will read. Commit is
  // durable when it returns; a group that never committed has none.
  virtual Status CommitOffset(std::string_view group, std::string_view topic, int partition,
                              uint64_t next_offset) = 0;
  virtual Result<std::optional<uint64_t>> CommittedOffset(std::string_view group,
                                                          std::string_view topic,
                                                          int partition) = 0;
};

// Append, then wait for it to be done.
Result<uint64_t> AppendAndWait(EventLog& log, std::string_view topic, int partition,
                               std::vector<LogRecord> records);

// InvalidArgument unless `name` is a valid topic (or group) name; `what` names it in the
// message ("topic", "consumer group").
Status ValidateLogName(std::string_view what, std::string_view name);

}  // namespace strm
