#include "sqlite_catalog_fixture.h"

namespace strm {
namespace {

using namespace ::strm::catalog_testing;  // NOLINT(google-build-using-namespace)

// --- keys ---

TEST_F(SqliteCatalogTest, KeysAreCreatedOnce) {
  std::vector<KeyRequest> req = {{"alice", 19029}};
  auto first = catalog_->GetOrCreateKeys("group-1", req);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_EQ(first->size(), 1u);
  const DataKey& k = (*first)[0];
  EXPECT_TRUE(IsUuid(k.KeyLinkText())) << k.KeyLinkText();
  EXPECT_EQ(k.KeyLinkText()[14], '4') << "a version-4 UUID";
  EXPECT_EQ(k.expires_at, DefaultKeyExpiry(19029));
  EXPECT_EQ(k.expires_at, 1865030400000);
  EXPECT_EQ(k.policy_id, "");
  EXPECT_NE(k.keyset.key_id, 0u);

  auto again = catalog_->GetOrCreateKeys("group-1", req);
  ASSERT_TRUE(again.ok()) << again.status().message();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].key_link, k.key_link);
  EXPECT_EQ((*again)[0].keyset, k.keyset);
  EXPECT_EQ((*again)[0].expires_at, k.expires_at);

  auto other = Open();  // a second catalog object (another process) on the same home
  ASSERT_NE(other, nullptr);
  auto third = other->GetOrCreateKeys("group-1", req);
  ASSERT_TRUE(third.ok()) << third.status().message();
  EXPECT_EQ((*third)[0].key_link, k.key_link);
  EXPECT_EQ((*third)[0].keyset, k.keyset);
}

TEST_F(SqliteCatalogTest, KeysDifferByGroupValueAndDay) {
  auto keys = catalog_->GetOrCreateKeys("group-1", {{"alice", 19029}, {"bob", 19029}});
  auto day2 = catalog_->GetOrCreateKeys("group-1", {{"alice", 19030}});
  auto group2 = catalog_->GetOrCreateKeys("group-2", {{"alice", 19029}});
  ASSERT_TRUE(keys.ok() && day2.ok() && group2.ok());
  std::set<std::array<uint8_t, 16>> links = {(*keys)[0].key_link, (*keys)[1].key_link,
                                             (*day2)[0].key_link, (*group2)[0].key_link};
  EXPECT_EQ(links.size(), 4u);
  std::set<uint32_t> ids = {(*keys)[0].keyset.key_id, (*keys)[1].keyset.key_id,
                            (*day2)[0].keyset.key_id, (*group2)[0].keyset.key_id};
  EXPECT_EQ(ids.size(), 4u) << "fresh keysets";
  EXPECT_NE((*keys)[0].keyset.key, (*group2)[0].keyset.key);
  EXPECT_EQ((*day2)[0].expires_at, DefaultKeyExpiry(19030));
}

TEST_F(SqliteCatalogTest, KeyLookupIsUnambiguous) {
  // group, day and value are joined with NUL separators: shifting text between them must
  // not collide.
  auto a = catalog_->GetOrCreateKeys("g", {{"1", 19029}});
  auto b = catalog_->GetOrCreateKeys("g", {{std::string("1\0", 2) + "1", 1902}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)[0].key_link, (*b)[0].key_link);
}

TEST_F(SqliteCatalogTest, DuplicateRequestsInOneCallShareAKey) {
  auto keys = catalog_->GetOrCreateKeys(
      "group-1", {{"alice", 19029}, {"bob", 19029}, {"alice", 19029}, {"alice", 19030}});
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  ASSERT_EQ(keys->size(), 4u);
  EXPECT_EQ((*keys)[0].key_link, (*keys)[2].key_link);
  EXPECT_EQ((*keys)[0].keyset, (*keys)[2].keyset);
  EXPECT_NE((*keys)[0].key_link, (*keys)[1].key_link);
  EXPECT_NE((*keys)[0].key_link, (*keys)[3].key_link);
}

TEST_F(SqliteCatalogTest, NoRequestsNoKeys) {
  auto keys = catalog_->GetOrCreateKeys("group-1", {});
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_THAT(*keys, IsEmpty());
}

// Catalogs made before key_chunks hold their keys one a row in encryption_keys: such a key
// is still found, and reused, never made again.
TEST_F(SqliteCatalogTest, KeysStoredOneARowByEarlierVersionsAreStillFound) {
  catalog_.reset();
  auto master = LoadOrCreateMasterKey(home_);
  ASSERT_TRUE(master.ok());
  SecretBox box(*master);
  const std::string group = "group-1", value = "alice";
  const int64_t day = 19029;
  std::array<uint8_t, 28> lookup{};
  const auto group_id = box.LookupId(std::string("group\0", 6) + group);
  std::memcpy(lookup.data(), group_id.data(), 8);
  for (int i = 0; i < 4; ++i) lookup[8 + i] = static_cast<uint8_t>(day >> (24 - 8 * i));
  const auto id = box.LookupId(group + '\0' + std::to_string(day) + '\0' + value);
  std::memcpy(lookup.data() + 12, id.data(), 16);
  TinkKeyset keyset = GenerateTinkKeyset();
  std::string raw(4, '\0');
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>(keyset.key_id >> (24 - 8 * i));
  raw += AsChars(keyset.key);
  const std::string link = NewUuidV4();
  {
    auto db = SqliteDb::Open(home_ + "/catalog.db");
    ASSERT_TRUE(db.ok());
    auto st = (*db)->Prepare("INSERT INTO encryption_keys VALUES (?,?,?,?,?,?)");
    ASSERT_TRUE(st.ok());
    st->BindBlob(1, lookup).Bind(2, link).BindBlob(3, box.Seal(raw, link)).Bind(4, int64_t{42});
    st->Bind(5, "policy-7").Bind(6, int64_t{1});
    ASSERT_TRUE(st->Run().ok());
  }
  catalog_ = Open();
  ASSERT_NE(catalog_, nullptr);
  auto keys = catalog_->GetOrCreateKeys(group, {{"bob", day}, {value, day}});
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ((*keys)[1].KeyLinkText(), link);
  EXPECT_EQ((*keys)[1].keyset, keyset);
  EXPECT_EQ((*keys)[1].expires_at, 42);
  EXPECT_EQ((*keys)[1].policy_id, "policy-7");
  EXPECT_NE((*keys)[0].KeyLinkText(), link) << "bob had no key: a new one";
  auto again = catalog_->GetOrCreateKeys(group, {{"bob", day}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].key_link, (*keys)[0].key_link) << "the new one is stored, in chunks";
}

TEST_F(SqliteCatalogTest, KeyFieldValuesAndKeysAreNotStoredInTheClear) {
  auto keys = catalog_->GetOrCreateKeys("group-1", {{"subject-alice@example.com", 19029}});
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  std::string raw = RawDbBytes();
  // The raw read sees the key's chunk: its row holds the chunk's context, in the clear.
  ASSERT_NE(raw.find("key_chunks"), std::string::npos) << "the table is in the file";
  EXPECT_EQ(raw.find("subject-alice"), std::string::npos);
  EXPECT_EQ(raw.find((*keys)[0].KeyLinkText()), std::string::npos) << "the keyLink is sealed too";
  EXPECT_EQ(raw.find(AsChars((*keys)[0].key_link)), std::string::npos);
  EXPECT_EQ(raw.find("group-1"), std::string::npos);
  std::string key_bytes(AsChars((*keys)[0].keyset.key));
  EXPECT_EQ(raw.find(key_bytes.substr(0, 16)), std::string::npos);
  EXPECT_EQ(raw.find(Base64Encode((*keys)[0].keyset.key).substr(0, 20)), std::string::npos);
}

TEST_F(SqliteCatalogTest, ADifferentMasterKeyIsRefusedBeforeAnythingIsWritten) {
  catalog_.reset();
  fs::remove_all(home_);
  env_.Set(std::string(64, 'a'));
  catalog_ = Open();
  ASSERT_NE(catalog_, nullptr);
  ASSERT_TRUE(catalog_->CreateDataConnector(Connector("databert-demo", "s3cr3t-value")).ok());
  ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-1", 1000)).ok());
  auto original = catalog_->GetOrCreateKeys("group-1", {{"alice", 19029}});
  ASSERT_TRUE(original.ok()) << original.status().message();
  catalog_.reset();
  const std::string before = RawDbBytes();

  env_.Set(std::string(64, 'b'));
  auto wrong = OpenSqliteCatalog(home_);
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(wrong.status().message(), "the master key is not the one the catalog in " + home_ +
                                          " was made with (check STRM_MASTER_KEY or " + home_ +
                                          "/master.key); nothing was read or written");
  EXPECT_EQ(RawDbBytes(), before) << "a wrong key writes nothing";

  env_.Set(std::string(64, 'a'));  // the right key still works, and nothing was added
  catalog_ = Open();
  ASSERT_NE(catalog_, nullptr);
  EXPECT_EQ(catalog_->GetDataConnector("databert-demo")->credentials, "s3cr3t-value");
  auto again = catalog_->GetOrCreateKeys("group-1", {{"alice", 19029}});
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)[0].key_link, (*original)[0].key_link);
  EXPECT_EQ((*again)[0].keyset, (*original)[0].keyset);
}

// A catalog made before master key checks existed has none: its sealed records are tried
// instead, and the right key then gets its check.
TEST_F(SqliteCatalogTest, ACatalogWithoutACheckIsCheckedOnWhatItHolds) {
  catalog_.reset();
  fs::remove_all(home_);
  for (const char* what : {"connector", "job", "key"}) {
    SCOPED_TRACE(what);
    fs::remove_all(home_);
    env_.Set(std::string(64, 'a'));
    catalog_ = Open();
    ASSERT_NE(catalog_, nullptr);
    if (std::string_view(what) == "connector") {
      ASSERT_TRUE(catalog_->CreateDataConnector(Connector("databert-demo", "s3cr3t")).ok());
    } else if (std::string_view(what) == "job") {
      ASSERT_TRUE(catalog_->CreateBatchJob(Job("job-1", 1000)).ok());
    } else {
      ASSERT_TRUE(catalog_->GetOrCreateKeys("group-1", {{"alice", 19029}}).ok());
    }
    catalog_.reset();
    {
      auto db = SqliteDb::Open(home_ + "/catalog.db");
      ASSERT_TRUE(db.ok());
      ASSERT_TRUE((*db)->Exec("DELETE FROM catalog_meta").ok());
    }
    env_.Set(std::string(64, 'b'));
    EXPECT_EQ(OpenSqliteCatalog(home_).status().code(), StatusCode::kPermissionDenied);
    env_.Set(std::string(64, 'a'));
    catalog_ = Open();
    ASSERT_NE(catalog_, nullptr);
    catalog_.reset();
    auto db = SqliteDb::Open(home_ + "/catalog.db");
    auto st = (*db)->Prepare("SELECT count(*) FROM catalog_meta");
    ASSERT_TRUE(st.ok() && *st->Step());
    EXPECT_EQ(st->Int(0), 1) << "the right key wrote its check";
  }
}

TEST_F(SqliteCatalogTest, AMissingKeyFileOfACatalogWithSecretsIsNotReplaced) {
  ASSERT_TRUE(catalog_->CreateDataConnector(Connector("databert-demo", "s3cr3t")).ok());
  catalog_.reset();
  fs::remove(fs::path(home_) / "master.key");
  auto reopened = OpenSqliteCatalog(home_);
  EXPECT_EQ(reopened.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reopened.status().message(),
            "the master key of the catalog in " + home_ +
                " is missing: set STRM_MASTER_KEY, or put its master.key back");
  EXPECT_FALSE(fs::exists(fs::path(home_) / "master.key")) << "no new key was made";
}

TEST_F(SqliteCatalogTest, ConcurrentCatalogsAgreeOnEveryKey) {
  std::vector<KeyRequest> requests;
  for (int i = 0; i < 200; ++i)
    requests.push_back({"user-" + std::to_string(i % 50), 19029 + i % 3});
  auto a = Open(), b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // Batches of 10, one thread front to back, the other back to front, so that they race
  // for the same keys in many small transactions.
  auto run = [&](Catalog* catalog, bool reverse, std::vector<std::string>* links, Status* status) {
    links->assign(requests.size(), "");
    for (size_t n = 0; n < requests.size(); n += 10) {
      size_t start = reverse ? requests.size() - 10 - n : n;
      std::vector<KeyRequest> batch(requests.begin() + start, requests.begin() + start + 10);
      auto keys = catalog->GetOrCreateKeys("concurrent", batch);
      if (!keys.ok()) {
        *status = keys.status();
        return;
      }
      for (size_t i = 0; i < 10; ++i) (*links)[start + i] = (*keys)[i].KeyLinkText();
    }
  };
  std::vector<std::string> links_a, links_b;
  Status status_a, status_b;
  std::thread ta(run, a.get(), false, &links_a, &status_a);
  std::thread tb(run, b.get(), true, &links_b, &status_b);
  ta.join();
  tb.join();
  ASSERT_TRUE(status_a.ok()) << status_a.message();
  ASSERT_TRUE(status_b.ok()) << status_b.message();
  EXPECT_EQ(links_a, links_b);

  std::map<std::pair<std::string, int64_t>, std::string> by_request;
  for (size_t i = 0; i < requests.size(); ++i) {
    auto [it, inserted] =
        by_request.emplace(std::make_pair(requests[i].value, requests[i].day), links_a[i]);
    EXPECT_EQ(it->second, links_a[i]) << "one key per (value, day)";
  }
  std::set<std::string> distinct(links_a.begin(), links_a.end());
  EXPECT_EQ(distinct.size(), by_request.size());

  auto after = catalog_->GetOrCreateKeys("concurrent", requests);
  ASSERT_TRUE(after.ok()) << after.status().message();
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ((*after)[i].KeyLinkText(), links_a[i]);
}

// New keys for `requests` through `writer`, as a job's KeyCache adds them (each once).
std::vector<DataKey> AddKeys(KeyGroupWriter& writer, const std::vector<KeyRequest>& requests) {
  std::vector<KeyLookup> lookups;
  std::vector<DataKey> keys;
  for (const KeyRequest& r : requests) {
    lookups.push_back(writer.Lookup(r.value, r.day));
    std::array<uint8_t, kNewKeyRandomBytes> random;
    SecureRandom(random);
    keys.push_back(NewDataKey(random, r.day));
  }
  Status s = writer.AddNew(lookups, keys);
  EXPECT_TRUE(s.ok()) << s.message();
  return keys;
}

TEST_F(SqliteCatalogTest, KeyGroupWriterStoresKeysOnlyWhenFlushed) {
  auto writer = catalog_->OpenKeyGroup("group-w");
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  EXPECT_EQ((*writer)->Lookup("alice", 19029), (*writer)->Lookup("alice", 19029));
  EXPECT_NE((*writer)->Lookup("alice", 19029), (*writer)->Lookup("bob", 19029));
  EXPECT_NE((*writer)->Lookup("alice", 19029), (*writer)->Lookup("alice", 19030));
  auto keys = AddKeys(**writer, {{"alice", 19029}, {"bob", 19029}});
  EXPECT_EQ((*writer)->pending(), 2u);
  ASSERT_TRUE((*writer)->Flush().ok());
  EXPECT_EQ((*writer)->pending(), 0u);
  writer->reset();
  // Stored: another writer, of another catalog, finds them.
  auto other = Open()->GetOrCreateKeys("group-w", {{"alice", 19029}, {"bob", 19029}});
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_EQ((*other)[0].key_link, keys[0].key_link);
  EXPECT_EQ((*other)[0].keyset, keys[0].keyset);
  EXPECT_EQ((*other)[0].expires_at, keys[0].expires_at);
  EXPECT_EQ((*other)[1].key_link, keys[1].key_link);
}

// Flush checkpoints: the keys are then in the database file itself, not only in the WAL
// (and, synchronous = NORMAL syncing both around a checkpoint, on disk).
TEST_F(SqliteCatalogTest, FlushedKeysAreInTheDatabaseFileItself) {
  auto writer = catalog_->OpenKeyGroup("group-c");
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  auto keys = AddKeys(**writer, {{"alice", 19029}, {"bob", 19030}});
  ASSERT_TRUE((*writer)->Flush().ok());
  // A copy of the database file alone, while the writer and its catalog are still open.
  const fs::path copy = dir_ / "copy";
  fs::create_directories(copy);
  for (const char* name : {"catalog.db", "master.key"})
    if (fs::exists(fs::path(home_) / name)) fs::copy_file(fs::path(home_) / name, copy / name);
  auto opened = OpenSqliteCatalog(copy.string());
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto found = (*opened)->GetOrCreateKeys("group-c", {{"alice", 19029}, {"bob", 19030}});
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ((*found)[0].key_link, keys[0].key_link);
  EXPECT_EQ((*found)[1].key_link, keys[1].key_link);
  EXPECT_EQ((*found)[1].keyset, keys[1].keyset);
}

TEST_F(SqliteCatalogTest, KeysOfAWriterClosedWithoutFlushAreDropped) {
  std::array<uint8_t, 16> dropped{};
  {
    auto writer = catalog_->OpenKeyGroup("group-d");
    ASSERT_TRUE(writer.ok());
    dropped = AddKeys(**writer, {{"alice", 19029}})[0].key_link;
  }
  auto keys = catalog_->GetOrCreateKeys("group-d", {{"alice", 19029}});
  ASSERT_TRUE(keys.ok());
  EXPECT_NE((*keys)[0].key_link, dropped);
}

TEST_F(SqliteCatalogTest, AnOpenKeyGroupMakesOtherWritersOfItWait) {
  auto writer = catalog_->OpenKeyGroup("group-x");
  ASSERT_TRUE(writer.ok());
  auto mine = AddKeys(**writer, {{"alice", 19029}});
  std::atomic<bool> done{false};
  std::array<uint8_t, 16> theirs{};
  std::thread other([&] {
    auto catalog = Open();  // another catalog (as another process would)
    auto keys = catalog->GetOrCreateKeys("group-x", {{"alice", 19029}});
    if (keys.ok()) theirs = (*keys)[0].key_link;
    done = true;
  });
  // Another group is not held up.
  auto free_group = Open()->GetOrCreateKeys("group-y", {{"alice", 19029}});
  EXPECT_TRUE(free_group.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(done) << "the second writer of group-x must wait";
  ASSERT_TRUE((*writer)->Flush().ok());
  writer->reset();
  other.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(theirs, mine[0].key_link) << "it then sees the key the first writer stored";
}

TEST_F(SqliteCatalogTest, KeyGroupWriterOfAGroupWithStoredKeysFindsThem) {
  auto stored = catalog_->GetOrCreateKeys("group-s", {{"alice", 19029}});
  ASSERT_TRUE(stored.ok());
  auto other = Open();
  auto writer = other->OpenKeyGroup("group-s");
  ASSERT_TRUE(writer.ok());
  std::vector<KeyLookup> lookups = {(*writer)->Lookup("bob", 19029),
                                    (*writer)->Lookup("alice", 19029)};
  std::vector<std::optional<DataKey>> found(2);
  ASSERT_TRUE((*writer)->FindStored(lookups, found).ok());
  EXPECT_FALSE(found[0].has_value()) << "bob has no key";
  ASSERT_TRUE(found[1].has_value());
  EXPECT_EQ(found[1]->key_link, (*stored)[0].key_link);
  EXPECT_EQ(found[1]->keyset, (*stored)[0].keyset);
  EXPECT_EQ(found[1]->expires_at, (*stored)[0].expires_at);
}

// More keys than two full batches, in blocks as a job adds them; stored by the background
// thread, or in line.
void StoreManyKeys(Catalog& catalog, Catalog& other, const std::string& group,
                   KeyGroupOptions options) {
  constexpr int kKeys = 140000, kBlock = 5000;  // batches are 65,536 keys
  std::vector<std::array<uint8_t, 16>> links;
  {
    auto writer = catalog.OpenKeyGroup(group, options);
    ASSERT_TRUE(writer.ok());
    for (int at = 0; at < kKeys; at += kBlock) {
      std::vector<KeyRequest> block;
      for (int i = at; i < at + kBlock; ++i)
        block.push_back({"user_" + std::to_string(i), 19029 + i % 3});
      for (const DataKey& k : AddKeys(**writer, block)) links.push_back(k.key_link);
    }
    // Full batches are stored before any Flush: in line at once, in the background soon.
    while ((*writer)->pending() >= static_cast<size_t>(kKeys))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE((*writer)->Flush().ok());
    EXPECT_EQ((*writer)->pending(), 0u);
  }
  std::vector<KeyRequest> some;
  for (int i = 0; i < kKeys; i += 997) some.push_back({"user_" + std::to_string(i), 19029 + i % 3});
  auto stored = other.GetOrCreateKeys(group, some);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  for (size_t j = 0; j < some.size(); ++j) EXPECT_EQ((*stored)[j].key_link, links[j * 997]);
  std::set<std::array<uint8_t, 16>> distinct(links.begin(), links.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kKeys));
}

TEST_F(SqliteCatalogTest, KeyGroupWriterStoresFullBatchesInTheBackground) {
  auto other = Open();
  StoreManyKeys(*catalog_, *other, "group-big", KeyGroupOptions{true});
}

TEST_F(SqliteCatalogTest, KeyGroupWriterStoresFullBatchesInLine) {
  auto other = Open();
  StoreManyKeys(*catalog_, *other, "group-big-inline", KeyGroupOptions{false});
}

}  // namespace
}  // namespace strm
