#include "server/metrics.h"

#include <charconv>
#include <cstdio>

namespace strm::server {
namespace {

// A label value as the text format wants it: backslash, quote and newline escaped.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {  // the shortest text that reads back as `v`
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string Bound(double v) {  // "0.0005", as Prometheus's own clients write bucket bounds
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace

void Metrics::CountRequest(std::string_view route, std::string_view method, int status,
                           double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), std::string(method), status}];
  Histogram& h = latency_[std::string(route)];
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  if (b < kBuckets.size()) ++h.counts[b];
  ++h.count;
  h.sum += seconds;
}

void Metrics::JobTransition(const BatchJobRecord& job) {
  if (!IsFinal(job.state)) return;
  std::lock_guard lock(mu_);
  ++job_ends_[std::string(JobStateName(job.state))];
  if (job.state == JobState::kFinished && job.stats.is_object()) {
    job_rows_ += job.stats.value("rows", uint64_t{0});
    job_bytes_ += job.stats.value("bytes", uint64_t{0});
  }
  if (job.state == JobState::kError || job.state == JobState::kErrorStarting) {
    std::string kind =
        job.stats.is_object() ? job.stats.value("error_code", std::string("unknown")) : "unknown";
    for (char& c : kind) c = c == ' ' || c == '/' ? '_' : c;
    ++job_errors_[kind];
  }
}

void Metrics::JobFile(const BatchJobFile& file) {
  if (file.state != JobFileState::kDone && file.state != JobFileState::kFailed) return;
  std::lock_guard lock(mu_);
  ++file_ends_[std::string(JobFileStateName(file.state))];
  if (file.state == JobFileState::kDone) {
    job_rows_ += file.stats.value("rows", uint64_t{0});
    job_bytes_ += file.stats.value("bytes", uint64_t{0});
  }
}

std::string Metrics::Render(const std::vector<BatchJobRecord>& jobs) const {
  std::string out;
  std::map<std::string, uint64_t> by_state;
  for (JobState s :
       {JobState::kPending, JobState::kStarted, JobState::kRunning, JobState::kFinished,
        JobState::kErrorStarting, JobState::kError, JobState::kCancelled})
    by_state[std::string(JobStateName(s))] = 0;
  for (const auto& j : jobs) ++by_state[std::string(JobStateName(j.state))];
  out += "# HELP strm_batch_jobs Batch jobs in the catalog, by state.\n";
  out += "# TYPE strm_batch_jobs gauge\n";
  for (const auto& [state, n] : by_state)
    out += "strm_batch_jobs{state=\"" + state + "\"} " + std::to_string(n) + "\n";

  std::lock_guard lock(mu_);
  out += "# HELP strm_batch_job_ends_total Batch jobs this server ran to an end, by state.\n";
  out += "# TYPE strm_batch_job_ends_total counter\n";
  for (const auto& [state, n] : job_ends_)
    out += "strm_batch_job_ends_total{state=\"" + state + "\"} " + std::to_string(n) + "\n";
  out +=
      "# HELP strm_batch_job_files_total Input files of watching jobs this server ended, by "
      "state.\n";
  out += "# TYPE strm_batch_job_files_total counter\n";
  for (const auto& [state, n] : file_ends_)
    out += "strm_batch_job_files_total{state=\"" + state + "\"} " + std::to_string(n) + "\n";
  out +=
      "# HELP strm_batch_job_rows_total Rows of the batch jobs (and the files of watching "
      "jobs) this server finished.\n";
  out += "# TYPE strm_batch_job_rows_total counter\n";
  out += "strm_batch_job_rows_total " + std::to_string(job_rows_) + "\n";
  out += "# HELP strm_batch_job_bytes_total Input bytes of the batch jobs this server finished.\n";
  out += "# TYPE strm_batch_job_bytes_total counter\n";
  out += "strm_batch_job_bytes_total " + std::to_string(job_bytes_) + "\n";
  out += "# HELP strm_batch_job_errors_total Batch jobs that failed, by kind of error.\n";
  out += "# TYPE strm_batch_job_errors_total counter\n";
  for (const auto& [kind, n] : job_errors_)
    out += "strm_batch_job_errors_total{kind=\"" + Label(kind) + "\"} " + std::to_string(n) + "\n";

  out += "# HELP strm_http_requests_total HTTP requests answered, by route, method and status.\n";
  out += "# TYPE strm_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += "strm_http_requests_total{route=\"" + Label(route) + "\",method=\"" + Label(method) +
           "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP strm_http_request_duration_seconds Time to answer HTTP requests, by route.\n";
  out += "# TYPE strm_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string r = "route=\"" + Label(route) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.counts[b];
      out += "strm_http_request_duration_seconds_bucket{" + r + ",le=\"" + Bound(kBuckets[b]) +
             "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "strm_http_request_duration_seconds_bucket{" + r + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "strm_http_request_duration_seconds_sum{" + r + "} " + Number(h.sum) + "\n";
    out += "strm_http_request_duration_seconds_count{" + r + "} " + std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace strm::server
