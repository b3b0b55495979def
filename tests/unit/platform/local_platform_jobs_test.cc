#include "local_platform_fixture.h"

namespace strm {
namespace {

using namespace ::strm::platform_testing;  // NOLINT(google-build-using-namespace)

// --- batch jobs ---

TEST_F(LocalPlatformTest, RunsTheDemoJob) {
  SetUpDemo();
  int64_t before = NowMillis();
  auto job = RunJob(ReadTestFile("demo/job.json"));
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_TRUE(IsUuid(job->id)) << job->id;
  EXPECT_EQ(job->state, JobState::kFinished);
  EXPECT_THAT(job->message, StartsWith("Processed 10 records in "));
  EXPECT_EQ(job->stats["rows"], 10);
  EXPECT_EQ(job->stats["rejected_rows"], 0);
  EXPECT_EQ(job->stats["keys"], 3);
  EXPECT_EQ(job->stats["files"], 1);
  EXPECT_EQ(job->stats["bytes"], ReadTestFile("demo/input.csv").size());
  EXPECT_TRUE(job->stats["seconds"].is_number());
  EXPECT_TRUE(job->stats["rows_per_second"].is_number());
  EXPECT_GE(job->created_at, before);
  EXPECT_GE(job->updated_at, job->created_at);
  for (const char* out : {"out/encrypted.csv", "out/keys.csv", "out/derived-2.csv"})
    EXPECT_TRUE(fs::is_regular_file(data_ / out)) << out;
  EXPECT_THAT(ProbeFiles(data_), IsEmpty());
  EXPECT_THAT(JobIds(), ElementsAre(job->id));

  // The platform's own view shows the seeds in full (redaction is the front end's job).
  auto stored = platform_->GetBatchJob(job->id);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->config["ref"]["id"], job->id);
  EXPECT_EQ(stored->config["derived_data"][0]["masked_fields"]["seed"], "hi-there");
  EXPECT_EQ(stored->state, JobState::kFinished);
  EXPECT_EQ(stored->message, job->message);
}

TEST_F(LocalPlatformTest, ReportsProgressToTheCaller) {
  SetUpDemo();
  uint64_t last_rows = 0;
  SubmitBatchJobOptions options;
  options.threads = 1;
  FollowOptions follow;
  follow.on_progress = [&](const JobProgress& p) {
    EXPECT_GE(p.rows, last_rows);
    last_rows = p.rows;
  };
  auto job =
      RunBatchJobToEnd(*platform_, ReadTestFile("demo/job.json"), "job.json", options, follow);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_LE(last_rows, 10u);
}

TEST_F(LocalPlatformTest, AnEmptySeedGetsARandomOneStoredWithTheJob) {
  SetUpDemo();
  nlohmann::json j = DemoJob();
  j["derived_data"][0]["masked_fields"]["seed"] = "";
  auto job = RunJob(j);
  ASSERT_TRUE(job.ok()) << job.status().message();
  std::string seed = job->config["derived_data"][0]["masked_fields"]["seed"];
  EXPECT_THAT(seed, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(platform_->GetBatchJob(job->id)->config["derived_data"][0]["masked_fields"]["seed"],
            seed);

  auto second = RunJob(j);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_NE(second->config["derived_data"][0]["masked_fields"]["seed"], seed) << "random";
}

TEST_F(LocalPlatformTest, AJobFileMayCarryItsIdButNotTwice) {
  SetUpDemo();
  nlohmann::json j = DemoJob();
  j["ref"]["id"] = "9d6f6c1e-2b1a-4c3e-8f4d-5a6b7c8d9e0f";
  auto job = RunJob(j);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->id, "9d6f6c1e-2b1a-4c3e-8f4d-5a6b7c8d9e0f");
  auto again = RunJob(j);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(),
            "batch job 9d6f6c1e-2b1a-4c3e-8f4d-5a6b7c8d9e0f already exists");
  EXPECT_THAT(JobIds(), ElementsAre("9d6f6c1e-2b1a-4c3e-8f4d-5a6b7c8d9e0f"));
}

TEST_F(LocalPlatformTest, AnInvalidJobFileCreatesNoJob) {
  SetUpDemo();
  std::string text = ReadTestFile("demo/job.json");
  text.replace(text.find("\"file_name\": \"input.csv\""), 11, "\"fileNme\"");
  auto job = RunJob(text);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(job.status().message(), "job.json line 5: unknown key 'fileNme' in source_data");
  EXPECT_THAT(JobIds(), IsEmpty());
  EXPECT_FALSE(fs::exists(data_ / "out"));
}

TEST_F(LocalPlatformTest, AJobWithAMissingConnectorCreatesNoJob) {
  SetUpDemo();
  nlohmann::json j = DemoJob();
  j["encrypted_data"]["target"]["data_connector_ref"]["name"] = "missing-conn";
  auto job = RunJob(j);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(job.status().message(), "job.json: data connector 'missing-conn' does not exist");
  EXPECT_THAT(JobIds(), IsEmpty());
  EXPECT_FALSE(fs::exists(data_ / "out"));
}

TEST_F(LocalPlatformTest, AJobWithAMissingContractCreatesNoJob) {
  SetUpDemo();
  nlohmann::json j = DemoJob();
  j["event_contract_ref"]["version"] = "9.9.9";
  auto job = RunJob(j);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(job.status().message(),
            "data contract databert-handle/batch_job_public/9.9.9 does not exist");
  EXPECT_THAT(JobIds(), IsEmpty());
}

TEST_F(LocalPlatformTest, AJobThatFailsOnARowIsStoredWithStateError) {
  SetUpDemo();
  std::string input = ReadTestFile("demo/input.csv");
  size_t row1_end = input.find('\n', input.find('\n') + 1) + 1;
  WriteFile(
      data_ / "input.csv",
      input.substr(0, row1_end) + "s,u,2022-02-06 06.43.12.962083:+0100,not-an-email,a,1,b,2,1\n");
  auto job = RunJob(ReadTestFile("demo/job.json"));
  ASSERT_FALSE(job.ok());
  std::vector<std::string> ids = JobIds();
  ASSERT_EQ(ids.size(), 1u);
  const std::string row_error =
      "Validation failed in row 2 of input.csv: field 'Email' does not match ^[^@]+@[^@]+$";
  EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(job.status().message(), "batch job " + ids[0] + " failed: " + row_error);
  auto stored = platform_->GetBatchJob(ids[0]);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->state, JobState::kError);
  EXPECT_EQ(stored->message, row_error);
  EXPECT_FALSE(fs::exists(data_ / "out" / "encrypted.csv")) << "nothing is half-written";

  // Only the input can be previewed: no output was written.
  auto preview = platform_->PreviewBatchJob(ids[0], 5);
  ASSERT_TRUE(preview.ok()) << preview.status().message();
  ASSERT_EQ(preview->size(), 1u);
  EXPECT_EQ((*preview)[0].title, "input (input.csv)");
  EXPECT_EQ((*preview)[0].rows.size(), 2u);
}

// A timestamp or consent field that the contract declares PII: its value appears in no
// message, and so neither in the job's record nor anywhere in the catalog's files.
TEST_F(LocalPlatformTest, PersonalValuesAreNeverQuotedNorStored) {
  auto c = platform_->CreateDataConnector(Local("databert-demo", data_));
  ASSERT_TRUE(c.ok()) << c.status().message();
  nlohmann::json schema = nlohmann::json::parse(ReadTestFile("demo/schema.json"));
  schema["nodes"].push_back({{"type", "STRING"}, {"name", "Timestamp"}});
  auto contract = platform_->CreateDataContract(
      *ContractRef::Parse(kDemoRef), schema.dump(),
      R"({"keyField": "UserName", "piiFields": {"Email": 1, "Timestamp": 1, "PrivacyPlane": 2}})");
  ASSERT_TRUE(contract.ok()) << contract.status().message();
  const std::string header =
      ReadTestFile("demo/input.csv").substr(0, ReadTestFile("demo/input.csv").find('\n') + 1);
  struct Case {
    std::string row;
    std::string secret;   // the personal value in the row
    std::string message;  // the job's message
    nlohmann::json job;
  };
  nlohmann::json no_default = DemoJob();
  no_default["consent"].erase("default_consent_levels");
  const std::vector<Case> cases = {
      {"s,u,born 1970-03-14 in Utrecht,e@x.y,a,1,b,2,1\n", "born 1970-03-14 in Utrecht",
       "Invalid timestamp in row 1 of input.csv (personal data, not shown): expected "
       "yyyy-MM-dd HH.mm.ss.nnnnnn:Z",
       DemoJob()},
      {"s,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,member-since-1970-03-14\n",
       "member-since-1970-03-14",
       "Invalid consent in row 1 of input.csv: unknown consent value in field 'PrivacyPlane' "
       "(personal data, not shown) and no default_consent_levels",
       no_default},
  };
  for (const Case& k : cases) {
    WriteFile(data_ / "input.csv", header + k.row);
    auto job = RunJob(k.job);
    ASSERT_FALSE(job.ok());
    EXPECT_THAT(job.status().message(), EndsWith(k.message));
    EXPECT_EQ(job.status().message().find(k.secret), std::string::npos);
  }
  for (const auto& j : *platform_->ListBatchJobs()) {
    EXPECT_EQ(j.state, JobState::kError);
    for (const Case& k : cases) EXPECT_EQ(j.message.find(k.secret), std::string::npos);
  }
  platform_.reset();  // every byte written, then look at the files themselves
  for (const auto& e : fs::directory_iterator(dir_ / "home")) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    for (const Case& k : cases)
      EXPECT_EQ(bytes.find(k.secret), std::string::npos) << e.path() << " holds " << k.secret;
  }
}

TEST_F(LocalPlatformTest, AJobWhoseConnectorBrokeEndsInErrorStarting) {
  SetUpDemo();
  fs::path out_dir = dir_ / "out-dir";
  ASSERT_TRUE(platform_->CreateDataConnector(Local("output-conn", out_dir)).ok());
  fs::remove_all(out_dir);
  WriteFile(out_dir, "now a regular file");
  nlohmann::json j = DemoJob();
  j["encrypted_data"]["target"]["data_connector_ref"]["name"] = "output-conn";
  auto job = RunJob(j);
  ASSERT_FALSE(job.ok());
  std::vector<std::string> ids = JobIds();
  ASSERT_EQ(ids.size(), 1u);
  auto stored = platform_->GetBatchJob(ids[0]);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, JobState::kErrorStarting);
  EXPECT_EQ(stored->message, "data connector 'output-conn': cannot create directory " +
                                 out_dir.string() + ": Not a directory");
  EXPECT_EQ(job.status().message(), "batch job " + ids[0] + " failed: " + stored->message);
  EXPECT_FALSE(fs::exists(data_ / "out"));
}

TEST_F(LocalPlatformTest, ConnectorsInUseAreNotDeletedUnlessRecursive) {
  SetUpDemo();
  ASSERT_TRUE(platform_->CreateDataConnector(Local("spare-conn", dir_ / "spare")).ok());
  auto job = RunJob(ReadTestFile("demo/job.json"));
  ASSERT_TRUE(job.ok()) << job.status().message();

  auto deps = platform_->DataConnectorDependents("databert-demo");
  ASSERT_TRUE(deps.ok()) << deps.status().message();
  EXPECT_THAT(*deps, ElementsAre(job->id));
  EXPECT_THAT(*platform_->DataConnectorDependents("spare-conn"), IsEmpty());

  Status s = platform_->DeleteDataConnector("databert-demo", false);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "data connector 'databert-demo' is used by 1 batch job (" + job->id +
                             "); delete them first, or use --recursive");
  EXPECT_TRUE(platform_->GetDataConnector("databert-demo").ok());
  EXPECT_THAT(JobIds(), ElementsAre(job->id));

  ASSERT_TRUE(platform_->DeleteDataConnector("spare-conn", false).ok());
  ASSERT_TRUE(platform_->DeleteDataConnector("databert-demo", true).ok());
  EXPECT_EQ(platform_->GetDataConnector("databert-demo").status().code(), StatusCode::kNotFound);
  EXPECT_THAT(JobIds(), IsEmpty()) << "the dependent job went with it";
  EXPECT_TRUE(fs::is_regular_file(data_ / "out" / "encrypted.csv")) << "the data stays";
}

TEST_F(LocalPlatformTest, DependentsListEveryJobOldestFirst) {
  SetUpDemo();
  ASSERT_TRUE(platform_->CreateDataConnector(Local("keys-conn", dir_ / "keys")).ok());
  auto first = RunJob(ReadTestFile("demo/job.json"));
  ASSERT_TRUE(first.ok()) << first.status().message();
  nlohmann::json j = DemoJob();
  j["encryption_keys_data"]["target"]["data_connector_ref"]["name"] = "keys-conn";
  auto second = RunJob(j);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_TRUE(fs::is_regular_file(dir_ / "keys" / "out" / "keys.csv"));

  EXPECT_THAT(*platform_->DataConnectorDependents("databert-demo"),
              ElementsAre(first->id, second->id));
  EXPECT_THAT(*platform_->DataConnectorDependents("keys-conn"), ElementsAre(second->id));
  Status s = platform_->DeleteDataConnector("databert-demo", false);
  EXPECT_EQ(s.message(), "data connector 'databert-demo' is used by 2 batch jobs (" + first->id +
                             ", " + second->id + "); delete them first, or use --recursive");

  ASSERT_TRUE(platform_->DeleteBatchJob(first->id).ok());
  EXPECT_THAT(*platform_->DataConnectorDependents("databert-demo"), ElementsAre(second->id));
  Status missing = platform_->DeleteBatchJob(first->id);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "batch job " + first->id + " does not exist");
}

TEST_F(LocalPlatformTest, PreviewsInputAndOutputs) {
  SetUpDemo();
  auto job = RunJob(ReadTestFile("demo/job.json"));
  ASSERT_TRUE(job.ok()) << job.status().message();
  auto preview = platform_->PreviewBatchJob(job->id, 5);
  ASSERT_TRUE(preview.ok()) << preview.status().message();
  ASSERT_EQ(preview->size(), 4u);
  const auto& p = *preview;
  EXPECT_EQ(p[0].title, "input (input.csv)");
  EXPECT_EQ(p[0].header, kDemoInputHeader);
  ASSERT_EQ(p[0].rows.size(), 5u);
  EXPECT_EQ(p[0].rows[0][0], "session_1");
  EXPECT_EQ(p[0].rows[0][3], "ibthtfnf@mbeito.com");
  EXPECT_EQ(p[0].rows[4][0], "session_3");

  EXPECT_EQ(p[1].title, "encrypted_data (out/encrypted.csv)");
  EXPECT_EQ(p[1].header, kDemoOutputHeader);
  ASSERT_EQ(p[1].rows.size(), 5u);
  EXPECT_EQ(p[1].rows[0][0], "session_1");
  EXPECT_NE(p[1].rows[0][2], "ibthtfnf@mbeito.com") << "Email is encrypted";

  EXPECT_EQ(p[2].title, "derived_data[0] (out/derived-2.csv)");
  EXPECT_EQ(p[2].header, kDemoOutputHeader);
  EXPECT_EQ(p[2].rows.size(), 3u) << "only 3 rows have consent level 2";

  EXPECT_EQ(p[3].title, "encryption_keys_data (out/keys.csv)");
  EXPECT_THAT(p[3].header, ElementsAre("keyLink", "encryptionKey", "policyId", "expiresAt"));
  ASSERT_EQ(p[3].rows.size(), 3u);
  EXPECT_EQ(p[3].rows[0][3], "1865030400000");
  EXPECT_EQ(p[3].rows[0][0], p[1].rows[0][11]) << "the first row's keyLink";

  auto two = platform_->PreviewBatchJob(job->id, 2);
  ASSERT_TRUE(two.ok());
  for (const auto& part : *two) EXPECT_EQ(part.rows.size(), 2u) << part.title;

  auto missing = platform_->PreviewBatchJob("nope", 5);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "batch job nope does not exist");
}

}  // namespace
}  // namespace strm
