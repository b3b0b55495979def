// Streams in the catalog: a record round-trips whole, sealed at rest with its secrets; a
// derived stream needs its source, and a source is not deleted while it has derived streams.
#include "sqlite_catalog_fixture.h"

namespace strm {
namespace {

using namespace ::strm::catalog_testing;  // NOLINT(google-build-using-namespace)

StreamRecord Source(const std::string& name) {
  StreamRecord s;
  s.name = name;
  s.id = "7d2a8c4e-0b1f-4a6e-9c3d-5e8f7a6b4c2d";
  s.description = "clicks of the shop";
  s.tags = {"web", "shop"};
  s.credentials = {{"client-id-1", "the-client-secret-1"}};
  s.created_at = 1700000000000;
  return s;
}

StreamRecord Derived(const std::string& name, const std::string& source) {
  StreamRecord s;
  s.name = name;
  s.id = "1e4d2c3b-5a6f-4b7c-8d9e-0f1a2b3c4d5e";
  s.linked_stream = source;
  s.consent_levels = {1, 2};
  s.consent_level_type = "GRANULAR";
  s.masked_fields = {{"strmprivacy/example/1.3.0", {"uniqueIdentifier"}}};
  s.mask_seed = "the-mask-seed";
  s.created_at = 1700000001000;
  return s;
}

TEST_F(SqliteCatalogTest, StreamsRoundTripWhole) {
  ASSERT_TRUE(catalog_->CreateStream(Source("clicks")).ok());
  ASSERT_TRUE(catalog_->CreateStream(Derived("clicks-2", "clicks")).ok());
  auto got = catalog_->GetStream("clicks");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, Source("clicks"));
  EXPECT_EQ(*catalog_->GetStream("clicks-2"), Derived("clicks-2", "clicks"));
  auto all = catalog_->ListStreams();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "clicks");
  EXPECT_EQ((*all)[1].name, "clicks-2");
}

TEST_F(SqliteCatalogTest, StreamSecretsAreSealedAtRest) {
  ASSERT_TRUE(catalog_->CreateStream(Source("clicks")).ok());
  ASSERT_TRUE(catalog_->CreateStream(Derived("clicks-2", "clicks")).ok());
  const std::string raw = RawDbBytes();
  EXPECT_NE(raw.find("clicks-2"), std::string::npos) << "the raw read sees the rows";
  EXPECT_EQ(raw.find("the-client-secret-1"), std::string::npos);
  EXPECT_EQ(raw.find("the-mask-seed"), std::string::npos);
  EXPECT_EQ(raw.find("clicks of the shop"), std::string::npos) << "the whole record is sealed";
}

TEST_F(SqliteCatalogTest, StreamErrorsNameTheStream) {
  ASSERT_TRUE(catalog_->CreateStream(Source("clicks")).ok());
  Status again = catalog_->CreateStream(Source("clicks"));
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "stream clicks already exists");
  Status orphan = catalog_->CreateStream(Derived("views-1", "views"));
  EXPECT_EQ(orphan.code(), StatusCode::kNotFound);
  EXPECT_EQ(orphan.message(), "stream views does not exist");
  EXPECT_EQ(catalog_->GetStream("views").status().message(), "stream views does not exist");
  EXPECT_EQ(catalog_->DeleteStream("views").code(), StatusCode::kNotFound);

  ASSERT_TRUE(catalog_->CreateStream(Derived("clicks-2", "clicks")).ok());
  ASSERT_TRUE(catalog_->CreateStream(Derived("clicks-1", "clicks")).ok());
  Status blocked = catalog_->DeleteStream("clicks");
  EXPECT_EQ(blocked.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(blocked.message(),
            "stream clicks has derived streams (clicks-1, clicks-2); delete them first");
  ASSERT_TRUE(catalog_->DeleteStream("clicks-1").ok());
  ASSERT_TRUE(catalog_->DeleteStream("clicks-2").ok());
  ASSERT_TRUE(catalog_->DeleteStream("clicks").ok());
  EXPECT_TRUE(catalog_->ListStreams()->empty());
}

}  // namespace
}  // namespace strm
