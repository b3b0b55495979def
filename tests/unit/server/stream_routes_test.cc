// The streams' HTTP face (server/stream_routes.h) called directly: the answers that the e2e
// test cannot bring about on demand (429 while the log is behind) and the form's corners.
#include "server/stream_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/bytes.h"
#include "streams/embedded_log.h"
#include "testing/test_support.h"

namespace strm::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class StreamRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-routes-" + NewUuidV4());
    catalog_ = std::move(OpenSqliteCatalog((dir_ / "home").string())).value();
    StreamRecord s;
    s.name = "demo";
    s.id = stream_id_ = NewUuidV4();
    s.credentials = {{"client-1", "secret-1"}};
    ASSERT_TRUE(catalog_->CreateStream(s).ok());
    log_ = std::move(EmbeddedLog::Open((dir_ / "log").string())).value();
    auto key = LoadOrCreateMasterKey((dir_ / "home").string(), false);
    ASSERT_TRUE(key.ok());
    StreamIngestOptions o;
    o.max_in_flight = 0;  // always behind: every event is answered 429
    ingest_ = std::make_unique<StreamIngest>(*catalog_, *log_, *key, o);
    routes_ = std::make_unique<StreamRoutes>(*ingest_, *log_);
  }
  void TearDown() override {
    routes_.reset();
    ingest_.reset();
    log_.reset();
    catalog_.reset();
    fs::remove_all(dir_);
  }
  HttpResponse Call(HttpRequest r) {
    HttpResponse out;
    std::string route;
    routes_->Handle(
        std::move(r), [&out](HttpResponse res) { out = std::move(res); }, route);
    return out;
  }
  static HttpRequest Post(const std::string& path, std::string body) {
    HttpRequest r;
    r.method = "POST";
    r.path = r.target = path;
    r.body = std::move(body);
    return r;
  }
  static std::string HeaderOf(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "";
  }

  fs::path dir_;
  std::string stream_id_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<StreamIngest> ingest_;
  std::unique_ptr<StreamRoutes> routes_;
  ::strm::testing::MasterKeyEnv env_;
};

TEST_F(StreamRoutesTest, ALogThatIsBehindAnswers429WithRetryAfter) {
  HttpResponse token = Call(Post("/auth/realms/streams/protocol/openid-connect/token",
                                 "grant_type=client_credentials&client_id=client-1&client_secret="
                                 "secret-1"));
  ASSERT_EQ(token.status, 200) << token.body;
  const std::string access = nlohmann::json::parse(token.body)["access_token"];
  for (const std::string path : {"/event", "/events"}) {
    HttpRequest r = Post(path, R"({"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0"}, )"
                               R"("consistentValue": "s-1"})");
    r.headers = {{"authorization", "Bearer " + access},
                 {"strm-serialization-type", "application/json"}};
    HttpResponse res = Call(std::move(r));
    EXPECT_EQ(res.status, 429) << path;
    EXPECT_EQ(HeaderOf(res, "Retry-After"), "1") << path;
    EXPECT_EQ(res.body, "too many events are waiting for the disk; retry soon\n") << path;
  }
  // Turned away before anything was done: the stream's topics were not even made.
  EXPECT_EQ(log_->Partitions(StreamIngest::EventsTopic(stream_id_)).status().code(),
            StatusCode::kNotFound);
}

TEST_F(StreamRoutesTest, TheTokenFormsCorners) {
  HttpResponse missing = Call(
      Post("/auth/realms/streams/protocol/openid-connect/token", "grant_type=client_credentials"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr(R"("error":"invalid_request")"));
  HttpResponse encoded = Call(Post("/auth/realms/streams/protocol/openid-connect/token",
                                   "client_id=client%2D1&grant_type=client_credentials&"
                                   "client_secret=secret-1"));
  EXPECT_EQ(encoded.status, 200) << encoded.body;  // percent-decoded, members in any order
  HttpResponse bad_refresh = Call(Post("/auth/realms/streams/protocol/openid-connect/token",
                                       "grant_type=refresh_token&refresh_token=a.b.c"));
  EXPECT_EQ(bad_refresh.status, 400);
  EXPECT_THAT(bad_refresh.body, HasSubstr(R"("error":"invalid_grant")"));
  HttpRequest get = Post("/event", "");
  get.method = "GET";
  EXPECT_EQ(Call(std::move(get)).status, 405);
}

}  // namespace
}  // namespace strm::server
