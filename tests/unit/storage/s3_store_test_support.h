// Helpers of the S3 store's tests (s3_store_test.cc against s3rver,
// s3_store_fake_server_test.cc against fake servers): options for the test bucket without
// the caller's AWS_* variables or waits between retries, and header checks.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/s3_store.h"
#include "testing/s3rver.h"

namespace strm::s3_testing {

constexpr const char* kBucket = testing::kS3rverBucket;
constexpr const char* kKeyId = testing::kS3rverKeyId;
constexpr const char* kSecret = testing::kS3rverSecret;

// Tests must not depend on the caller's AWS_* variables.
inline std::optional<std::string> NoEnvironment(const std::string&) { return std::nullopt; }

inline RetryPolicy NoWaitRetries(int attempts = 5) {
  RetryPolicy p;
  p.max_attempts = attempts;
  p.sleep = [](std::chrono::milliseconds) {};
  return p;
}

inline S3StoreOptions OptionsFor(const std::string& endpoint, std::string region = "us-east-1") {
  S3StoreOptions o;
  o.bucket = kBucket;
  o.credentials.access_key_id = kKeyId;
  o.credentials.secret_access_key = kSecret;
  o.credentials.endpoint_url = endpoint;
  o.region = std::move(region);
  o.retry = NoWaitRetries();
  o.part_size = kS3MinPartSize;
  o.read_chunk_size = 4 << 20;
  o.environment = NoEnvironment;
  return o;
}

inline std::shared_ptr<ObjectStore> MustOpen(S3StoreOptions o) {
  auto store = OpenS3Store(std::move(o));
  EXPECT_TRUE(store.ok()) << store.status().message();
  return store.ok() ? *store : nullptr;
}

inline bool Contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// The region of an Authorization header's credential scope: "Credential=KEY/DATE/REGION/s3/...".
inline std::string ScopeRegion(const std::string& authorization) {
  size_t at = authorization.find("Credential=");
  for (int slash = 0; slash < 2 && at != std::string::npos; ++slash)
    at = authorization.find('/', at + 1);
  if (at == std::string::npos) return {};
  size_t end = authorization.find('/', at + 1);
  return end == std::string::npos ? std::string() : authorization.substr(at + 1, end - at - 1);
}

}  // namespace strm::s3_testing
