// DerivedStreams: a server's StreamDeriver for every derived stream of the catalog. It looks
// at the catalog every `interval` (streams made or deleted through any front end, or by
// another process on the catalog), starts a deriver for each new derived stream, stops those
// whose stream is gone, and starts again, after `interval`, one that stopped on an error
// (reported through `on_error` with the stream's name). It also deletes the log's topics of
// streams that are gone (events.<id>, keys.<id>), once their derivers have stopped.
// Thread-safe; stops on destruction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "catalog/catalog.h"
#include "catalog/secret_box.h"
#include "streams/event_log.h"
#include "streams/stream_derivation.h"

namespace strm {

class DerivedStreams {
 public:
  DerivedStreams(Catalog& catalog, EventLog& log, std::span<const uint8_t, 32> master_key,
                 std::chrono::milliseconds interval,
                 std::function<void(const std::string& stream, const Status&)> on_error);
  ~DerivedStreams();

  size_t running() const;  // derivers running now

 private:
  void Loop();
  void Sync();
  void DeleteTopicsOfGoneStreams(const std::vector<std::string>& topics,
                                 const std::vector<StreamRecord>& streams);

  Catalog& catalog_;
  EventLog& log_;
  SecretBox box_;
  const std::chrono::milliseconds interval_;
  const std::function<void(const std::string&, const Status&)> on_error_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, std::unique_ptr<StreamDeriver>> derivers_;  // by derived stream id
  std::thread thread_;
};

}  // namespace strm
