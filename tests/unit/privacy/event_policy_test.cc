// What a purpose does to each field of a contract (privacy/event_policy.h), the rules that
// batch jobs' derived outputs and derived streams share.
#include "privacy/event_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "privacy/builtin_contracts.h"

namespace strm {
namespace {

const DataContract& Example() { return BuiltinContracts()[0]; }  // PII 1, 2 (key), 3

std::vector<FieldOutput> Outputs(const PurposePolicy& p) {
  std::vector<FieldOutput> out;
  for (const PurposeField& f : p.fields) out.push_back(f.output);
  return out;
}

TEST(EventPolicy, APurposeDecryptsItsLevelsAndMasksOnlyWhatItMaySee) {
  // Leaves: uniqueIdentifier (1), consistentValue (2), someSensitiveValue (3),
  // notSensitiveValue (not PII).
  using enum FieldOutput;
  Purpose granular{ConsentLevelType::kGranular, {1, 3}};
  EXPECT_THAT(Outputs(MakePurposePolicy(Example(), granular, nullptr, std::nullopt)),
              ::testing::ElementsAre(kPlaintext, kAsStored, kPlaintext, kAsStored));
  Purpose cumulative{ConsentLevelType::kCumulative, {2}};
  EXPECT_THAT(Outputs(MakePurposePolicy(Example(), cumulative, nullptr, std::nullopt)),
              ::testing::ElementsAre(kPlaintext, kPlaintext, kAsStored, kAsStored));
  // Masked: a decrypted PII field and a plain field are masked; consistentValue, which this
  // purpose does not decrypt, keeps its ciphertext (a mask of it would link what consent
  // does not).
  const std::vector<std::string> masks = {"uniqueIdentifier", "consistentValue", "not*"};
  PurposePolicy p =
      MakePurposePolicy(Example(), granular, &masks, Masker(HashType::kMurmur3_128, "seed"));
  EXPECT_THAT(Outputs(p),
              ::testing::ElementsAre(kMaskOfPlaintext, kAsStored, kPlaintext, kMaskOfPlaintext));
  EXPECT_TRUE(p.masker.has_value());
  EXPECT_EQ(p.fields[1].pii_level, 2);
  EXPECT_EQ(p.fields[3].pii_level, -1);
  EXPECT_TRUE(p.Sees({0, 1, 3}));
  EXPECT_FALSE(p.Sees({1}));
}

TEST(EventPolicy, PatternsAreGlobsAndMustMatchAField) {
  EXPECT_TRUE(MatchesFieldPattern("Private*", "PrivateFieldA"));
  EXPECT_TRUE(MatchesFieldPattern("*Value", "consistentValue"));
  EXPECT_TRUE(MatchesFieldPattern("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(MatchesFieldPattern("a*b*c", "aXbYbZ"));
  EXPECT_FALSE(MatchesFieldPattern("Email", "email"));
  EXPECT_TRUE(CheckMaskPatterns(Example(), {"unique*", "notSensitiveValue"}, "x").ok());
  EXPECT_EQ(CheckMaskPatterns(Example(), {"uniqueIdentifer"}, "derived stream demo-M1").message(),
            "derived stream demo-M1: pattern 'uniqueIdentifer' matches no field of contract "
            "strmprivacy/example/1.3.0");
}

}  // namespace
}  // namespace strm
