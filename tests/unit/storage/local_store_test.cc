#include "storage/local_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/bytes.h"
#include "object_store_contract.h"

namespace strm {
namespace {

namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("strm-local-store-" + NewUuidV4());
    auto s = OpenLocalStore(root_.string());
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string ReadKey(std::string_view key) {
    auto in = store_->OpenRead(key);
    EXPECT_TRUE(in.ok()) << in.status().message();
    return *ReadAll(**in);
  }

  fs::path root_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(LocalStoreTest, KeepsTheObjectStoreContract) {
  ExpectCommitIsAtomic(*store_, "", 3 << 20);
  ExpectObjectSemantics(*store_, "pre/");
  ExpectListingIsCompleteAndSorted(*store_, "pre/", 25);
}

TEST_F(LocalStoreTest, WritesBecomeVisibleOnlyOnCommit) {
  auto out = std::move(store_->OpenWrite("out/data.csv")).value();
  ASSERT_TRUE(out->Write("a,b\n").ok());
  ASSERT_TRUE(out->Write(std::string(3 << 20, 'x')).ok());  // larger than the buffer
  EXPECT_FALSE(fs::exists(root_ / "out/data.csv"));
  EXPECT_TRUE(store_->List("out/")->empty()) << "temporary files must not be listed";
  ASSERT_TRUE(out->Commit().ok());
  EXPECT_EQ(ReadKey("out/data.csv"), "a,b\n" + std::string(3 << 20, 'x'));
  auto listed = *store_->List("out/");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "out/data.csv");
  EXPECT_EQ(listed[0].size, 4u + (3 << 20));
}

// Small pieces are buffered, large ones written past the buffer: the order holds whatever
// the mix.
TEST_F(LocalStoreTest, PiecesOfEverySizeKeepTheirOrder) {
  auto out = std::move(store_->OpenWrite("mix.csv")).value();
  std::string expected;
  const size_t sizes[] = {3,       100 << 10, 7,  (64 << 10) - 1, 64 << 10,     1, 999 << 10,
                          5 << 20, 1 << 20,   12, 2 << 20,        (1 << 20) - 5};
  for (size_t i = 0; i < std::size(sizes); ++i) {
    std::string piece(sizes[i], static_cast<char>('a' + i));
    piece.front() = '<';
    piece.back() = '>';
    expected += piece;
    ASSERT_TRUE(out->Write(piece).ok());
  }
  ASSERT_TRUE(out->Commit().ok());
  EXPECT_TRUE(ReadKey("mix.csv") == expected) << "the file differs from the pieces in order";
}

TEST_F(LocalStoreTest, AbortAndDestructionLeaveNothing) {
  {
    auto out = std::move(store_->OpenWrite("a.csv")).value();
    ASSERT_TRUE(out->Write("partial").ok());
  }  // destroyed without Commit
  {
    auto out = std::move(store_->OpenWrite("b.csv")).value();
    ASSERT_TRUE(out->Write("partial").ok());
    out->Abort();
  }
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(LocalStoreTest, CommitReplacesAtomically) {
  auto first = std::move(store_->OpenWrite("x.csv")).value();
  ASSERT_TRUE(first->Write("old").ok());
  ASSERT_TRUE(first->Commit().ok());
  auto second = std::move(store_->OpenWrite("x.csv")).value();
  ASSERT_TRUE(second->Write("new content").ok());
  EXPECT_EQ(ReadKey("x.csv"), "old");
  ASSERT_TRUE(second->Commit().ok());
  EXPECT_EQ(ReadKey("x.csv"), "new content");
}

TEST_F(LocalStoreTest, ListsByPrefixSorted) {
  for (const char* k : {"in/b.csv", "in/a.csv", "in/sub/c.csv", "other.csv", "input.csv"}) {
    auto out = std::move(store_->OpenWrite(k)).value();
    ASSERT_TRUE(out->Commit().ok());
  }
  std::vector<std::string> keys;
  for (const auto& o : *store_->List("in/")) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"in/a.csv", "in/b.csv", "in/sub/c.csv"}));
  keys.clear();
  for (const auto& o : *store_->List("in")) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"in/a.csv", "in/b.csv", "in/sub/c.csv", "input.csv"}));
  EXPECT_EQ(store_->List("")->size(), 5u);
  EXPECT_TRUE(store_->List("missing/")->empty());
}

TEST_F(LocalStoreTest, ReportsMissingAndBadKeys) {
  auto missing = store_->OpenRead("nope.csv");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "file " + (root_ / "nope.csv").string() + " does not exist");
  EXPECT_EQ(store_->OpenWrite("../escape.csv").status().message(),
            "object name '../escape.csv' contains '..'");
  EXPECT_EQ(store_->OpenRead("/etc/passwd").status().message(),
            "object name '/etc/passwd' is absolute");
  EXPECT_EQ(store_->OpenWrite("").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalStoreTest, DeletesObjects) {
  auto out = std::move(store_->OpenWrite("d.csv")).value();
  ASSERT_TRUE(out->Commit().ok());
  ASSERT_TRUE(store_->Delete("d.csv").ok());
  EXPECT_FALSE(fs::exists(root_ / "d.csv"));
  EXPECT_TRUE(store_->Delete("d.csv").ok()) << "deleting a missing object is fine";
}

TEST(JoinKey, JoinsWithOneSlash) {
  EXPECT_EQ(JoinKey("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinKey("a/b/", "/c"), "a/b/c");
  EXPECT_EQ(JoinKey("", "c"), "c");
}

}  // namespace
}  // namespace strm
