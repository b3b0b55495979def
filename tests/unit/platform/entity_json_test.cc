#include "platform/entity_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobs/batch_job_config.h"
#include "platform/connector_store.h"
#include "storage/connector_credentials.h"
#include "testing/test_support.h"

namespace strm {
namespace {

using ::strm::testing::ReadTestFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kCreatedAt = 1644126192962;  // 2022-02-06T05:43:12.962Z

// The secrets of the entities below: no masked form may contain any of them.
constexpr std::string_view kS3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
constexpr std::string_view kS3Token = "FwoGZXIvYXdzEBYaDHsessiontoken";
constexpr std::string_view kGcsKeyBody = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
constexpr std::string_view kAzureSecret = "cl~ient.s3cret_value";
constexpr std::string_view kSeed = "job-level-seed-7f3a";
constexpr std::string_view kDerivedSeed = "derived-seed-91bc";

DataConnector Stamped(Result<DataConnector> c) {
  EXPECT_TRUE(c.ok()) << c.status().message();
  DataConnector out = c.ok() ? *c : DataConnector{};
  out.created_at = kCreatedAt;
  return out;
}

DataConnector LocalConnector() {
  DataConnector c;
  c.name = "databert-demo";
  c.type = "local";
  c.location = {{"path", "/data/demo"}};
  c.created_at = kCreatedAt;
  return c;
}

DataConnector S3Connector() {
  const nlohmann::json creds = {{"access_key_id", "AKIAIOSFODNN7EXAMPLE"},
                                {"secret_access_key", kS3Secret},
                                {"session_token", kS3Token},
                                {"endpoint_url", "http://127.0.0.1:9000"},
                                {"path_style", "on"}};
  return Stamped(MakeS3Connector("s3-demo", "bucket", creds.dump(), "s3.json"));
}

DataConnector GcsConnector() {
  DataConnector c;
  c.name = "gcs-demo";
  c.type = "gcs";
  c.location = {{"bucket_name", "bucket"}};
  // The canonical form as connector_credentials.h stores it (the key is not checked here).
  c.credentials = CredentialsToJson(GcsCredentials{
      "strm@example-project.iam.gserviceaccount.com",
      "-----BEGIN PRIVATE KEY-----\n" + std::string(kGcsKeyBody) + "\n-----END PRIVATE KEY-----\n",
      "0123456789abcdef", "https://oauth2.googleapis.com/token"});
  c.created_at = kCreatedAt;
  return c;
}

DataConnector AzureConnector() {
  return Stamped(MakeAzureConnector("azure-demo", "container",
                                    "https://account.blob.core.windows.net", "contoso.example",
                                    "0c1d2e3f-4a5b", std::string(kAzureSecret)));
}

std::vector<DataConnector> AllConnectors() {
  DataConnector s3_env = Stamped(MakeS3Connector("s3-env", "bucket", "", ""));
  return {LocalConnector(), S3Connector(), s3_env, GcsConnector(), AzureConnector()};
}

void ExpectSameConnector(const DataConnector& a, const DataConnector& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.location, b.location);
  EXPECT_EQ(a.credentials, b.credentials);
  EXPECT_EQ(a.created_at, b.created_at);
}

DataContract DemoContract() {
  auto schema = ParseSimpleSchema(ReadTestFile("demo/schema.json"));
  EXPECT_TRUE(schema.ok()) << schema.status().message();
  auto c = MakeDataContract(*ContractRef::Parse("databert-handle/batch_job_public/1.0.0"), *schema,
                            ReadTestFile("demo/contract.json"));
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

// The demo job as LocalPlatform stores it (canonical, seeds filled in), with a job-level
// masked_fields and a derived output's own.
BatchJobRecord DemoJob() {
  auto config = ParseBatchJobConfig(ReadTestFile("demo/job.json"), "job.json");
  EXPECT_TRUE(config.ok()) << config.status().message();
  config->id = "d637b559-4025-41c1-9d71-3d97b873d0e8";
  config->masked_fields = config->derived_data.at(0).masked_fields;
  config->masked_fields->seed = kSeed;
  config->derived_data.at(0).masked_fields->seed = kDerivedSeed;
  BatchJobRecord job;
  job.id = config->id;
  job.config = BatchJobConfigToJson(*config);
  job.state = JobState::kFinished;
  job.message = "Encrypted 20 rows — done";
  job.stats = {{"rows", 20}, {"bytes", 2801}, {"seconds", 0.25}, {"rows_per_second", 80.0}};
  job.created_at = kCreatedAt;
  job.updated_at = kCreatedAt + 1500;
  return job;
}

void ExpectSameJob(const BatchJobRecord& a, const BatchJobRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.stats, b.stats);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

std::string ErrorOf(const Status& s) { return s.ok() ? "OK" : s.message(); }

// ---- timestamps -------------------------------------------------------------------------------

TEST(EntityJsonTimestamp, UtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(kCreatedAt), "2022-02-06T05:43:12.962Z");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(1795265820123), "2026-11-21T12:57:00.123Z");
  for (int64_t ms : {int64_t{0}, kCreatedAt, int64_t{1795265820123}, int64_t{-1}}) {
    auto back = ParseTimestamp(FormatTimestamp(ms));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, ms);
  }
}

TEST(EntityJsonTimestamp, OnlyTheFormWrittenIsRead) {
  for (std::string_view text :
       {"", "2022-02-06T05:43:12Z", "2022-02-06T05:43:12.96Z", "2022-02-06 05:43:12.962Z",
        "2022-02-06T05:43:12.962", "2022-02-06T05:43:12.962+01:00", "2022-02-06T05:43:12.962Zx",
        "2022-02-30T05:43:12.962Z", "1644126192962"}) {
    auto t = ParseTimestamp(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  }
}

// ---- data connectors --------------------------------------------------------------------------

// What `strm get data-connector -o json` printed before this form moved here, byte for byte.
TEST(EntityJsonConnector, FormsAsTheCliShowsThem) {
  EXPECT_EQ(ConnectorJson(LocalConnector(), Secrets::kMasked).dump(2), R"({
  "created_at": "2022-02-06T05:43:12.962Z",
  "local_directory": {
    "path": "/data/demo"
  },
  "ref": {
    "name": "databert-demo"
  }
})");
  EXPECT_EQ(ConnectorJson(S3Connector(), Secrets::kMasked).dump(),
            R"({"created_at":"2022-02-06T05:43:12.962Z","credentials":{"access_key_id":)"
            R"("AKIAIOSFODNN7EXAMPLE","endpoint_url":"http://127.0.0.1:9000","path_style":"on",)"
            R"("secret_access_key":"****","session_token":"****"},"ref":{"name":"s3-demo"},)"
            R"("s3_bucket":{"bucket_name":"bucket"}})");
  EXPECT_EQ(ConnectorJson(AzureConnector(), Secrets::kIncluded).dump(),
            R"({"azure_blob_storage_container":{"container_name":"container",)"
            R"("storage_account_uri":"https://account.blob.core.windows.net"},)"
            R"("created_at":"2022-02-06T05:43:12.962Z","credentials":{"client_id":)"
            R"("0c1d2e3f-4a5b","client_secret":"cl~ient.s3cret_value","tenant_id":)"
            R"("contoso.example"},"ref":{"name":"azure-demo"}})");
  const nlohmann::json gcs = ConnectorJson(GcsConnector(), Secrets::kMasked);
  EXPECT_EQ(gcs["google_cloud_storage_bucket"], nlohmann::json({{"bucket_name", "bucket"}}));
  EXPECT_EQ(gcs["credentials"]["private_key"], "****");
  EXPECT_EQ(gcs["credentials"]["client_email"], "strm@example-project.iam.gserviceaccount.com");
  // Without credentials (S3 from the environment), there is no "credentials" member.
  EXPECT_FALSE(ConnectorJson(AllConnectors()[2], Secrets::kIncluded).contains("credentials"));
}

TEST(EntityJsonConnector, RoundTripsWithSecrets) {
  for (const DataConnector& c : AllConnectors()) {
    SCOPED_TRACE(c.name);
    const nlohmann::json j = ConnectorJson(c, Secrets::kIncluded);
    auto back = ConnectorFromJson(j);
    ASSERT_TRUE(back.ok()) << back.status().message();
    ExpectSameConnector(*back, c);
    // Through text too, as a client gets it.
    auto parsed = ConnectorFromJson(nlohmann::json::parse(j.dump(2)));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    ExpectSameConnector(*parsed, c);
  }
}

TEST(EntityJsonConnector, MaskedFormsHoldNoSecret) {
  const std::string pem_piece(kGcsKeyBody.substr(10, 30));
  for (const DataConnector& c : AllConnectors()) {
    SCOPED_TRACE(c.name);
    const nlohmann::json masked = ConnectorJson(c, Secrets::kMasked);
    for (const std::string& dump : {masked.dump(), masked.dump(2)}) {
      for (std::string_view secret : {kS3Secret, kS3Token, kAzureSecret})
        EXPECT_THAT(dump, Not(HasSubstr(std::string(secret))));
      EXPECT_THAT(dump, Not(HasSubstr(pem_piece)));
    }
    // Read back, each secret is "****"; the rest is as stored.
    auto back = ConnectorFromJson(masked);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->location, c.location);
    if (c.credentials.empty()) {
      EXPECT_EQ(back->credentials, "");
    } else {
      nlohmann::json expected = nlohmann::json::parse(c.credentials);
      RedactCanonicalCredentials(expected);
      EXPECT_EQ(back->credentials, expected.dump());
    }
  }
  // The secrets were there to hide.
  EXPECT_THAT(ConnectorJson(S3Connector(), Secrets::kIncluded).dump(),
              HasSubstr(std::string(kS3Token)));
  EXPECT_THAT(ConnectorJson(GcsConnector(), Secrets::kIncluded).dump(), HasSubstr(pem_piece));
}

// Stored credentials that are not a JSON object are never shown, whatever was asked.
TEST(EntityJsonConnector, UnreadableCredentialsAreNeverShown) {
  DataConnector c = LocalConnector();
  c.type = "s3";
  c.location = {{"bucket_name", "b"}};
  c.credentials = "not json " + std::string(kS3Secret);
  for (Secrets s : {Secrets::kMasked, Secrets::kIncluded}) {
    const nlohmann::json j = ConnectorJson(c, s);
    EXPECT_EQ(j["credentials"], "****");
    EXPECT_THAT(j.dump(), Not(HasSubstr(std::string(kS3Secret))));
    auto back = ConnectorFromJson(j);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->credentials, "****");
  }
}

TEST(EntityJsonConnector, ParseErrorsNameTheField) {
  const nlohmann::json good = ConnectorJson(S3Connector(), Secrets::kIncluded);
  auto error = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    return ErrorOf(ConnectorFromJson(j).status());
  };
  EXPECT_EQ(error([](nlohmann::json&) {}), "OK");
  EXPECT_EQ(error([](nlohmann::json& j) { j.erase("ref"); }),
            "data connector JSON: field 'ref.name' is missing");
  EXPECT_EQ(error([](nlohmann::json& j) { j["ref"]["name"] = 7; }),
            "data connector JSON: field 'ref.name' must be a string");
  EXPECT_EQ(error([](nlohmann::json& j) { j.erase("s3_bucket"); }),
            "data connector JSON: no location: expected one of the fields 'local_directory', "
            "'s3_bucket', 'google_cloud_storage_bucket', 'azure_blob_storage_container'");
  EXPECT_EQ(error([](nlohmann::json& j) {
              j["local_directory"] = {{"path", "/x"}};
            }),
            "data connector JSON: field 's3_bucket' cannot be given with 'local_directory'");
  EXPECT_EQ(error([](nlohmann::json& j) { j["s3_bucket"] = "bucket"; }),
            "data connector JSON: field 's3_bucket' must be an object");
  EXPECT_EQ(error([](nlohmann::json& j) { j["credentials"] = "secret"; }),
            "data connector JSON: field 'credentials' must be an object");
  EXPECT_EQ(error([](nlohmann::json& j) { j.erase("created_at"); }),
            "data connector JSON: field 'created_at' is missing");
  EXPECT_EQ(error([](nlohmann::json& j) { j["created_at"] = "yesterday"; }),
            "data connector JSON: field 'created_at' must be a UTC timestamp like "
            "2026-11-21T12:57:00.123Z");
  EXPECT_EQ(ErrorOf(ConnectorFromJson(nlohmann::json::array()).status()),
            "data connector JSON: not an object");
  // Members a newer server may add are ignored ("list -r" adds batch_jobs, say).
  EXPECT_EQ(error([](nlohmann::json& j) { j["batch_jobs"] = nlohmann::json::array(); }), "OK");
}

// ---- data contracts ---------------------------------------------------------------------------

TEST(EntityJsonContract, RoundTripsAndHasNoSecrets) {
  const DataContract c = DemoContract();
  const nlohmann::json j = ContractJson(c, Secrets::kIncluded);
  EXPECT_EQ(j, ContractJson(c, Secrets::kMasked));
  EXPECT_EQ(j, ContractToJson(c));  // the catalog's form
  EXPECT_EQ(j["ref"], nlohmann::json({{"handle", "databert-handle"},
                                      {"name", "batch_job_public"},
                                      {"version", "1.0.0"}}));
  auto back = ContractFromJson(nlohmann::json::parse(j.dump(2)));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, c);
}

TEST(EntityJsonContract, ParseErrorsNameTheField) {
  nlohmann::json j = ContractJson(DemoContract(), Secrets::kIncluded);
  j["is_public"] = "yes";
  auto c = ContractFromJson(j);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("is_public"));
}

// ---- batch jobs -------------------------------------------------------------------------------

TEST(EntityJsonBatchJob, RoundTripsWithSecrets) {
  const BatchJobRecord job = DemoJob();
  const nlohmann::json j = BatchJobJson(job, Secrets::kIncluded);
  EXPECT_EQ(j["ref"], nlohmann::json({{"id", job.id}}));
  EXPECT_EQ(j["state"], "FINISHED");
  EXPECT_EQ(j["created_at"], "2022-02-06T05:43:12.962Z");
  EXPECT_EQ(j["updated_at"], "2022-02-06T05:43:14.462Z");
  EXPECT_EQ(j["masked_fields"]["seed"], kSeed);
  EXPECT_EQ(j["derived_data"][0]["masked_fields"]["seed"], kDerivedSeed);
  auto back = BatchJobFromJson(nlohmann::json::parse(j.dump(2)));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameJob(*back, job);
  // Every state.
  for (int s = 0; s <= static_cast<int>(JobState::kCancelled); ++s) {
    BatchJobRecord other = job;
    other.state = static_cast<JobState>(s);
    auto again = BatchJobFromJson(BatchJobJson(other, Secrets::kIncluded));
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(again->state, other.state);
  }
}

// The masked form is what `strm get batch-job -o json` printed before this form moved here:
// the stored config parsed, its seeds redacted, written back, and the record over it.
TEST(EntityJsonBatchJob, MaskedFormIsTheCliFormAndHoldsNoSeed) {
  const BatchJobRecord job = DemoJob();
  const nlohmann::json masked = BatchJobJson(job, Secrets::kMasked);
  auto config = ParseBatchJobConfig(job.config.dump(), "stored job");
  ASSERT_TRUE(config.ok()) << config.status().message();
  nlohmann::json before = BatchJobConfigToJson(RedactSecrets(*config));
  before["ref"] = {{"id", job.id}};
  before["state"] = "FINISHED";
  before["message"] = job.message;
  before["stats"] = job.stats;
  before["created_at"] = "2022-02-06T05:43:12.962Z";
  before["updated_at"] = "2022-02-06T05:43:14.462Z";
  EXPECT_EQ(masked.dump(2), before.dump(2));

  for (const std::string& dump : {masked.dump(), masked.dump(2)}) {
    EXPECT_THAT(dump, Not(HasSubstr(std::string(kSeed))));
    EXPECT_THAT(dump, Not(HasSubstr(std::string(kDerivedSeed))));
  }
  auto back = BatchJobFromJson(masked);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->config["masked_fields"]["seed"], "****");
  EXPECT_EQ(back->config["derived_data"][0]["masked_fields"]["seed"], "****");
}

// A config that is not canonical (a lowerCamelCase job file) is masked all the same.
TEST(EntityJsonBatchJob, SeedsOfEitherSpellingAreMasked) {
  BatchJobRecord job = DemoJob();
  job.config = {{"maskedFields", {{"seed", kSeed}}},
                {"derivedData", {{{"maskedFields", {{"seed", kDerivedSeed}}}}}}};
  const std::string dump = BatchJobJson(job, Secrets::kMasked).dump();
  EXPECT_THAT(dump, Not(HasSubstr(std::string(kSeed))));
  EXPECT_THAT(dump, Not(HasSubstr(std::string(kDerivedSeed))));
}

TEST(EntityJsonBatchJob, ParseErrorsNameTheField) {
  const nlohmann::json good = BatchJobJson(DemoJob(), Secrets::kIncluded);
  auto error = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    return ErrorOf(BatchJobFromJson(j).status());
  };
  EXPECT_EQ(error([](nlohmann::json&) {}), "OK");
  EXPECT_EQ(error([](nlohmann::json& j) { j["state"] = "DONE"; }),
            "batch job JSON: field 'state' must be one of PENDING, STARTED, RUNNING, FINISHED, "
            "ERROR_STARTING, ERROR, CANCELLED");
  EXPECT_EQ(error([](nlohmann::json& j) { j.erase("state"); }),
            "batch job JSON: field 'state' is missing");
  EXPECT_EQ(error([](nlohmann::json& j) { j["ref"].erase("id"); }),
            "batch job JSON: field 'ref.id' is missing");
  EXPECT_EQ(error([](nlohmann::json& j) { j["ref"]["id"] = 12; }),
            "batch job JSON: field 'ref.id' must be a string");
  EXPECT_EQ(error([](nlohmann::json& j) { j["message"] = nullptr; }),
            "batch job JSON: field 'message' is missing");
  EXPECT_EQ(error([](nlohmann::json& j) { j["stats"] = "fast"; }),
            "batch job JSON: field 'stats' must be an object");
  EXPECT_EQ(error([](nlohmann::json& j) { j["updated_at"] = "2022-02-06T05:43:14Z"; }),
            "batch job JSON: field 'updated_at' must be a UTC timestamp like "
            "2026-11-21T12:57:00.123Z");
  EXPECT_EQ(ErrorOf(BatchJobFromJson("job").status()), "batch job JSON: not an object");
}

// A job of many input files lists them, in order, and reads them back.
TEST(EntityJsonBatchJob, FilesOfAWatchingJobRoundTrip) {
  BatchJobRecord job = DemoJob();
  EXPECT_FALSE(BatchJobJson(job, Secrets::kMasked).contains("files")) << "none: no member";
  job.files.push_back({"day-1.csv", 1, JobFileState::kDone, "Processed 10 records",
                       nlohmann::json{{"rows", 10}, {"attempts", 1}}, 1644126192962,
                       1644126193962});
  job.files.push_back({"day-2.csv", 2, JobFileState::kFailed, "Row 3: bad timestamp",
                       nlohmann::json::object(), 1644126194000, 1644126195000});
  const nlohmann::json j = BatchJobJson(job, Secrets::kMasked);
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_EQ(j["files"][0], nlohmann::json::parse(R"({"name": "day-1.csv", "seq": 1,
      "state": "DONE", "message": "Processed 10 records", "stats": {"rows": 10, "attempts": 1},
      "first_seen": "2022-02-06T05:43:12.962Z", "updated_at": "2022-02-06T05:43:13.962Z"})"));
  EXPECT_EQ(j["files"][1]["state"], "FAILED");
  auto back = BatchJobFromJson(BatchJobJson(job, Secrets::kIncluded));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameJob(*back, job);
  EXPECT_FALSE(back->config.contains("files")) << "the files are not part of the config";
  ASSERT_EQ(back->files.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->files[i].name, job.files[i].name);
    EXPECT_EQ(back->files[i].seq, job.files[i].seq);
    EXPECT_EQ(back->files[i].state, job.files[i].state);
    EXPECT_EQ(back->files[i].message, job.files[i].message);
    EXPECT_EQ(back->files[i].stats, job.files[i].stats);
    EXPECT_EQ(back->files[i].first_seen, job.files[i].first_seen);
    EXPECT_EQ(back->files[i].updated_at, job.files[i].updated_at);
  }
  nlohmann::json bad = BatchJobJson(job, Secrets::kIncluded);
  bad["files"][1]["state"] = "GONE";
  EXPECT_EQ(ErrorOf(BatchJobFromJson(bad).status()),
            "batch job files[1] JSON: field 'state' must be one of NEW, PROCESSING, DONE, FAILED");
  bad["files"] = "many";
  EXPECT_EQ(ErrorOf(BatchJobFromJson(bad).status()),
            "batch job JSON: field 'files' must be an array");
}

}  // namespace
}  // namespace strm
