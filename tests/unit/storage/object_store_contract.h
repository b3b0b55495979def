// The promises of object_store.h, checked against any ObjectStore: every connector's tests
// run these against a real server (DESIGN.md: the same contract tests for every
// implementation). The store must be empty under `prefix` when a check starts; each check
// leaves it empty again.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/stream.h"
#include "storage/object_store.h"

namespace strm {

// The whole object `key` as a string (a test failure if it cannot be read).
inline std::string ReadObject(ObjectStore& store, const std::string& key) {
  auto in = store.OpenRead(key);
  EXPECT_TRUE(in.ok()) << key << ": " << in.status().message();
  if (!in.ok()) return {};
  auto all = ReadAll(**in);
  EXPECT_TRUE(all.ok()) << key << ": " << all.status().message();
  return all.ok() ? *all : std::string();
}

inline void WriteObject(ObjectStore& store, const std::string& key, const std::string& data) {
  auto out = store.OpenWrite(key);
  ASSERT_TRUE(out.ok()) << key << ": " << out.status().message();
  ASSERT_TRUE((*out)->Write(data).ok());
  Status s = (*out)->Commit();
  ASSERT_TRUE(s.ok()) << key << ": " << s.message();
}

inline std::vector<std::string> ListedKeys(ObjectStore& store, const std::string& prefix) {
  auto listed = store.List(prefix);
  EXPECT_TRUE(listed.ok()) << listed.status().message();
  std::vector<std::string> keys;
  if (listed.ok())
    for (const ObjectInfo& o : *listed) keys.push_back(o.key);
  return keys;
}

// Commit makes an object visible whole; before it, and after Abort or destruction without
// Commit, nothing is listed or readable. `big` bytes are written in 1 MiB pieces (pass more
// than a connector's part or block size to cross it).
inline void ExpectCommitIsAtomic(ObjectStore& store, const std::string& prefix, size_t big) {
  const std::string key = prefix + "out/data.csv";
  std::string data;
  data.reserve(big);
  for (size_t i = 0; data.size() < big; ++i) data += "row " + std::to_string(i) + ",x\n";
  data.resize(big);
  {
    auto out = store.OpenWrite(key);
    ASSERT_TRUE(out.ok()) << out.status().message();
    for (size_t at = 0; at < data.size(); at += 1 << 20)
      ASSERT_TRUE((*out)->Write(std::string_view(data).substr(at, 1 << 20)).ok());
    EXPECT_TRUE(ListedKeys(store, prefix).empty()) << "visible before Commit";
    EXPECT_EQ(store.OpenRead(key).status().code(), StatusCode::kNotFound);
    Status s = (*out)->Commit();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  EXPECT_EQ(ReadObject(store, key), data);
  auto listed = store.List(prefix);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, key);
  EXPECT_EQ((*listed)[0].size, data.size());

  {
    auto out = store.OpenWrite(prefix + "aborted.csv");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE((*out)->Write("partial").ok());
    (*out)->Abort();
  }
  {
    auto out = store.OpenWrite(prefix + "dropped.csv");
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE((*out)->Write("partial").ok());
  }  // destroyed without Commit
  EXPECT_EQ(ListedKeys(store, prefix), std::vector<std::string>{key});
  EXPECT_TRUE(store.Delete(key).ok());
  EXPECT_TRUE(ListedKeys(store, prefix).empty());
}

// An empty object, an overwrite, keys with spaces and non-ASCII characters, NotFound, deleting
// what is missing.
inline void ExpectObjectSemantics(ObjectStore& store, const std::string& prefix) {
  WriteObject(store, prefix + "empty.jsonl", "");
  EXPECT_EQ(ReadObject(store, prefix + "empty.jsonl"), "");
  WriteObject(store, prefix + "a b/zoë 1.csv", "first");
  WriteObject(store, prefix + "a b/zoë 1.csv", "second, longer");
  EXPECT_EQ(ReadObject(store, prefix + "a b/zoë 1.csv"), "second, longer");
  auto missing = store.OpenRead(prefix + "missing.csv");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().message();
  EXPECT_TRUE(store.Delete(prefix + "missing.csv").ok());
  for (const std::string& k : ListedKeys(store, prefix)) EXPECT_TRUE(store.Delete(k).ok()) << k;
  EXPECT_TRUE(ListedKeys(store, prefix).empty());
}

// List: sorted by key, only keys under the prefix, every one of `count` objects (pass more
// than a connector's page size to cross pages).
inline void ExpectListingIsCompleteAndSorted(ObjectStore& store, const std::string& prefix,
                                             int count) {
  std::vector<std::string> expected;
  for (int i = count - 1; i >= 0; --i) {
    char name[32];
    std::snprintf(name, sizeof name, "list/part-%05d.csv", i);
    WriteObject(store, prefix + name, std::to_string(i));
    expected.insert(expected.begin(), prefix + name);
  }
  WriteObject(store, prefix + "listx.csv", "not under list/");
  EXPECT_EQ(ListedKeys(store, prefix + "list/"), expected);
  EXPECT_EQ(ListedKeys(store, prefix + "list/part-0000").size(), std::min(count, 10));
  for (const std::string& k : ListedKeys(store, prefix)) EXPECT_TRUE(store.Delete(k).ok()) << k;
  EXPECT_TRUE(ListedKeys(store, prefix).empty());
}

// Copy: the copy reads as the source did when copied, and stays so when the source is
// replaced; copying onto an object replaces it; a missing source is NotFound. Temporary names
// (TemporaryKey) are never listed.
inline void ExpectCopyAndTemporaries(ObjectStore& store, const std::string& prefix) {
  const std::string src = prefix + "copy/src.csv", dst = prefix + "copy/kept/dst.csv";
  WriteObject(store, src, "first version");
  Status s = store.Copy(src, dst);
  ASSERT_TRUE(s.ok()) << s.message();
  WriteObject(store, src, "second version");
  EXPECT_EQ(ReadObject(store, dst), "first version");
  EXPECT_EQ(ReadObject(store, src), "second version");
  s = store.Copy(src, dst);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(ReadObject(store, dst), "second version");
  EXPECT_EQ(store.Copy(prefix + "copy/missing.csv", dst).code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadObject(store, dst), "second version");

  const std::string hidden = TemporaryKey(prefix + "copy/hidden.csv");
  EXPECT_TRUE(IsTemporaryKey(hidden)) << hidden;
  WriteObject(store, hidden, "not listed");
  EXPECT_EQ(ListedKeys(store, prefix), (std::vector<std::string>{dst, src}));
  EXPECT_EQ(ReadObject(store, hidden), "not listed");
  EXPECT_TRUE(store.Delete(hidden).ok());
  for (const std::string& k : ListedKeys(store, prefix)) EXPECT_TRUE(store.Delete(k).ok()) << k;
  EXPECT_TRUE(ListedKeys(store, prefix).empty());
}

}  // namespace strm
