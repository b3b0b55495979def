// The REST API (server/api.h) in a real HttpServer over an embedded platform, driven by
// RemotePlatform (the CLI's client) and by raw requests: the same answers and messages as the
// local platform, 401s, bad JSON naming the field, 404, 409, 413, and no secret in any answer.
#include "server/api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog/catalog.h"
#include "core/bytes.h"
#include "net/curl_transport.h"
#include "platform/follow_job.h"
#include "platform/remote_platform.h"
#include "server/http_server.h"
#include "testing/test_support.h"

namespace strm::server {
namespace {

namespace fs = std::filesystem;
using ::strm::testing::ReadTestFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "strm_0123456789ab_test-token-for-the-api-test-only-0000000000";
constexpr char kRef[] = "databert-handle/batch_job_public/1.0.0";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-api-" + NewUuidV4());
    home_ = (dir_ / "home").string();
    data_ = dir_ / "data";
    fs::create_directories(data_);
    std::ofstream(data_ / "input.csv") << ReadTestFile("demo/input.csv");
    auto p = OpenLocalPlatform(home_);
    ASSERT_TRUE(p.ok()) << p.status().message();
    local_ = std::move(p).value();
    api_ = std::make_unique<Api>(*local_, [](std::string_view token) {
      return token == kToken ? Status::Ok() : PermissionDenied("invalid API token");
    });
    HttpServerOptions options;
    options.port = 0;
    options.max_body_bytes = 64 << 10;
    auto s = HttpServer::Start(options, [this](HttpRequest&& r, Responder respond) {
      std::string route;
      api_->Handle(std::move(r), std::move(respond), route);
    });
    ASSERT_TRUE(s.ok()) << s.status().message();
    server_ = std::move(s).value();
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
    auto r = OpenRemotePlatform({url_, kToken, nullptr});
    ASSERT_TRUE(r.ok()) << r.status().message();
    remote_ = std::move(r).value();
  }
  void TearDown() override {
    server_.reset();
    api_.reset();
    local_.reset();
    fs::remove_all(dir_);
  }

  void SetUpDemo(Platform& p) {
    DataConnector c;
    c.name = "databert-demo";
    c.type = "local";
    c.location = {{"path", data_.string()}};
    auto made = p.CreateDataConnector(c);
    ASSERT_TRUE(made.ok()) << made.status().message();
    auto contract =
        p.CreateDataContract(*ContractRef::Parse(kRef), ReadTestFile("demo/schema.json"),
                             ReadTestFile("demo/contract.json"));
    ASSERT_TRUE(contract.ok()) << contract.status().message();
  }

  // A raw request: status and body.
  std::pair<int, std::string> Raw(const std::string& method, const std::string& path,
                                  const std::string& body = "", const std::string& token = kToken) {
    CurlTransport t;
    strm::HttpRequest req;
    req.method = method;
    req.url = url_ + path;
    if (!token.empty()) req.headers.push_back({"Authorization", "Bearer " + token});
    req.body = body;
    auto res = t.Send(req);
    EXPECT_TRUE(res.ok()) << res.status().message();
    if (!res.ok()) return {0, ""};
    return {res->status, res->body};
  }

  fs::path dir_, data_;
  std::string home_, url_;
  std::unique_ptr<Platform> local_, remote_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  ::strm::testing::MasterKeyEnv env_;
};

TEST_F(ApiTest, TheDemoJobRunsThroughTheRemotePlatform) {
  SetUpDemo(*remote_);
  auto connectors = remote_->ListDataConnectors();
  ASSERT_TRUE(connectors.ok()) << connectors.status().message();
  ASSERT_EQ(connectors->size(), 1u);
  EXPECT_EQ((*connectors)[0].location["path"], data_.string());
  auto contract = remote_->GetDataContract(*ContractRef::Parse(kRef));
  ASSERT_TRUE(contract.ok()) << contract.status().message();
  EXPECT_EQ(*contract, *local_->GetDataContract(*ContractRef::Parse(kRef)));

  auto submitted = remote_->SubmitBatchJob(ReadTestFile("demo/job.json"), "job.json", {});
  ASSERT_TRUE(submitted.ok()) << submitted.status().message();
  EXPECT_EQ(submitted->state, JobState::kPending);  // at once
  auto done = FollowBatchJob(*remote_, submitted->id, {});
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(done->state, JobState::kFinished);
  EXPECT_EQ(done->stats["rows"], 10);
  EXPECT_TRUE(fs::exists(data_ / "out/encrypted.csv"));
  auto local_view = local_->GetBatchJob(submitted->id);
  ASSERT_TRUE(local_view.ok());
  EXPECT_EQ(done->message, local_view->message);
  auto previews = remote_->PreviewBatchJob(submitted->id, 2);
  ASSERT_TRUE(previews.ok()) << previews.status().message();
  ASSERT_EQ(previews->size(), 4u);
  EXPECT_EQ((*previews)[0].title, "input (input.csv)");
  EXPECT_EQ((*previews)[0].rows.size(), 2u);
  auto dependents = remote_->DataConnectorDependents("databert-demo");
  ASSERT_TRUE(dependents.ok());
  EXPECT_THAT(*dependents, ::testing::ElementsAre(submitted->id));
  ASSERT_TRUE(remote_->DeleteBatchJob(submitted->id).ok());
  EXPECT_EQ(local_->GetBatchJob(submitted->id).status().code(), StatusCode::kNotFound);
}

TEST_F(ApiTest, ErrorsComeBackWithTheLocalCodeAndMessage) {
  SetUpDemo(*remote_);
  for (Platform* p : {local_.get(), remote_.get()}) {
    auto missing = p->GetDataConnector("no-such-connector");
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(missing.status().message(), "data connector 'no-such-connector' does not exist");
    auto bad_job = p->SubmitBatchJob("{\"nope\": 1", "job.json", {});
    EXPECT_EQ(bad_job.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad_job.status().message(),
              local_->SubmitBatchJob("{\"nope\": 1", "job.json", {}).status().message());
  }
  DataConnector again;
  again.name = "databert-demo";
  again.type = "local";
  again.location = {{"path", data_.string()}};
  auto dup = remote_->CreateDataConnector(again);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "data connector 'databert-demo' already exists");
}

TEST_F(ApiTest, EveryRequestNeedsAValidToken) {
  auto [none, none_body] = Raw("GET", "/api/v1/data-connectors", "", "");
  EXPECT_EQ(none, 401);
  EXPECT_THAT(none_body, HasSubstr("\"message\":\"missing API token: send the header "
                                   "'Authorization: Bearer <token>'\""));
  auto [wrong, wrong_body] = Raw("GET", "/api/v1/data-connectors", "", "strm_wrong");
  EXPECT_EQ(wrong, 401);
  EXPECT_EQ(wrong_body,
            R"({"error":{"code":401,"message":"invalid API token","status":"permission denied"}})");
  EXPECT_THAT(wrong_body, Not(HasSubstr("strm_wrong")));
  CurlTransport t;
  strm::HttpRequest lower;
  lower.url = url_ + "/api/v1/batch-jobs";
  lower.headers.push_back({"Authorization", std::string("bearer ") + kToken});
  auto lower_res = t.Send(lower);
  ASSERT_TRUE(lower_res.ok());
  EXPECT_EQ(lower_res->status, 200);  // the scheme's name in any case
  auto refused = OpenRemotePlatform({url_, "strm_wrong", nullptr});
  ASSERT_TRUE(refused.ok());
  auto list = (*refused)->ListBatchJobs();
  EXPECT_EQ(list.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list.status().message(),
            "the strm server at " + url_ + " refused the API token: invalid API token");
}

TEST_F(ApiTest, BadBodiesAreNamed) {
  auto [status, body] = Raw("POST", "/api/v1/data-contracts", "{bad");
  EXPECT_EQ(status, 400);
  EXPECT_THAT(body, HasSubstr("the request body is not valid JSON (at byte 2)"));
  auto [s2, b2] = Raw("POST", "/api/v1/data-contracts", R"({"ref": "a/b/1.0.0"})");
  EXPECT_EQ(s2, 400);
  EXPECT_THAT(b2, HasSubstr("field 'schema_definition' is missing or not a string"));
  auto [s3, b3] = Raw("POST", "/api/v1/data-connectors", R"({"ref": {"name": 5}})");
  EXPECT_EQ(s3, 400);
  auto [s4, b4] = Raw("POST", "/api/v1/batch-jobs?threads=-1", "{}");
  EXPECT_EQ(s4, 400);
  EXPECT_THAT(b4, HasSubstr("query parameter 'threads' must be a whole number from 0 to 256"));
  auto [big, big_body] = Raw("POST", "/api/v1/batch-jobs", std::string(100 << 10, ' '));
  EXPECT_EQ(big, 413);
  auto [unknown, unknown_body] = Raw("GET", "/api/v1/nothing-here");
  EXPECT_EQ(unknown, 404);
  auto [method, method_body] = Raw("PUT", "/api/v1/batch-jobs", "{}");
  EXPECT_EQ(method, 405);
}

TEST_F(ApiTest, DependenciesAreConflicts) {
  SetUpDemo(*remote_);
  auto job = RunBatchJobToEnd(*remote_, ReadTestFile("demo/job.json"), "job.json", {}, {});
  ASSERT_TRUE(job.ok()) << job.status().message();
  auto [status, body] = Raw("DELETE", "/api/v1/data-connectors/databert-demo");
  EXPECT_EQ(status, 409);
  EXPECT_THAT(body, HasSubstr("is used by 1 batch job (" + job->id + ")"));
  auto [ok, ok_body] = Raw("DELETE", "/api/v1/data-connectors/databert-demo?recursive=true");
  EXPECT_EQ(ok, 204);
  EXPECT_EQ(ok_body, "");
  auto [cancel, cancel_body] = Raw("POST", "/api/v1/batch-jobs/" + job->id + "/cancel");
  EXPECT_EQ(cancel, 404);
}

// Secrets stay in the server: connector credentials and masking seeds are "****" in every
// answer.
TEST_F(ApiTest, NoAnswerHoldsASecret) {
  SetUpDemo(*remote_);
  {
    auto catalog = OpenSqliteCatalog(home_);
    ASSERT_TRUE(catalog.ok());
    DataConnector c;
    c.name = "with-secret";
    c.type = "s3";
    c.location = {{"bucket_name", "b"}};
    c.credentials = R"({"accessKeyId":"AKIAEXAMPLE","secretAccessKey":"TOP-SECRET-KEY-42"})";
    c.created_at = NowMillis();
    ASSERT_TRUE((*catalog)->CreateDataConnector(c).ok());
  }
  nlohmann::json job = nlohmann::json::parse(ReadTestFile("demo/job.json"));
  job["derived_data"][0]["masked_fields"]["seed"] = "SEED-THAT-MUST-NOT-LEAK";
  auto run = RunBatchJobToEnd(*remote_, job.dump(), "job.json", {}, {});
  ASSERT_TRUE(run.ok()) << run.status().message();
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/data-connectors", "/api/v1/data-connectors/with-secret", "/api/v1/batch-jobs",
           "/api/v1/batch-jobs/" + run->id, "/api/v1/batch-jobs/" + run->id + "?seen=-1"}) {
    auto [status, body] = Raw("GET", path);
    EXPECT_EQ(status, 200) << path;
    EXPECT_THAT(body, Not(HasSubstr("TOP-SECRET-KEY-42"))) << path;
    EXPECT_THAT(body, Not(HasSubstr("SEED-THAT-MUST-NOT-LEAK"))) << path;
    EXPECT_THAT(body, Not(HasSubstr(kToken))) << path;
  }
  auto [status, body] = Raw("GET", "/api/v1/data-connectors/with-secret");
  EXPECT_THAT(body, HasSubstr("\"secretAccessKey\":\"****\""));
}

// Streams through the RemotePlatform: the new client's secret in the create answer only, the
// local rules and messages, and key streams.
TEST_F(ApiTest, StreamsAndKeyStreams) {
  StreamRecord wanted;
  wanted.name = "example";
  wanted.tags = {"web"};
  auto made = remote_->CreateStream(wanted);
  ASSERT_TRUE(made.ok()) << made.status().message();
  auto stored = local_->GetStream("example");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*made, *stored);  // the secret, this once
  StreamRecord derived;
  derived.linked_stream = "example";
  derived.consent_levels = {1, 2};
  derived.masked_fields["strmprivacy/example/1.3.0"] = {"uniqueIdentifier"};
  derived.mask_seed = "SEED-THAT-MUST-NOT-LEAK";
  auto d = remote_->CreateStream(derived);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->name, "example-M1-2");

  auto got = remote_->GetStream("example");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->credentials.size(), 1u);
  EXPECT_EQ(got->credentials[0].client_id, stored->credentials[0].client_id);
  EXPECT_EQ(got->credentials[0].client_secret, "****");
  for (std::string path :
       {"/api/v1/streams", "/api/v1/streams/example", "/api/v1/streams/example-M1-2"}) {
    auto [status, body] = Raw("GET", path);
    EXPECT_EQ(status, 200) << path;
    EXPECT_THAT(body, Not(HasSubstr(stored->credentials[0].client_secret))) << path;
    EXPECT_THAT(body, Not(HasSubstr("SEED-THAT-MUST-NOT-LEAK"))) << path;
  }
  auto keys = remote_->ListKeyStreams();
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_THAT(*keys, ::testing::ElementsAre(KeyStream{"example", made->id, made->created_at}));
  EXPECT_EQ(remote_->GetKeyStream("example-M1-2").status().code(), StatusCode::kNotFound);

  auto [bad, bad_body] = Raw("POST", "/api/v1/streams", R"({"name": "x1234", "tags": "a"})");
  EXPECT_EQ(bad, 400);
  EXPECT_THAT(bad_body, HasSubstr("stream JSON: field 'tags' must be an array of strings"));
  auto [conflict, conflict_body] = Raw("DELETE", "/api/v1/streams/example");
  EXPECT_EQ(conflict, 409);
  EXPECT_THAT(conflict_body, HasSubstr("has derived streams (example-M1-2)"));
  ASSERT_TRUE(remote_->DeleteStream("example", true).ok());
  EXPECT_EQ(remote_->GetStream("example").status().message(), "stream example does not exist");
  EXPECT_THAT(*remote_->ListStreams(), ::testing::IsEmpty());
}

TEST_F(ApiTest, AServerThatCannotBeReachedIsNamed) {
  auto p = OpenRemotePlatform({"http://127.0.0.1:1", kToken, nullptr});
  ASSERT_TRUE(p.ok());
  auto list = (*p)->ListDataConnectors();
  EXPECT_EQ(list.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(list.status().message(),
              ::testing::StartsWith("cannot reach the strm server at http://127.0.0.1:1: "));
  EXPECT_EQ(OpenRemotePlatform({"ftp://x", kToken, nullptr}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenRemotePlatform({url_, "", nullptr}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strm::server
