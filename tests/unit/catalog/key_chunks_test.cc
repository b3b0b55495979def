#include "catalog/key_chunks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "catalog/sqlite_migrations.h"
#include "core/bytes.h"

namespace strm {
namespace {

namespace fs = std::filesystem;

class KeyChunksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-chunks-" + NewUuidV4());
    fs::create_directories(dir_);
    auto db = SqliteDb::Open((dir_ / "c.db").string());
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    ASSERT_TRUE(MigrateSqliteCatalog(*db_, "test.db").ok());
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  // `n` keys with random ids, sorted by id.
  std::vector<ChunkKey> Keys(size_t n) {
    std::vector<ChunkKey> keys(n);
    for (ChunkKey& k : keys) {
      for (auto& b : k.id) b = static_cast<uint8_t>(rng_());
      for (auto& b : k.link) b = static_cast<uint8_t>(rng_());
      for (auto& b : k.keyset.key) b = static_cast<uint8_t>(rng_());
      k.keyset.key_id = static_cast<uint32_t>(rng_());
      k.expires_at = static_cast<int64_t>(rng_() >> 1) * (rng_() & 1 ? 1 : -1);
    }
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return keys;
  }

  static void ExpectSame(const ChunkKey& a, const ChunkKey& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.link, b.link);
    EXPECT_EQ(a.keyset, b.keyset);
    EXPECT_EQ(a.expires_at, b.expires_at);
  }

  int64_t Count(const std::string& sql) {
    auto st = db_->Prepare(sql);
    EXPECT_TRUE(st.ok());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->Int(0);
  }

  fs::path dir_;
  std::unique_ptr<SqliteDb> db_;
  std::array<uint8_t, 32> master_{1, 2, 3};
  SecretBox box_{master_};
  std::array<uint8_t, 8> group_{9, 9, 9};
  std::mt19937_64 rng_{42};
};

TEST_F(KeyChunksTest, FindsEveryKeyOfEveryRunAndNoOther) {
  KeyChunks chunks(db_.get(), &box_, group_);
  ASSERT_FALSE(*chunks.Open()) << "a new group has no keys";
  std::vector<ChunkKey> day1 = Keys(1000), day1b = Keys(130), day2 = Keys(1);
  ASSERT_TRUE(chunks.WriteRun(19000, day1).ok());
  ASSERT_TRUE(chunks.WriteRun(19000, day1b).ok());
  ASSERT_TRUE(chunks.WriteRun(19001, day2).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM key_chunks"), 16 + 3 + 1) << "64 keys a chunk";

  // A fresh view of the same table (another writer, later) finds them all.
  KeyChunks later(db_.get(), &box_, group_);
  ASSERT_TRUE(*later.Open());
  for (auto [day, keys] : {std::pair{19000, &day1}, {19000, &day1b}, {19001, &day2}}) {
    for (const ChunkKey& k : *keys) {
      auto found = later.Find(day, k.id);
      ASSERT_TRUE(found.ok()) << found.status().message();
      ASSERT_TRUE(found->has_value());
      ExpectSame(**found, k);
    }
  }
  for (const ChunkKey& k : Keys(300)) {  // other ids, below, between and above the stored
    auto found = later.Find(19000, k.id);
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value());
  }
  EXPECT_FALSE(later.Find(19001, day1[0].id)->has_value()) << "a key belongs to its day";
  KeyChunks other_group(db_.get(), &box_, {1});
  EXPECT_FALSE(*other_group.Open());
  EXPECT_FALSE(other_group.Find(19000, day1[0].id)->has_value());
}

TEST_F(KeyChunksTest, FourRunsOfASizeClassBecomeOne) {
  KeyChunks chunks(db_.get(), &box_, group_);
  ASSERT_TRUE(chunks.Open().ok());
  std::vector<ChunkKey> all;
  for (int i = 0; i < 3; ++i) {
    auto keys = Keys(64);
    ASSERT_TRUE(chunks.WriteRun(7, keys).ok());
    all.insert(all.end(), keys.begin(), keys.end());
  }
  EXPECT_EQ(Count("SELECT count(DISTINCT run) FROM key_chunks"), 3);
  auto fourth = Keys(10);
  ASSERT_TRUE(chunks.WriteRun(7, fourth).ok());
  all.insert(all.end(), fourth.begin(), fourth.end());
  EXPECT_EQ(Count("SELECT count(DISTINCT run) FROM key_chunks"), 1) << "merged";
  EXPECT_EQ(Count("SELECT count(*) FROM key_chunks"), 4) << "202 keys in chunks of 64";
  KeyChunks later(db_.get(), &box_, group_);
  ASSERT_TRUE(later.Open().ok());
  for (const ChunkKey& k : all) ExpectSame(**later.Find(7, k.id), k);
  // The numbers of merged runs are not used again.
  auto next = Keys(5);
  ASSERT_TRUE(later.WriteRun(7, next).ok());
  EXPECT_EQ(Count("SELECT count(DISTINCT run) FROM key_chunks"), 2);
  for (const ChunkKey& k : next) ExpectSame(**later.Find(7, k.id), k);
}

TEST_F(KeyChunksTest, ManyWritesKeepFewRuns) {
  KeyChunks chunks(db_.get(), &box_, group_);
  ASSERT_TRUE(chunks.Open().ok());
  std::vector<ChunkKey> all;
  ASSERT_TRUE(db_->Exec("BEGIN").ok());
  for (int i = 0; i < 200; ++i) {
    auto keys = Keys(1 + i % 7);
    ASSERT_TRUE(chunks.WriteRun(3, keys).ok());
    all.insert(all.end(), keys.begin(), keys.end());
  }
  ASSERT_TRUE(db_->Exec("COMMIT").ok());
  EXPECT_LE(Count("SELECT count(DISTINCT run) FROM key_chunks"), 12)
      << "size classes keep the runs a lookup tries few";
  KeyChunks later(db_.get(), &box_, group_);
  ASSERT_TRUE(later.Open().ok());
  for (const ChunkKey& k : all) ExpectSame(**later.Find(3, k.id), k);
}

TEST_F(KeyChunksTest, KeysAreSealedAndAnAlteredChunkDoesNotOpen) {
  KeyChunks chunks(db_.get(), &box_, group_);
  ASSERT_TRUE(chunks.Open().ok());
  auto keys = Keys(3);
  ASSERT_TRUE(chunks.WriteRun(5, keys).ok());
  auto st = db_->Prepare("SELECT sealed FROM key_chunks");
  ASSERT_TRUE(st.ok() && *st->Step());
  const auto sealed = st->Blob(0);
  const std::string raw(reinterpret_cast<const char*>(sealed.data()), sealed.size());
  EXPECT_EQ(raw.find(std::string(AsChars(keys[0].keyset.key)).substr(0, 8)), std::string::npos);
  EXPECT_EQ(raw.find(std::string(AsChars(keys[0].link)).substr(0, 8)), std::string::npos);
  std::vector<uint8_t> altered(sealed.begin(), sealed.end());
  altered[20] ^= 1;
  auto update = db_->Prepare("UPDATE key_chunks SET sealed = ?");
  ASSERT_TRUE(update.ok());
  update->BindBlob(1, altered);
  ASSERT_TRUE(update->Run().ok());
  KeyChunks later(db_.get(), &box_, group_);
  ASSERT_TRUE(later.Open().ok());
  EXPECT_EQ(later.Find(5, keys[0].id).status().code(), StatusCode::kPermissionDenied);
  // Moved to another day, a chunk does not open either: its day is sealed with it.
  ASSERT_TRUE(chunks.WriteRun(6, Keys(2)).ok());
  ASSERT_TRUE(db_->Exec("UPDATE key_chunks SET day = 8 WHERE day = 6").ok());
  KeyChunks moved(db_.get(), &box_, group_);
  ASSERT_TRUE(moved.Open().ok());
  auto probe = Keys(1);
  probe[0].id.fill(0xff);  // above every first id: the run's last chunk is read
  EXPECT_EQ(moved.Find(8, probe[0].id).status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace strm
