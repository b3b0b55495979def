#include "net/curl_transport.h"
#include "net/websocket_client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/bytes.h"
#include "testing/test_certificates.h"
#include "testing/test_http_server.h"

namespace strm {
namespace {

namespace fs = std::filesystem;

// A byte that depends on its position, so that lost, repeated or reordered chunks show.
char PatternAt(uint64_t i) { return static_cast<char>((i * 7 + i / 65521) % 251); }
std::string Pattern(uint64_t n) {
  std::string s(n, '\0');
  for (uint64_t i = 0; i < n; ++i) s[i] = PatternAt(i);
  return s;
}

HttpRequest Request(std::string method, std::string url) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  return r;
}

TEST(CurlTransport, RoundTripsMethodsHeadersAndBodies) {
  std::mutex mu;
  std::map<std::string, std::string> objects;
  std::vector<httplib::Headers> seen;  // request headers, in order
  TestServer server;
  auto record = [&](const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(req.headers);
  };
  server->Put("/objects/(.*)", [&](const httplib::Request& req, httplib::Response& res) {
    record(req);
    std::lock_guard<std::mutex> lock(mu);
    objects[req.matches[1]] = req.body;
    res.set_header("ETag", "\"v1\"");
  });
  server->Get("/objects/(.*)", [&](const httplib::Request& req, httplib::Response& res) {
    record(req);
    std::lock_guard<std::mutex> lock(mu);
    auto it = objects.find(req.matches[1]);
    if (it == objects.end()) {
      res.status = 404;
      res.set_content("<Error><Code>NoSuchKey</Code></Error>", "application/xml");
      return;
    }
    res.set_header("X-Amz-Meta-Owner", "  alice ");
    res.set_content(it->second, "application/octet-stream");
  });
  server->Delete("/objects/(.*)", [&](const httplib::Request& req, httplib::Response& res) {
    record(req);
    std::lock_guard<std::mutex> lock(mu);
    objects.erase(req.matches[1]);
    res.status = 204;
  });
  server->Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    record(req);
    res.status = 201;
    res.set_content(req.get_header_value("X-Custom") + "|" + req.body, "text/plain");
  });
  server.Start();
  CurlTransport client;

  // PUT of 2 MiB: past libcurl's threshold for "Expect: 100-continue", which we suppress.
  const std::string data = Pattern(2 << 20);
  HttpRequest put = Request("PUT", server.Url("/objects/a/b.csv"));
  put.headers = {{"x-amz-date", "20240101T000000Z"}, {"Content-Type", "text/csv"}};
  put.body = data;
  auto r = client.Send(put);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  ASSERT_NE(r->FindHeader("etag"), nullptr) << "header names are lower-cased";
  EXPECT_EQ(*r->FindHeader("etag"), "\"v1\"");
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(objects["a/b.csv"], data);
    const httplib::Headers& h = seen.back();
    EXPECT_EQ(h.find("x-amz-date")->second, "20240101T000000Z");
    EXPECT_EQ(h.find("Content-Type")->second, "text/csv");
    EXPECT_EQ(h.find("Content-Length")->second, std::to_string(data.size()));
    EXPECT_EQ(h.find("User-Agent")->second, "strm");
    EXPECT_EQ(h.count("Expect"), 0u);
    EXPECT_EQ(h.count("Accept"), 0u) << "only the headers we sign are sent";
  }

  r = client.Send(Request("GET", server.Url("/objects/a/b.csv")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, data);
  ASSERT_NE(r->FindHeader("x-amz-meta-owner"), nullptr);
  EXPECT_EQ(*r->FindHeader("x-amz-meta-owner"), "alice") << "values are trimmed";

  r = client.Send(Request("HEAD", server.Url("/objects/a/b.csv")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  ASSERT_NE(r->FindHeader("content-length"), nullptr);
  EXPECT_EQ(*r->FindHeader("content-length"), std::to_string(data.size()));

  r = client.Send(Request("DELETE", server.Url("/objects/a/b.csv")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 204);

  // An HTTP error is a response for the caller to judge, not a transport error.
  r = client.Send(Request("GET", server.Url("/objects/a/b.csv")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "<Error><Code>NoSuchKey</Code></Error>");

  HttpRequest post = Request("POST", server.Url("/echo"));
  post.headers = {{"X-Custom", "hello"}};
  post.body = "the body";
  r = client.Send(post);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "hello|the body");
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(seen.back().count("Content-Type"), 0u) << "no form encoding slipped in";
  }

  // A POST without a body still says so (S3's CreateMultipartUpload).
  r = client.Send(Request("POST", server.Url("/echo")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "|");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.back().find("Content-Length")->second, "0");
}

TEST(CurlTransport, StreamsALargeDownloadInBoundedChunks) {
  constexpr uint64_t kSize = 20 << 20, kHalf = kSize / 2;
  std::mutex mu;
  std::condition_variable cv;
  uint64_t received = 0;  // guarded by mu
  TestServer server;
  server->Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(
        kSize, "application/octet-stream",
        [&](size_t offset, size_t length, httplib::DataSink& sink) {
          // The second half is served only once the client has seen 1 MiB of the first: a
          // client that buffered the whole body before delivering any would stall here.
          if (offset >= kHalf) {
            std::unique_lock<std::mutex> lock(mu);
            if (!cv.wait_for(lock, std::chrono::seconds(20), [&] { return received >= 1 << 20; }))
              return false;
          }
          uint64_t n = std::min<uint64_t>(length, 256 << 10);
          if (offset < kHalf) n = std::min<uint64_t>(n, kHalf - offset);
          std::string chunk(n, '\0');
          for (uint64_t i = 0; i < n; ++i) chunk[i] = PatternAt(offset + i);
          return sink.write(chunk.data(), chunk.size());
        });
  });
  server.Start();
  CurlTransport client;

  uint64_t pos = 0, mismatches = 0, chunks = 0;
  size_t max_chunk = 0;
  auto r = client.Stream(Request("GET", server.Url("/big")), [&](std::string_view chunk) {
    for (size_t i = 0; i < chunk.size(); ++i) mismatches += chunk[i] != PatternAt(pos + i);
    pos += chunk.size();
    ++chunks;
    max_chunk = std::max(max_chunk, chunk.size());
    {
      std::lock_guard<std::mutex> lock(mu);
      received = pos;
    }
    cv.notify_all();
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(pos, kSize);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(r->body, "") << "a streamed body is not also collected";
  EXPECT_LE(max_chunk, 64u << 10);
  EXPECT_GT(chunks, kSize / (64 << 10) - 1);
}

TEST(CurlTransport, StreamKeepsAnErrorBodyAndStopsWhenTheSinkFails) {
  TestServer server;
  server->Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
  });
  server->Get("/data", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(Pattern(1 << 20), "application/octet-stream");
  });
  server.Start();
  CurlTransport client;

  int calls = 0;
  auto r = client.Stream(Request("GET", server.Url("/missing")), [&](std::string_view) {
    ++calls;
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "<Error><Code>SlowDown</Code></Error>");
  EXPECT_EQ(calls, 0) << "the sink only sees the bytes of a 2xx body";

  r = client.Stream(Request("GET", server.Url("/data")), [&](std::string_view) {
    ++calls;
    return IoError("cannot write /tmp/out: disk full");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIo);
  EXPECT_EQ(r.status().message(), "cannot write /tmp/out: disk full");
  EXPECT_EQ(calls, 1);

  // The handle that was aborted mid-body still works.
  r = client.Send(Request("GET", server.Url("/data")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, Pattern(1 << 20));
}

TEST(CurlTransport, UploadsFromAPullSource) {
  const uint64_t kSize = (8 << 20) + 3;
  std::mutex mu;
  std::string received;
  httplib::Headers headers;
  TestServer server;
  server->Put("/upload", [&](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) {
    std::string got;
    reader([&](const char* d, size_t n) {
      got.append(d, n);
      return true;
    });
    std::lock_guard<std::mutex> lock(mu);
    received = std::move(got);
    headers = req.headers;
    res.status = 200;
  });
  server.Start();
  CurlTransport client;

  uint64_t produced = 0;
  int reads = 0;
  HttpRequest put = Request("PUT", server.Url("/upload"));
  put.body_source.size = kSize;
  put.body_source.read = [&](char* buf, size_t n) -> Result<size_t> {
    ++reads;
    size_t k = std::min<uint64_t>({n, 1000, kSize - produced});  // short reads on purpose
    for (size_t i = 0; i < k; ++i) buf[i] = PatternAt(produced + i);
    produced += k;
    return k;
  };
  auto r = client.Send(put);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_GT(reads, 1000);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(received == Pattern(kSize)) << "received " << received.size() << " bytes";
  EXPECT_EQ(headers.find("Content-Length")->second, std::to_string(kSize));
  EXPECT_EQ(headers.count("Transfer-Encoding"), 0u);
}

TEST(CurlTransport, UploadFailsWhenTheSourceEndsEarlyOrFails) {
  TestServer server;
  server->Put("/upload", [](const httplib::Request&, httplib::Response& res,
                            const httplib::ContentReader& reader) {
    reader([](const char*, size_t) { return true; });
    res.status = 200;
  });
  server.Start();
  CurlTransport client;

  HttpRequest put = Request("PUT", server.Url("/upload?uploadId=secret"));
  put.body_source.size = 100;
  bool done = false;
  put.body_source.read = [&](char* buf, size_t n) -> Result<size_t> {
    if (done) return size_t{0};
    done = true;
    std::memset(buf, 'x', std::min<size_t>(n, 40));
    return std::min<size_t>(n, 40);
  };
  auto r = client.Send(put);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "PUT " + server.Url("/upload") + ": the body source ended after 40 of its 100 bytes");

  put.body_source.read = [](char*, size_t) -> Result<size_t> {
    return IoError("cannot read in.csv: I/O error");
  };
  r = client.Send(put);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "cannot read in.csv: I/O error");

  put.body = "both";
  r = client.Send(put);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(CurlTransport, ReusesConnections) {
  TestServer server;
  server->Get("/port", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(std::to_string(req.remote_port), "text/plain");
  });
  server.Start();
  CurlTransport client;

  // Each connection has its own client port.
  std::set<std::string> ports;
  for (int i = 0; i < 10; ++i) {
    auto r = client.Send(Request("GET", server.Url("/port")));
    ASSERT_TRUE(r.ok()) << r.status().message();
    ports.insert(r->body);
  }
  EXPECT_EQ(ports.size(), 1u) << "sequential requests share one connection";

  // Concurrent callers each borrow a handle; a handle keeps its connection across calls.
  constexpr int kThreads = 4, kEach = 10;
  std::mutex mu;
  int ok = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto r = client.Send(Request("GET", server.Url("/port")));
        std::lock_guard<std::mutex> lock(mu);
        if (!r.ok()) continue;
        ++ok;
        ports.insert(r->body);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, kThreads * kEach);
  EXPECT_LE(ports.size(), static_cast<size_t>(kThreads)) << "at most one connection per handle";
}

TEST(CurlTransport, StalledServerHitsTheTimeouts) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  TestServer server;
  server->Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return release; });
    res.set_content("late", "text/plain");
  });
  server.Start();
  struct Release {  // lets the handlers finish, however the test ends, before the server stops
    std::mutex& mu;
    std::condition_variable& cv;
    bool& release;
    ~Release() {
      {
        std::lock_guard<std::mutex> lock(mu);
        release = true;
      }
      cv.notify_all();
    }
  } release_at_end{mu, cv, release};
  CurlTransport client;
  {
    HttpRequest req = Request("GET", server.Url("/slow?X-Amz-Signature=abc"));
    req.timeouts.stall = std::chrono::seconds(1);
    auto r = client.Send(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(r.status().message().rfind("GET " + server.Url("/slow") + " failed: ", 0), 0u)
        << r.status().message();
    EXPECT_NE(r.status().message().find("Timeout was reached"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("too slow"), std::string::npos) << r.status().message();

    req.timeouts.stall = std::chrono::seconds(0);
    req.timeouts.total = std::chrono::milliseconds(300);
    r = client.Send(req);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(r.status().message().find("Timeout was reached"), std::string::npos)
        << r.status().message();
    EXPECT_EQ(r.status().message().find("Signature"), std::string::npos);
  }
}

TEST(CurlTransport, ConnectionRefusedNamesTheUrlWithoutItsQuery) {
  // A port that is bound but not listening refuses connections, and stays ours meanwhile.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  CurlTransport client;
  auto r = client.Send(Request("DELETE", base + "/bucket/key?X-Amz-Signature=secret#frag"));
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  const std::string m = r.status().message();
  EXPECT_EQ(m.rfind("DELETE " + base + "/bucket/key failed: Couldn't connect to server", 0), 0u)
      << m;
  EXPECT_EQ(m.find("secret"), std::string::npos) << m;
  EXPECT_EQ(m.find('?'), std::string::npos) << m;
}

TEST(CurlTransport, RejectsUrlsItCannotSend) {
  CurlTransport client;
  auto r = client.Send(Request("GET", "ftp://127.0.0.1/file"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().message();
  r = client.Send(Request("GET", "not a url"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().message();
}

// ---- TLS with a private CA ----------------------------------------------------------------

// Saves CURL_CA_BUNDLE and SSL_CERT_FILE, clears them, and restores them at the end.
class CaEnv {
 public:
  CaEnv() {
    for (const char* v : kVars) {
      const char* cur = std::getenv(v);
      saved_.push_back(cur ? std::optional<std::string>(cur) : std::nullopt);
      ::unsetenv(v);
    }
  }
  ~CaEnv() {
    for (size_t i = 0; i < 2; ++i) {
      if (saved_[i]) {
        ::setenv(kVars[i], saved_[i]->c_str(), 1);
      } else {
        ::unsetenv(kVars[i]);
      }
    }
  }

 private:
  static constexpr const char* kVars[2] = {"CURL_CA_BUNDLE", "SSL_CERT_FILE"};
  std::vector<std::optional<std::string>> saved_;
};

TEST(CurlTransport, TrustsAPrivateCaNamedByTheEnvironment) {
  const fs::path dir = fs::temp_directory_path() / ("strm-http-tls-" + NewUuidV4());
  fs::create_directories(dir);
  Pkey ca_key(EVP_EC_gen("P-256")), other_key(EVP_EC_gen("P-256")), server_key(EVP_EC_gen("P-256"));
  Cert ca = MakeCert(ca_key.get(), "strm test CA", nullptr, nullptr, true);
  Cert other = MakeCert(other_key.get(), "unrelated CA", nullptr, nullptr, true);
  ASSERT_TRUE(ca && other);
  Cert leaf = MakeCert(server_key.get(), "127.0.0.1", ca.get(), ca_key.get(), false);
  ASSERT_TRUE(leaf);
  ASSERT_TRUE(WritePem(dir / "ca.pem", ca.get(), nullptr));
  ASSERT_TRUE(WritePem(dir / "other.pem", other.get(), nullptr));
  ASSERT_TRUE(WritePem(dir / "server.pem", leaf.get(), nullptr));
  ASSERT_TRUE(WritePem(dir / "server.key", nullptr, server_key.get()));

  CaEnv env;
  {
    TestServer server(std::make_unique<httplib::SSLServer>((dir / "server.pem").c_str(),
                                                           (dir / "server.key").c_str()));
    ASSERT_TRUE(server->is_valid());
    server->Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hello over TLS", "text/plain");
    });
    server.Start();
    const HttpRequest get = Request("GET", server.Url("/hello?sig=1", "https"));

    {
      CurlTransport client;  // the system bundle does not know our CA
      EXPECT_EQ(client.ca_file(), "");
      auto r = client.Send(get);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().message();
      EXPECT_EQ(r.status().message().rfind("GET " + server.Url("/hello", "https") + " failed: ", 0),
                0u)
          << r.status().message();
      EXPECT_NE(r.status().message().find("certificate"), std::string::npos)
          << r.status().message();
    }
    ::setenv("SSL_CERT_FILE", (dir / "ca.pem").c_str(), 1);
    {
      CurlTransport client;
      EXPECT_EQ(client.ca_file(), (dir / "ca.pem").string());
      auto r = client.Send(get);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->body, "hello over TLS");
    }
    ::setenv("CURL_CA_BUNDLE", (dir / "other.pem").c_str(), 1);
    {
      CurlTransport client;  // CURL_CA_BUNDLE wins over SSL_CERT_FILE
      EXPECT_EQ(client.ca_file(), (dir / "other.pem").string());
      auto r = client.Send(get);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
      EXPECT_NE(
          r.status().message().find("trusting only the CAs in " + (dir / "other.pem").string()),
          std::string::npos)
          << r.status().message();
    }
    {
      CurlTransportOptions options;
      options.ca_file = (dir / "ca.pem").string();
      CurlTransport client(options);
      auto r = client.Send(get);  // an explicit option wins over both
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(r->body, "hello over TLS");
    }
    // The WebSocket client (wss://) checks the certificate the same way.
    const std::string wss = "wss" + server.Url("/ws", "https").substr(5);
    {
      auto ws =
          WebSocketClient::Connect(wss, {}, std::chrono::seconds(5), (dir / "other.pem").string());
      ASSERT_FALSE(ws.ok());
      EXPECT_EQ(ws.status().code(), StatusCode::kUnavailable);
      EXPECT_EQ(ws.status().message().rfind("cannot open " + wss + ": TLS: ", 0), 0u)
          << ws.status().message();
      EXPECT_NE(ws.status().message().find("certificate verify failed"), std::string::npos)
          << ws.status().message();
    }
    {
      // Trusted: TLS goes through, and the HTTP server (no WebSocket there) answers without
      // upgrading.
      auto ws =
          WebSocketClient::Connect(wss, {}, std::chrono::seconds(5), (dir / "ca.pem").string());
      ASSERT_FALSE(ws.ok());
      EXPECT_EQ(ws.status().message().rfind("cannot open " + wss + ": the server answered ", 0), 0u)
          << ws.status().message();
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strm
