#include "platform/api_tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base64url.h"
#include "core/bytes.h"
#include "testing/test_support.h"

namespace strm {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::array<uint8_t, 32> Sha256Of(std::string_view text) {
  std::array<uint8_t, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d.data());
  return d;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ApiTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-api-tokens-" + NewUuidV4());
    auto c = OpenSqliteCatalog(dir_.string());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(c).value();
  }
  void TearDown() override {
    catalog_.reset();
    fs::remove_all(dir_);
  }

  // A new token, stored; its text.
  std::string Stored(const std::string& name) {
    auto made = NewApiToken(name);
    EXPECT_TRUE(made.ok()) << made.status().message();
    if (!made.ok()) return "";
    EXPECT_TRUE(catalog_->CreateApiToken(made->first).ok());
    return made->second;
  }

  // A failed check whose message is exactly `expected` and holds no part of `text`'s secret.
  void ExpectDenied(std::string_view text, const std::string& expected) {
    Status s = VerifyApiToken(*catalog_, text);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << text;
    EXPECT_EQ(s.message(), expected) << text;
    if (text.size() > 18) {
      EXPECT_THAT(s.message(), Not(HasSubstr(std::string(text.substr(18)))));
    }
  }

  ::strm::testing::MasterKeyEnv env_;
  fs::path dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST(NewApiToken, TextAndRecord) {
  const int64_t before = NowMillis();
  auto made = NewApiToken("ci-pipeline");
  ASSERT_TRUE(made.ok()) << made.status().message();
  const auto& [token, text] = *made;
  EXPECT_THAT(text, MatchesRegex("strm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}"));
  EXPECT_EQ(text.size(), 61u);
  EXPECT_EQ(token.id, text.substr(5, 12));
  EXPECT_EQ(token.name, "ci-pipeline");
  EXPECT_EQ(token.digest, Sha256Of(text)) << "the SHA-256 of the whole text";
  EXPECT_GE(token.created_at, before);
  EXPECT_LE(token.created_at, NowMillis());
  EXPECT_EQ(token.revoked_at, std::nullopt);
  auto secret = Base64UrlDecode(text.substr(18));
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->size(), 32u);
  auto other = NewApiToken("ci-pipeline");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->second, text);
  EXPECT_NE(other->first.id, token.id);
}

TEST(NewApiToken, NamesFollowTheEntityRules) {
  for (const char* name : {"", "ci", "with space", "a/b"}) {
    auto made = NewApiToken(name);
    ASSERT_FALSE(made.ok()) << name;
    EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(made.status().message(), HasSubstr("API token name"));
  }
}

TEST_F(ApiTokensTest, StoredTokenVerifies) {
  const std::string a = Stored("ci-pipeline");
  const std::string b = Stored("ci-pipeline");  // names need not be unique
  EXPECT_TRUE(VerifyApiToken(*catalog_, a).ok());
  EXPECT_TRUE(VerifyApiToken(*catalog_, b).ok());
}

TEST_F(ApiTokensTest, WrongSecretIsInvalid) {
  const std::string text = Stored("ci-pipeline");
  // Another token's secret under this id.
  const std::string other = NewApiToken("other-one")->second;
  ExpectDenied(text.substr(0, 18) + other.substr(18), "invalid API token");
  // One character changed, anywhere in the secret.
  for (size_t i : {size_t{18}, size_t{40}, text.size() - 1}) {
    std::string changed = text;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    ExpectDenied(changed, "invalid API token");
  }
}

TEST_F(ApiTokensTest, UnknownIdIsInvalid) {
  Stored("ci-pipeline");
  const std::string never_stored = NewApiToken("not-stored")->second;
  ExpectDenied(never_stored, "invalid API token");
}

TEST_F(ApiTokensTest, MalformedTextsAreInvalid) {
  const std::string text = Stored("ci-pipeline");
  std::string upper_id = text;
  for (size_t i = 5; i < 17; ++i) upper_id[i] = static_cast<char>(std::toupper(upper_id[i]));
  std::string bad_char = text;
  bad_char[30] = '+';
  const std::string malformed[] = {
      "",
      "strm_",
      "Bearer x",
      "Bearer " + text,
      text + " ",
      " " + text,
      text + "=",
      text.substr(0, text.size() - 1),
      "strm-" + text.substr(5),
      text.substr(0, 17) + "-" + text.substr(18),
      bad_char,
      text + "\n",
      std::string(text.data(), 30) + '\0' + text.substr(31),
  };
  for (const std::string& m : malformed) ExpectDenied(m, "invalid API token");
  if (upper_id != text) ExpectDenied(upper_id, "invalid API token");
}

TEST_F(ApiTokensTest, RevokedTokenIsDeniedAsRevoked) {
  const std::string text = Stored("ci-pipeline");
  const std::string id = text.substr(5, 12);
  const std::string kept = Stored("deploy-bot");
  ASSERT_TRUE(catalog_->RevokeApiToken("ci-pipeline", NowMillis()).ok());
  ExpectDenied(text, "API token 'ci-pipeline' (" + id + ") was revoked");
  // Only the right text learns that it was revoked.
  std::string wrong = text;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  ExpectDenied(wrong, "invalid API token");
  EXPECT_TRUE(VerifyApiToken(*catalog_, kept).ok());
}

// The catalog holds the digest, never the text nor its secret.
TEST_F(ApiTokensTest, DigestIsStoredNotText) {
  auto made = NewApiToken("ci-pipeline");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(catalog_->CreateApiToken(made->first).ok());
  const std::string& text = made->second;
  std::string bytes = ReadFile(dir_ / "catalog.db");
  if (fs::exists(dir_ / "catalog.db-wal")) bytes += ReadFile(dir_ / "catalog.db-wal");
  EXPECT_THAT(bytes, HasSubstr(std::string(AsChars(made->first.digest))))
      << "the digest is in these bytes";
  EXPECT_THAT(bytes, Not(HasSubstr(text)));
  EXPECT_THAT(bytes, Not(HasSubstr(text.substr(18))));
  EXPECT_THAT(bytes, Not(HasSubstr(text.substr(18, 20))));
}

}  // namespace
}  // namespace strm
