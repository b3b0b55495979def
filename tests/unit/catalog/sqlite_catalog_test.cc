#include "sqlite_catalog_fixture.h"

#include "privacy/builtin_contracts.h"

namespace strm {
namespace {

using namespace ::strm::catalog_testing;  // NOLINT(google-build-using-namespace)

// --- opening ---

TEST_F(SqliteCatalogTest, CreatesPrivateFilesInHome) {
  struct stat st;
  ASSERT_EQ(::stat((home_ + "/catalog.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((home_ + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

int64_t PageSizeOf(const std::string& db_path) {
  auto db = SqliteDb::Open(db_path);
  EXPECT_TRUE(db.ok()) << db.status().message();
  auto st = (*db)->Prepare("PRAGMA page_size");
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(*st->Step());
  return st->Int(0);
}

// New catalogs have 64 KiB pages (a checkpoint copies the key store's chunks in 16 times
// fewer calls); a catalog made with SQLite's default 4 KiB keeps them and still opens.
TEST_F(SqliteCatalogTest, NewCatalogsHave64KiBPagesOlderOnesKeepTheirs) {
  EXPECT_EQ(PageSizeOf(home_ + "/catalog.db"), 65536);
  const std::string old_home = (dir_ / "old").string();
  fs::create_directories(old_home);
  {
    auto db = SqliteDb::Open(old_home + "/catalog.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; "
                           "CREATE TABLE t(x); DROP TABLE t;")
                    .ok());
  }
  auto old = OpenSqliteCatalog(old_home);
  ASSERT_TRUE(old.ok()) << old.status().message();
  auto keys = (*old)->GetOrCreateKeys("g", {{"alice", 19029}});
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  old->reset();
  EXPECT_EQ(PageSizeOf(old_home + "/catalog.db"), 4096);
  auto again = OpenSqliteCatalog(old_home);
  ASSERT_TRUE(again.ok()) << again.status().message();
  auto found = (*again)->GetOrCreateKeys("g", {{"alice", 19029}});
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ((*found)[0].key_link, (*keys)[0].key_link);
}

TEST_F(SqliteCatalogTest, HomeThatCannotBeCreatedIsAnError) {
  std::ofstream(dir_ / "file") << "x";
  std::string home = (dir_ / "file" / "home").string();
  auto c = OpenSqliteCatalog(home);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIo);
  EXPECT_EQ(c.status().message(), "cannot create STRM_HOME " + home + ": Not a directory");
}

TEST_F(SqliteCatalogTest, BadEnvironmentMasterKeyIsAnError) {
  env_.Set("nope");
  auto c = OpenSqliteCatalog(home_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "STRM_MASTER_KEY must be 64 hex digits or the base64 of 32 bytes");
}

// STRM_MASTER_KEY_FILE (the packaged service's /etc/strm/master.key): read, never made, and
// refused when others can read it.
TEST_F(SqliteCatalogTest, TheMasterKeyCanComeFromAFileOutsideHome) {
  testing::EnvGuard guard("STRM_MASTER_KEY_FILE");
  const std::string key_file = (dir_ / "etc-master.key").string();
  ::setenv("STRM_MASTER_KEY_FILE", key_file.c_str(), 1);
  const std::string home = (dir_ / "service").string();
  auto missing = OpenSqliteCatalog(home);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "the master key file " + key_file + " (STRM_MASTER_KEY_FILE) does not exist");
  EXPECT_FALSE(fs::exists(key_file));
  EXPECT_FALSE(fs::exists(home + "/master.key"));
  std::ofstream(key_file) << std::string(64, 'a') << "\n";
  ::chmod(key_file.c_str(), 0644);
  auto exposed = OpenSqliteCatalog(home);
  ASSERT_FALSE(exposed.ok());
  EXPECT_EQ(exposed.status().code(), StatusCode::kPermissionDenied);
  ::chmod(key_file.c_str(), 0600);
  auto c = OpenSqliteCatalog(home);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE((*c)->CreateDataConnector(Connector("with-secret", "s3cr3t")).ok());
  EXPECT_FALSE(fs::exists(home + "/master.key"));
  c->reset();
  // The same key given directly opens what the file's key sealed.
  env_.Set(std::string(64, 'a'));
  ::unsetenv("STRM_MASTER_KEY_FILE");
  auto again = OpenSqliteCatalog(home);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)->GetDataConnector("with-secret")->credentials, "s3cr3t");
}

// --- job states ---

TEST(JobStateTest, NamesRoundTrip) {
  const std::pair<JobState, std::string_view> all[] = {{JobState::kPending, "PENDING"},
                                                       {JobState::kStarted, "STARTED"},
                                                       {JobState::kRunning, "RUNNING"},
                                                       {JobState::kFinished, "FINISHED"},
                                                       {JobState::kErrorStarting, "ERROR_STARTING"},
                                                       {JobState::kError, "ERROR"}};
  for (const auto& [state, name] : all) {
    EXPECT_EQ(JobStateName(state), name);
    auto parsed = ParseJobState(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(*parsed, state);
  }
  auto bad = ParseJobState("finished");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown batch job state 'finished'");
}

// --- data connectors ---

TEST_F(SqliteCatalogTest, ConnectorRoundTrip) {
  ASSERT_TRUE(catalog_->CreateDataConnector(Connector("databert-demo", "s3cr3t-value")).ok());
  auto c = catalog_->GetDataConnector("databert-demo");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->name, "databert-demo");
  EXPECT_EQ(c->type, "local");
  EXPECT_EQ(c->location, nlohmann::json({{"path", "/data/databert-demo"}}));
  EXPECT_EQ(c->credentials, "s3cr3t-value");
  EXPECT_EQ(c->created_at, 1644126192962);
}

TEST_F(SqliteCatalogTest, ConnectorWithoutCredentials) {
  ASSERT_TRUE(catalog_->CreateDataConnector(Connector("plain")).ok());
  auto c = catalog_->GetDataConnector("plain");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->credentials, "");
}

TEST_F(SqliteCatalogTest, DuplicateConnectorIsRefused) {
  ASSERT_TRUE(catalog_->CreateDataConnector(Connector("databert-demo")).ok());
  Status s = catalog_->CreateDataConnector(Connector("databert-demo", "other"));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "data connector 'databert-demo' already exists");
  EXPECT_EQ(catalog_->GetDataConnector("databert-demo")->credentials, "") << "unchanged";
}

TEST_F(SqliteCatalogTest, MissingConnector) {
  auto c = catalog_->GetDataConnector("nope");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(), "data connector 'nope' does not exist");
  Status s = catalog_->DeleteDataConnector("nope");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "data connector 'nope' does not exist");
}

TEST_F(SqliteCatalogTest, ConnectorsAreListedByNameAndDeleted) {
  auto empty = catalog_->ListDataConnectors();
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, IsEmpty());
  for (const char* name : {"zeta", "alpha", "mid-one"})
    ASSERT_TRUE(catalog_->CreateDataConnector(Connector(name, std::string("pw-") + name)).ok());
  auto names = [&] {
    std::vector<std::string> out;
    for (const auto& c : *catalog_->ListDataConnectors()) out.push_back(c.name);
    return out;
  };
  EXPECT_THAT(names(), ElementsAre("alpha", "mid-one", "zeta"));
  EXPECT_EQ((*catalog_->ListDataConnectors())[1].credentials, "pw-mid-one");

  ASSERT_TRUE(catalog_->DeleteDataConnector("mid-one").ok());
  EXPECT_THAT(names(), ElementsAre("alpha", "zeta"));
  EXPECT_EQ(catalog_->GetDataConnector("mid-one").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->DeleteDataConnector("mid-one").code(), StatusCode::kNotFound);
}

TEST_F(SqliteCatalogTest, CredentialsAreSealedAtRest) {
  ASSERT_TRUE(catalog_->CreateDataConnector(Connector("databert-demo", "s3cr3t-value")).ok());
  std::string raw = RawDbBytes();
  ASSERT_NE(raw.find("databert-demo"), std::string::npos) << "the raw read sees the row";
  EXPECT_EQ(raw.find("s3cr3t-value"), std::string::npos);
  EXPECT_EQ(raw.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(catalog_->GetDataConnector("databert-demo")->credentials, "s3cr3t-value");
}

TEST_F(SqliteCatalogTest, ConnectorsAreSeenByASecondCatalog) {
  ASSERT_TRUE(catalog_->CreateDataConnector(Connector("databert-demo", "s3cr3t-value")).ok());
  auto other = Open();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->GetDataConnector("databert-demo")->credentials, "s3cr3t-value");
}

// --- data contracts ---

TEST_F(SqliteCatalogTest, ContractRoundTrip) {
  DataContract demo = DemoContract();
  ASSERT_TRUE(catalog_->CreateDataContract(demo).ok());
  auto got = catalog_->GetDataContract(demo.ref);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, demo);
  EXPECT_EQ(got->key_field, "UserName");
  EXPECT_EQ(got->pii_fields.at("Email"), 1);
}

TEST_F(SqliteCatalogTest, DuplicateContractIsRefused) {
  ASSERT_TRUE(catalog_->CreateDataContract(DemoContract()).ok());
  Status s = catalog_->CreateDataContract(DemoContract());
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "data contract databert-handle/batch_job_public/1.0.0 already exists");
}

TEST_F(SqliteCatalogTest, MissingContract) {
  ContractRef ref = *ContractRef::Parse("databert-handle/batch_job_public/9.9.9");
  auto c = catalog_->GetDataContract(ref);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(),
            "data contract databert-handle/batch_job_public/9.9.9 does not exist");
  Status s = catalog_->DeleteDataContract(ref);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "data contract databert-handle/batch_job_public/9.9.9 does not exist");
}

TEST_F(SqliteCatalogTest, ContractsAreListedByRefAndDeleted) {
  const DataContract builtin = BuiltinContracts()[0];  // strmprivacy/example/1.3.0
  EXPECT_THAT(*catalog_->ListDataContracts(), ElementsAre(builtin));
  DataContract b = DemoContract("databert-handle/batch_job_public/1.0.1");
  DataContract a = DemoContract("databert-handle/batch_job_public/1.0.0");
  DataContract c = DemoContract("other-handle/demo/1.0.0");
  for (const auto& x : {c, b, a}) ASSERT_TRUE(catalog_->CreateDataContract(x).ok());
  auto list = catalog_->ListDataContracts();
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_THAT(*list, ElementsAre(a, b, c, builtin));

  ASSERT_TRUE(catalog_->DeleteDataContract(b.ref).ok());
  EXPECT_THAT(*catalog_->ListDataContracts(), ElementsAre(a, c, builtin));
  EXPECT_EQ(catalog_->GetDataContract(b.ref).status().code(), StatusCode::kNotFound);
}

// The built-in contract is answered, not stored: it cannot be made again or deleted.
TEST_F(SqliteCatalogTest, TheBuiltInContractIsThereAndStays) {
  const ContractRef ref = *ContractRef::Parse("strmprivacy/example/1.3.0");
  auto c = catalog_->GetDataContract(ref);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->key_field, "consistentValue");
  EXPECT_EQ(c->pii_fields,
            (std::map<std::string, int>{
                {"consistentValue", 2}, {"someSensitiveValue", 3}, {"uniqueIdentifier", 1}}));
  ASSERT_EQ(c->validations.size(), 1u);
  EXPECT_EQ(c->validations[0].field, "consistentValue");
  EXPECT_TRUE(c->is_public);
  EXPECT_EQ(c->schema.name, "DemoEvent");
  DataContract copy = *c;
  EXPECT_EQ(catalog_->CreateDataContract(copy).message(),
            "data contract strmprivacy/example/1.3.0 is built in");
  Status d = catalog_->DeleteDataContract(ref);
  EXPECT_EQ(d.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.message(),
            "data contract strmprivacy/example/1.3.0 is built in; it cannot be deleted");
  EXPECT_TRUE(catalog_->GetDataContract(ref).ok());
  // Its events' Avro schema, under both of its refs.
  EXPECT_TRUE(BuiltinAvroSchema("strmprivacy/example/1.3.0").has_value());
  EXPECT_EQ(BuiltinAvroSchema("strmprivacy/demo/1.0.2"),
            BuiltinAvroSchema("strmprivacy/example/1.3.0"));
  EXPECT_FALSE(BuiltinAvroSchema("strmprivacy/example/9.9.9").has_value());
}

// --- batch jobs ---

TEST_F(SqliteCatalogTest, JobRoundTrip) {
  BatchJobRecord job = Job("3b0e7ec4-3c55-4b3a-9a4e-1d2f3a4b5c6d", 1000);
  job.message = "queued";
  ASSERT_TRUE(catalog_->CreateBatchJob(job).ok());
  auto got = catalog_->GetBatchJob(job.id);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->id, job.id);
  EXPECT_EQ(got->config, job.config);
  EXPECT_EQ(got->state, JobState::kPending);
  EXPECT_EQ(got->message, "queued");
  EXPECT_EQ(got->stats, nlohmann::json::object());
  EXPECT_EQ(got->created_at, 1000);
  EXPECT_EQ(got->updated_at, 1000);
}

TEST_F(SqliteCatalogTest, DuplicateJobIsRefused) {
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-1", 1000)).ok());
  Status s = catalog_->CreateBatchJob(Job("job-1", 2000));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "batch job job-1 already exists");
}

TEST_F(SqliteCatalogTest, UpdateSetsStateMessageStatsAndTime) {
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-1", 1000)).ok());
  int64_t before = NowMillis();
  nlohmann::json stats = {{"rows", 10}, {"bytes", 1234}, {"seconds", 0.5}};
  ASSERT_TRUE(
      catalog_->UpdateBatchJob("job-1", JobState::kFinished, "Processed 10 records", stats).ok());
  auto got = catalog_->GetBatchJob("job-1");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->state, JobState::kFinished);
  EXPECT_EQ(got->message, "Processed 10 records");
  EXPECT_EQ(got->stats, stats);
  EXPECT_EQ(got->created_at, 1000);
  EXPECT_GE(got->updated_at, before);
  EXPECT_LE(got->updated_at, NowMillis());
  EXPECT_EQ(got->config, Job("job-1", 1000).config) << "the config is not touched";

  ASSERT_TRUE(catalog_->UpdateBatchJob("job-1", JobState::kError, "boom", {}).ok());
  EXPECT_EQ(catalog_->GetBatchJob("job-1")->state, JobState::kError);
  EXPECT_EQ(catalog_->GetBatchJob("job-1")->message, "boom");
}

TEST_F(SqliteCatalogTest, MissingJob) {
  auto got = catalog_->GetBatchJob("nope");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "batch job nope does not exist");
  Status u = catalog_->UpdateBatchJob("nope", JobState::kRunning, "", {});
  EXPECT_EQ(u.code(), StatusCode::kNotFound);
  EXPECT_EQ(u.message(), "batch job nope does not exist");
  Status d = catalog_->DeleteBatchJob("nope");
  EXPECT_EQ(d.code(), StatusCode::kNotFound);
  EXPECT_EQ(d.message(), "batch job nope does not exist");
}

TEST_F(SqliteCatalogTest, JobsAreListedOldestFirstAndDeleted) {
  EXPECT_THAT(*catalog_->ListBatchJobs(), IsEmpty());
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("b-middle", 2000)).ok());
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("c-newest", 3000)).ok());
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("a-oldest", 1000)).ok());
  auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& j : *catalog_->ListBatchJobs()) out.push_back(j.id);
    return out;
  };
  EXPECT_THAT(ids(), ElementsAre("a-oldest", "b-middle", "c-newest"));
  EXPECT_EQ((*catalog_->ListBatchJobs())[0].config["ref"]["id"], "a-oldest");

  ASSERT_TRUE(catalog_->DeleteBatchJob("b-middle").ok());
  EXPECT_THAT(ids(), ElementsAre("a-oldest", "c-newest"));
}

TEST_F(SqliteCatalogTest, JobConfigIsSealedAtRest) {
  BatchJobRecord job = Job("job-1", 1000);
  ASSERT_EQ(job.config["derived_data"][0]["masked_fields"]["seed"], "hi-there");
  ASSERT_TRUE(catalog_->CreateBatchJob(job).ok());
  std::string raw = RawDbBytes();
  ASSERT_NE(raw.find("job-1"), std::string::npos) << "the raw read sees the row";
  EXPECT_EQ(raw.find("hi-there"), std::string::npos);
  EXPECT_EQ(raw.find("databert-demo"), std::string::npos) << "the whole config is sealed";
  EXPECT_EQ(catalog_->GetBatchJob("job-1")->config["derived_data"][0]["masked_fields"]["seed"],
            "hi-there");
}

// --- the input files of a batch job ---

std::vector<std::string> NamesOf(const std::vector<BatchJobFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.name);
  return out;
}

TEST_F(SqliteCatalogTest, JobFilesAreAddedOnceInOrderOfAppearance) {
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-1", 1000)).ok());
  auto first = catalog_->AddBatchJobFiles("job-1", {"b.csv", "a.csv"});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_THAT(NamesOf(*first), ElementsAre("b.csv", "a.csv"));
  EXPECT_EQ((*first)[0].seq, 1);
  EXPECT_EQ((*first)[1].seq, 2);
  // Known names are left as they are; new ones follow the known ones.
  auto second = catalog_->AddBatchJobFiles("job-1", {"a.csv", "c.csv", "b.csv"});
  ASSERT_TRUE(second.ok()) << second.status().message();
  ASSERT_THAT(NamesOf(*second), ElementsAre("c.csv"));
  EXPECT_EQ((*second)[0].seq, 3);
  auto listed = catalog_->ListBatchJobFiles("job-1");
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  EXPECT_THAT(NamesOf(*listed), ElementsAre("b.csv", "a.csv", "c.csv"));
  for (const auto& f : *listed) {
    EXPECT_EQ(f.state, JobFileState::kNew);
    EXPECT_EQ(f.message, "");
    EXPECT_EQ(f.stats, nlohmann::json::object());
    EXPECT_GT(f.first_seen, 0);
  }
  // Another job's files are its own.
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-2", 2000)).ok());
  auto other = catalog_->AddBatchJobFiles("job-2", {"a.csv"});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)[0].seq, 1);
  EXPECT_EQ(catalog_->ListBatchJobFiles("job-1")->size(), 3u);
}

TEST_F(SqliteCatalogTest, JobFileUpdatesAreKeptAndFilesGoWithTheirJob) {
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-1", 1000)).ok());
  auto added = catalog_->AddBatchJobFiles("job-1", {"a.csv", "b.csv"});
  ASSERT_TRUE(added.ok());
  BatchJobFile a = (*added)[0];
  a.state = JobFileState::kDone;
  a.message = "Processed 10 records";
  a.stats = {{"rows", 10}, {"attempts", 1}};
  ASSERT_TRUE(catalog_->UpdateBatchJobFile("job-1", a).ok());
  auto listed = catalog_->ListBatchJobFiles("job-1");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].state, JobFileState::kDone);
  EXPECT_EQ((*listed)[0].message, "Processed 10 records");
  EXPECT_EQ((*listed)[0].stats, a.stats);
  EXPECT_EQ((*listed)[0].seq, 1) << "the order is not touched";
  EXPECT_EQ((*listed)[1].state, JobFileState::kNew);

  BatchJobFile missing = a;
  missing.name = "zzz.csv";
  Status s = catalog_->UpdateBatchJobFile("job-1", missing);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "batch job job-1 has no file 'zzz.csv'");
  auto no_job = catalog_->AddBatchJobFiles("nope", {"a.csv"});
  ASSERT_FALSE(no_job.ok());
  EXPECT_EQ(no_job.status().message(), "batch job nope does not exist");

  ASSERT_TRUE(catalog_->DeleteBatchJob("job-1").ok());
  EXPECT_THAT(*catalog_->ListBatchJobFiles("job-1"), IsEmpty());
  // A job made again under the same id starts with no files.
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-1", 3000)).ok());
  EXPECT_EQ((*catalog_->AddBatchJobFiles("job-1", {"b.csv"}))[0].seq, 1);
}

TEST(JobFileStateTest, NamesRoundTrip) {
  for (JobFileState s :
       {JobFileState::kNew, JobFileState::kProcessing, JobFileState::kDone, JobFileState::kFailed})
    EXPECT_EQ(*ParseJobFileState(JobFileStateName(s)), s);
  EXPECT_EQ(ParseJobFileState("DONE").value(), JobFileState::kDone);
  EXPECT_EQ(ParseJobFileState("done").status().message(), "unknown batch job file state 'done'");
}

}  // namespace
}  // namespace strm
