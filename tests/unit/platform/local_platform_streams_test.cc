// Streams and key streams on the embedded platform (platform.h, platform/local_streams.h):
// what strm gives a new stream, the rules of derived streams, deletes and key streams.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "local_platform_fixture.h"
#include "platform/entity_json.h"

namespace strm::platform_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

StreamRecord Source(const std::string& name) {
  StreamRecord s;
  s.name = name;
  return s;
}

StreamRecord Derived(const std::string& source, std::vector<int> levels) {
  StreamRecord s;
  s.linked_stream = source;
  s.consent_levels = std::move(levels);
  return s;
}

TEST_F(LocalPlatformTest, ASourceStreamGetsAnIdAndOneClient) {
  StreamRecord wanted = Source("demo");
  wanted.description = "clicks of the demo";
  wanted.tags = {"web", "demo"};
  auto made = platform_->CreateStream(wanted);
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_THAT(made->id, MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                     "[0-9a-f]{12}"));
  ASSERT_THAT(made->credentials, SizeIs(1));
  EXPECT_EQ(made->credentials[0].client_id.size(), 36u);
  EXPECT_EQ(made->credentials[0].client_secret.size(), 43u);  // 32 bytes, base64url
  EXPECT_GT(made->created_at, 0);
  auto got = platform_->GetStream("demo");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *made);  // the secret is kept (sealed), for --include-credentials
  EXPECT_EQ(got->description, "clicks of the demo");
  EXPECT_THAT(got->tags, ElementsAre("web", "demo"));

  EXPECT_EQ(platform_->CreateStream(Source("demo")).status().message(),
            "stream demo already exists");
  EXPECT_EQ(platform_->CreateStream(Source("no")).status().message(),
            "stream name 'no' must have 4 to 100 characters");
  EXPECT_EQ(platform_->CreateStream(Source("")).status().message(), "a source stream needs a name");
  StreamRecord with_levels = Source("other");
  with_levels.consent_levels = {1};
  EXPECT_THAT(platform_->CreateStream(with_levels).status().message(),
              HasSubstr("belong to a derived stream"));
}

TEST_F(LocalPlatformTest, DerivedStreamsFollowTheirSourceAndContract) {
  ASSERT_TRUE(platform_->CreateStream(Source("example")).ok());
  auto plain = platform_->CreateStream(Derived("example", {2, 1, 2}));
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->name, "example-1-2");
  EXPECT_THAT(plain->consent_levels, ElementsAre(1, 2));
  EXPECT_EQ(plain->consent_level_type, "GRANULAR");
  EXPECT_THAT(plain->credentials, SizeIs(1));  // for egress
  EXPECT_TRUE(plain->mask_seed.empty());

  StreamRecord masked = Derived("example", {3});
  masked.masked_fields["strmprivacy/example/1.3.0"] = {"uniqueIdentifier"};
  auto m = platform_->CreateStream(masked);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->name, "example-M3");
  EXPECT_EQ(m->mask_seed.size(), 32u);  // made, as none was given: 24 random bytes

  StreamRecord typo = Derived("example", {3});
  typo.name = "typo";
  typo.masked_fields["strmprivacy/example/1.3.0"] = {"uniqueIdentifer"};
  EXPECT_EQ(platform_->CreateStream(typo).status().message(),
            "masked field 'uniqueIdentifer' is not a field of data contract "
            "strmprivacy/example/1.3.0");
  typo.masked_fields = {{"acme/none/1.0.0", {"x"}}};
  EXPECT_EQ(platform_->CreateStream(typo).status().code(), StatusCode::kNotFound);
  typo.masked_fields.clear();
  typo.mask_seed = "s33d";
  EXPECT_THAT(platform_->CreateStream(typo).status().message(),
              HasSubstr("a mask seed needs masked fields"));

  EXPECT_EQ(platform_->CreateStream(Derived("missing", {1})).status().message(),
            "stream missing does not exist");
  EXPECT_EQ(platform_->CreateStream(Derived("example-1-2", {1})).status().message(),
            "stream example-1-2 is itself derived (from example); derive from a source stream");
  EXPECT_THAT(platform_->CreateStream(Derived("example", {})).status().message(),
              HasSubstr("needs its purposes"));
}

TEST_F(LocalPlatformTest, ASourceWithDerivedStreamsIsDeletedOnlyRecursively) {
  ASSERT_TRUE(platform_->CreateStream(Source("example")).ok());
  ASSERT_TRUE(platform_->CreateStream(Derived("example", {1})).ok());
  ASSERT_TRUE(platform_->CreateStream(Derived("example", {2})).ok());
  ASSERT_TRUE(platform_->CreateStream(Source("other")).ok());
  EXPECT_EQ(platform_->DeleteStream("example", false).message(),
            "stream example has derived streams (example-1, example-2); delete them first");
  ASSERT_TRUE(platform_->DeleteStream("example-1", false).ok());
  ASSERT_TRUE(platform_->DeleteStream("example", true).ok());
  auto left = platform_->ListStreams();
  ASSERT_TRUE(left.ok());
  ASSERT_THAT(*left, SizeIs(1));
  EXPECT_EQ((*left)[0].name, "other");
  EXPECT_EQ(platform_->DeleteStream("example", true).message(), "stream example does not exist");
}

TEST_F(LocalPlatformTest, EverySourceStreamHasAKeyStreamOfItsName) {
  auto source = platform_->CreateStream(Source("example"));
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE(platform_->CreateStream(Derived("example", {1})).ok());
  auto keys = platform_->GetKeyStream("example");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(*keys, (KeyStream{"example", source->id, source->created_at}));
  auto all = platform_->ListKeyStreams();
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre(*keys));  // none for the derived stream
  EXPECT_EQ(platform_->GetKeyStream("example-1").status().message(),
            "stream example-1 is derived and has no key stream; its source's is key stream "
            "example");
  EXPECT_EQ(platform_->GetKeyStream("nope").status().message(), "key stream nope does not exist");
}

TEST(EntityJsonStream, RoundTripsWithSecretsAndMasksThem) {
  StreamRecord s;
  s.name = "example-M3";
  s.id = "2f0c5b1e-5f6a-4c1d-9b2e-0a1b2c3d4e5f";
  s.description = "masked";
  s.tags = {"a"};
  s.linked_stream = "example";
  s.consent_levels = {3};
  s.consent_level_type = "GRANULAR";
  s.masked_fields["strmprivacy/example/1.3.0"] = {"uniqueIdentifier", "someSensitiveValue"};
  s.mask_seed = "SEED-NOT-SHOWN";
  s.credentials = {{"client-1", "SECRET-NOT-SHOWN"}};
  s.created_at = 1764936000123;
  auto back = StreamFromJson(StreamJson(s, Secrets::kIncluded));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, s);
  const std::string masked = StreamJson(s, Secrets::kMasked).dump();
  EXPECT_THAT(masked, Not(HasSubstr("SEED-NOT-SHOWN")));
  EXPECT_THAT(masked, Not(HasSubstr("SECRET-NOT-SHOWN")));
  EXPECT_THAT(masked,
              HasSubstr(R"("credentials":[{"clientId":"client-1","clientSecret":"****"}])"));
  EXPECT_THAT(masked, HasSubstr(R"("name":"example-M3")"));

  EXPECT_EQ(StreamFromJson(nlohmann::json{{"consent_levels", {1, -1}}}).status().message(),
            "stream JSON: field 'consent_levels' must be an array of integers >= 0");
  EXPECT_EQ(StreamFromJson(nlohmann::json{{"tags", "a,b"}}).status().message(),
            "stream JSON: field 'tags' must be an array of strings");
  KeyStream k{"example", s.id, s.created_at};
  EXPECT_EQ(*KeyStreamFromJson(KeyStreamJson(k)), k);
}

}  // namespace
}  // namespace strm::platform_testing
