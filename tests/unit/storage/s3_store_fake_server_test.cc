// The S3 store against fake servers: region discovery and redirects, session credentials,
// option checks, and listing across continuation tokens. The store against s3rver is in
// s3_store_test.cc.
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <mutex>
#include <string>
#include <vector>

#include "s3_store_test_support.h"
#include "storage/s3_store.h"
#include "testing/test_http_server.h"

namespace strm {
namespace {

using namespace ::strm::s3_testing;  // NOLINT(google-build-using-namespace)

// A fake S3 that records each request's Authorization and security token headers.
struct FakeS3 {
  struct Seen {
    std::string method, path, authorization, token;
  };
  std::mutex mu;
  std::vector<Seen> seen;
  TestServer server;

  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back({req.method, req.path, req.get_header_value("Authorization"),
                    req.get_header_value("x-amz-security-token")});
  }
  std::vector<Seen> Requests() {
    std::lock_guard<std::mutex> lock(mu);
    return seen;
  }
};

constexpr char kEmptyListing[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>strm-test</Name><KeyCount>0</"
    "KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>";

TEST(S3Region, DiscoveredFromHeadBucket) {
  FakeS3 fake;
  fake.server->Get("/strm-test", [&](const httplib::Request& req, httplib::Response& res) {
    fake.Record(req);
    res.set_header("x-amz-bucket-region", "eu-west-1");
    if (req.method != "HEAD") res.set_content(kEmptyListing, "application/xml");
  });
  fake.server.Start();
  auto store = MustOpen(OptionsFor(fake.server.Url(""), ""));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->List("").ok());
  auto seen = fake.Requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "HEAD");
  EXPECT_EQ(ScopeRegion(seen[0].authorization), "us-east-1");
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_EQ(ScopeRegion(seen[1].authorization), "eu-west-1") << seen[1].authorization;
}

TEST(S3Region, FollowsPermanentRedirect) {
  // S3 answers a request signed for the wrong region with 301 and the bucket's region.
  FakeS3 fake;
  fake.server->Get("/strm-test", [&](const httplib::Request& req, httplib::Response& res) {
    fake.Record(req);
    res.set_header("x-amz-bucket-region", "ap-southeast-2");
    if (ScopeRegion(req.get_header_value("Authorization")) != "ap-southeast-2") {
      res.status = 301;
      if (req.method != "HEAD")
        res.set_content("<Error><Code>PermanentRedirect</Code></Error>", "application/xml");
      return;
    }
    if (req.method != "HEAD") res.set_content(kEmptyListing, "application/xml");
  });
  fake.server.Start();

  // Discovered: HEAD (us-east-1) -> 301 -> HEAD (ap-southeast-2) -> 200; then the listing.
  auto discovered = MustOpen(OptionsFor(fake.server.Url(""), ""));
  ASSERT_NE(discovered, nullptr);
  ASSERT_TRUE(discovered->List("").ok());
  auto seen = fake.Requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(ScopeRegion(seen[0].authorization), "us-east-1");
  EXPECT_EQ(ScopeRegion(seen[1].authorization), "ap-southeast-2");
  EXPECT_EQ(seen[2].method, "GET");
  EXPECT_EQ(ScopeRegion(seen[2].authorization), "ap-southeast-2");

  // Configured wrongly: the first request is redirected once, the next ones go right.
  auto configured = MustOpen(OptionsFor(fake.server.Url(""), "us-west-2"));
  ASSERT_NE(configured, nullptr);
  ASSERT_TRUE(configured->List("").ok());
  ASSERT_TRUE(configured->List("").ok());
  seen = fake.Requests();
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(ScopeRegion(seen[3].authorization), "us-west-2");
  EXPECT_EQ(ScopeRegion(seen[4].authorization), "ap-southeast-2");
  EXPECT_EQ(ScopeRegion(seen[5].authorization), "ap-southeast-2");
}

TEST(S3Region, FromTheEnvironmentOrTheDefault) {
  FakeS3 fake;
  fake.server->Get("/strm-test", [&](const httplib::Request& req, httplib::Response& res) {
    fake.Record(req);
    if (req.method != "HEAD") res.set_content(kEmptyListing, "application/xml");
  });
  fake.server.Start();
  S3StoreOptions o = OptionsFor(fake.server.Url(""), "");
  o.environment = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_DEFAULT_REGION") return "eu-north-1";
    return std::nullopt;
  };
  auto from_env = MustOpen(o);
  ASSERT_NE(from_env, nullptr);
  ASSERT_TRUE(from_env->List("").ok());
  auto seen = fake.Requests();
  ASSERT_EQ(seen.size(), 1u);  // no discovery
  EXPECT_EQ(ScopeRegion(seen[0].authorization), "eu-north-1");

  o.environment = NoEnvironment;  // a server that names no region: us-east-1
  auto fallback = MustOpen(o);
  ASSERT_NE(fallback, nullptr);
  ASSERT_TRUE(fallback->List("").ok());
  seen = fake.Requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].method, "HEAD");
  EXPECT_EQ(ScopeRegion(seen[2].authorization), "us-east-1");
}

TEST(S3Credentials, SessionTokenOnlyWithItsKeys) {
  FakeS3 fake;
  fake.server->Get("/strm-test", [&](const httplib::Request& req, httplib::Response& res) {
    fake.Record(req);
    res.set_content(kEmptyListing, "application/xml");
  });
  fake.server.Start();
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ACCESS_KEY_ID") return "ENVKEY";
    if (name == "AWS_SECRET_ACCESS_KEY") return "envsecret";
    if (name == "AWS_SESSION_TOKEN") return "envtoken";
    return std::nullopt;
  };
  S3StoreOptions o = OptionsFor(fake.server.Url(""));
  o.environment = env;
  auto explicit_keys = MustOpen(o);
  ASSERT_NE(explicit_keys, nullptr);
  ASSERT_TRUE(explicit_keys->List("").ok());
  o.credentials.access_key_id.clear();
  o.credentials.secret_access_key.clear();
  auto env_keys = MustOpen(o);
  ASSERT_NE(env_keys, nullptr);
  ASSERT_TRUE(env_keys->List("").ok());
  auto seen = fake.Requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(Contains(seen[0].authorization, "Credential=S3RVER/"));
  EXPECT_EQ(seen[0].token, "");
  EXPECT_TRUE(Contains(seen[1].authorization, "Credential=ENVKEY/"));
  EXPECT_EQ(seen[1].token, "envtoken");
}

TEST(S3Options, AreValidated) {
  S3StoreOptions o = OptionsFor("http://127.0.0.1:1");
  o.part_size = 1 << 20;
  EXPECT_EQ(OpenS3Store(o).status().code(), StatusCode::kInvalidArgument);
  o = OptionsFor("http://127.0.0.1:1");
  o.list_page_size = 1001;
  EXPECT_EQ(OpenS3Store(o).status().code(), StatusCode::kInvalidArgument);
  o = OptionsFor("http://127.0.0.1:1");
  o.bucket = "a/b";
  EXPECT_EQ(OpenS3Store(o).status().code(), StatusCode::kInvalidArgument);
  o = OptionsFor("http://127.0.0.1:1");
  o.credentials = {};
  auto none = OpenS3Store(o);
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(none.status().message(), "AWS_ACCESS_KEY_ID")) << none.status().message();
  // Keys that curl would rewrite (dot segments) or S3 cannot hold are refused up front.
  auto store = MustOpen(OptionsFor("http://127.0.0.1:1"));
  ASSERT_NE(store, nullptr);
  for (const char* key : {"", "/abs", "a/../b", "./a", "a\nb"}) {
    EXPECT_EQ(store->OpenWrite(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store->OpenRead(key).status().code(), StatusCode::kInvalidArgument) << key;
  }
}

TEST(S3ListParsing, StoreFollowsContinuationTokensAndSorts) {
  // Pages out of order (S3 sorts, but stores differ), a token that needs encoding, and a
  // directory marker that is not a file.
  FakeS3 fake;
  std::vector<std::string> tokens;
  fake.server->Get("/strm-test", [&](const httplib::Request& req, httplib::Response& res) {
    fake.Record(req);
    EXPECT_EQ(req.get_param_value("list-type"), "2");
    EXPECT_EQ(req.get_param_value("prefix"), "in/");
    EXPECT_EQ(req.get_param_value("max-keys"), "2");
    const std::string token = req.get_param_value("continuation-token");
    {
      std::lock_guard<std::mutex> lock(fake.mu);
      tokens.push_back(token);
    }
    std::string body = "<ListBucketResult>";
    if (token.empty()) {
      body +=
          "<Contents><Key>in/b</Key><Size>2</Size></Contents>"
          "<Contents><Key>in/a</Key><Size>1</Size></Contents>"
          "<IsTruncated>true</IsTruncated>"
          "<NextContinuationToken>1/ab+c=d&amp;e f</NextContinuationToken>";
    } else if (token == "1/ab+c=d&e f") {
      body +=
          "<Contents><Key>in/dir/</Key><Size>0</Size></Contents>"
          "<Contents><Key>in/c</Key><Size>3</Size></Contents>"
          "<IsTruncated>false</IsTruncated>";
    } else {
      res.status = 400;
      body = "<Error><Code>InvalidArgument</Code></Error>";
    }
    if (res.status != 400) body += "</ListBucketResult>";
    res.set_content(body, "application/xml");
  });
  fake.server.Start();
  S3StoreOptions o = OptionsFor(fake.server.Url(""));
  o.list_page_size = 2;
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  auto listed = store->List("in/");
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].key, "in/a");
  EXPECT_EQ((*listed)[0].size, 1u);
  EXPECT_EQ((*listed)[1].key, "in/b");
  EXPECT_EQ((*listed)[2].key, "in/c");
  std::lock_guard<std::mutex> lock(fake.mu);
  EXPECT_EQ(tokens, (std::vector<std::string>{"", "1/ab+c=d&e f"}));
}

}  // namespace
}  // namespace strm
