#include "local_platform_fixture.h"
#include "privacy/builtin_contracts.h"

namespace strm {
namespace {

using namespace ::strm::platform_testing;  // NOLINT(google-build-using-namespace)

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
  EXPECT_THAT(*platform_->ListDataContracts(), ElementsAre(*c, BuiltinContracts()[0]));

  auto again = platform_->CreateDataContract(ref, ReadTestFile("demo/schema.json"),
                                             ReadTestFile("demo/contract.json"));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(),
            "data contract databert-handle/batch_job_public/1.0.0 already exists");

  ASSERT_TRUE(platform_->DeleteDataContract(ref).ok());
  EXPECT_THAT(*platform_->ListDataContracts(), ElementsAre(BuiltinContracts()[0]));
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
  EXPECT_THAT(*platform_->ListDataContracts(), ElementsAre(BuiltinContracts()[0]));
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
