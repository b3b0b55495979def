// The metrics' text: counters, the histogram's cumulative buckets, jobs by state, label
// escaping. (The /metrics route is parsed by Prometheus's own parser in tests/e2e.)
#include "server/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strm::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

BatchJobRecord JobIn(JobState state, nlohmann::json stats = nlohmann::json::object()) {
  BatchJobRecord j;
  j.state = state;
  j.stats = std::move(stats);
  return j;
}

TEST(Metrics, CountsRequestsAndTheirLatency) {
  Metrics m;
  m.CountRequest("/api/v1/batch-jobs/{id}", "GET", 200, 0.0003);
  m.CountRequest("/api/v1/batch-jobs/{id}", "GET", 200, 0.003);
  m.CountRequest("/api/v1/batch-jobs/{id}", "GET", 404, 7.0);
  const std::string text = m.Render({});
  EXPECT_THAT(text, HasSubstr("# TYPE strm_http_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("strm_http_requests_total{route=\"/api/v1/batch-jobs/{id}\","
                              "method=\"GET\",status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("status=\"404\"} 1\n"));
  const std::string b =
      "strm_http_request_duration_seconds_bucket{route=\"/api/v1/batch-jobs/{id}\",";
  EXPECT_THAT(text, HasSubstr(b + "le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(b + "le=\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(b + "le=\"5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(b + "le=\"+Inf\"} 3\n"));
  EXPECT_THAT(
      text,
      HasSubstr("strm_http_request_duration_seconds_count{route=\"/api/v1/batch-jobs/{id}\"} 3\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "strm_http_request_duration_seconds_sum{route=\"/api/v1/batch-jobs/{id}\"} 7.0033"));
}

TEST(Metrics, CountsJobsByStateAndWhatTheyDid) {
  Metrics m;
  m.JobTransition(JobIn(JobState::kRunning, {{"rows", 5}}));  // not an end: nothing
  m.JobTransition(JobIn(JobState::kFinished, {{"rows", 10}, {"bytes", 1000}}));
  m.JobTransition(JobIn(JobState::kFinished, {{"rows", 5}, {"bytes", 500}}));
  m.JobTransition(JobIn(JobState::kError, {{"error_code", "invalid argument"}}));
  const std::string text =
      m.Render({JobIn(JobState::kFinished), JobIn(JobState::kFinished), JobIn(JobState::kPending)});
  EXPECT_THAT(text, HasSubstr("strm_batch_jobs{state=\"FINISHED\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_jobs{state=\"PENDING\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_jobs{state=\"RUNNING\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_job_rows_total 15\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_job_bytes_total 1500\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_job_ends_total{state=\"FINISHED\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_job_errors_total{kind=\"invalid_argument\"} 1\n"));
}

// A watching job never finishes: its files' ends count, and their rows.
TEST(Metrics, CountsTheFilesOfWatchingJobs) {
  Metrics m;
  auto file = [](JobFileState state, nlohmann::json stats) {
    BatchJobFile f;
    f.name = "day-1.csv";
    f.state = state;
    f.stats = std::move(stats);
    return f;
  };
  m.JobFile(file(JobFileState::kNew, {}));
  m.JobFile(file(JobFileState::kProcessing, {{"rows", 99}}));  // not an end: nothing
  m.JobFile(file(JobFileState::kDone, {{"rows", 10}, {"bytes", 1000}}));
  m.JobFile(file(JobFileState::kDone, {{"rows", 7}, {"bytes", 700}}));
  m.JobFile(file(JobFileState::kFailed, {{"rows", 3}}));
  const std::string text = m.Render({});
  EXPECT_THAT(text, HasSubstr("strm_batch_job_files_total{state=\"DONE\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_job_files_total{state=\"FAILED\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("strm_batch_job_files_total{state=\"NEW\"}")));
  EXPECT_THAT(text, HasSubstr("strm_batch_job_rows_total 17\n"));
  EXPECT_THAT(text, HasSubstr("strm_batch_job_bytes_total 1700\n"));
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.CountRequest("/a\"b\\c\nd", "GET", 200, 0.1);
  EXPECT_THAT(m.Render({}), HasSubstr("route=\"/a\\\"b\\\\c\\nd\""));
}

}  // namespace
}  // namespace strm::server
