#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/bytes.h"
#include "platform/platform.h"
#include "platform/process_identity.h"
#include "testing/test_support.h"

namespace strm {
namespace {

using ::strm::testing::kDemoInputHeader;
using ::strm::testing::kDemoOutputHeader;
using ::strm::testing::MasterKeyEnv;
using ::strm::testing::ReadTestFile;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr std::string_view kDemoRef = "databert-handle/batch_job_public/1.0.0";

void WriteFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

nlohmann::json DemoJob() { return nlohmann::json::parse(ReadTestFile("demo/job.json")); }

TEST(ValidateEntityNameTest, AcceptsFourToOneHundredPrintableCharacters) {
  for (const std::string& name :
       {std::string("abcd"), std::string(100, 'x'), std::string("databert-demo"),
        std::string("A_b.c-1~!@#$%^&*()")}) {
    EXPECT_TRUE(ValidateEntityName("data connector", name).ok()) << name;
  }
}

TEST(ValidateEntityNameTest, RejectsBadLengths) {
  for (const std::string& name : {std::string(), std::string("abc"), std::string(101, 'x')}) {
    Status s = ValidateEntityName("data connector", name);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(s.message(), "data connector name '" + name + "' must have 4 to 100 characters");
  }
}

TEST(ValidateEntityNameTest, RejectsSpacesSlashesAndNonPrintables) {
  for (const std::string& name :
       {std::string("my conn"), std::string("a/bcd"), std::string("tab\there"),
        std::string("del\x7f-x"), std::string("caf\xC3\xA9-x"), std::string("nul\0xx", 6)}) {
    Status s = ValidateEntityName("batch job", name);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "batch job name '" + name +
                               "' may hold only printable characters other than '/' and spaces");
  }
}

class LocalPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-platform-" + NewUuidV4());
    data_ = dir_ / "data";
    auto p = OpenLocalPlatform((dir_ / "home").string());
    ASSERT_TRUE(p.ok()) << p.status().message();
    platform_ = std::move(p).value();
  }
  void TearDown() override {
    platform_.reset();
    std::error_code ec;
    fs::permissions(dir_ / "locked", fs::perms::owner_all, ec);
    fs::remove_all(dir_);
  }

  static DataConnector Local(const std::string& name, const fs::path& path) {
    DataConnector c;
    c.name = name;
    c.type = "local";
    c.location = {{"path", path.string()}};
    return c;
  }

  // The demo's connector, contract and input.
  void SetUpDemo() {
    auto c = platform_->CreateDataConnector(Local("databert-demo", data_));
    ASSERT_TRUE(c.ok()) << c.status().message();
    auto contract = platform_->CreateDataContract(*ContractRef::Parse(kDemoRef),
                                                  ReadTestFile("demo/schema.json"),
                                                  ReadTestFile("demo/contract.json"));
    ASSERT_TRUE(contract.ok()) << contract.status().message();
    WriteFile(data_ / "input.csv", ReadTestFile("demo/input.csv"));
  }

  Result<BatchJobRecord> RunJob(const std::string& job_json) {
    CreateBatchJobOptions options;
    options.threads = 2;
    return platform_->CreateBatchJob(job_json, "job.json", options);
  }
  Result<BatchJobRecord> RunJob(const nlohmann::json& job) { return RunJob(job.dump(2)); }

  std::vector<std::string> JobIds() {
    std::vector<std::string> ids;
    auto jobs = platform_->ListBatchJobs();
    EXPECT_TRUE(jobs.ok()) << jobs.status().message();
    if (jobs.ok())
      for (const auto& j : *jobs) ids.push_back(j.id);
    return ids;
  }

  std::vector<std::string> ProbeFiles(const fs::path& dir) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().filename().string().find(".strm_test_") != std::string::npos)
        found.push_back(e.path().string());
    return found;
  }

  MasterKeyEnv env_;
  fs::path dir_, data_;
  std::unique_ptr<Platform> platform_;
};

// --- data connectors ---

TEST_F(LocalPlatformTest, CreatesALocalConnectorAfterAnAccessCheck) {
  int64_t before = NowMillis();
  auto c = platform_->CreateDataConnector(Local("databert-demo", data_));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->name, "databert-demo");
  EXPECT_GE(c->created_at, before);
  EXPECT_TRUE(fs::is_directory(data_)) << "the directory is created";
  EXPECT_THAT(ProbeFiles(data_), IsEmpty()) << "the test object is deleted again";
  EXPECT_TRUE(fs::is_empty(data_)) << "nothing is left behind";

  auto got = platform_->GetDataConnector("databert-demo");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->location, nlohmann::json({{"path", data_.string()}}));
  EXPECT_EQ(got->created_at, c->created_at);
  auto list = platform_->ListDataConnectors();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "databert-demo");
}

TEST_F(LocalPlatformTest, ConnectorNamesAreValidated) {
  auto c = platform_->CreateDataConnector(Local("abc", data_));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "data connector name 'abc' must have 4 to 100 characters");
  c = platform_->CreateDataConnector(Local("my demo", data_));
  EXPECT_EQ(c.status().message(),
            "data connector name 'my demo' may hold only printable characters other than '/' "
            "and spaces");
  EXPECT_THAT(*platform_->ListDataConnectors(), IsEmpty());
}

TEST_F(LocalPlatformTest, DuplicateConnectorIsRefused) {
  ASSERT_TRUE(platform_->CreateDataConnector(Local("databert-demo", data_)).ok());
  auto c = platform_->CreateDataConnector(Local("databert-demo", dir_ / "elsewhere"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(c.status().message(), "data connector 'databert-demo' already exists");
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere")) << "refused before touching the location";
}

TEST_F(LocalPlatformTest, UnsupportedTypeOrMissingPathIsRefused) {
  DataConnector ftp = Local("bucket", data_);
  ftp.type = "ftp";
  auto c = platform_->CreateDataConnector(ftp);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "data connector 'bucket': unsupported type 'ftp'");

  DataConnector no_bucket = Local("no-bucket", data_);
  no_bucket.type = "s3";
  no_bucket.location = {{"path", "/tmp"}};
  EXPECT_EQ(platform_->CreateDataConnector(no_bucket).status().message(),
            "data connector 'no-bucket': the location has no bucket_name");

  DataConnector no_path = Local("no-path", data_);
  no_path.location = nlohmann::json::object();
  c = platform_->CreateDataConnector(no_path);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "data connector 'no-path': the location has no path");

  no_path.location = {{"path", 42}};
  EXPECT_EQ(platform_->CreateDataConnector(no_path).status().message(),
            "data connector 'no-path': the location has no path");
  EXPECT_THAT(*platform_->ListDataConnectors(), IsEmpty());
}

TEST_F(LocalPlatformTest, ConnectorWhoseDirectoryCannotBeCreatedIsNotCreated) {
  WriteFile(dir_ / "file", "a regular file, not a directory");
  fs::path path = dir_ / "file" / "sub";
  auto c = platform_->CreateDataConnector(Local("blocked", path));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIo);
  EXPECT_EQ(c.status().message(), "data connector 'blocked': cannot create directory " +
                                      path.string() + ": Not a directory");
  EXPECT_EQ(platform_->GetDataConnector("blocked").status().code(), StatusCode::kNotFound);
  EXPECT_THAT(*platform_->ListDataConnectors(), IsEmpty());
}

TEST_F(LocalPlatformTest, ConnectorOnAReadOnlyDirectoryIsNotCreated) {
  fs::path locked = dir_ / "locked";
  fs::create_directories(locked);
  ASSERT_EQ(::chmod(locked.c_str(), 0500), 0);
  if (::access(locked.c_str(), W_OK) == 0)
    GTEST_SKIP() << "running as root (or with CAP_DAC_OVERRIDE): mode 0500 does not stop "
                    "writes; ConnectorWhoseDirectoryCannotBeCreatedIsNotCreated covers refusal";
  auto c = platform_->CreateDataConnector(Local("locked-dir", locked));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(c.status().message(),
              StartsWith("data connector 'locked-dir': cannot write a test object: cannot create "
                         "a temporary file for " +
                         locked.string() + "/.strm_test_"));
  EXPECT_THAT(c.status().message(), EndsWith(": Permission denied"));
  EXPECT_THAT(*platform_->ListDataConnectors(), IsEmpty());
}

TEST_F(LocalPlatformTest, DeletingAMissingConnectorFails) {
  Status s = platform_->DeleteDataConnector("nope", false);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "data connector 'nope' does not exist");
  EXPECT_EQ(platform_->DeleteDataConnector("nope", true).code(), StatusCode::kNotFound);
}

TEST_F(LocalPlatformTest, UnusedConnectorIsDeleted) {
  ASSERT_TRUE(platform_->CreateDataConnector(Local("databert-demo", data_)).ok());
  auto deps = platform_->DataConnectorDependents("databert-demo");
  ASSERT_TRUE(deps.ok());
  EXPECT_THAT(*deps, IsEmpty());
  ASSERT_TRUE(platform_->DeleteDataConnector("databert-demo", false).ok());
  EXPECT_EQ(platform_->GetDataConnector("databert-demo").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs::is_directory(data_)) << "the data is not deleted";
}

// --- data contracts ---

TEST_F(LocalPlatformTest, CreatesTheDemoContract) {
  ContractRef ref = *ContractRef::Parse(kDemoRef);
  auto c = platform_->CreateDataContract(ref, ReadTestFile("demo/schema.json"),
                                         ReadTestFile("demo/contract.json"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->ref, ref);
  EXPECT_EQ(c->key_field, "UserName");
  EXPECT_EQ(c->pii_fields,
            (std::map<std::string, int>{{"Email", 1}, {"PrivateFieldA", 2}, {"PrivateFieldB", 2}}));
  auto got = platform_->GetDataContract(ref);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, *c);
  EXPECT_THAT(*platform_->ListDataContracts(), ElementsAre(*c));

  auto again = platform_->CreateDataContract(ref, ReadTestFile("demo/schema.json"),
                                             ReadTestFile("demo/contract.json"));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(),
            "data contract databert-handle/batch_job_public/1.0.0 already exists");

  ASSERT_TRUE(platform_->DeleteDataContract(ref).ok());
  EXPECT_THAT(*platform_->ListDataContracts(), IsEmpty());
  Status s = platform_->DeleteDataContract(ref);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "data contract databert-handle/batch_job_public/1.0.0 does not exist");
  EXPECT_EQ(platform_->GetDataContract(ref).status().message(),
            "data contract databert-handle/batch_job_public/1.0.0 does not exist");
}

TEST_F(LocalPlatformTest, ContractErrorsArePassedThrough) {
  ContractRef ref = *ContractRef::Parse(kDemoRef);
  std::string contract = ReadTestFile("demo/contract.json");
  contract.replace(contract.find("\"UserName\""), 10, "\"UserNme\"");
  auto c = platform_->CreateDataContract(ref, ReadTestFile("demo/schema.json"), contract);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(),
            "contract databert-handle/batch_job_public/1.0.0: key field 'UserNme' is not in the "
            "schema");

  auto bad_schema = platform_->CreateDataContract(ref, "{\"nodes\": 1}", contract);
  ASSERT_FALSE(bad_schema.ok());
  EXPECT_EQ(bad_schema.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_schema.status().message(), "schema: missing name");
  EXPECT_THAT(*platform_->ListDataContracts(), IsEmpty());
}

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
  CreateBatchJobOptions options;
  options.threads = 1;
  options.on_progress = [&](const JobProgress& p) {
    EXPECT_GE(p.rows, last_rows);
    last_rows = p.rows;
  };
  auto job = platform_->CreateBatchJob(ReadTestFile("demo/job.json"), "job.json", options);
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

TEST_F(LocalPlatformTest, StateSurvivesReopening) {
  SetUpDemo();
  auto job = RunJob(ReadTestFile("demo/job.json"));
  ASSERT_TRUE(job.ok()) << job.status().message();
  platform_.reset();
  auto reopened = OpenLocalPlatform((dir_ / "home").string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  platform_ = std::move(reopened).value();
  EXPECT_THAT(JobIds(), ElementsAre(job->id));
  EXPECT_EQ(platform_->GetBatchJob(job->id)->message, job->message);
  EXPECT_TRUE(platform_->GetDataConnector("databert-demo").ok());
  EXPECT_TRUE(platform_->GetDataContract(*ContractRef::Parse(kDemoRef)).ok());
}

TEST(OpenLocalPlatformTest, HomeThatCannotBeCreatedIsAnError) {
  fs::path dir = fs::temp_directory_path() / ("strm-platform-" + NewUuidV4());
  WriteFile(dir / "file", "x");
  std::string home = (dir / "file" / "home").string();
  auto p = OpenLocalPlatform(home);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "cannot create STRM_HOME " + home + ": Not a directory");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace strm

namespace strm {
namespace {

class OrphanedJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("strm-orphan-" + NewUuidV4());
    catalog_ = std::move(OpenSqliteCatalog(home_.string())).value();
  }
  void TearDown() override { fs::remove_all(home_); }

  // A RUNNING job record whose runner is `runner`, written as a running strm would.
  std::string AddRunningJob(const ProcessIdentity& runner) {
    BatchJobRecord job;
    job.id = NewUuidV4();
    job.config = {{"note", "not parsed by this test"}};
    job.state = JobState::kRunning;
    job.stats = {{"runner", runner.ToJson()}, {"rows", 10}};
    job.created_at = job.updated_at = NowMillis();
    EXPECT_TRUE(catalog_->CreateBatchJob(job).ok());
    return job.id;
  }

  static int64_t DeadPid() {
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child;
  }

  testing::MasterKeyEnv env_;
  fs::path home_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(OrphanedJobTest, AJobWhoseProcessEndedIsShownAsError) {
  ProcessIdentity gone = CurrentProcess();
  gone.pid = DeadPid();
  std::string id = AddRunningJob(gone);
  auto platform = std::move(OpenLocalPlatform(home_.string())).value();
  auto job = platform->GetBatchJob(id);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->state, JobState::kError);
  EXPECT_EQ(job->message, "the strm process that ran this job (pid " + std::to_string(gone.pid) +
                              ") ended before the job finished");
  // The state is stored, not only shown.
  EXPECT_EQ(catalog_->GetBatchJob(id)->state, JobState::kError);
  auto listed = platform->ListBatchJobs();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].state, JobState::kError);
}

TEST_F(OrphanedJobTest, JobsOfLiveProcessesAndOtherHostsStayRunning) {
  std::string mine = AddRunningJob(CurrentProcess());
  ProcessIdentity elsewhere = CurrentProcess();
  elsewhere.host = "another-host";
  elsewhere.pid = DeadPid();
  std::string other = AddRunningJob(elsewhere);
  auto platform = std::move(OpenLocalPlatform(home_.string())).value();
  EXPECT_EQ(platform->GetBatchJob(mine)->state, JobState::kRunning);
  EXPECT_EQ(platform->GetBatchJob(other)->state, JobState::kRunning);
}

}  // namespace
}  // namespace strm
