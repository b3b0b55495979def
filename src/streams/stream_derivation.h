// A derived stream (SPEC §3): the events of its source stream that its purposes allow, with
// the personal fields those purposes may see decrypted and its masked fields masked, by the
// same rules as a batch job's derived output (privacy/event_policy.h), in the source's order
// (partition by partition). The rest of each event, strmMeta included, is as in the source.
//
// A StreamDeriver follows the source's topic from the start (the derived stream holds the
// source's retained events, not only the newer ones) on a thread of its own, appends what it
// derives to "events.<derived id>" and records how far it got as the consumer group
// "derive.<derived id>". Exactly once across crashes: at a start, the events derived after the
// last recorded position are recognised in the derived topic's tail and not appended again.
// Keys come from the source's key stream (sealed; streams/stream_keys.h).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "catalog/catalog.h"
#include "catalog/secret_box.h"
#include "core/result.h"
#include "streams/event_log.h"

namespace strm {

struct DeriverOptions {
  std::chrono::milliseconds poll{200};  // a read's wait at the source's tail
  size_t batch = 512;                   // events appended (and recorded) at once
  // Called from the deriver's thread when it stops on an error (the log or catalog failed, a
  // key is missing): the caller may start it again later.
  std::function<void(const Status&)> on_error;
};

class StreamDeriver {
 public:
  // `contracts` answers the data contracts that events name (a catalog's GetDataContract).
  using Contracts = std::function<Result<DataContract>(const ContractRef&)>;
  StreamDeriver(EventLog& log, const SecretBox& box, Contracts contracts, StreamRecord source,
                StreamRecord derived, DeriverOptions options = {});
  ~StreamDeriver();  // stops and joins

  // The derived events of one source event line: nothing when its purposes do not see it.
  // Exposed for tests; the thread uses it.
  Result<std::optional<std::string>> Derive(std::string_view source_line);

  bool running() const { return running_.load(); }

 private:
  struct State;
  void Run();

  EventLog& log_;
  std::unique_ptr<State> state_;
  DeriverOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{true};
  std::thread thread_;
};

}  // namespace strm
