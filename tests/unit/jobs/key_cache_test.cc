#include "jobs/key_cache.h"
#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "core/bytes.h"

namespace strm {
namespace {

namespace fs = std::filesystem;

TEST(KeyEntry, KeyLinkIsTheLowercaseUuidTextOfItsBytes) {
  KeyEntry e;
  for (int round = 0; round < 256; ++round) {
    std::string expected;
    for (size_t b = 0; b < 16; ++b) {
      // Every byte value at every position, over the rounds.
      e.key_link[b] = static_cast<uint8_t>(round + b * 17);
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", e.key_link[b]);
      expected += hex;
      if (b == 3 || b == 5 || b == 7 || b == 9) expected += '-';
    }
    EXPECT_EQ(e.KeyLink(), expected);
    char out[KeyEntry::kKeyLinkSize + 1];
    out[KeyEntry::kKeyLinkSize] = 'x';
    EXPECT_EQ(e.WriteKeyLink(out), out + KeyEntry::kKeyLinkSize);
    EXPECT_EQ(std::string(out, KeyEntry::kKeyLinkSize), expected);
    EXPECT_EQ(out[KeyEntry::kKeyLinkSize], 'x') << "nothing written past the end";
  }
}

class KeyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-key-cache-" + NewUuidV4());
    auto catalog = OpenSqliteCatalog((dir_ / "home").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status().message();
    catalog_ = std::move(catalog).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Resolves `values` on `day` in one call.
  std::vector<KeyEntry*> Resolve(KeyCache& cache, const std::vector<std::string>& values,
                                 int64_t day) {
    std::vector<KeyCache::Request> requests;
    for (const auto& v : values) requests.push_back({cache.Identify(v, day), v});
    std::vector<KeyEntry*> out(requests.size());
    Status s = cache.Resolve(requests, out);
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(KeyCacheTest, OneEntryPerValueAndDay) {
  KeyCache cache(catalog_.get(), "group-1");
  auto a = Resolve(cache, {"alice", "bob", "alice"}, 19029);
  EXPECT_EQ(a[0], a[2]);
  EXPECT_NE(a[0], a[1]);
  EXPECT_NE(a[0]->KeyLink(), a[1]->KeyLink());
  EXPECT_TRUE(IsUuid(std::string(a[0]->KeyLink())));
  EXPECT_EQ(a[0]->expires_at, DefaultKeyExpiry(19029));
  auto b = Resolve(cache, {"alice"}, 19030);
  EXPECT_NE(b[0], a[0]) << "another day, another key";
  auto c = Resolve(cache, {"bob", "alice"}, 19029);
  EXPECT_EQ(c[0], a[1]) << "cached entries are reused";
  EXPECT_EQ(c[1], a[0]);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.PolicyId(*a[0]), "");
}

TEST_F(KeyCacheTest, IdentityDoesNotHoldTheValue) {
  KeyCache cache(catalog_.get(), "group-1");
  KeyId a = cache.Identify("alice", 19029), b = cache.Identify("alice", 19029);
  EXPECT_EQ(a, b);
  EXPECT_NE(cache.Identify("alicf", 19029), a);
  EXPECT_NE(cache.Identify("alice", 19030), a);
  EXPECT_NE(cache.Identify("", 19029), a) << "the empty value has a key of its own";
  KeyCache other(catalog_.get(), "group-1");
  EXPECT_NE(other.Identify("alice", 19029), a) << "each run hashes under its own random key";
}

TEST_F(KeyCacheTest, KeysAreStoredByFlushAndReusedByTheNextRunOfTheGroup) {
  std::string alice, bob;
  {
    KeyCache cache(catalog_.get(), "group-1");
    auto e = Resolve(cache, {"alice", "bob"}, 19029);
    alice = std::string(e[0]->KeyLink());
    bob = std::string(e[1]->KeyLink());
    ASSERT_TRUE(cache.Flush().ok());
  }
  KeyCache next(catalog_.get(), "group-1");
  auto e = Resolve(next, {"bob", "carol", "alice"}, 19029);
  EXPECT_EQ(e[0]->KeyLink(), bob);
  EXPECT_EQ(e[2]->KeyLink(), alice);
  EXPECT_NE(e[1]->KeyLink(), alice);
  KeyCache other_group(catalog_.get(), "group-2");
  EXPECT_NE(Resolve(other_group, {"alice"}, 19029)[0]->KeyLink(), alice);
}

TEST_F(KeyCacheTest, UnflushedKeysAreNotStored) {
  std::string alice;
  {
    KeyCache cache(catalog_.get(), "group-1");
    alice = std::string(Resolve(cache, {"alice"}, 19029)[0]->KeyLink());
  }
  KeyCache next(catalog_.get(), "group-1");
  EXPECT_NE(Resolve(next, {"alice"}, 19029)[0]->KeyLink(), alice);
}

TEST_F(KeyCacheTest, MarkUsedKeepsTheSmallestRowAndUnusedKeysHaveNone) {
  KeyCache cache(catalog_.get(), "group-1");
  auto e = Resolve(cache, {"a", "b", "c", "d"}, 19029);
  e[2]->MarkUsed(7);
  e[0]->MarkUsed(9);
  e[0]->MarkUsed(3);  // the smallest row wins
  e[1]->MarkUsed(5);
  e[1]->MarkUsed(8);
  EXPECT_EQ(e[0]->first_row.load(), 3u);
  EXPECT_EQ(e[1]->first_row.load(), 5u);
  EXPECT_EQ(e[2]->first_row.load(), 7u);
  EXPECT_EQ(e[3]->first_row.load(), UINT64_MAX) << "d was never used by a row";
}

// Resolve marks what it finds, or creates, as used by the request's row.
TEST_F(KeyCacheTest, ResolveMarksTheRequestsRows) {
  KeyCache cache(catalog_.get(), "group-1");
  auto request = [&cache](std::string_view v, uint64_t row) {
    return KeyCache::Request{cache.Identify(v, 19029), v, row};
  };
  std::vector<KeyEntry*> out(3);
  // Created: "x" at row 40, "y" at 20; "z" unmarked.
  std::vector<KeyCache::Request> first = {request("x", 40), request("y", 20),
                                          request("z", UINT64_MAX)};
  ASSERT_TRUE(cache.Resolve(first, out).ok());
  KeyEntry* const x = out[0];
  KeyEntry* const y = out[1];
  KeyEntry* const z = out[2];
  // Found in the cache: "x" at row 10 (earlier: it wins), "y" at 30 (later: 20 stays).
  std::vector<KeyCache::Request> second = {request("x", 10), request("y", 30)};
  ASSERT_TRUE(cache.Resolve(second, std::span(out).first(2)).ok());
  EXPECT_EQ(out[0], x);
  EXPECT_EQ(out[1], y);
  EXPECT_EQ(x->first_row.load(), 10u);
  EXPECT_EQ(y->first_row.load(), 20u);
  EXPECT_EQ(z->first_row.load(), UINT64_MAX) << "z was never used by a row";
}

TEST_F(KeyCacheTest, ThreadsAgreeOnEveryKeyAndTheTableGrows) {
  KeyCache cache(catalog_.get(), "group-1");
  std::vector<std::string> values;
  // More than a chunk of entries (16,384), the table doubling five times from 1,024 slots.
  for (int i = 0; i < 20000; ++i) values.push_back("user_" + std::to_string(i));
  std::vector<KeyEntry*> a, b;
  std::thread ta([&] { a = Resolve(cache, values, 19029); });
  std::vector<std::string> reversed(values.rbegin(), values.rend());
  std::thread tb([&] { b = Resolve(cache, reversed, 19029); });
  ta.join();
  tb.join();
  ASSERT_EQ(a.size(), values.size());
  ASSERT_EQ(b.size(), values.size());
  std::set<KeyEntry*> distinct(a.begin(), a.end());
  EXPECT_EQ(distinct.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(a[i], b[values.size() - 1 - i]);
  EXPECT_EQ(cache.size(), values.size());
}

}  // namespace
}  // namespace strm
