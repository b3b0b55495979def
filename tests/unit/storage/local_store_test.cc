#include "storage/local_store.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
  ExpectCopyAndTemporaries(*store_, "pre/");
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

TEST_F(LocalStoreTest, CopyOntoALinkOfItsOwnFileLeavesNoTemporary) {
  // A kept version put back where nothing replaced it: the two names are links of one file,
  // on which rename does nothing.
  WriteObject(*store_, "out/keys.csv", "keys");
  ASSERT_TRUE(store_->Copy("out/keys.csv", "out/kept.csv").ok());
  ASSERT_TRUE(store_->Copy("out/kept.csv", "out/keys.csv").ok());
  ASSERT_TRUE(store_->Copy("out/keys.csv", "out/keys.csv").ok());
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(root_ / "out"))
    files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"kept.csv", "keys.csv"}));
  EXPECT_EQ(ReadKey("out/keys.csv"), "keys");
}

TEST_F(LocalStoreTest, DeletesObjects) {
  auto out = std::move(store_->OpenWrite("d.csv")).value();
  ASSERT_TRUE(out->Commit().ok());
  ASSERT_TRUE(store_->Delete("d.csv").ok());
  EXPECT_FALSE(fs::exists(root_ / "d.csv"));
  EXPECT_TRUE(store_->Delete("d.csv").ok()) << "deleting a missing object is fine";
}

// The directory is a jail: a symbolic link anywhere on a key's way is refused, for every
// operation, and nothing outside the directory is read, written or deleted.
class LocalStoreJailTest : public LocalStoreTest {
 protected:
  void SetUp() override {
    LocalStoreTest::SetUp();
    outside_ = fs::temp_directory_path() / ("strm-outside-" + NewUuidV4());
    fs::create_directories(outside_);
    std::ofstream(outside_ / "secret.txt") << "outside";
    fs::create_directories(root_ / "in");
    std::ofstream(root_ / "in/real.csv") << "inside";
    fs::create_symlink(outside_ / "secret.txt", root_ / "file-link.csv");
    fs::create_symlink(outside_, root_ / "dir-link");
    fs::create_symlink(root_ / "in", root_ / "inner-link");  // inside the tree: refused too
  }
  void TearDown() override {
    fs::remove_all(outside_);
    LocalStoreTest::TearDown();
  }
  std::string Refused(const std::string& path) {
    return (root_ / path).string() +
           " is a symbolic link: a local directory connector does not follow links";
  }
  std::string Outside() {
    std::ifstream in(outside_ / "secret.txt");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path outside_;
};

TEST_F(LocalStoreJailTest, ReadsNoLink) {
  for (const auto& [key, link] :
       std::vector<std::pair<std::string, std::string>>{{"file-link.csv", "file-link.csv"},
                                                        {"dir-link/secret.txt", "dir-link"},
                                                        {"inner-link/real.csv", "inner-link"}}) {
    auto in = store_->OpenRead(key);
    EXPECT_EQ(in.status().code(), StatusCode::kPermissionDenied) << key;
    EXPECT_EQ(in.status().message(), Refused(link)) << key;
  }
  EXPECT_EQ(ReadKey("in/real.csv"), "inside");
}

TEST_F(LocalStoreJailTest, WritesCopiesAndDeletesNothingThroughALink) {
  EXPECT_EQ(store_->OpenWrite("dir-link/new.csv").status().message(), Refused("dir-link"));
  EXPECT_EQ(store_->OpenWrite("dir-link/sub/new.csv").status().message(), Refused("dir-link"));
  EXPECT_EQ(store_->Copy("in/real.csv", "dir-link/copy.csv").message(), Refused("dir-link"));
  EXPECT_EQ(store_->Copy("file-link.csv", "in/copy.csv").message(), Refused("file-link.csv"));
  EXPECT_EQ(store_->Delete("dir-link/secret.txt").message(), Refused("dir-link"));
  EXPECT_EQ(fs::directory_iterator(outside_)->path().filename(), "secret.txt");
  EXPECT_EQ(std::distance(fs::directory_iterator(outside_), fs::directory_iterator()), 1);
  EXPECT_EQ(Outside(), "outside");
  EXPECT_FALSE(fs::exists(root_ / "in/copy.csv"));

  // An output whose name is a link replaces the link itself; the link's target is untouched.
  auto out = std::move(store_->OpenWrite("file-link.csv")).value();
  ASSERT_TRUE(out->Write("replaced").ok());
  ASSERT_TRUE(out->Commit().ok());
  EXPECT_FALSE(fs::is_symlink(root_ / "file-link.csv"));
  EXPECT_EQ(ReadKey("file-link.csv"), "replaced");
  EXPECT_EQ(Outside(), "outside");
  // Deleting a link removes the link, never its target.
  fs::create_symlink(outside_ / "secret.txt", root_ / "another-link.csv");
  EXPECT_TRUE(store_->Delete("another-link.csv").ok());
  EXPECT_FALSE(fs::is_symlink(root_ / "another-link.csv"));
  EXPECT_EQ(Outside(), "outside");
}

TEST_F(LocalStoreJailTest, ListsNoLink) {
  std::vector<std::string> keys;
  for (const auto& o : *store_->List("")) keys.push_back(o.key);
  EXPECT_EQ(keys, std::vector<std::string>{"in/real.csv"});
  EXPECT_EQ(store_->List("dir-link/").status().message(), Refused("dir-link"));
}

TEST_F(LocalStoreTest, ReadsOnlyRegularFilesAndRefusesEmptySegments) {
  ASSERT_EQ(::mkfifo((root_ / "fifo.csv").c_str(), 0600), 0);
  auto in = store_->OpenRead("fifo.csv");  // must not wait for a writer
  EXPECT_EQ(in.status().message(), (root_ / "fifo.csv").string() + " is not a regular file");
  EXPECT_EQ(store_->OpenWrite("a//b.csv").status().message(),
            "object name 'a//b.csv' has an empty segment");
  EXPECT_EQ(store_->OpenRead("a/").status().message(), "object name 'a/' has an empty segment");
}

TEST_F(LocalStoreTest, SecretFilesAre0600AndReplacedFilesKeepTheirMode) {
  const mode_t old_umask = ::umask(022);
  auto write = [&](const std::string& key, bool secret) {
    auto out = std::move(store_->OpenWrite(key, WriteOptions{.secret = secret})).value();
    ASSERT_TRUE(out->Write("x").ok());
    ASSERT_TRUE(out->Commit().ok());
  };
  auto mode = [&](const std::string& key) {
    return fs::status(root_ / key).permissions() & fs::perms::all;
  };
  using P = fs::perms;
  write("keys.csv", true);
  EXPECT_EQ(mode("keys.csv"), P::owner_read | P::owner_write);
  write("keys.csv", true);
  EXPECT_EQ(mode("keys.csv"), P::owner_read | P::owner_write) << "replaced, still 0600";
  fs::permissions(root_ / "keys.csv", P::all);
  write("keys.csv", true);
  EXPECT_EQ(mode("keys.csv"), P::owner_read | P::owner_write) << "a wider file is not kept";

  write("data.csv", false);
  EXPECT_EQ(mode("data.csv"), P::owner_read | P::owner_write | P::group_read | P::others_read);
  fs::permissions(root_ / "data.csv", P::owner_read | P::owner_write | P::group_read);
  write("data.csv", false);
  EXPECT_EQ(mode("data.csv"), P::owner_read | P::owner_write | P::group_read)
      << "an operator's narrower mode is kept";
  ::umask(old_umask);
}

TEST_F(LocalStoreTest, ObjectUriResolvesTheDirectorysOwnLinks) {
  const fs::path link = fs::temp_directory_path() / ("strm-root-link-" + NewUuidV4());
  fs::create_symlink(root_, link);
  auto via_link = OpenLocalStore(link.string());
  ASSERT_TRUE(via_link.ok()) << via_link.status().message();
  EXPECT_EQ((*via_link)->ObjectUri("out/a.csv"), store_->ObjectUri("out/a.csv"));
  EXPECT_EQ(store_->ObjectUri("out/a.csv"),
            "file://" + fs::canonical(root_).string() + "/out/a.csv");
  // Through the link, the store works inside the real directory.
  auto out = std::move((*via_link)->OpenWrite("through.csv")).value();
  ASSERT_TRUE(out->Commit().ok());
  EXPECT_TRUE(fs::exists(root_ / "through.csv"));
  fs::remove(link);
}

TEST(JoinKey, JoinsWithOneSlash) {
  EXPECT_EQ(JoinKey("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinKey("a/b/", "/c"), "a/b/c");
  EXPECT_EQ(JoinKey("", "c"), "c");
}

}  // namespace
}  // namespace strm
