// The catalog's numbered migrations: new catalogs, catalogs of the previous release (the
// fixture tests/data/catalog-v1, made before migrations were numbered), catalogs newer than
// the binary, and two processes migrating one catalog.
#include "catalog/sqlite_migrations.h"

#include "sqlite_catalog_fixture.h"

namespace strm {
namespace {

using namespace ::strm::catalog_testing;  // NOLINT(google-build-using-namespace)

// The fixture's master key (a test key, written in tests/data/catalog-v1/README.md).
constexpr char kFixtureMasterKey[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kFixtureJobId[] = "d637b559-4025-41c1-9d71-3d97b873d0e8";

int VersionOf(const std::string& db_path) {
  auto db = SqliteDb::Open(db_path);
  EXPECT_TRUE(db.ok()) << db.status().message();
  auto version = SqliteCatalogVersion(**db);
  EXPECT_TRUE(version.ok()) << version.status().message();
  return version.ok() ? *version : -1;
}

bool HasTable(const std::string& db_path, const std::string& table) {
  auto db = SqliteDb::Open(db_path);
  EXPECT_TRUE(db.ok());
  auto st = (*db)->Prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
  EXPECT_TRUE(st.ok());
  st->Bind(1, table);
  EXPECT_TRUE(*st->Step());
  return st->Int(0) == 1;
}

TEST(SqliteMigrations, AreNumberedFromOneWithoutGaps) {
  int expected = 1;
  for (const SqliteMigration& m : SqliteMigrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.what.empty());
    EXPECT_FALSE(m.sql.empty());
  }
  EXPECT_EQ(SqliteSchemaVersion(), expected - 1);
  EXPECT_GE(SqliteSchemaVersion(), 2);
}

TEST_F(SqliteCatalogTest, ANewCatalogIsAtTheLatestVersion) {
  EXPECT_EQ(VersionOf(home_ + "/catalog.db"), SqliteSchemaVersion());
  EXPECT_TRUE(HasTable(home_ + "/catalog.db", "api_tokens"));
  EXPECT_TRUE(HasTable(home_ + "/catalog.db", "key_chunks"));
  EXPECT_TRUE(HasTable(home_ + "/catalog.db", "batch_job_files"));
  EXPECT_TRUE(HasTable(home_ + "/catalog.db", "streams"));
}

// The catalog made by the release before numbered migrations (see its README): it opens with
// its master key, is migrated once, and everything in it reads back, its keys included.
TEST_F(SqliteCatalogTest, ACatalogOfThePreviousReleaseOpensAndMigrates) {
  const std::string old_home = (dir_ / "v1").string();
  fs::create_directories(old_home);
  fs::copy_file(fs::path(STRM_TEST_DATA_DIR) / "catalog-v1/catalog.db", old_home + "/catalog.db");
  ASSERT_EQ(VersionOf(old_home + "/catalog.db"), 0);
  ASSERT_FALSE(HasTable(old_home + "/catalog.db", "api_tokens"));
  env_.Set(kFixtureMasterKey);

  auto catalog = OpenSqliteCatalog(old_home);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  EXPECT_EQ(VersionOf(old_home + "/catalog.db"), SqliteSchemaVersion());
  EXPECT_TRUE(HasTable(old_home + "/catalog.db", "api_tokens"));
  EXPECT_TRUE(HasTable(old_home + "/catalog.db", "batch_job_files"));

  auto connectors = (*catalog)->ListDataConnectors();
  ASSERT_TRUE(connectors.ok());
  ASSERT_EQ(connectors->size(), 1u);
  EXPECT_EQ((*connectors)[0].name, "databert-demo");
  auto contract =
      (*catalog)->GetDataContract(*ContractRef::Parse("databert-handle/batch_job_public/1.0.0"));
  ASSERT_TRUE(contract.ok()) << contract.status().message();
  EXPECT_EQ(contract->key_field, "UserName");
  auto job = (*catalog)->GetBatchJob(kFixtureJobId);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->state, JobState::kFinished);
  EXPECT_EQ(job->config["encrypted_data"]["target"]["file_name"], "out/encrypted.csv");

  // Every row of the fixture's encrypted output names the key of (UserName, day): the
  // migrated key store gives the same keys back, and makes none.
  std::istringstream encrypted(ReadTestFile("catalog-v1/encrypted.csv"));
  std::string line;
  std::getline(encrypted, line);  // header
  std::vector<KeyRequest> requests;
  std::vector<std::string> links;
  while (std::getline(encrypted, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 14u) << line;
    requests.push_back({cells[1], std::stoll(cells[10]) / 86'400'000});
    links.push_back(cells[11]);
  }
  ASSERT_EQ(requests.size(), 10u);
  auto keys = (*catalog)->GetOrCreateKeys(kFixtureJobId, requests);
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  for (size_t i = 0; i < links.size(); ++i) EXPECT_EQ((*keys)[i].KeyLinkText(), links[i]) << i;
  const std::string keys_csv = ReadTestFile("catalog-v1/keys.csv");
  for (const DataKey& k : *keys)
    EXPECT_NE(keys_csv.find(k.KeyLinkText()), std::string::npos) << k.KeyLinkText();

  // Opening again applies nothing more.
  catalog->reset();
  auto again = OpenSqliteCatalog(old_home);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(VersionOf(old_home + "/catalog.db"), SqliteSchemaVersion());
}

TEST_F(SqliteCatalogTest, ACatalogNewerThanTheBinaryIsRefusedUntouched) {
  catalog_.reset();
  const std::string path = home_ + "/catalog.db";
  {
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("PRAGMA user_version = " + std::to_string(SqliteSchemaVersion() + 1) +
                           "; CREATE TABLE from_the_future (x)")
                    .ok());
  }
  const std::string before = RawDbBytes();
  auto c = OpenSqliteCatalog(home_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(c.status().message(),
              ::testing::AllOf(::testing::HasSubstr(path),
                               ::testing::HasSubstr("schema version " +
                                                    std::to_string(SqliteSchemaVersion() + 1)),
                               ::testing::HasSubstr("newer release")));
  EXPECT_EQ(RawDbBytes(), before);
}

// Catalogs opened at the same time by several threads (as processes would) are migrated once:
// a migration that ran twice would fail on its CREATE TABLE.
TEST_F(SqliteCatalogTest, CatalogsOpenedTogetherAreMigratedOnce) {
  for (int round = 0; round < 5; ++round) {
    const std::string home = (dir_ / ("together" + std::to_string(round))).string();
    fs::create_directories(home);
    fs::copy_file(fs::path(STRM_TEST_DATA_DIR) / "catalog-v1/catalog.db", home + "/catalog.db");
    env_.Set(kFixtureMasterKey);
    std::atomic<int> ok{0};
    std::vector<std::string> errors(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        auto c = OpenSqliteCatalog(home);
        if (c.ok()) {
          ++ok;
        } else {
          errors[t] = c.status().message();
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 4) << errors[0] << errors[1] << errors[2] << errors[3];
    EXPECT_EQ(VersionOf(home + "/catalog.db"), SqliteSchemaVersion());
  }
}

}  // namespace
}  // namespace strm
