#include "streams/embedded_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/crc32c.h"
#include "streams/log_files.h"

namespace strm {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxPartitions = 1024;

using namespace log_files;  // NOLINT(google-build-using-namespace)

}  // namespace

struct EmbeddedLog::Partition {
  struct Segment {
    uint64_t base = 0;
    std::string path;
    uint64_t size = 0;                                 // bytes written and synced
    int64_t last_time = 0;                             // epoch ms of its last batch
    std::vector<std::pair<uint64_t, uint64_t>> index;  // (batch base offset, position)
    bool indexed = false;
  };

  std::string dir;
  std::mutex mu;  // all below; the writer writes files outside it
  std::condition_variable grew;
  std::vector<Segment> segments;  // oldest first; the last one is active
  int fd = -1;                    // the active segment, for writing
  uint64_t end = 0;               // the next offset
  uint64_t bytes = 0;             // of all segments
  bool deleted = false;

  ~Partition() {
    if (fd >= 0) ::close(fd);
  }

  // Indexes a closed segment by reading its batch headers (once).
  Status IndexLocked(Segment& s, uint64_t segment_end) {
    if (s.indexed) return Status::Ok();
    const int rfd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd < 0) return Errno("open", s.path);
    uint64_t pos = kSegmentHeader, next = s.base;
    Status st;
    while (pos < s.size && next < segment_end) {
      auto b = ReadBatch(rfd, pos, s.size, s.path, next, false);
      if (!b.ok()) {
        st = b.status();
        break;
      }
      if (!*b) {
        st = IoError("the event log segment " + s.path + " is damaged at byte " +
                     std::to_string(pos));
        break;
      }
      s.index.emplace_back(next, pos);
      next += (*b)->records.size();
      pos += (*b)->bytes;
    }
    ::close(rfd);
    if (st.ok()) s.indexed = true;
    return st;
  }
};

EmbeddedLog::EmbeddedLog(std::string dir, EmbeddedLogOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

Result<std::unique_ptr<EmbeddedLog>> EmbeddedLog::Open(const std::string& dir,
                                                       EmbeddedLogOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create the event log directory " + dir + ": " + ec.message());
  std::unique_ptr<EmbeddedLog> log(new EmbeddedLog(dir, std::move(options)));
  STRM_RETURN_IF_ERROR(log->Recover());
  log->writer_ = std::thread([p = log.get()] { p->WriterLoop(); });
  return log;
}

EmbeddedLog::~EmbeddedLog() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::shared_lock lock(topics_mu_);
  for (auto& [name, topic] : topics_)
    for (auto& p : topic->partitions) {
      std::lock_guard plock(p->mu);
      p->deleted = true;  // readers waiting return
      p->grew.notify_all();
    }
}

int64_t EmbeddedLog::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Opens a partition's directory: its segments, the last one checked batch by batch and cut
// at the first batch that is not whole (a torn tail), then opened for appending.
static Result<std::shared_ptr<EmbeddedLog::Partition>> OpenPartition(const std::string& dir) {
  auto p = std::make_shared<EmbeddedLog::Partition>();
  p->dir = dir;
  std::vector<uint64_t> bases;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 24 || !name.ends_with(".seg")) continue;
    uint64_t base = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + 20, base);
    if (err == std::errc() && end == name.data() + 20) bases.push_back(base);
  }
  if (ec) return IoError("cannot list " + dir + ": " + ec.message());
  std::sort(bases.begin(), bases.end());
  for (uint64_t base : bases) {
    EmbeddedLog::Partition::Segment s;
    s.base = base;
    s.path = dir + "/" + SegmentName(base);
    struct stat st;
    if (::stat(s.path.c_str(), &st) != 0) return Errno("stat", s.path);
    s.size = static_cast<uint64_t>(st.st_size);
    s.last_time = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    p->segments.push_back(std::move(s));
  }
  // A last segment shorter than its header was being made when the process died: gone.
  while (!p->segments.empty() && p->segments.back().size < kSegmentHeader &&
         p->segments.size() > 1) {
    ::unlink(p->segments.back().path.c_str());
    p->segments.pop_back();
  }
  if (p->segments.empty() || p->segments.back().size < kSegmentHeader) {
    const uint64_t base = p->segments.empty() ? 0 : p->segments.back().base;
    p->segments.clear();
    EmbeddedLog::Partition::Segment s;
    s.base = base;
    s.path = dir + "/" + SegmentName(base);
    p->segments.push_back(s);
  }
  auto& last = p->segments.back();
  p->fd = ::open(last.path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (p->fd < 0) return Errno("open", last.path);
  if (last.size < kSegmentHeader) {  // new
    std::string header(kMagic);
    PutU64(header, last.base);
    STRM_RETURN_IF_ERROR(WriteAll(p->fd, header, 0, last.path));
    if (::fdatasync(p->fd) != 0) return Errno("sync", last.path);
    STRM_RETURN_IF_ERROR(SyncPath(dir));
    last.size = kSegmentHeader;
  } else {
    STRM_ASSIGN_OR_RETURN(std::string header, ReadAt(p->fd, 0, kSegmentHeader, last.path));
    if (header.substr(0, 8) != kMagic || GetBE(header.data() + 8, 8) != last.base)
      return IoError(last.path + " is not a segment of strm's event log (its header)");
  }
  // The last segment, batch by batch.
  uint64_t pos = kSegmentHeader, next = last.base;
  for (;;) {
    STRM_ASSIGN_OR_RETURN(auto batch, ReadBatch(p->fd, pos, last.size, last.path, next, false));
    if (!batch) break;
    last.index.emplace_back(next, pos);
    last.last_time = (*batch).time;
    next += (*batch).records.size();
    pos += (*batch).bytes;
  }
  if (pos < last.size) {  // a torn tail: cut
    if (::ftruncate(p->fd, static_cast<off_t>(pos)) != 0) return Errno("truncate", last.path);
    if (::fdatasync(p->fd) != 0) return Errno("sync", last.path);
    last.size = pos;
  }
  last.indexed = true;
  p->end = next;
  for (const auto& s : p->segments) p->bytes += s.size;
  return p;
}

Status EmbeddedLog::Recover() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (!e.is_directory()) continue;
    const std::string name = e.path().filename().string();
    if (name == "groups" || !ValidateLogName("topic", name).ok()) continue;
    auto count_text = ReadSmallFile(e.path().string() + "/partitions");
    if (!count_text.ok()) {  // a topic whose creation did not finish
      fs::remove_all(e.path(), ec);
      continue;
    }
    STRM_ASSIGN_OR_RETURN(uint64_t count,
                          ParseNumber(*count_text, e.path().string() + "/partitions"));
    auto topic = std::make_shared<Topic>();
    topic->name = name;
    for (uint64_t i = 0; i < count; ++i) {
      STRM_ASSIGN_OR_RETURN(auto p, OpenPartition(e.path().string() + "/" + std::to_string(i)));
      topic->partitions.push_back(std::move(p));
    }
    topics_[name] = std::move(topic);
  }
  if (ec) return IoError("cannot list the event log directory " + dir_ + ": " + ec.message());
  return Status::Ok();
}

Status EmbeddedLog::CreateTopic(std::string_view name, int partitions) {
  STRM_RETURN_IF_ERROR(ValidateLogName("topic", name));
  if (partitions < 1 || partitions > kMaxPartitions)
    return InvalidArgument("topic " + std::string(name) + ": partitions must be 1-" +
                           std::to_string(kMaxPartitions) + ", got " + std::to_string(partitions));
  std::unique_lock lock(topics_mu_);
  if (auto it = topics_.find(name); it != topics_.end()) {
    if (static_cast<int>(it->second->partitions.size()) == partitions) return Status::Ok();
    return AlreadyExists("topic " + std::string(name) + " exists with " +
                         std::to_string(it->second->partitions.size()) + " partitions");
  }
  const std::string tdir = dir_ + "/" + std::string(name);
  std::error_code ec;
  fs::remove_all(tdir, ec);
  auto topic = std::make_shared<Topic>();
  topic->name = std::string(name);
  for (int i = 0; i < partitions; ++i) {
    const std::string pdir = tdir + "/" + std::to_string(i);
    fs::create_directories(pdir, ec);
    if (ec) return IoError("cannot create " + pdir + ": " + ec.message());
    STRM_ASSIGN_OR_RETURN(auto p, OpenPartition(pdir));
    topic->partitions.push_back(std::move(p));
  }
  STRM_RETURN_IF_ERROR(SyncPath(tdir));
  // Last: a topic exists once this file does.
  STRM_RETURN_IF_ERROR(ReplaceFile(tdir + "/partitions", std::to_string(partitions) + "\n"));
  topics_[std::string(name)] = std::move(topic);
  return Status::Ok();
}

Status EmbeddedLog::DeleteTopic(std::string_view name) {
  std::shared_ptr<Topic> topic;
  {
    std::unique_lock lock(topics_mu_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return NotFound("topic " + std::string(name) + " does not exist");
    topic = it->second;
    topics_.erase(it);
  }
  for (auto& p : topic->partitions) {
    std::lock_guard plock(p->mu);
    p->deleted = true;
    p->grew.notify_all();
  }
  std::error_code ec;
  // The marker first: a crash halfway leaves a directory that the next open removes.
  fs::remove(dir_ + "/" + std::string(name) + "/partitions", ec);
  fs::remove_all(dir_ + "/" + std::string(name), ec);
  if (ec) return IoError("cannot delete topic " + std::string(name) + ": " + ec.message());
  for (const auto& g : fs::directory_iterator(dir_ + "/groups", ec))
    fs::remove_all(g.path() / std::string(name), ec);
  return Status::Ok();
}

Result<int> EmbeddedLog::Partitions(std::string_view name) {
  std::shared_lock lock(topics_mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return NotFound("topic " + std::string(name) + " does not exist");
  return static_cast<int>(it->second->partitions.size());
}

Result<std::vector<std::string>> EmbeddedLog::ListTopics() {
  std::shared_lock lock(topics_mu_);
  std::vector<std::string> out;
  for (const auto& [name, topic] : topics_) out.push_back(name);
  return out;
}

Result<std::shared_ptr<EmbeddedLog::Partition>> EmbeddedLog::Find(std::string_view name,
                                                                  int partition) {
  std::shared_lock lock(topics_mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return NotFound("topic " + std::string(name) + " does not exist");
  const auto& parts = it->second->partitions;
  if (partition < 0 || partition >= static_cast<int>(parts.size()))
    return InvalidArgument("topic " + std::string(name) + " has no partition " +
                           std::to_string(partition) + " (it has " + std::to_string(parts.size()) +
                           ")");
  return parts[static_cast<size_t>(partition)];
}

void EmbeddedLog::Append(std::string_view topic, int partition, std::vector<LogRecord> records,
                         AppendDone done) {
  auto p = Find(topic, partition);
  if (!p.ok()) return done(p.status());
  if (records.empty()) return done(InvalidArgument("an append needs at least one record"));
  for (const LogRecord& r : records)
    if (r.key.size() + r.value.size() + 8 > kMaxBatch - kBatchHeader)
      return done(InvalidArgument("a record of " + std::to_string(r.key.size() + r.value.size()) +
                                  " bytes is larger than the event log takes (64 MiB)"));
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return done(FailedPrecondition("the event log is closing"));
    queue_.push_back({std::move(p).value(), std::move(records), std::move(done)});
  }
  queued_.notify_one();
}

void EmbeddedLog::WriterLoop() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every append is done
    lock.unlock();
    if (options_.before_commit) options_.before_commit();
    lock.lock();
    std::vector<Pending> group;
    group.swap(queue_);
    lock.unlock();
    Write(group);
    lock.lock();
  }
}

// One group commit: for each partition, its appends as batches at the end of its active
// segment (a new segment first when it is full); one fdatasync per file; then the records
// become visible and the appends are done.
void EmbeddedLog::Write(std::vector<Pending>& group) {
  struct Work {
    Partition* p = nullptr;
    std::vector<Pending*> appends;
    std::vector<Result<uint64_t>> results;
    Status status;
    uint64_t start_end = 0, new_end = 0;
    std::vector<std::pair<uint64_t, uint64_t>> index;  // batches written
    uint64_t written = 0;
    int64_t time = 0;
  };
  std::vector<Work> works;
  for (Pending& a : group) {
    auto it = std::find_if(works.begin(), works.end(),
                           [&](const Work& w) { return w.p == a.partition.get(); });
    if (it == works.end()) {
      works.emplace_back();
      works.back().p = a.partition.get();
      it = works.end() - 1;
    }
    it->appends.push_back(&a);
  }
  const int64_t now = Now();
  for (Work& w : works) {
    Partition& p = *w.p;
    std::unique_lock plock(p.mu);
    if (p.deleted) {
      w.status = NotFound("the topic was deleted");
      continue;
    }
    w.start_end = w.new_end = p.end;
    w.time = now;
    // Batches of whole appends, each at most kMaxBatch.
    std::vector<std::string> batches;
    std::string body;
    uint64_t count = 0, base = p.end;
    auto close_batch = [&] {
      if (count == 0) return;
      std::string head;
      std::string rest;
      PutU64(rest, base);
      PutU32(rest, static_cast<uint32_t>(count));
      PutU64(rest, static_cast<uint64_t>(now));
      rest += body;
      PutU32(head, static_cast<uint32_t>(rest.size() + 4));
      PutU32(head, Crc32c(rest));
      batches.push_back(head + rest);
      base += count;
      count = 0;
      body.clear();
    };
    for (Pending* a : w.appends) {
      size_t size = 0;
      for (const LogRecord& r : a->records) size += 8 + r.key.size() + r.value.size();
      if (body.size() + size + kBatchHeader > kMaxBatch) close_batch();
      for (const LogRecord& r : a->records) {
        PutU32(body, static_cast<uint32_t>(r.key.size()));
        body += r.key;
        PutU32(body, static_cast<uint32_t>(r.value.size()));
        body += r.value;
      }
      w.results.emplace_back(w.new_end);
      w.new_end += a->records.size();
      count += a->records.size();
    }
    close_batch();
    // Roll to a new segment when the batches would overfill the active one.
    auto& seg = p.segments.back();
    uint64_t total = 0;
    for (const auto& b : batches) total += b.size();
    if (seg.size > kSegmentHeader && seg.size + total > options_.segment_bytes) {
      Partition::Segment next;
      next.base = p.end;
      next.path = p.dir + "/" + SegmentName(next.base);
      const int fd = ::open(next.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) {
        w.status = Errno("create", next.path);
        continue;
      }
      std::string header(kMagic);
      PutU64(header, next.base);
      Status s = WriteAll(fd, header, 0, next.path);
      if (s.ok() && ::fdatasync(fd) != 0) s = Errno("sync", next.path);
      if (s.ok()) s = SyncPath(p.dir);
      if (!s.ok()) {
        ::close(fd);
        ::unlink(next.path.c_str());
        w.status = s;
        continue;
      }
      ::close(p.fd);
      p.fd = fd;
      next.size = kSegmentHeader;
      next.indexed = true;
      next.last_time = now;
      p.segments.push_back(std::move(next));
      p.bytes += kSegmentHeader;
    }
    auto& active = p.segments.back();
    uint64_t pos = active.size, offset = p.end;
    const int fd = p.fd;
    const std::string path = active.path;
    plock.unlock();  // the writer is the only one that changes the file and `end`
    for (const auto& b : batches) {
      w.status = WriteAll(fd, b, pos, path);
      if (!w.status.ok()) break;
      w.index.emplace_back(offset, pos);
      offset += GetBE(b.data() + 16, 4);
      pos += b.size();
      w.written += b.size();
    }
  }
  // One sync per file written, then publish.
  for (Work& w : works) {
    if (!w.status.ok() || w.written == 0) continue;
    if (::fdatasync(w.p->fd) != 0) w.status = Errno("sync", w.p->segments.back().path);
  }
  commits_.fetch_add(1);
  for (Work& w : works) {
    Partition& p = *w.p;
    {
      std::lock_guard plock(p.mu);
      auto& active = p.segments.back();
      if (w.status.ok() && w.written > 0) {
        active.index.insert(active.index.end(), w.index.begin(), w.index.end());
        active.size += w.written;
        active.last_time = w.time;
        p.bytes += w.written;
        p.end = w.new_end;
        p.grew.notify_all();
      } else if (w.written > 0 && !p.deleted) {
        (void)::ftruncate(p.fd, static_cast<off_t>(active.size));  // nothing of it is kept
      }
    }
    if (w.status.ok()) Retain(p);
    for (size_t i = 0; i < w.appends.size(); ++i)
      w.appends[i]->done(w.status.ok() ? std::move(w.results[i]) : Result<uint64_t>(w.status));
  }
}

// Deletes the oldest segments while the partition is over its size or age limit (never the
// active one).
void EmbeddedLog::Retain(Partition& p) {
  if (options_.retention_bytes == 0 && options_.retention_age.count() == 0) return;
  const int64_t oldest_kept = Now() - options_.retention_age.count();
  std::lock_guard lock(p.mu);
  while (p.segments.size() > 1) {
    const auto& s = p.segments.front();
    const bool too_big = options_.retention_bytes > 0 && p.bytes > options_.retention_bytes;
    const bool too_old = options_.retention_age.count() > 0 && s.last_time < oldest_kept;
    if (!too_big && !too_old) break;
    ::unlink(s.path.c_str());
    p.bytes -= s.size;
    p.segments.erase(p.segments.begin());
  }
}

Result<LogRead> EmbeddedLog::Read(std::string_view topic, int partition, uint64_t offset,
                                  size_t max_bytes, std::chrono::milliseconds wait) {
  STRM_ASSIGN_OR_RETURN(auto p, Find(topic, partition));
  LogRead out;
  std::unique_lock lock(p->mu);
  if (offset > p->end)
    return InvalidArgument("offset " + std::to_string(offset) + " of topic " + std::string(topic) +
                           " partition " + std::to_string(partition) + " is beyond its end (" +
                           std::to_string(p->end) + ")");
  offset = std::max(offset, p->segments.front().base);
  if (offset == p->end && wait.count() > 0)
    p->grew.wait_for(lock, wait, [&] { return p->end > offset || p->deleted; });
  out.next_offset = offset;
  size_t bytes = 0;
  while (out.next_offset < p->end && (out.records.empty() || bytes < max_bytes)) {
    // The segment, then the batch, that hold next_offset.
    auto seg = std::upper_bound(p->segments.begin(), p->segments.end(), out.next_offset,
                                [](uint64_t o, const auto& s) { return o < s.base; });
    if (seg == p->segments.begin()) break;
    --seg;
    const uint64_t seg_end = seg + 1 == p->segments.end() ? p->end : (seg + 1)->base;
    STRM_RETURN_IF_ERROR(p->IndexLocked(*seg, seg_end));
    auto batch = std::upper_bound(seg->index.begin(), seg->index.end(), out.next_offset,
                                  [](uint64_t o, const auto& e) { return o < e.first; });
    if (batch == seg->index.begin()) break;
    --batch;
    const std::string path = seg->path;
    const uint64_t pos = batch->second, size = seg->size, base = batch->first;
    lock.unlock();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {  // retention deleted it meanwhile: from the oldest kept
      lock.lock();
      out.next_offset = std::max(out.next_offset, p->segments.front().base);
      continue;
    }
    if (fd < 0) return Errno("open", path);
    auto b = ReadBatch(fd, pos, size, path, base, true);
    ::close(fd);
    if (!b.ok()) return b.status();
    if (!*b)
      return IoError("the event log segment " + path + " is damaged at byte " +
                     std::to_string(pos));
    for (StoredRecord& r : (*b)->records) {
      if (r.offset < out.next_offset) continue;
      if (!out.records.empty() && bytes >= max_bytes) break;
      bytes += r.record.key.size() + r.record.value.size();
      out.next_offset = r.offset + 1;
      out.records.push_back(std::move(r));
    }
    lock.lock();
  }
  return out;
}

Result<uint64_t> EmbeddedLog::EndOffset(std::string_view topic, int partition) {
  STRM_ASSIGN_OR_RETURN(auto p, Find(topic, partition));
  std::lock_guard lock(p->mu);
  return p->end;
}

Result<uint64_t> EmbeddedLog::StartOffset(std::string_view topic, int partition) {
  STRM_ASSIGN_OR_RETURN(auto p, Find(topic, partition));
  std::lock_guard lock(p->mu);
  return p->segments.front().base;
}

Status EmbeddedLog::CommitOffset(std::string_view group, std::string_view topic, int partition,
                                 uint64_t next_offset) {
  STRM_RETURN_IF_ERROR(ValidateLogName("consumer group", group));
  STRM_ASSIGN_OR_RETURN(auto end, EndOffset(topic, partition));
  if (next_offset > end)
    return InvalidArgument("offset " + std::to_string(next_offset) + " of topic " +
                           std::string(topic) + " partition " + std::to_string(partition) +
                           " is beyond its end (" + std::to_string(end) + ")");
  const std::string gdir = dir_ + "/groups/" + std::string(group) + "/" + std::string(topic);
  std::error_code ec;
  fs::create_directories(gdir, ec);
  if (ec) return IoError("cannot create " + gdir + ": " + ec.message());
  return ReplaceFile(gdir + "/" + std::to_string(partition), std::to_string(next_offset) + "\n");
}

Result<std::optional<uint64_t>> EmbeddedLog::CommittedOffset(std::string_view group,
                                                             std::string_view topic,
                                                             int partition) {
  STRM_RETURN_IF_ERROR(ValidateLogName("consumer group", group));
  STRM_RETURN_IF_ERROR(Find(topic, partition).status());
  const std::string path = dir_ + "/groups/" + std::string(group) + "/" + std::string(topic) + "/" +
                           std::to_string(partition);
  auto text = ReadSmallFile(path);
  if (!text.ok()) return std::optional<uint64_t>();
  STRM_ASSIGN_OR_RETURN(uint64_t v, ParseNumber(*text, path));
  return std::optional<uint64_t>(v);
}

}  // namespace strm
