// The SQLite catalog's API tokens (migration 2's api_tokens table).
#include "sqlite_catalog_fixture.h"

namespace strm {
namespace {

using namespace ::strm::catalog_testing;  // NOLINT(google-build-using-namespace)

ApiToken Token(const std::string& id, const std::string& name, int64_t created_at) {
  ApiToken t;
  t.id = id;
  t.name = name;
  for (size_t i = 0; i < t.digest.size(); ++i) t.digest[i] = static_cast<uint8_t>(i * 7 + id[0]);
  t.created_at = created_at;
  return t;
}

std::vector<std::string> Ids(const std::vector<ApiToken>& ts) {
  std::vector<std::string> ids;
  for (const ApiToken& t : ts) ids.push_back(t.id);
  return ids;
}

TEST_F(SqliteCatalogTest, ApiTokenRoundTrip) {
  const ApiToken t = Token("0a1b2c3d4e5f", "ci pipeline", 1644126192962);
  ASSERT_TRUE(catalog_->CreateApiToken(t).ok());
  auto got = catalog_->GetApiToken("0a1b2c3d4e5f");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->id, t.id);
  EXPECT_EQ(got->name, "ci pipeline");
  EXPECT_EQ(got->digest, t.digest);
  EXPECT_EQ(got->created_at, 1644126192962);
  EXPECT_EQ(got->revoked_at, std::nullopt);
  // Seen by a second catalog on the same home.
  auto other = Open();
  ASSERT_NE(other, nullptr);
  auto again = other->GetApiToken("0a1b2c3d4e5f");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->digest, t.digest);
}

TEST_F(SqliteCatalogTest, DuplicateApiTokenIdIsRefused) {
  ASSERT_TRUE(catalog_->CreateApiToken(Token("0a1b2c3d4e5f", "first", 1)).ok());
  Status s = catalog_->CreateApiToken(Token("0a1b2c3d4e5f", "second", 2));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "API token 0a1b2c3d4e5f already exists");
  EXPECT_EQ(catalog_->GetApiToken("0a1b2c3d4e5f")->name, "first") << "unchanged";
}

TEST_F(SqliteCatalogTest, MissingApiToken) {
  auto t = catalog_->GetApiToken("ffffffffffff");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(t.status().message(), "API token ffffffffffff does not exist");
  Status s = catalog_->RevokeApiToken("nobody", 5);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no API token has the id or name 'nobody'");
}

TEST_F(SqliteCatalogTest, ApiTokensAreListedOldestFirst) {
  auto empty = catalog_->ListApiTokens();
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_THAT(*empty, IsEmpty());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("cccccccccccc", "c", 300)).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("aaaaaaaaaaaa", "a", 100)).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("bbbbbbbbbbbb", "b", 300)).ok());  // tie: by id
  auto all = catalog_->ListApiTokens();
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_THAT(Ids(*all), ElementsAre("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"));
}

TEST_F(SqliteCatalogTest, RevokingByIdOrNameKeepsTheFirstTime) {
  ASSERT_TRUE(catalog_->CreateApiToken(Token("aaaaaaaaaaaa", "deploy", 100)).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("bbbbbbbbbbbb", "ci", 200)).ok());
  ASSERT_TRUE(catalog_->RevokeApiToken("aaaaaaaaaaaa", 1000).ok());
  ASSERT_TRUE(catalog_->RevokeApiToken("ci", 2000).ok());
  EXPECT_EQ(catalog_->GetApiToken("aaaaaaaaaaaa")->revoked_at, 1000);
  EXPECT_EQ(catalog_->GetApiToken("bbbbbbbbbbbb")->revoked_at, 2000);
  // Again, later: the first time stays.
  ASSERT_TRUE(catalog_->RevokeApiToken("deploy", 5000).ok());
  ASSERT_TRUE(catalog_->RevokeApiToken("bbbbbbbbbbbb", 5000).ok());
  EXPECT_EQ(catalog_->GetApiToken("aaaaaaaaaaaa")->revoked_at, 1000);
  EXPECT_EQ(catalog_->GetApiToken("bbbbbbbbbbbb")->revoked_at, 2000);
  // Created revoked (a token copied from elsewhere) reads back so.
  ApiToken old = Token("dddddddddddd", "old", 50);
  old.revoked_at = 60;
  ASSERT_TRUE(catalog_->CreateApiToken(old).ok());
  EXPECT_EQ(catalog_->GetApiToken("dddddddddddd")->revoked_at, 60);
}

// A name two tokens share does not say which one to revoke: neither is.
TEST_F(SqliteCatalogTest, RevokingASharedNameIsRefused) {
  ASSERT_TRUE(catalog_->CreateApiToken(Token("bbbbbbbbbbbb", "ci", 100)).ok());
  ASSERT_TRUE(catalog_->CreateApiToken(Token("aaaaaaaaaaaa", "ci", 200)).ok());
  Status s = catalog_->RevokeApiToken("ci", 1000);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "2 API tokens are named 'ci' (aaaaaaaaaaaa, bbbbbbbbbbbb); revoke one by id");
  for (const ApiToken& t : *catalog_->ListApiTokens()) EXPECT_EQ(t.revoked_at, std::nullopt);
  // By id, either can be.
  ASSERT_TRUE(catalog_->RevokeApiToken("aaaaaaaaaaaa", 1000).ok());
  EXPECT_EQ(catalog_->GetApiToken("aaaaaaaaaaaa")->revoked_at, 1000);
  EXPECT_EQ(catalog_->GetApiToken("bbbbbbbbbbbb")->revoked_at, std::nullopt);
}

}  // namespace
}  // namespace strm
