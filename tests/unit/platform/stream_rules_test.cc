// The rules of streams without a catalog (platform/stream_rules.h), as SPEC §3 writes them.
#include "platform/stream_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base64url.h"

namespace strm {
namespace {

using ::testing::ElementsAre;

TEST(StreamRules, DerivedStreamsAreNamedAfterTheirSourceAndLevels) {
  const std::vector<int> three = {3}, two = {1, 2};
  EXPECT_EQ(DefaultDerivedStreamName("example", three, true), "example-M3");
  EXPECT_EQ(DefaultDerivedStreamName("example", two, false), "example-1-2");
  EXPECT_EQ(DefaultDerivedStreamName("clicks", two, true), "clicks-M1-2");
}

TEST(StreamRules, PurposeLevelsAreSortedIntegersEachOnce) {
  EXPECT_THAT(*ParsePurposeLevels("2,1"), ElementsAre(1, 2));
  EXPECT_THAT(*ParsePurposeLevels(" 0 , 3,3"), ElementsAre(0, 3));
  EXPECT_EQ(ParsePurposeLevels("1,x").status().message(),
            "purposes: 'x' is not a purpose level (an integer >= 0)");
  EXPECT_EQ(ParsePurposeLevels("-1").status().message(),
            "purposes: '-1' is not a purpose level (an integer >= 0)");
  EXPECT_EQ(ParsePurposeLevels("1,,2").status().message(),
            "purposes: '' is not a purpose level (an integer >= 0)");
  EXPECT_EQ(ParsePurposeLevels("").status().message(), "purposes: give at least one purpose level");
}

TEST(StreamRules, MaskedFieldsNameAContractAndItsFields) {
  auto m = ParseMaskedFieldsFlag("strmprivacy/example/1.3.0:uniqueIdentifier, someSensitiveValue");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->first, "strmprivacy/example/1.3.0");
  EXPECT_THAT(m->second, ElementsAre("uniqueIdentifier", "someSensitiveValue"));
  EXPECT_EQ(ParseMaskedFieldsFlag("strmprivacy/example/1.3.0").status().message(),
            "masked fields 'strmprivacy/example/1.3.0' must be handle/name/version:field1,field2");
  EXPECT_EQ(ParseMaskedFieldsFlag("strmprivacy/example/1.3.0:a,,b").status().message(),
            "masked fields of strmprivacy/example/1.3.0: a field name is empty");
  EXPECT_EQ(ParseMaskedFieldsFlag("example:a").status().code(), StatusCode::kInvalidArgument);
}

TEST(StreamRules, NewCredentialsAreRandomAndLongEnough) {
  const StreamCredential a = NewStreamCredential(), b = NewStreamCredential();
  EXPECT_EQ(a.client_id.size(), 36u);
  EXPECT_NE(a.client_id, b.client_id);
  EXPECT_NE(a.client_secret, b.client_secret);
  auto secret = Base64UrlDecode(a.client_secret);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->size(), 32u);
}

}  // namespace
}  // namespace strm
