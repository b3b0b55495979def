#include "privacy/consent.h"

#include <gtest/gtest.h>

#include <string>

namespace strm {
namespace {

// The demo job's consent block: extractor PrivacyPlane, "1" -> [1], "2" -> [2], default [0].
ConsentExtractor DemoExtractor() {
  ConsentConfig config;
  config.default_levels = ConsentLevels{0};
  config.extractor_field = "PrivacyPlane";
  config.field_patterns = {{"1", {1}}, {"2", {2}}};
  return ConsentExtractor(config);
}

ConsentLevels Levels(const ConsentExtractor& e, std::string_view value) {
  Result<ConsentLevels> r = e.Extract(value);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : ConsentLevels{-99};
}

TEST(ConsentExtractor, DemoValues) {
  ConsentExtractor e = DemoExtractor();
  EXPECT_EQ(Levels(e, "1"), (ConsentLevels{1}));
  EXPECT_EQ(Levels(e, "2"), (ConsentLevels{2}));
  EXPECT_EQ(Levels(e, "0"), (ConsentLevels{0}));  // the integer rule
  EXPECT_EQ(Levels(e, "x"), (ConsentLevels{0}));  // the default
}

TEST(ConsentExtractor, FieldPatternsWinOverNumbers) {
  ConsentConfig config;
  config.extractor_field = "plane";
  config.field_patterns = {{"3", {1, 2}}, {"gold", {4, 0, 4}}, {" 3", {7}}};
  ConsentExtractor e(config);
  EXPECT_EQ(Levels(e, "3"), (ConsentLevels{1, 2}));
  EXPECT_EQ(Levels(e, " 3"), (ConsentLevels{7}));       // exact match, spaces included
  EXPECT_EQ(Levels(e, "gold"), (ConsentLevels{0, 4}));  // normalized
  EXPECT_EQ(Levels(e, "4"), (ConsentLevels{4}));
}

TEST(ConsentExtractor, IntegersAndLists) {
  ConsentExtractor e = DemoExtractor();
  EXPECT_EQ(Levels(e, " 5 "), (ConsentLevels{5}));
  EXPECT_EQ(Levels(e, "[1,2]"), (ConsentLevels{1, 2}));
  EXPECT_EQ(Levels(e, "1,2"), (ConsentLevels{1, 2}));
  EXPECT_EQ(Levels(e, "[ 1, 2 ]"), (ConsentLevels{1, 2}));
  EXPECT_EQ(Levels(e, "3,1,3,2"), (ConsentLevels{1, 2, 3}));
  EXPECT_EQ(Levels(e, "[]"), (ConsentLevels{}));  // no consent
  EXPECT_EQ(Levels(e, "[ ]"), (ConsentLevels{}));
  EXPECT_EQ(Levels(e, "[7]"), (ConsentLevels{7}));
}

TEST(ConsentExtractor, UnreadableValuesFallToTheDefault) {
  ConsentExtractor e = DemoExtractor();
  for (const char* v : {"", "  ", "-1", "[1,-2]", "1,", ",1", "1,,2", "[1,2", "1,2]", "+1", "1.5",
                        "[[1]]", "99999999999", "one"}) {
    EXPECT_EQ(Levels(e, v), (ConsentLevels{0})) << "value '" << v << "'";
  }
}

TEST(ConsentExtractor, EmptyDefaultMeansNoConsent) {
  ConsentConfig config;
  config.default_levels = ConsentLevels{};
  config.extractor_field = "plane";
  ConsentExtractor e(config);
  EXPECT_EQ(Levels(e, "x"), (ConsentLevels{}));
}

TEST(ConsentExtractor, NoDefaultIsAnError) {
  ConsentConfig config;
  config.extractor_field = "PrivacyPlane";
  ConsentExtractor e(config);
  EXPECT_EQ(Levels(e, "2"), (ConsentLevels{2}));
  Result<ConsentLevels> r = e.Extract("x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "unknown consent value 'x' in field 'PrivacyPlane' and no default_consent_levels");
  // A field that is personal data: its value is not shown.
  EXPECT_EQ(ConsentExtractor(config, /*personal=*/true).Extract("x").status().message(),
            "unknown consent value in field 'PrivacyPlane' (personal data, not shown) and no "
            "default_consent_levels");
}

TEST(ConsentExtractor, WithoutExtractorEveryRowGetsTheDefault) {
  ConsentConfig config;
  config.default_levels = ConsentLevels{2, 0, 2};
  ConsentExtractor e(config);
  EXPECT_EQ(Levels(e, "1"), (ConsentLevels{0, 2}));
  EXPECT_EQ(Levels(e, "anything"), (ConsentLevels{0, 2}));

  ConsentExtractor none{ConsentConfig{}};
  Result<ConsentLevels> r = none.Extract("1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "no consent_level_extractor and no default_consent_levels");
}

TEST(ConsentLevelType, ParsesNamesAndNumbers) {
  EXPECT_EQ(*ParseConsentLevelType("CUMULATIVE"), ConsentLevelType::kCumulative);
  EXPECT_EQ(*ParseConsentLevelType("1"), ConsentLevelType::kCumulative);
  EXPECT_EQ(*ParseConsentLevelType("GRANULAR"), ConsentLevelType::kGranular);
  EXPECT_EQ(*ParseConsentLevelType("2"), ConsentLevelType::kGranular);
  EXPECT_EQ(ConsentLevelTypeName(ConsentLevelType::kCumulative), "CUMULATIVE");
  EXPECT_EQ(ConsentLevelTypeName(ConsentLevelType::kGranular), "GRANULAR");
  for (const char* bad : {"0", "CONSENT_LEVEL_TYPE_UNSPECIFIED", "cumulative", "3", ""}) {
    Result<ConsentLevelType> r = ParseConsentLevelType(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "unknown consent_level_type '" + std::string(bad) +
                                        "' (expected CUMULATIVE or GRANULAR)");
  }
}

TEST(Purpose, Validate) {
  EXPECT_TRUE(Purpose({ConsentLevelType::kCumulative, {2}}).Validate().ok());
  EXPECT_TRUE(Purpose({ConsentLevelType::kGranular, {1, 2}}).Validate().ok());
  EXPECT_EQ(Purpose({ConsentLevelType::kCumulative, {1, 2}}).Validate().message(),
            "a CUMULATIVE purpose needs exactly one consent level, got [1,2]");
  EXPECT_EQ(Purpose({ConsentLevelType::kCumulative, {}}).Validate().message(),
            "a CUMULATIVE purpose needs exactly one consent level, got []");
  EXPECT_EQ(Purpose({ConsentLevelType::kGranular, {}}).Validate().message(),
            "a GRANULAR purpose needs at least one consent level");
  Status negative = Purpose({ConsentLevelType::kGranular, {-1, 2}}).Validate();
  EXPECT_EQ(negative.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(negative.message(), "consent levels must be >= 0, got [-1,2]");
}

TEST(Purpose, CumulativeKeepsRowsAtOrAboveItsLevel) {
  Purpose p{ConsentLevelType::kCumulative, {2}};
  EXPECT_TRUE(p.AllowsRow({2}));
  EXPECT_TRUE(p.AllowsRow({3}));
  EXPECT_TRUE(p.AllowsRow({0, 2}));
  EXPECT_FALSE(p.AllowsRow({1}));
  EXPECT_FALSE(p.AllowsRow({0}));
  EXPECT_FALSE(p.AllowsRow({}));
  EXPECT_TRUE(p.DecryptsField(0));
  EXPECT_TRUE(p.DecryptsField(1));
  EXPECT_TRUE(p.DecryptsField(2));
  EXPECT_FALSE(p.DecryptsField(3));
}

TEST(Purpose, GranularNeedsEveryLevel) {
  Purpose p{ConsentLevelType::kGranular, {1, 2}};
  EXPECT_TRUE(p.AllowsRow({1, 2, 3}));
  EXPECT_TRUE(p.AllowsRow({1, 2}));
  EXPECT_FALSE(p.AllowsRow({2}));
  EXPECT_FALSE(p.AllowsRow({1, 3}));
  EXPECT_FALSE(p.AllowsRow({}));
  EXPECT_TRUE(p.DecryptsField(1));
  EXPECT_TRUE(p.DecryptsField(2));
  EXPECT_FALSE(p.DecryptsField(0));
  EXPECT_FALSE(p.DecryptsField(3));
}

TEST(Purpose, InvalidPurposeKeepsAndDecryptsNothing) {
  Purpose p{ConsentLevelType::kGranular, {}};
  EXPECT_FALSE(p.AllowsRow({0, 1}));
  EXPECT_FALSE(p.DecryptsField(0));
}

// VECTORS.md §5: with the demo consent and CUMULATIVE [2], rows 1, 2 and 7 are kept.
TEST(Purpose, DemoDataSetKeepsRows1_2And7) {
  const char* planes[] = {"2", "2", "1", "0", "0", "1", "2", "0", "1", "0"};
  ConsentExtractor e = DemoExtractor();
  Purpose p{ConsentLevelType::kCumulative, {2}};
  std::vector<int> kept;
  for (int row = 1; row <= 10; ++row) {
    if (p.AllowsRow(Levels(e, planes[row - 1]))) kept.push_back(row);
  }
  EXPECT_EQ(kept, (std::vector<int>{1, 2, 7}));
}

TEST(FormatConsentLevels, RendersWithoutSpaces) {
  EXPECT_EQ(FormatConsentLevels({0, 2}), "[0,2]");
  EXPECT_EQ(FormatConsentLevels({1}), "[1]");
  EXPECT_EQ(FormatConsentLevels({}), "[]");
}

}  // namespace
}  // namespace strm
