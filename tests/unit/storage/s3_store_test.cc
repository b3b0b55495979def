// GCC 12 at -O1 with ASan reports -Wmaybe-uninitialized deep inside libstdc++'s std::regex,
// which ChildProcess::WaitForLog instantiates: a false positive that would fail -Werror. The
// pragma must come before the first #include that brings in <regex>.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "storage/s3_store.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "object_store_contract.h"
#include "s3_front.h"
#include "s3_store_test_support.h"
#include "storage/sigv4.h"
#include "testing/s3rver.h"
#include "testing/test_http_server.h"

namespace strm {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;

using testing::S3rver;
using namespace ::strm::s3_testing;  // NOLINT(google-build-using-namespace)

std::string Pattern(size_t n, int seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + i / 4099 + seed) % 251);
  return s;
}

// Compares bytes without printing megabytes on a mismatch.
::testing::AssertionResult SameBytes(const std::string& got, const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
  return ::testing::AssertionFailure() << "got " << got.size() << " bytes, want " << want.size()
                                       << "; they differ from byte " << at;
}

// Tests against s3rver; each uses its own key prefix in the shared bucket.
class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(S3rver::Get().error().empty()) << S3rver::Get().error();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = std::string(info->name()) + "/";
  }
  S3rver& server() { return S3rver::Get(); }
  std::string prefix_;
};

// ---- Against s3rver -------------------------------------------------------------------------

TEST_F(S3StoreTest, CommitIsAtomicAcrossParts) {
  auto store = MustOpen(OptionsFor(server().Url()));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), "s3://strm-test at " + server().Url());
  ExpectCommitIsAtomic(*store, prefix_, 12 << 20);  // parts of 5 MiB: 5 + 5 + 2
  EXPECT_TRUE(server().PendingUploads().empty());
}

TEST_F(S3StoreTest, ObjectSemantics) {
  auto store = MustOpen(OptionsFor(server().Url()));
  ASSERT_NE(store, nullptr);
  ExpectObjectSemantics(*store, prefix_);
}

TEST_F(S3StoreTest, ListingIsCompleteAndSortedAcrossPages) {
  S3StoreOptions o = OptionsFor(server().Url());
  o.list_page_size = 4;
  auto store = MustOpen(std::move(o));
  ASSERT_NE(store, nullptr);
  ExpectListingIsCompleteAndSorted(*store, prefix_, 23);  // 6 pages, and a 3-page prefix
  ExpectCopyAndTemporaries(*store, prefix_);
}

TEST_F(S3StoreTest, ReadsRangeByRange) {
  S3StoreOptions o = OptionsFor(server().Url());
  o.read_chunk_size = 1 << 20;
  auto store = MustOpen(std::move(o));
  ASSERT_NE(store, nullptr);
  const std::string data = Pattern((3 << 20) + 12345);
  WriteObject(*store, prefix_ + "big.bin", data);
  auto in = store->OpenRead(prefix_ + "big.bin");
  ASSERT_TRUE(in.ok()) << in.status().message();
  std::string got;
  char buf[70000];  // reads that straddle range boundaries
  for (;;) {
    auto n = (*in)->Read(buf, sizeof buf);
    ASSERT_TRUE(n.ok()) << n.status().message();
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_TRUE(SameBytes(got, data));
  auto again = (*in)->Read(buf, sizeof buf);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  // A reader dropped halfway stops its prefetch and leaves nothing running.
  auto half = store->OpenRead(prefix_ + "big.bin");
  ASSERT_TRUE(half.ok());
  ASSERT_TRUE((*half)->Read(buf, sizeof buf).ok());
  half->reset();
  EXPECT_TRUE(store->Delete(prefix_ + "big.bin").ok());
}

TEST_F(S3StoreTest, WrongSecretIsSignatureDoesNotMatch) {
  // s3rver really checks: the right secret works, a wrong one is refused.
  auto good = MustOpen(OptionsFor(server().Url()));
  ASSERT_NE(good, nullptr);
  ASSERT_TRUE(good->List(prefix_).ok());

  S3StoreOptions o = OptionsFor(server().Url());
  o.credentials.secret_access_key = "not-the-secret-42";
  auto bad = MustOpen(std::move(o));
  ASSERT_NE(bad, nullptr);
  auto listed = bad->List(prefix_);
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().code(), StatusCode::kPermissionDenied);
  const std::string m = listed.status().message();
  EXPECT_EQ(m.rfind("S3 GET s3://strm-test/" + prefix_ +
                        " (ListObjectsV2): HTTP 403 SignatureDoesNotMatch (The "
                        "request signature we calculated does not match",
                    0),
            0u)
      << m;

  auto out = bad->OpenWrite(prefix_ + "k.csv");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("data").ok());
  Status s = (*out)->Commit();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind(
                "S3 PUT s3://strm-test/" + prefix_ + "k.csv: HTTP 403 SignatureDoesNotMatch (", 0),
            0u)
      << s.message();
  for (const std::string& msg : {m, s.message()}) {
    EXPECT_FALSE(Contains(msg, "not-the-secret-42")) << msg;
    EXPECT_FALSE(Contains(msg, "Signature=")) << msg;
    EXPECT_FALSE(Contains(msg, "?")) << msg;
  }
  EXPECT_TRUE(ListedKeys(*good, prefix_).empty());

  S3StoreOptions unknown = OptionsFor(server().Url());
  unknown.credentials.access_key_id = "NOBODY";
  auto nobody = MustOpen(std::move(unknown));
  ASSERT_NE(nobody, nullptr);
  auto r = nobody->OpenRead(prefix_ + "x");
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().message();
}

TEST_F(S3StoreTest, MissingBucketIsNotFound) {
  S3StoreOptions o = OptionsFor(server().Url());
  o.bucket = "no-such-bucket";
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  auto listed = store->List("");
  EXPECT_EQ(listed.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(listed.status().message(), "NoSuchBucket")) << listed.status().message();
  EXPECT_EQ(store->Delete("k").code(), StatusCode::kNotFound);
  // Discovery asks the bucket itself.
  o.region.clear();
  auto discovered = OpenS3Store(o);
  EXPECT_EQ(discovered.status().code(), StatusCode::kNotFound) << discovered.status().message();
}

TEST_F(S3StoreTest, AbortedAndDroppedMultipartWritesLeaveNothing) {
  S3Front front(nullptr);
  auto store = MustOpen(OptionsFor(front.Url()));
  ASSERT_NE(store, nullptr);
  const std::string six_mib = Pattern(6 << 20);
  {
    auto out = store->OpenWrite(prefix_ + "aborted.csv");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE((*out)->Write(six_mib).ok());  // part 1 is on its way
    (*out)->Abort();
    (*out)->Abort();  // idempotent
    EXPECT_EQ((*out)->Commit().code(), StatusCode::kFailedPrecondition);
  }
  {
    auto out = store->OpenWrite(prefix_ + "dropped.csv");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE((*out)->Write(six_mib).ok());
  }  // destroyed without Commit
  EXPECT_EQ(front.Count("POST", "uploads"), 2);
  EXPECT_EQ(front.Count("PUT", "partNumber=1"), 2);
  EXPECT_EQ(front.Count("DELETE", "uploadId="), 2);
  EXPECT_EQ(front.aborted_uploads().size(), 2u);
  EXPECT_TRUE(server().PendingUploads().empty());
  EXPECT_TRUE(ListedKeys(*store, prefix_).empty());
  EXPECT_EQ(store->OpenRead(prefix_ + "aborted.csv").status().code(), StatusCode::kNotFound);
}

TEST_F(S3StoreTest, TransientFaultsAreRetried) {
  // Each request (method, target and range) fails three times, each way once, then passes.
  S3Front front([](const SeenRequest& s) {
    switch (s.attempt) {
      case 1:
        return Fault::kUnavailable;
      case 2:
        return Fault::kSlowDown;
      case 3:
        return s.method == "HEAD" ? Fault::kUnavailable : Fault::kDrop;
      default:
        return Fault::kForward;
    }
  });
  S3StoreOptions o = OptionsFor(front.Url());
  o.read_chunk_size = 2 << 20;
  auto store = MustOpen(std::move(o));
  ASSERT_NE(store, nullptr);
  const std::string big = Pattern((11 << 20) + 7, 1), small = "id,name\n1,zoë\n";
  WriteObject(*store, prefix_ + "big.csv", big);
  WriteObject(*store, prefix_ + "small.csv", small);
  EXPECT_TRUE(SameBytes(ReadObject(*store, prefix_ + "big.csv"), big));
  EXPECT_EQ(ReadObject(*store, prefix_ + "small.csv"), small);
  EXPECT_EQ(ListedKeys(*store, prefix_),
            (std::vector<std::string>{prefix_ + "big.csv", prefix_ + "small.csv"}));
  EXPECT_TRUE(store->Delete(prefix_ + "big.csv").ok());
  EXPECT_TRUE(store->Delete(prefix_ + "small.csv").ok());
  EXPECT_TRUE(ListedKeys(*store, prefix_).empty());

  // What went over the wire: parts of exactly part_size but the last, ranges of at most the
  // chunk size, every body signed with its real SHA-256, every request failed three times
  // and then forwarded (a request repeated later, such as the same listing, passes at once).
  std::map<std::string, size_t> parts;
  std::map<std::string, int> tries;
  int ranges = 0;
  for (const SeenRequest& s : front.seen()) {
    int& t = tries[s.method + " " + s.target + " " + s.range];
    t = std::max(t, s.attempt);
    EXPECT_TRUE(s.body_hash_matches) << s.method << " " << s.target;
    EXPECT_NE(s.content_sha256, "UNSIGNED-PAYLOAD");
    if (s.Is("PUT", "partNumber=") && s.attempt == 4) {
      parts[s.target.substr(s.target.find("partNumber="), 12)] = s.body_size;
    }
    if (s.method == "GET" && !s.range.empty() && s.attempt == 4) {
      ++ranges;
      unsigned long long first = 0, last = 0;
      ASSERT_EQ(std::sscanf(s.range.c_str(), "bytes=%llu-%llu", &first, &last), 2) << s.range;
      EXPECT_LE(last - first + 1, size_t{2} << 20);
    }
  }
  EXPECT_GE(tries.size(), 14u);  // PUT, 3 x GET, Create, 3 parts, Complete, HEAD, GETs, LIST
  for (const auto& [request, n] : tries) EXPECT_GE(n, 4) << request;
  EXPECT_EQ(parts, (std::map<std::string, size_t>{{"partNumber=1", 5 << 20},
                                                  {"partNumber=2", 5 << 20},
                                                  {"partNumber=3", (1 << 20) + 7}}));
  EXPECT_EQ(ranges, 6 + 1);  // 11 MiB in 2 MiB ranges, and the small object
  EXPECT_TRUE(server().PendingUploads().empty());
}

TEST_F(S3StoreTest, LostCompleteAnswerStillCommits) {
  // CompleteMultipartUpload takes effect but its answer is lost; the retry finds NoSuchUpload,
  // and an object of the right size under the key.
  S3Front front([](const SeenRequest& s) {
    return s.Is("POST", "uploadId=") && s.attempt == 1 ? Fault::kForwardThenDrop : Fault::kForward;
  });
  auto store = MustOpen(OptionsFor(front.Url()));
  ASSERT_NE(store, nullptr);
  const std::string data = Pattern((5 << 20) + 100, 2);
  WriteObject(*store, prefix_ + "lost.csv", data);
  EXPECT_EQ(front.Count("POST", "uploadId="), 2);
  EXPECT_TRUE(SameBytes(ReadObject(*store, prefix_ + "lost.csv"), data));
  EXPECT_TRUE(store->Delete(prefix_ + "lost.csv").ok());
}

TEST_F(S3StoreTest, CompleteWithErrorBodyIsAnError) {
  // "200 OK" with an InternalError body is retried; with InvalidPart it fails the commit, and
  // the upload is aborted.
  S3Front front([](const SeenRequest& s) {
    if (!s.Is("POST", "uploadId=")) return Fault::kForward;
    if (s.target.find("retried") != std::string::npos)
      return s.attempt == 1 ? Fault::kInternalError200 : Fault::kForward;
    return Fault::kInvalidPart200;
  });
  auto store = MustOpen(OptionsFor(front.Url()));
  ASSERT_NE(store, nullptr);
  const std::string data = Pattern((5 << 20) + 1, 3);
  WriteObject(*store, prefix_ + "retried.csv", data);
  EXPECT_TRUE(SameBytes(ReadObject(*store, prefix_ + "retried.csv"), data));
  EXPECT_TRUE(store->Delete(prefix_ + "retried.csv").ok());

  auto out = store->OpenWrite(prefix_ + "refused.csv");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write(data).ok());
  Status s = (*out)->Commit();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "S3 POST s3://strm-test/" + prefix_ +
                             "refused.csv (CompleteMultipartUpload): HTTP 200 InvalidPart "
                             "(injected by the test)");
  EXPECT_EQ(front.aborted_uploads().size(), 1u);
  EXPECT_TRUE(server().PendingUploads().empty());
  EXPECT_TRUE(ListedKeys(*store, prefix_).empty());
  EXPECT_EQ((*out)->Commit().message(), s.message());  // the failure sticks
}

TEST_F(S3StoreTest, PersistentFaultsNameTheAttemptsAndLeaveNothing) {
  S3Front front([](const SeenRequest& s) {
    if (s.Is("PUT", "partNumber=")) return Fault::kSlowDown;  // every part, for good
    if (s.method == "PUT") return Fault::kDrop;               // every single PUT
    if (s.method == "GET" && !s.range.empty()) return Fault::kUnavailable;
    return Fault::kForward;
  });
  auto store = MustOpen(OptionsFor(front.Url()));
  ASSERT_NE(store, nullptr);

  auto out = store->OpenWrite(prefix_ + "parts.csv");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write(Pattern(6 << 20)).ok());
  Status s = (*out)->Commit();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "S3 PUT s3://strm-test/" + prefix_ +
                             "parts.csv (UploadPart 1) failed after 5 attempts: HTTP 503 SlowDown "
                             "(injected by the test)");
  EXPECT_EQ(front.Count("PUT", "partNumber=1"), 5);
  EXPECT_EQ(front.Count("PUT", "partNumber=2"), 0);  // no part after a failed one
  EXPECT_EQ(front.aborted_uploads().size(), 1u);
  EXPECT_TRUE(server().PendingUploads().empty());

  auto single = store->OpenWrite(prefix_ + "single.csv");
  ASSERT_TRUE(single.ok());
  ASSERT_TRUE((*single)->Write("a,b\n").ok());
  s = (*single)->Commit();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message().rfind("S3 PUT s3://strm-test/" + prefix_ +
                                  "single.csv failed after 5 "
                                  "attempts: ",
                              0),
            0u)
      << s.message();
  EXPECT_TRUE(ListedKeys(*store, prefix_).empty());

  // Reads: s3rver has the object, the front fails every range.
  auto direct = MustOpen(OptionsFor(server().Url()));
  ASSERT_NE(direct, nullptr);
  WriteObject(*direct, prefix_ + "there.csv", "x,y\n");
  auto in = store->OpenRead(prefix_ + "there.csv");
  ASSERT_TRUE(in.ok()) << in.status().message();
  char buf[16];
  auto n = (*in)->Read(buf, sizeof buf);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "S3 GET s3://strm-test/" + prefix_ +
                                      "there.csv failed after 5 attempts: HTTP 503 "
                                      "ServiceUnavailable (injected by the test)");
  EXPECT_TRUE(direct->Delete(prefix_ + "there.csv").ok());
}

TEST_F(S3StoreTest, CopiesServerSide) {
  auto store = MustOpen(OptionsFor(server().Url()));
  ASSERT_NE(store, nullptr);

  // An object written by a multipart upload, copied by CopyObject (the contract's copies are
  // in ListingIsCompleteAndSortedAcrossPages).
  const std::string big = Pattern((12 << 20) + 3, 4);
  WriteObject(*store, prefix_ + "multi.csv", big);
  Status s = store->Copy(prefix_ + "multi.csv", prefix_ + "whole.csv");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(SameBytes(ReadObject(*store, prefix_ + "whole.csv"), big));
  EXPECT_TRUE(store->Copy(prefix_ + "whole.csv", prefix_ + "whole.csv").ok()) << "onto itself";
  EXPECT_TRUE(SameBytes(ReadObject(*store, prefix_ + "whole.csv"), big));

  // Above max_copy_size: UploadPartCopy parts, completed at the end.
  S3Front front(nullptr);
  S3StoreOptions o = OptionsFor(front.Url());
  o.max_copy_size = kS3MinPartSize;
  auto parted = MustOpen(std::move(o));
  ASSERT_NE(parted, nullptr);
  s = parted->Copy(prefix_ + "multi.csv", prefix_ + "parts.csv");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(SameBytes(ReadObject(*store, prefix_ + "parts.csv"), big));
  std::vector<std::string> ranges;
  for (const SeenRequest& r : front.seen()) {
    if (r.copy_source.empty()) continue;
    EXPECT_EQ(r.copy_source, "/strm-test/" + prefix_ + "multi.csv");
    EXPECT_FALSE(r.copy_if_match.empty()) << "pinned to the source's ETag";
    ranges.push_back(r.copy_range);
  }
  EXPECT_EQ(ranges, (std::vector<std::string>{"bytes=0-5242879", "bytes=5242880-10485759",
                                              "bytes=10485760-12582914"}));
  EXPECT_EQ(front.Count("POST", "uploads"), 1);
  EXPECT_EQ(front.Count("POST", "uploadId="), 1);
  EXPECT_TRUE(server().PendingUploads().empty());

  auto missing = parted->Copy(prefix_ + "none.csv", prefix_ + "parts.csv");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(),
            "S3 HEAD s3://strm-test/" + prefix_ + "none.csv: no such object (HTTP 404)");
  for (const std::string& k : ListedKeys(*store, prefix_)) EXPECT_TRUE(store->Delete(k).ok()) << k;
}

TEST_F(S3StoreTest, CopyAnsweredWithAnErrorBodyIsAnError) {
  // "200 OK" with an InternalError body is retried; with another code the copy fails, and a
  // multipart copy is aborted.
  S3Front front([](const SeenRequest& s) {
    if (s.copy_source.empty()) return Fault::kForward;
    if (s.target.find("retried") != std::string::npos)
      return s.attempt == 1 ? Fault::kInternalError200 : Fault::kForward;
    return Fault::kInvalidPart200;
  });
  S3StoreOptions o = OptionsFor(front.Url());
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  const std::string data = Pattern((6 << 20) + 1, 5);
  WriteObject(*store, prefix_ + "src.csv", data);
  ASSERT_TRUE(store->Copy(prefix_ + "src.csv", prefix_ + "retried.csv").ok());
  EXPECT_TRUE(SameBytes(ReadObject(*store, prefix_ + "retried.csv"), data));

  Status s = store->Copy(prefix_ + "src.csv", prefix_ + "refused.csv");
  EXPECT_EQ(s.message(), "S3 PUT s3://strm-test/" + prefix_ + "refused.csv (CopyObject from s3://" +
                             "strm-test/" + prefix_ + "src.csv): HTTP 200 InvalidPart (injected " +
                             "by the test)");
  o.max_copy_size = kS3MinPartSize;
  auto parted = MustOpen(o);
  s = parted->Copy(prefix_ + "src.csv", prefix_ + "refused.csv");
  EXPECT_EQ(s.message(), "S3 PUT s3://strm-test/" + prefix_ +
                             "refused.csv (UploadPartCopy 1): HTTP 200 InvalidPart (injected by "
                             "the test)");
  EXPECT_EQ(front.aborted_uploads().size(), 1u);
  EXPECT_TRUE(server().PendingUploads().empty());
  EXPECT_EQ(ListedKeys(*store, prefix_),
            (std::vector<std::string>{prefix_ + "retried.csv", prefix_ + "src.csv"}));
  for (const std::string& k : ListedKeys(*store, prefix_)) EXPECT_TRUE(store->Delete(k).ok()) << k;
}

TEST_F(S3StoreTest, EnvironmentSuppliesMissingSettings) {
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", kKeyId},
                                            {"AWS_SECRET_ACCESS_KEY", kSecret},
                                            {"AWS_ENDPOINT_URL", server().Url() + "/"},
                                            {"AWS_REGION", "us-east-1"}};
  S3StoreOptions o;
  o.bucket = kBucket;
  o.retry = NoWaitRetries();
  o.environment = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), "s3://strm-test at " + server().Url());
  WriteObject(*store, prefix_ + "env.csv", "from the environment");
  EXPECT_EQ(ReadObject(*store, prefix_ + "env.csv"), "from the environment");
  EXPECT_TRUE(store->Delete(prefix_ + "env.csv").ok());

  // AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL.
  env["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:1";
  auto s3_specific = MustOpen(o);
  ASSERT_NE(s3_specific, nullptr);
  EXPECT_EQ(s3_specific->Describe(), "s3://strm-test at http://127.0.0.1:1");
  env.erase("AWS_ENDPOINT_URL_S3");

  env.erase("AWS_SECRET_ACCESS_KEY");
  auto half = OpenS3Store(o);
  EXPECT_EQ(half.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(half.status().message(), "AWS_SECRET_ACCESS_KEY"))
      << half.status().message();
  o.credentials.access_key_id = kKeyId;  // a key id without its secret
  half = OpenS3Store(o);
  EXPECT_EQ(half.status().code(), StatusCode::kInvalidArgument) << half.status().message();
  env["AWS_ENDPOINT_URL"] = "ftp://nowhere";
  o.credentials.secret_access_key = kSecret;
  auto bad_url = OpenS3Store(o);
  EXPECT_EQ(bad_url.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(bad_url.status().message(), "AWS_ENDPOINT_URL"))
      << bad_url.status().message();
}

// Throughput against s3rver (a Node.js server writing to disk: a floor, not S3's speed). Run
// with --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'.
TEST_F(S3StoreTest, DISABLED_Throughput) {
  S3StoreOptions o = OptionsFor(server().Url());
  o.part_size = 8 << 20;
  o.read_chunk_size = 8 << 20;
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  const size_t total = size_t{256} << 20;
  const std::string block = Pattern(1 << 20);
  auto t0 = std::chrono::steady_clock::now();
  {
    auto out = store->OpenWrite(prefix_ + "big.bin");
    ASSERT_TRUE(out.ok());
    for (size_t at = 0; at < total; at += block.size()) ASSERT_TRUE((*out)->Write(block).ok());
    ASSERT_TRUE((*out)->Commit().ok());
  }
  auto t1 = std::chrono::steady_clock::now();
  size_t got = 0;
  {
    auto in = store->OpenRead(prefix_ + "big.bin");
    ASSERT_TRUE(in.ok());
    std::string buf(1 << 20, '\0');
    for (;;) {
      auto n = (*in)->Read(buf.data(), buf.size());
      ASSERT_TRUE(n.ok()) << n.status().message();
      if (*n == 0) break;
      got += *n;
    }
  }
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(got, total);
  auto mbps = [&](auto d) {
    return static_cast<double>(total) / (1 << 20) / std::chrono::duration<double>(d).count();
  };
  std::printf("write %.0f MiB/s, read %.0f MiB/s (256 MiB, 8 MiB parts and ranges)\n",
              mbps(t1 - t0), mbps(t2 - t1));
  EXPECT_TRUE(store->Delete(prefix_ + "big.bin").ok());
}

}  // namespace
}  // namespace strm
