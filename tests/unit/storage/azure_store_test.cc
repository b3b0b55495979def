// GCC 12 at -O1 and above with ASan reports -Wmaybe-uninitialized inside libstdc++'s std::regex
// compiler (a false positive, instantiated by ChildProcess::WaitForLog). The warning is located in
// the standard headers, so ignoring it while the headers are included leaves this file's code
// checked.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "storage/azure_store.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "azure_faulty_proxy.h"
#include "core/bytes.h"
#include "net/memory_transport.h"
#include "object_store_contract.h"
#include "storage/jwt.h"
#include "testing/azurite.h"
#include "testing/child_process.h"
#include "testing/test_certificates.h"
#include "testing/test_http_server.h"
#include "testing/test_support.h"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace strm {
namespace {

namespace fs = std::filesystem;

using testing::EnvGuard;
using testing::TokenEndpointState;
constexpr const char* kTenant = testing::kAzureTenant;
constexpr const char* kClientId = testing::kAzureClientId;
constexpr const char* kSecret = testing::kAzureSecret;

// Compares large byte strings without printing them: sizes and the first difference.
std::string FirstDifference(const std::string& got, const std::string& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "sizes " + std::to_string(got.size()) + " and " + std::to_string(want.size()) +
         ", first difference at byte " + std::to_string(i);
}

// ---- Against Azurite ----------------------------------------------------------------------

class AzureStoreOnAzurite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_ = new std::string;
    services_ = testing::StartAzureServices(*setup_error_).release();
  }
  static void TearDownTestSuite() {
    delete services_;
    services_ = nullptr;
    delete setup_error_;
  }

  void SetUp() override {
    ASSERT_NE(services_, nullptr) << *setup_error_;
    services_->tokens.Reset();
    http_ = services_->Transport();
    static int counter = 0;
    container_ = "strm-test-" + std::to_string(++counter);
    testing::CreateAzureContainer(*services_, *http_, container_);
  }

  AzureStoreOptions Options(const std::string& account_uri = "") {
    AzureStoreOptions o = services_->StoreOptions(container_, account_uri);
    o.http = http_;
    o.retry.sleep = [](std::chrono::milliseconds) {};  // retries without waiting
    return o;
  }

  // Through `proxy_url`, with a transport of its own: the stores that hold it must go before
  // the proxy does, or stopping the proxy waits for their kept-alive connections.
  AzureStoreOptions ProxiedOptions(const std::string& proxy_url) {
    AzureStoreOptions o = Options(proxy_url);
    o.http = services_->Transport();
    return o;
  }

  std::shared_ptr<ObjectStore> Open(AzureStoreOptions o) {
    auto s = OpenAzureStore(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : nullptr;
  }

  static testing::AzureServices* services_;
  static std::string* setup_error_;
  std::shared_ptr<HttpTransport> http_;
  std::string container_;
};

testing::AzureServices* AzureStoreOnAzurite::services_ = nullptr;
std::string* AzureStoreOnAzurite::setup_error_ = nullptr;

TEST_F(AzureStoreOnAzurite, KeepsTheObjectStoreContract) {
  AzureStoreOptions o = Options();
  o.block_size = 4 << 20;
  o.list_page_size = 5;  // 12 objects: three pages
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), "azure://devstoreaccount1/" + container_);
  ExpectCommitIsAtomic(*store, "pre/", 12 << 20);
  ExpectObjectSemantics(*store, "pre/");
  ExpectListingIsCompleteAndSorted(*store, "pre/", 12);
  ExpectCopyAndTemporaries(*store, "pre/");
  ExpectObjectSemantics(*store, "");
  EXPECT_EQ(services_->tokens.requests, 1) << "one token for the whole test";
}

TEST_F(AzureStoreOnAzurite, ReadsInRangesPinnedToOneVersion) {
  AzureStoreOptions o = Options();
  o.read_chunk_size = 64 << 10;
  o.block_size = 256 << 10;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  std::string data(1 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7 + i / 997) % 251);
  WriteObject(*store, "big.bin", data);
  WriteObject(*store, "exact.bin", data.substr(0, 256 << 10));  // exactly one block

  auto in = store->OpenRead("big.bin");
  ASSERT_TRUE(in.ok()) << in.status().message();
  std::string got;
  char buf[10007];  // reads that straddle the chunks
  for (;;) {
    auto n = (*in)->Read(buf, sizeof buf);
    ASSERT_TRUE(n.ok()) << n.status().message();
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_EQ(FirstDifference(got, data), "");
  EXPECT_EQ(FirstDifference(ReadObject(*store, "exact.bin"), data.substr(0, 256 << 10)), "");

  // An overwrite while reading is an error, not a mix of the two objects.
  in = store->OpenRead("big.bin");
  ASSERT_TRUE(in.ok());
  ASSERT_EQ(*(*in)->Read(buf, 100), 100u);
  WriteObject(*store, "big.bin", std::string(300 << 10, 'n'));
  Status failed;
  for (;;) {
    auto n = (*in)->Read(buf, sizeof buf);
    if (!n.ok()) {
      failed = n.status();
      break;
    }
    ASSERT_NE(*n, 0u) << "the old version's end came without an error";
  }
  EXPECT_EQ(failed.code(), StatusCode::kFailedPrecondition) << failed.message();
  EXPECT_NE(failed.message().find("replaced or deleted while being read"), std::string::npos)
      << failed.message();
  EXPECT_NE(failed.message().find("azure://devstoreaccount1/" + container_ + "/big.bin"),
            std::string::npos)
      << failed.message();
}

TEST_F(AzureStoreOnAzurite, NamesMissingBlobsAndContainers) {
  auto store = Open(Options());
  ASSERT_NE(store, nullptr);
  auto missing = store->OpenRead("dir/none.csv");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "Azure GET azure://devstoreaccount1/" + container_ +
                "/dir/none.csv: HTTP 404 BlobNotFound (The specified blob does not "
                "exist.)");

  AzureStoreOptions o = Options();
  o.container = "no-such-container";
  auto other = Open(o);
  ASSERT_NE(other, nullptr);
  auto listed = other->List("x/");
  EXPECT_EQ(listed.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(listed.status().message(),
            "Azure GET azure://devstoreaccount1/no-such-container (List Blobs prefix 'x/'): "
            "HTTP 404 ContainerNotFound (The specified container does not exist.)");
  Status deleted = other->Delete("a.csv");
  EXPECT_EQ(deleted.code(), StatusCode::kNotFound) << "a missing container is not a missing blob";
  auto out = other->OpenWrite("a.csv");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("x").ok());
  Status committed = (*out)->Commit();
  EXPECT_EQ(committed.message(),
            "Azure PUT azure://devstoreaccount1/no-such-container/a.csv "
            "(Put Blob): HTTP 404 ContainerNotFound (The specified container does not exist.)");
  EXPECT_EQ((*out)->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST_F(AzureStoreOnAzurite, AWrongClientSecretIsRefusedByTheTokenEndpoint) {
  AzureStoreOptions o = Options();
  o.credentials.client_secret = "wrong-Secret-Value";
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  auto listed = store->List("");
  ASSERT_FALSE(listed.ok());
  const std::string msg = listed.status().message();
  EXPECT_EQ(listed.status().code(), StatusCode::kPermissionDenied) << msg;
  const std::string token_url =
      services_->token_server->Url("", "https") + "/" + std::string(kTenant) + "/oauth2/v2.0/token";
  EXPECT_NE(msg.find("the token request to " + token_url + " for client " + kClientId +
                     " was refused: HTTP 401 invalid_client (AADSTS7000215: Invalid client "
                     "secret provided"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.rfind("Azure GET azure://devstoreaccount1/" + container_, 0), 0u) << msg;
  EXPECT_EQ(msg.find("wrong-Secret-Value"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(got '****')"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(services_->tokens.requests, 1) << "a refusal is not retried";

  auto out = store->OpenWrite("a.csv");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("data").ok());
  Status s = (*out)->Commit();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("invalid_client"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("wrong-Secret-Value"), std::string::npos) << s.message();

  // The right secret works, and the failed store did not leave anything behind.
  auto good = Open(Options());
  EXPECT_TRUE(ListedKeys(*good, "").empty());
}

TEST_F(AzureStoreOnAzurite, AzuriteChecksTheTokenAudience) {
  {
    std::lock_guard<std::mutex> lock(services_->tokens.mu);
    services_->tokens.audience = "https://vault.azure.net";
  }
  auto store = Open(Options());
  ASSERT_NE(store, nullptr);
  auto listed = store->List("");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(listed.status().message(),
            "Azure GET azure://devstoreaccount1/" + container_ +
                " (List Blobs prefix ''): HTTP 403 AuthenticationFailed (Invalid token audience.)");
  EXPECT_EQ(listed.status().message().find("eyJ"), std::string::npos) << "no token in messages";
}

TEST_F(AzureStoreOnAzurite, CachesTheTokenAndRefreshesItBeforeExpiry) {
  auto offset = std::make_shared<std::atomic<int64_t>>(0);  // seconds the fake clock is ahead
  AzureStoreOptions o = Options();
  o.clock = [offset] { return std::chrono::steady_clock::now() + std::chrono::seconds(*offset); };
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  TokenEndpointState& tokens = services_->tokens;

  for (int i = 0; i < 10; ++i) WriteObject(*store, "k" + std::to_string(i), std::to_string(i));
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(ReadObject(*store, "k" + std::to_string(i)), std::to_string(i));
  EXPECT_EQ(ListedKeys(*store, "k").size(), 10u);
  EXPECT_EQ(tokens.requests, 1) << "21 requests, one token";

  // Many threads at once on a store without a token yet: still one token request.
  auto fresh = Open(o);
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i)
        if (!fresh->OpenRead("k" + std::to_string((t + i) % 10)).ok()) ++failures;
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(tokens.requests, 2);

  // expires_in 3600: fetched again once less than 5 minutes remain.
  *offset = 3600 - 300 - 10;
  EXPECT_EQ(ReadObject(*store, "k1"), "1");
  EXPECT_EQ(tokens.requests, 2);
  *offset = 3600 - 300 + 10;
  EXPECT_EQ(ReadObject(*store, "k1"), "1");
  EXPECT_EQ(tokens.requests, 3);
  EXPECT_EQ(ReadObject(*store, "k2"), "2");
  EXPECT_EQ(tokens.requests, 3);

  // A short lifetime: refreshed after half of it.
  tokens.expires_in = 10;
  *offset = 0;
  auto short_lived = Open(o);
  EXPECT_EQ(ReadObject(*short_lived, "k3"), "3");
  EXPECT_EQ(tokens.requests, 4);
  *offset = 4;
  EXPECT_EQ(ReadObject(*short_lived, "k3"), "3");
  EXPECT_EQ(tokens.requests, 4);
  *offset = 6;
  EXPECT_EQ(ReadObject(*short_lived, "k3"), "3");
  EXPECT_EQ(tokens.requests, 5);

  // A token endpoint that fails for a moment is retried.
  tokens.failures_left = 2;
  auto retried = Open(o);
  EXPECT_EQ(ReadObject(*retried, "k4"), "4");
  EXPECT_EQ(tokens.requests, 8);
  for (const std::string& k : ListedKeys(*store, "")) EXPECT_TRUE(store->Delete(k).ok());
}

TEST_F(AzureStoreOnAzurite, SendsBearerTokenVersionAndDateWithEveryRequest) {
  FaultyProxy proxy(services_->azurite_port, services_->ca_file);
  auto store = Open(ProxiedOptions(proxy.Url("/devstoreaccount1")));
  ASSERT_NE(store, nullptr);
  WriteObject(*store, "a.csv", "a");
  EXPECT_EQ(ReadObject(*store, "a.csv"), "a");
  EXPECT_EQ(ListedKeys(*store, "").size(), 1u);
  EXPECT_TRUE(store->Delete("a.csv").ok());
  const std::regex date(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)");
  auto seen = proxy.Seen();
  ASSERT_EQ(seen.size(), 4u);
  for (const httplib::Request& r : seen) {
    EXPECT_EQ(r.get_header_value("x-ms-version"), kAzureApiVersion) << r.target;
    EXPECT_TRUE(std::regex_match(r.get_header_value("x-ms-date"), date)) << r.target;
    EXPECT_EQ(r.get_header_value("Authorization").rfind("Bearer eyJ", 0), 0u) << r.target;
  }
  EXPECT_EQ(seen[0].method + " " + seen[0].target,
            "PUT /devstoreaccount1/" + container_ + "/a.csv");
  EXPECT_EQ(seen[0].get_header_value("x-ms-blob-type"), "BlockBlob");
  EXPECT_EQ(seen[2].target,
            "/devstoreaccount1/" + container_ + "?restype=container&comp=list&prefix=");
  EXPECT_EQ(seen[3].get_header_value("x-ms-delete-snapshots"), "include");
}

TEST_F(AzureStoreOnAzurite, RetriesThroughServerBusyAndDroppedConnections) {
  using Fault = FaultyProxy::Fault;
  FaultyProxy proxy(services_->azurite_port, services_->ca_file);
  AzureStoreOptions o = ProxiedOptions(proxy.Url("/devstoreaccount1"));
  o.block_size = 4 << 20;
  o.read_chunk_size = 4 << 20;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  std::string data(10 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 13 + i / 4093) % 253);

  proxy.Arm("comp=block&", Fault::k503ServerBusy);
  proxy.Arm("comp=block&", Fault::k500ServerBusy);
  proxy.Arm("comp=block&", Fault::kDrop);
  proxy.Arm("comp=blocklist", Fault::k503ServerBusy);
  proxy.Arm("comp=blocklist", Fault::kDrop);
  WriteObject(*store, "big.bin", data);
  EXPECT_EQ(proxy.Count("comp=block&"), 3 + 3) << "3 blocks, the first tried 4 times";
  EXPECT_EQ(proxy.Count("comp=blocklist"), 3);

  proxy.Arm("GET", Fault::k503ServerBusy);
  proxy.Arm("GET", Fault::kTruncate);
  proxy.Arm("GET", Fault::kDrop);
  EXPECT_EQ(FirstDifference(ReadObject(*store, "big.bin"), data), "");
  EXPECT_EQ(proxy.Count("GET"), 3 + 3) << "3 chunks, the first tried 4 times";

  proxy.Arm("comp=list", Fault::k500ServerBusy);
  proxy.Arm("comp=list", Fault::kDrop);
  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size, data.size());
  EXPECT_EQ(proxy.Count("comp=list"), 3);

  proxy.Arm("DELETE", Fault::k503ServerBusy);
  proxy.Arm("DELETE", Fault::kDrop);
  EXPECT_TRUE(store->Delete("big.bin").ok());
  EXPECT_EQ(proxy.Count("DELETE"), 3);
  EXPECT_TRUE(ListedKeys(*store, "").empty());
  EXPECT_EQ(services_->tokens.requests, 1);
}

TEST_F(AzureStoreOnAzurite, FailingForGoodSaysHowOftenItTriedAndCommitsNothing) {
  using Fault = FaultyProxy::Fault;
  FaultyProxy proxy(services_->azurite_port, services_->ca_file);
  AzureStoreOptions o = ProxiedOptions(proxy.Url("/devstoreaccount1"));
  o.block_size = 64 << 10;
  o.retry.max_attempts = 3;
  auto store = Open(o);
  auto direct = Open(Options());
  ASSERT_NE(store, nullptr);
  const std::string uri = "azure://devstoreaccount1/" + container_;

  // The block list never gets through: the blocks stay uncommitted, invisible.
  proxy.Arm("comp=blocklist", Fault::k503ServerBusy, -1);
  {
    auto out = store->OpenWrite("out/part.csv");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE((*out)->Write(std::string(200 << 10, 'x')).ok());
    Status s = (*out)->Commit();
    EXPECT_EQ(s.code(), StatusCode::kUnavailable);
    EXPECT_EQ(s.message(), "Azure PUT " + uri +
                               "/out/part.csv (Put Block List) failed after 3 attempts: "
                               "HTTP 503 ServerBusy (The server is busy.)");
    EXPECT_EQ(proxy.Count("comp=blocklist"), 3);
    EXPECT_EQ((*out)->Write("more").code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(ListedKeys(*direct, "").empty());
  EXPECT_EQ(direct->OpenRead("out/part.csv").status().code(), StatusCode::kNotFound);

  // A block that never gets through fails the Write; a connection dropped every time says so.
  proxy.Disarm();
  proxy.Arm("comp=block&", Fault::kDrop, -1);
  {
    auto out = store->OpenWrite("out/part.csv");
    ASSERT_TRUE(out.ok());
    Status s = (*out)->Write(std::string(200 << 10, 'y'));
    EXPECT_EQ(s.code(), StatusCode::kUnavailable);
    EXPECT_EQ(s.message().rfind("Azure PUT " + uri +
                                    "/out/part.csv (Put Block) failed after 3 "
                                    "attempts: ",
                                0),
              0u)
        << s.message();
    EXPECT_EQ((*out)->Commit().code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(ListedKeys(*direct, "").empty());

  // An overwrite that fails leaves the previous object whole.
  proxy.Disarm();
  WriteObject(*direct, "out/part.csv", "old");
  proxy.Arm("PUT", Fault::k500ServerBusy, -1);
  {
    auto out = store->OpenWrite("out/part.csv");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE((*out)->Write("new").ok());
    Status s = (*out)->Commit();
    EXPECT_EQ(s.message(), "Azure PUT " + uri +
                               "/out/part.csv (Put Blob) failed after 3 attempts: HTTP 500 "
                               "ServerBusy (The server is busy.)");
  }
  EXPECT_EQ(ReadObject(*direct, "out/part.csv"), "old");
  proxy.Arm("GET", Fault::kDrop, -1);
  auto in = store->OpenRead("out/part.csv");
  EXPECT_EQ(in.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(in.status().message().find("failed after 3 attempts"), std::string::npos)
      << in.status().message();
  EXPECT_TRUE(direct->Delete("out/part.csv").ok());
}

TEST_F(AzureStoreOnAzurite, CopiesWithCopyBlobFromUrl) {
  FaultyProxy proxy(services_->azurite_port, services_->ca_file);
  AzureStoreOptions o = ProxiedOptions(proxy.Url("/devstoreaccount1"));
  o.block_size = 64 << 10;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  std::string data(300 << 10, '\0');  // five blocks, committed by a block list
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 11 + i / 991) % 251);
  WriteObject(*store, "in/src.bin", data);
  proxy.Arm("PUT /devstoreaccount1/" + container_ + "/kept/", FaultyProxy::Fault::k503ServerBusy);
  Status s = store->Copy("in/src.bin", "kept/src.bin");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(FirstDifference(ReadObject(*store, "kept/src.bin"), data), "");
  int copies = 0;
  for (const httplib::Request& r : proxy.Seen()) {
    if (!r.has_header("x-ms-copy-source")) continue;
    ++copies;
    EXPECT_EQ(r.get_header_value("x-ms-copy-source"),
              proxy.Url("/devstoreaccount1/" + container_ + "/in/src.bin"));
    EXPECT_EQ(r.get_header_value("x-ms-requires-sync"), "true");
    EXPECT_EQ(r.get_header_value("x-ms-copy-source-authorization"),
              r.get_header_value("Authorization"))
        << "the source is read with the store's token";
    EXPECT_FALSE(r.get_header_value("x-ms-source-if-match").empty()) << "pinned to its ETag";
  }
  EXPECT_EQ(copies, 2) << "one refused with 503 ServerBusy, then the copy";

  Status missing = store->Copy("in/none.bin", "kept/src.bin");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "Azure HEAD azure://devstoreaccount1/" + container_ +
                                   "/in/none.bin: HTTP 404 BlobNotFound");
  EXPECT_EQ(FirstDifference(ReadObject(*store, "kept/src.bin"), data), "");
}

}  // namespace
}  // namespace strm
