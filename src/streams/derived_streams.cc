#include "streams/derived_streams.h"

#include <set>

#include "core/bytes.h"

namespace strm {

DerivedStreams::DerivedStreams(Catalog& catalog, EventLog& log,
                               std::span<const uint8_t, 32> master_key,
                               std::chrono::milliseconds interval,
                               std::function<void(const std::string&, const Status&)> on_error)
    : catalog_(catalog),
      log_(log),
      box_(master_key),
      interval_(interval),
      on_error_(std::move(on_error)),
      thread_([this] { Loop(); }) {}

DerivedStreams::~DerivedStreams() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  derivers_.clear();  // each stops and joins
}

size_t DerivedStreams::running() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, d] : derivers_) n += d->running();
  return n;
}

void DerivedStreams::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    Sync();
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stop_; });
  }
}

void DerivedStreams::Sync() {
  // The log's topics before the catalog's streams: a stream's topics are made only once the
  // stream is in the catalog, so a topic listed here whose stream the later listing lacks
  // belongs to a deleted stream.
  auto topics = log_.ListTopics();
  auto streams = catalog_.ListStreams();
  if (!streams.ok()) {
    if (on_error_) on_error_("", streams.status());
    return;
  }
  std::map<std::string, const StreamRecord*> by_name;
  for (const StreamRecord& s : *streams) by_name[s.name] = &s;
  std::set<std::string> wanted;
  std::vector<std::unique_ptr<StreamDeriver>> stopping;
  for (const StreamRecord& s : *streams) {
    if (s.linked_stream.empty()) continue;
    auto source = by_name.find(s.linked_stream);
    if (source == by_name.end()) continue;
    wanted.insert(s.id);
    std::lock_guard lock(mu_);
    auto& d = derivers_[s.id];
    if (d && d->running()) continue;
    if (d) stopping.push_back(std::move(d));  // stopped on an error: once more
    DeriverOptions o;
    const std::string name = s.name;
    o.on_error = [this, name](const Status& st) {
      if (on_error_) on_error_(name, st);
    };
    d = std::make_unique<StreamDeriver>(
        log_, box_, [this](const ContractRef& ref) { return catalog_.GetDataContract(ref); },
        *source->second, s, o);
  }
  std::unique_lock lock(mu_);
  for (auto it = derivers_.begin(); it != derivers_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    stopping.push_back(std::move(it->second));
    it = derivers_.erase(it);
  }
  lock.unlock();
  stopping.clear();  // joins their threads, outside the lock (nothing a deriver waits for)
  if (topics.ok()) DeleteTopicsOfGoneStreams(*topics, *streams);
}

void DerivedStreams::DeleteTopicsOfGoneStreams(const std::vector<std::string>& topics,
                                               const std::vector<StreamRecord>& streams) {
  std::set<std::string, std::less<>> ids;
  for (const StreamRecord& s : streams) ids.insert(s.id);
  for (const std::string& topic : topics) {
    std::string_view id = topic;
    if (id.starts_with("events."))
      id.remove_prefix(7);
    else if (id.starts_with("keys."))
      id.remove_prefix(5);
    else
      continue;  // not a stream's
    if (!IsUuid(id) || ids.count(id)) continue;
    Status deleted = log_.DeleteTopic(topic);
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound && on_error_)
      on_error_("", deleted);
  }
}

}  // namespace strm
