// The SQLite catalog's test fixture and helpers, shared by sqlite_catalog_test.cc (connectors,
// contracts, jobs, opening) and sqlite_key_store_test.cc (the key store).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "catalog/catalog.h"
#include "catalog/secret_box.h"
#include "catalog/sqlite_db.h"
#include "core/bytes.h"
#include "testing/test_support.h"

namespace strm {
namespace catalog_testing {

using ::strm::testing::MasterKeyEnv;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string ReadTestFile(const std::string& name) {
  return ReadFile(fs::path(STRM_TEST_DATA_DIR) / name);
}

inline DataContract DemoContract(
    const std::string& ref = "databert-handle/batch_job_public/1.0.0") {
  auto schema = ParseSimpleSchema(ReadTestFile("demo/schema.json"));
  EXPECT_TRUE(schema.ok()) << schema.status().message();
  auto contract =
      MakeDataContract(*ContractRef::Parse(ref), *schema, ReadTestFile("demo/contract.json"));
  EXPECT_TRUE(contract.ok()) << contract.status().message();
  return *contract;
}

inline DataConnector Connector(const std::string& name, const std::string& credentials = "") {
  DataConnector c;
  c.name = name;
  c.type = "local";
  c.location = {{"path", "/data/" + name}};
  c.credentials = credentials;
  c.created_at = 1644126192962;
  return c;
}

inline BatchJobRecord Job(const std::string& id, int64_t created_at) {
  BatchJobRecord j;
  j.id = id;
  j.config = nlohmann::json::parse(ReadTestFile("demo/job.json"));
  j.config["ref"]["id"] = id;
  j.created_at = j.updated_at = created_at;
  return j;
}

class SqliteCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-catalog-" + NewUuidV4());
    home_ = (dir_ / "home").string();
    catalog_ = Open();
    ASSERT_NE(catalog_, nullptr);
  }
  void TearDown() override {
    catalog_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<Catalog> Open() {
    auto c = OpenSqliteCatalog(home_);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // Everything SQLite has written: the database and its write-ahead log.
  std::string RawDbBytes() const {
    std::string bytes = ReadFile(fs::path(home_) / "catalog.db");
    if (fs::exists(fs::path(home_) / "catalog.db-wal"))
      bytes += ReadFile(fs::path(home_) / "catalog.db-wal");
    return bytes;
  }

  MasterKeyEnv env_;
  fs::path dir_;
  std::string home_;
  std::unique_ptr<Catalog> catalog_;
};

}  // namespace catalog_testing
}  // namespace strm
