#include "storage/gcs_store.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "object_store_contract.h"
#include "testing/gcs_server.h"

namespace strm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::GcsServer;
using testing::KeyPair;
using testing::OtherKey;
using testing::ServiceKey;
constexpr const char* kBucket = testing::kGcsBucket;
constexpr const char* kEmail = testing::kGcsEmail;
constexpr size_t kMiB = 1 << 20;

// The object content used by the bigger tests: distinct rows, so misplaced bytes show.
std::string Rows(size_t size) {
  std::string data;
  data.reserve(size + 32);
  for (size_t i = 0; data.size() < size; ++i) data += "row " + std::to_string(i) + ",x\n";
  data.resize(size);
  return data;
}

class GcsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<GcsServer>();
    ASSERT_TRUE(server_->ok()) << "gcs_server.js did not start (is node installed?):\n"
                               << server_->Log();
  }

  GcsStoreOptions Options(const KeyPair& key = ServiceKey()) {
    GcsStoreOptions o = server_->StoreOptions(key);
    o.retry.sleep = [](std::chrono::milliseconds) {};  // retry at once
    o.chunk_size = 4 * kMiB;
    o.read_size = kMiB;
    o.list_page_size = 7;
    return o;
  }

  std::shared_ptr<ObjectStore> Open(GcsStoreOptions o) {
    auto s = OpenGcsStore(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : nullptr;
  }
  std::shared_ptr<ObjectStore> Open() { return Open(Options()); }

  int64_t Stat(const char* name) { return server_->Stats().value(name, int64_t{-1}); }

  // Waits (10 s at most) until every counter of `want` has its value: a writer sends its parts
  // on a thread of its own, so a test that arms a fault for a later request waits for the
  // requests before it to be done.
  void AwaitStats(const json& want) {
    json stats;
    for (int i = 0; i < 1000; ++i) {
      stats = server_->Stats();
      bool all = true;
      for (const auto& [name, value] : want.items()) all = all && stats[name] == value;
      if (all) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "waited for " << want << ", have " << stats;
  }

  std::unique_ptr<GcsServer> server_;
};

// ---- units --------------------------------------------------------------------------------

TEST(GcsEncode, EncodesEveryByteButTheUnreserved) {
  EXPECT_EQ(GcsEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(GcsEncode("a b/zoë 1.csv"), "a%20b%2Fzo%C3%AB%201.csv");
  EXPECT_EQ(GcsEncode("a+b%c?d#e&f=g:h@i,j;k*l'm(n)o!p$q[r]s"),
            "a%2Bb%25c%3Fd%23e%26f%3Dg%3Ah%40i%2Cj%3Bk%2Al%27m%28n%29o%21p%24q%5Br%5Ds");
  EXPECT_EQ(GcsEncode(std::string("\x00\x7f\xff", 3)), "%00%7F%FF");
  EXPECT_EQ(GcsEncode(""), "");
}

TEST(ResolveGcsEndpoint, PrefersTheOptionThenTheEmulatorThenGoogle) {
  EXPECT_EQ(*ResolveGcsEndpoint("", nullptr), "https://storage.googleapis.com");
  EXPECT_EQ(*ResolveGcsEndpoint("", ""), "https://storage.googleapis.com");
  EXPECT_EQ(*ResolveGcsEndpoint("", "127.0.0.1:9023"), "http://127.0.0.1:9023");
  EXPECT_EQ(*ResolveGcsEndpoint("", "localhost"), "http://localhost");
  EXPECT_EQ(*ResolveGcsEndpoint("", "http://localhost:4443/"), "http://localhost:4443");
  EXPECT_EQ(*ResolveGcsEndpoint("", "https://gcs.test:8443"), "https://gcs.test:8443");
  EXPECT_EQ(*ResolveGcsEndpoint("https://eu.example/", "127.0.0.1:1"), "https://eu.example");
  for (const char* bad : {"ftp://h", "http://", "http://h/storage/v1", "h:1?x=1", "u:p@h:1"}) {
    auto e = ResolveGcsEndpoint("", bad);
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(e.status().message().find("STORAGE_EMULATOR_HOST"), std::string::npos) << bad;
  }
  EXPECT_EQ(ResolveGcsEndpoint("127.0.0.1:1", nullptr).status().message(),
            "the GCS endpoint must start with http:// or https://");
}

TEST(OpenGcsStore, ChecksItsOptions) {
  GcsStoreOptions o;
  o.bucket = "bucket";
  o.credentials = {kEmail, ServiceKey().private_pem, "", "https://oauth2.googleapis.com/token"};
  o.http = std::make_shared<CurlTransport>();
  EXPECT_TRUE(OpenGcsStore(o).ok());
  EXPECT_EQ((*OpenGcsStore(o))->Describe(), "gs://bucket");
  auto with = [&](auto change) {
    GcsStoreOptions c = o;
    change(c);
    return OpenGcsStore(c).status();
  };
  EXPECT_EQ(with([](auto& c) { c.bucket = "Bad/Bucket"; }).message(),
            "GCS bucket name 'Bad/Bucket' may only contain a-z, 0-9, '-', '_' and '.'");
  EXPECT_EQ(with([](auto& c) { c.chunk_size = 1000; }).message(),
            "the GCS upload chunk size must be a positive multiple of 256 KiB, not 1000");
  EXPECT_EQ(with([](auto& c) { c.credentials.token_uri = "ftp://x"; }).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](auto& c) { c.credentials.client_email.clear(); }).code(),
            StatusCode::kInvalidArgument);
  Status bad_key = with([](auto& c) { c.credentials.private_key = "-----BEGIN PRIVATE KEY-----"; });
  EXPECT_EQ(bad_key.message(), std::string("the GCS credentials of ") + kEmail +
                                   ": the private key is not a valid PEM private key");
  EXPECT_EQ(with([](auto& c) { c.list_page_size = 0; }).code(), StatusCode::kInvalidArgument);
}

TEST(GcsStoreNames, RefusesNamesGoogleRefuses) {
  GcsStoreOptions o;
  o.bucket = "bucket";
  o.credentials = {kEmail, ServiceKey().private_pem, "", "https://oauth2.googleapis.com/token"};
  auto store = std::move(OpenGcsStore(o)).value();
  for (const std::string& bad :
       {std::string(""), std::string("."), std::string(".."), std::string("a\nb"),
        std::string("a\rb"), std::string("\xff\xfe"), std::string(1025, 'x')}) {
    EXPECT_EQ(store->OpenWrite(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store->OpenRead(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store->Delete(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(store->OpenWrite(std::string(1024, 'x')).ok());
}

// ---- against gcs_server.js ----------------------------------------------------------------

TEST_F(GcsStoreTest, KeepsTheObjectStoreContract) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectCommitIsAtomic(*store, "atomic/", 12 * kMiB);  // three 4 MiB chunks
  ExpectObjectSemantics(*store, "semantics/");
  ExpectListingIsCompleteAndSorted(*store, "pages/", 25);  // four pages of 7
  ExpectCopyAndTemporaries(*store, "copy/");
  json stats = server_->Stats();
  EXPECT_EQ(stats["rewrites_completed"], 2) << stats;
  EXPECT_EQ(stats["sessions_completed"], 1) << stats;  // the 12 MiB object
  EXPECT_EQ(stats["open_sessions"], 0) << stats;
  EXPECT_EQ(stats["objects"], 0) << stats;
  EXPECT_EQ(stats["token_requests"], 1) << stats;
}

TEST_F(GcsStoreTest, CopiesByRewritesCallAfterCall) {
  GcsStoreOptions o = Options();
  o.rewrite_bytes_per_call = kMiB;
  auto store = Open(o);
  const std::string data = Rows(9 * kMiB + 5);  // written as a resumable upload
  WriteObject(*store, "in/big.csv", data);
  server_->Faults({{"status", 503}, {"count", 1}, {"method", "POST"}, {"path", "/storage/"}});
  Status s = store->Copy("in/big.csv", "kept/big.csv");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(ReadObject(*store, "kept/big.csv"), data);
  json stats = server_->Stats();
  EXPECT_EQ(stats["rewrite_calls"], 10) << "a call a MiB: " << stats;
  EXPECT_EQ(stats["rewrites_completed"], 1) << stats;
  EXPECT_EQ(stats["faults_injected"], 1) << "and one retried: " << stats;

  Status missing = store->Copy("in/none.csv", "kept/big.csv");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(),
            "GCS POST gs://strm-test/kept/big.csv (rewrite from gs://strm-test/in/none.csv): HTTP "
            "404 notFound (No such object: strm-test/in/none.csv)");
  EXPECT_EQ(ReadObject(*store, "kept/big.csv"), data) << "untouched";
  EXPECT_EQ(OpenGcsStore([&] {
              GcsStoreOptions bad = Options();
              bad.rewrite_bytes_per_call = 1000;
              return bad;
            }())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GcsStoreTest, ReadsInRangesOfOneGeneration) {
  auto store = Open();
  const std::string data = Rows(3 * kMiB + 12345);
  WriteObject(*store, "in/big.csv", data);
  EXPECT_EQ(ReadObject(*store, "in/big.csv"), data);  // four ranged GETs of 1 MiB

  // Another writer replaces the object after the first range: the reader must not mix them.
  // (The second range may be fetched already: the reader reads one range ahead.)
  auto in = std::move(store->OpenRead("in/big.csv")).value();
  std::string got(kMiB, '\0');
  size_t n = 0;
  while (n < got.size()) {
    auto r = in->Read(got.data() + n, got.size() - n);
    ASSERT_TRUE(r.ok()) << r.status().message();
    n += *r;
  }
  EXPECT_EQ(got, data.substr(0, kMiB));
  WriteObject(*store, "in/big.csv", Rows(2 * kMiB));
  Status failed;
  char buf[100000];
  for (;;) {
    auto r = in->Read(buf, sizeof buf);
    if (!r.ok()) {
      failed = r.status();
      break;
    }
    ASSERT_NE(*r, 0u) << "the old version's end came without an error";
    got.append(buf, *r);
  }
  EXPECT_EQ(got, data.substr(0, got.size())) << "only bytes of the first version";
  EXPECT_LT(got.size(), data.size());
  EXPECT_EQ(failed.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(failed.message(),
            "GCS GET gs://strm-test/in/big.csv: the object was replaced or deleted while being "
            "read (HTTP 404 notFound (No such object: strm-test/in/big.csv))");
}

TEST_F(GcsStoreTest, EncodesObjectNamesWhole) {
  auto store = Open();
  // The server answers 404 for a '/' left raw in an object's path segment, and reads '+' in a
  // query as a space: each name only round-trips if it is encoded whole.
  const std::vector<std::string> names = {"enc/a+b c.csv", "enc/dir/sub dir/x%2Fy?z#w&v=u",
                                          "enc/日本/ünï code~.csv", "enc/;:@$!*'(),[]"};
  for (const std::string& name : names) WriteObject(*store, name, "content of " + name);
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ListedKeys(*store, "enc/"), sorted);
  for (const std::string& name : names) {
    EXPECT_EQ(ReadObject(*store, name), "content of " + name);
    EXPECT_TRUE(store->Delete(name).ok()) << name;
  }
  EXPECT_TRUE(ListedKeys(*store, "enc/").empty());
  // Prefixes are encoded too.
  WriteObject(*store, "p q/+/x", "1");
  EXPECT_EQ(ListedKeys(*store, "p q/+"), std::vector<std::string>{"p q/+/x"});
}

TEST_F(GcsStoreTest, AJwtSignedWithTheWrongKeyIsRefused) {
  auto store = Open(Options(OtherKey()));
  auto listed = store->List("x/");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(listed.status().message(),
            "GCS GET gs://strm-test/x/ (list): the token request to " + server_->Url("/token") +
                " for service account " + kEmail +
                " was refused: HTTP 400 invalid_grant (Invalid JWT Signature.)");
  EXPECT_EQ(store->OpenWrite("x/a").ok(), true);  // writes fail only when they send
  auto out = std::move(store->OpenWrite("x/a")).value();
  Status s = out->Commit();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("Invalid JWT Signature."), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("PRIVATE KEY"), std::string::npos);
  json stats = server_->Stats();
  EXPECT_EQ(stats["token_rejections"], 2) << "a refused grant is not retried: " << stats;
  EXPECT_EQ(stats["storage_requests"], 0) << stats;
}

TEST_F(GcsStoreTest, CachesTheTokenAndRefreshesItBeforeItExpires) {
  server_->Admin("POST", "/_config", R"({"token_lifetime": 4})");
  auto store = Open();
  WriteObject(*store, "t/a", "1");
  EXPECT_EQ(ReadObject(*store, "t/a"), "1");
  EXPECT_EQ(ListedKeys(*store, "t/").size(), 1u);
  EXPECT_EQ(Stat("token_requests"), 1);
  // Refreshed once half the lifetime has passed, before the server would refuse it.
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  EXPECT_EQ(ReadObject(*store, "t/a"), "1");
  EXPECT_EQ(ListedKeys(*store, "t/").size(), 1u);
  json stats = server_->Stats();
  EXPECT_EQ(stats["token_requests"], 2) << stats;
  EXPECT_EQ(stats["unauthorized"], 0) << stats;
}

TEST_F(GcsStoreTest, ARefusedTokenIsReplacedOnce) {
  auto store = Open();
  WriteObject(*store, "t/a", "1");
  server_->Admin("POST", "/_revoke");
  EXPECT_EQ(ReadObject(*store, "t/a"), "1");
  json stats = server_->Stats();
  EXPECT_EQ(stats["token_requests"], 2) << stats;
  EXPECT_EQ(stats["unauthorized"], 1) << stats;
}

TEST_F(GcsStoreTest, ThreadsShareOneToken) {
  auto store = Open();
  std::vector<std::thread> threads;
  threads.reserve(6);
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      auto out = store->OpenWrite("threads/" + std::to_string(t));
      if (!out.ok() || !(*out)->Write("x").ok() || !(*out)->Commit().ok()) ++failures;
      if (!store->List("threads/").ok()) ++failures;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(ListedKeys(*store, "threads/").size(), 6u);
  EXPECT_EQ(Stat("token_requests"), 1);
}

TEST_F(GcsStoreTest, RetriesTransientFailures) {
  auto store = Open();
  // The first requests, the token request among them, fail with 503 or a reset connection.
  server_->Faults(json::array({{{"status", 503}, {"count", 2}}, {{"reset", 2}}}));
  const std::string big = Rows(9 * kMiB);
  WriteObject(*store, "r/small.csv", "small");
  server_->Faults({{"status", 503}, {"count", 2}, {"method", "PUT"}});
  server_->Faults({{"reset", 2}, {"method", "GET"}});
  WriteObject(*store, "r/big.csv", big);
  EXPECT_EQ(ReadObject(*store, "r/small.csv"), "small");
  EXPECT_EQ(ReadObject(*store, "r/big.csv"), big);
  server_->Faults({{"status", 429}, {"count", 2}});
  EXPECT_EQ(ListedKeys(*store, "r/"), (std::vector<std::string>{"r/big.csv", "r/small.csv"}));
  server_->Faults({{"status", 500}, {"count", 1}, {"method", "DELETE"}});
  EXPECT_TRUE(store->Delete("r/big.csv").ok());
  json stats = server_->Stats();
  EXPECT_EQ(stats["faults_injected"], 2 + 2 + 2 + 2 + 2 + 1) << stats;
  EXPECT_EQ(stats["faults_armed"], 0) << stats;
  EXPECT_EQ(stats["chunk_bytes"], 9 * kMiB) << "every byte persisted once: " << stats;
}

TEST_F(GcsStoreTest, ResumesAnUploadFromTheSessionsPersistedRange) {
  auto store = Open();
  const std::string data = Rows(12 * kMiB);
  auto out = std::move(store->OpenWrite("resume/data.csv")).value();
  auto write = [&](size_t from, size_t to) {
    for (size_t at = from; at < to; at += kMiB) ASSERT_TRUE(out->Write(data.substr(at, kMiB)).ok());
  };
  // Each fault is armed twice: libcurl itself resends a request once when a kept-alive
  // connection breaks before any answer, and the second must reach the store's own retry.
  const json upload = {{"method", "PUT"}, {"path", "/upload/"}};
  auto fault = [&](json f) {
    f.update(upload);
    server_->Faults(f);
  };
  // Chunk 1 (bytes 0-4 MiB) is persisted, but the answer is lost: a status query finds it.
  fault({{"reset", 2}, {"after", true}});
  write(0, 5 * kMiB);
  AwaitStats({{"chunk_bytes", 4 * kMiB}, {"status_queries", 1}, {"faults_armed", 0}});
  // Of chunk 2 the session keeps only the first 1.25 MiB when the connection breaks.
  fault({{"reset", 2}, {"keep", 5 * 256 * 1024}});
  write(5 * kMiB, 9 * kMiB);
  write(9 * kMiB, 12 * kMiB);
  AwaitStats({{"chunk_bytes", 8 * kMiB}, {"status_queries", 2}, {"faults_armed", 0}});
  EXPECT_TRUE(ListedKeys(*store, "resume/").empty());
  // The last chunk: first the connection breaks before it arrives, then it completes the
  // object but the answer is lost.
  fault({{"reset", 1}});
  fault({{"reset", 2}, {"after", true}});
  Status s = out->Commit();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(ReadObject(*store, "resume/data.csv"), data);
  json stats = server_->Stats();
  EXPECT_EQ(stats["faults_injected"], 7) << stats;
  EXPECT_EQ(stats["chunk_bytes"], 12 * kMiB) << "every byte persisted once: " << stats;
  EXPECT_GE(stats["status_queries"], 3) << stats;
  EXPECT_EQ(stats["sessions_completed"], 1) << stats;
  EXPECT_EQ(stats["open_sessions"], 0) << stats;
}

TEST_F(GcsStoreTest, FailingForGoodSaysHowOftenAndCommitsNothing) {
  auto store = Open();
  const std::string data = Rows(12 * kMiB);
  auto out = std::move(store->OpenWrite("fail/big.csv")).value();
  for (size_t at = 0; at < data.size(); at += kMiB)
    ASSERT_TRUE(out->Write(data.substr(at, kMiB)).ok());
  AwaitStats({{"chunk_bytes", 8 * kMiB}});  // chunks 1 and 2 are in
  // Every try of the last chunk fails (5 tries: the PUT, then status queries).
  server_->Faults({{"status", 503}, {"count", 5}, {"method", "PUT"}, {"path", "/upload/"}});
  Status s = out->Commit();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "GCS PUT gs://strm-test/fail/big.csv (upload part 3) failed after 5 attempts: HTTP "
            "503 injected (Injected fault: HTTP 503)");
  EXPECT_EQ(out->Commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ListedKeys(*store, "fail/").empty());
  EXPECT_EQ(store->OpenRead("fail/big.csv").status().code(), StatusCode::kNotFound);
  json stats = server_->Stats();
  EXPECT_EQ(stats["open_sessions"], 0) << "the failed session is cancelled: " << stats;
  EXPECT_EQ(stats["sessions_cancelled"], 1) << stats;
  EXPECT_EQ(stats["objects"], 0) << stats;

  // A chunk that never gets through fails the Write, and cancels the session too.
  server_->Faults({{"reset", 20}, {"method", "PUT"}, {"path", "/upload/"}});
  auto out2 = std::move(store->OpenWrite("fail/mid.csv")).value();
  Status w;
  for (size_t at = 0; at < data.size() && w.ok(); at += kMiB)
    w = out2->Write(data.substr(at, kMiB));
  EXPECT_EQ(w.code(), StatusCode::kUnavailable);
  EXPECT_EQ(w.message().rfind("GCS PUT gs://strm-test/fail/mid.csv (upload part 1) failed after "
                              "5 attempts: ",
                              0),
            0u)
      << w.message();
  EXPECT_EQ(out2->Commit().code(), StatusCode::kFailedPrecondition);
  server_->Admin("DELETE", "/_faults");
  EXPECT_TRUE(ListedKeys(*store, "fail/").empty());
  EXPECT_EQ(Stat("open_sessions"), 0);

  // Reads and listings.
  WriteObject(*store, "fail/small.csv", "x");
  server_->Faults({{"status", 503}, {"count", 5}, {"method", "GET"}});
  auto in = store->OpenRead("fail/small.csv");
  EXPECT_EQ(in.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(in.status().message(),
            "GCS GET gs://strm-test/fail/small.csv failed after 5 attempts: HTTP 503 injected "
            "(Injected fault: HTTP 503)");
}

TEST_F(GcsStoreTest, AnUnreachableTokenEndpointSaysSo) {
  server_->Faults({{"status", 503}, {"count", 5}, {"path", "/token"}});
  auto store = Open();
  auto listed = store->List("");
  EXPECT_EQ(listed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(listed.status().message(),
            "GCS GET gs://strm-test/ (list): the token request to " + server_->Url("/token") +
                " for service account " + kEmail +
                " failed after 5 attempts: HTTP 503 injected (Injected fault: HTTP 503)");
}

TEST_F(GcsStoreTest, ErrorsNameTheObjectStatusAndServerMessage) {
  auto o = Options();
  o.bucket = "no-such-bucket";
  auto store = Open(o);
  auto listed = store->List("in/");
  EXPECT_EQ(listed.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(listed.status().message(),
            "GCS GET gs://no-such-bucket/in/ (list): HTTP 404 notFound (The specified bucket does "
            "not exist.)");
  auto missing = Open()->OpenRead("in/missing.csv");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "GCS GET gs://strm-test/in/missing.csv: HTTP 404 notFound (No such object: "
            "strm-test/in/missing.csv)");
}

TEST_F(GcsStoreTest, AbortAndDestructionCancelTheSession) {
  auto store = Open();
  const std::string data = Rows(5 * kMiB);  // more than a chunk: a session is open
  {
    auto out = std::move(store->OpenWrite("abort/a.csv")).value();
    ASSERT_TRUE(out->Write(data).ok());
    EXPECT_EQ(Stat("open_sessions"), 1);
    out->Abort();
    EXPECT_EQ(Stat("open_sessions"), 0);
    out->Abort();  // idempotent
    EXPECT_EQ(out->Write("more").code(), StatusCode::kFailedPrecondition);
  }
  {
    auto out = std::move(store->OpenWrite("abort/b.csv")).value();
    ASSERT_TRUE(out->Write(data).ok());
  }
  json stats = server_->Stats();
  EXPECT_EQ(stats["sessions_cancelled"], 2) << stats;
  EXPECT_EQ(stats["open_sessions"], 0) << stats;
  EXPECT_TRUE(ListedKeys(*store, "abort/").empty());
}

TEST_F(GcsStoreTest, HonoursStorageEmulatorHost) {
  std::optional<std::string> saved;
  if (const char* v = std::getenv("STORAGE_EMULATOR_HOST")) saved = v;
  std::string host = server_->Url("");
  ::setenv("STORAGE_EMULATOR_HOST", host.substr(std::string("http://").size()).c_str(), 1);
  auto o = Options();
  o.endpoint.clear();
  auto store = Open(o);
  if (saved) {
    ::setenv("STORAGE_EMULATOR_HOST", saved->c_str(), 1);
  } else {
    ::unsetenv("STORAGE_EMULATOR_HOST");
  }
  ASSERT_NE(store, nullptr);
  WriteObject(*store, "emu/a", "via the emulator");
  EXPECT_EQ(ReadObject(*store, "emu/a"), "via the emulator");
}

}  // namespace
}  // namespace strm
