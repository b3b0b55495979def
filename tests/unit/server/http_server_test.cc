// The HTTP server against a real client (libcurl): HTTP/1.1 with keep-alive, h2c with prior
// knowledge on the same port, limits (413, 431), answers from other threads and later,
// draining, TLS with a self-signed certificate.
#include "server/http_server.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "core/bytes.h"

namespace strm::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  long http_version = 0;  // CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_2_0
  long new_connections = 0;
  std::string headers;
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One client; its handle (and so its connections) is reused from request to request.
class Client {
 public:
  explicit Client(long version = CURL_HTTP_VERSION_1_1) : curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, version);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
    if (std::getenv("STRM_CURL_VERBOSE")) curl_easy_setopt(curl_, CURLOPT_VERBOSE, 1L);
  }
  ~Client() { curl_easy_cleanup(curl_); }
  CURL* handle() { return curl_; }

  Reply Call(const std::string& method, const std::string& url, const std::string& body = "",
             const std::vector<std::string>& headers = {}) {
    Reply r;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
    if (method == "POST" || method == "PUT") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, Append);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r.headers);
    r.code = curl_easy_perform(curl_);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(curl_, CURLINFO_HTTP_VERSION, &r.http_version);
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &r.new_connections);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(list);
    return r;
  }

 private:
  CURL* curl_;
};

// Echoes what it was given: "METHOD PATH QUERY PROTOCOL x-test=<header> BODY".
void Echo(HttpRequest&& r, Responder respond) {
  respond({200,
           {{"Content-Type", "text/plain"}},
           r.method + " " + r.path + " " + r.query + " " + r.protocol +
               " x-test=" + std::string(r.Header("x-test")) + " " + r.body});
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpHandler handler, HttpServerOptions options = {}) {
    options.port = 0;
    auto s = HttpServer::Start(options, std::move(handler));
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override { server_.reset(); }

  std::unique_ptr<HttpServer> server_;
  std::string base_;
};

TEST_F(HttpServerTest, AnswersHttp11AndKeepsTheConnection) {
  StartServer(Echo);
  Client client;
  Reply a = client.Call("POST", base_ + "/api/v1/x?watch=1&after=5", "hello", {"X-Test: one"});
  ASSERT_EQ(a.code, CURLE_OK) << curl_easy_strerror(a.code);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "POST /api/v1/x watch=1&after=5 HTTP/1.1 x-test=one hello");
  EXPECT_EQ(a.http_version, CURL_HTTP_VERSION_1_1);
  EXPECT_EQ(a.new_connections, 1);
  Reply b = client.Call("GET", base_ + "/second");
  EXPECT_EQ(b.body, "GET /second  HTTP/1.1 x-test= ");
  EXPECT_EQ(b.new_connections, 0);  // the same connection
}

// Debian 12's libcurl (7.88.1) cannot reuse an h2c prior-knowledge connection (curl issue
// 10634, fixed in 8.0): each h2c request here has a client of its own. Streams of one
// connection are exercised by h2load (tests/e2e/serve_test.sh, bench/http_hello.sh).
TEST_F(HttpServerTest, AnswersH2cWithPriorKnowledgeOnTheSamePort) {
  StartServer(Echo);
  for (int i = 0; i < 3; ++i) {
    Client client(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    Reply r =
        client.Call("POST", base_ + "/event?i=" + std::to_string(i), "{\"a\":1}", {"X-Test: two"});
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.http_version, CURL_HTTP_VERSION_2_0);
    EXPECT_EQ(r.body, "POST /event i=" + std::to_string(i) + " h2c x-test=two {\"a\":1}");
  }
  // HTTP/1.1 still works on the port.
  Client plain;
  EXPECT_EQ(plain.Call("GET", base_ + "/p").status, 200);
}

TEST_F(HttpServerTest, NoContentHasNoBodyInEitherProtocol) {
  StartServer([](HttpRequest&&, Responder respond) { respond({204, {}, "ignored"}); });
  for (long v : {CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE}) {
    Client client(v);
    Reply r = client.Call("POST", base_ + "/event", "x");
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.body, "");
    EXPECT_THAT(r.headers, ::testing::Not(HasSubstr("ontent-length")));
  }
  Client client;  // HTTP/1.1 keeps the connection after a 204
  EXPECT_EQ(client.Call("POST", base_ + "/event", "x").status, 204);
  Reply again = client.Call("POST", base_ + "/event", "y");
  EXPECT_EQ(again.status, 204);
  EXPECT_EQ(again.new_connections, 0);
}

TEST_F(HttpServerTest, ABodyOverTheLimitIs413AndNeverReachesTheHandler) {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(
      [&](HttpRequest&& r, Responder respond) {
        ++calls;
        Echo(std::move(r), std::move(respond));
      },
      options);
  const std::string big(5000, 'x');
  for (long v : {CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE}) {
    Client client(v);
    Reply r = client.Call("POST", base_ + "/event", big);
    ASSERT_EQ(r.code, CURLE_OK) << v << ": " << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 413) << v;
    EXPECT_THAT(r.body, HasSubstr("larger than the server accepts")) << v;
    Client fresh(v);
    EXPECT_EQ(fresh.Call("POST", base_ + "/event", std::string(1000, 'y')).status, 200) << v;
  }
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(HttpServerTest, HeadersOverTheLimitAre431) {
  HttpServerOptions options;
  options.max_header_bytes = 2048;
  StartServer(Echo, options);
  Client client;
  Reply r = client.Call("GET", base_ + "/x", "", {"X-Big: " + std::string(4096, 'h')});
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.status, 431);
}

TEST_F(HttpServerTest, AnswersCanComeLaterFromAnotherThread) {
  std::mutex mu;
  std::vector<Responder> waiting;
  StartServer([&](HttpRequest&& r, Responder respond) {
    std::lock_guard lock(mu);
    waiting.push_back([respond, path = r.path](HttpResponse) { respond({200, {}, path}); });
  });
  std::thread answerer([&] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::lock_guard lock(mu);
      if (waiting.size() == 2) {
        for (auto& w : waiting) w({});
        return;
      }
    }
  });
  auto h1 = std::async(std::launch::async, [&] { return Client().Call("GET", base_ + "/one"); });
  auto h2 = std::async(std::launch::async, [&] {
    return Client(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE).Call("GET", base_ + "/two");
  });
  EXPECT_EQ(h1.get().body, "/one");
  EXPECT_EQ(h2.get().body, "/two");
  answerer.join();
}

TEST_F(HttpServerTest, ABadRequestIs400AndAnAddressInUseIsNamed) {
  StartServer(Echo);
  Client client;
  Reply r = client.Call("GET", base_ + "/x", "", {"Content-Length: nonsense"});
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.status, 400);
  HttpServerOptions same;
  same.port = server_->port();
  auto second = HttpServer::Start(same, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(),
              HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(server_->port())));
  HttpServerOptions bad;
  bad.host = "not-an-ip";
  EXPECT_EQ(HttpServer::Start(bad, Echo).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(HttpServerTest, DrainingAnswersWhatIsInProgressThenRefusesConnections) {
  std::promise<Responder> held;
  std::atomic<bool> first{true};
  StartServer([&](HttpRequest&& r, Responder respond) {
    if (first.exchange(false)) {
      held.set_value(std::move(respond));
      return;
    }
    Echo(std::move(r), std::move(respond));
  });
  auto slow = std::async(std::launch::async, [&] { return Client().Call("GET", base_ + "/slow"); });
  Responder respond = held.get_future().get();  // the request is in progress
  server_->StopAccepting();
  respond({200, {}, "answered while draining"});
  Reply r = slow.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "answered while draining");
  EXPECT_THAT(r.headers, HasSubstr("Connection: close"));
  Reply refused = Client().Call("GET", base_ + "/new");
  EXPECT_EQ(refused.code, CURLE_COULDNT_CONNECT);
  server_->Stop(std::chrono::milliseconds(1000));
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(HttpServerTest, ServesHttpsWithASelfSignedCertificate) {
  const fs::path dir = fs::temp_directory_path() / ("strm-tls-" + NewUuidV4());
  fs::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
      "subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  HttpServerOptions options;
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  StartServer(Echo, options);
  Client client;
  curl_easy_setopt(client.handle(), CURLOPT_CAINFO, cert.c_str());
  const std::string https = "https://127.0.0.1:" + std::to_string(server_->port());
  Reply r = client.Call("POST", https + "/secure", "s");
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.body, "POST /secure  HTTP/1.1+TLS x-test= s");
  EXPECT_EQ(client.Call("GET", https + "/again").new_connections, 0);
  // Plain HTTP on a TLS port gets no answer.
  Reply plain = Client().Call("GET", base_ + "/x");
  EXPECT_NE(plain.code, CURLE_OK);
  // Bad files are named.
  HttpServerOptions bad = options;
  bad.tls_key_file = (dir / "missing.pem").string();
  auto s = HttpServer::Start(bad, Echo);
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("--tls-key: cannot load"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strm::server
