#include "jobs/batch_job_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

using nlohmann::json;

std::string Demo() {
  std::ifstream in(std::string(STRM_TEST_DATA_DIR) + "/demo/job.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The demo with the one occurrence of `from` replaced (line numbers below refer to the demo).
std::string Edit(std::string_view from, std::string_view to, std::string text = Demo()) {
  size_t p = text.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  EXPECT_EQ(text.find(from, p + 1), std::string::npos) << "ambiguous: " << from;
  if (p != std::string::npos) text.replace(p, from.size(), to);
  return text;
}

std::string Error(std::string_view text) {
  Result<BatchJobConfig> c = ParseBatchJobConfig(text, "job.json");
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  return c.status().message();
}

BatchJobConfig Parse(std::string_view text) {
  Result<BatchJobConfig> c = ParseBatchJobConfig(text, "job.json");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : BatchJobConfig{};
}

// The demo without one root member.
std::string DemoWithout(const std::string& member) {
  json j = json::parse(Demo());
  j.erase(member);
  return j.dump(2);
}

std::string PurposeError(ConsentLevelType type, ConsentLevels levels) {
  return Purpose{type, std::move(levels)}.Validate().message();
}

TEST(BatchJobConfig, LoadsTheDemoJob) {
  BatchJobConfig c = Parse(Demo());
  EXPECT_EQ(c.id, "");
  EXPECT_EQ(c.source, (DataLocation{"databert-demo", "", "input.csv", "UTF-8"}));
  ASSERT_TRUE(c.consent.default_levels.has_value());
  EXPECT_EQ(*c.consent.default_levels, ConsentLevels{0});
  EXPECT_EQ(c.consent.extractor_field, "PrivacyPlane");
  EXPECT_EQ(c.consent.field_patterns,
            (std::map<std::string, ConsentLevels>{{"1", {1}}, {"2", {2}}}));
  EXPECT_EQ(c.timestamp, (TimestampConfig{"Timestamp", "yyyy-MM-dd HH.mm.ss.nnnnnn:Z", "UTC"}));
  EXPECT_EQ(c.batch_job_group_id, "");
  EXPECT_EQ(c.contract, (ContractRef{"databert-handle", "batch_job_public", "1.0.0"}));
  EXPECT_EQ(c.encrypted_data, (DataLocation{"databert-demo", "", "out/encrypted.csv", "UTF-8"}));
  EXPECT_EQ(c.encryption_keys_data, (DataLocation{"databert-demo", "", "out/keys.csv", "UTF-8"}));
  ASSERT_EQ(c.derived_data.size(), 1u);
  const DerivedDataConfig& d = c.derived_data[0];
  EXPECT_EQ(d.target, (DataLocation{"databert-demo", "", "out/derived-2.csv", "UTF-8"}));
  EXPECT_EQ(d.purpose.type, ConsentLevelType::kCumulative);
  EXPECT_EQ(d.purpose.levels, ConsentLevels{2});
  ASSERT_TRUE(d.masked_fields.has_value());
  EXPECT_EQ(
      *d.masked_fields,
      (MaskedFieldsConfig{HashType::kMurmur3_128,
                          "hi-there",
                          {{"databert-handle/batch_job_public/1.0.0", {"Email", "UserName"}}}}));
  EXPECT_FALSE(c.masked_fields.has_value());
  EXPECT_EQ(c.on_error, OnError::kFail);
  EXPECT_FALSE(c.rejected_data.has_value());
}

constexpr const char* kCamelDemo = R"({
  "ref": { "billingId": "ignored_billing_id" },
  "sourceData": {
    "dataConnectorRef": { "billingId": "ignored_billing_id", "name": "databert-demo" },
    "fileName": "input.csv",
    "dataType": { "csv": { "charset": "UTF-8" } }
  },
  "consent": {
    "defaultConsentLevels": [0],
    "consentLevelExtractor": {
      "field": "PrivacyPlane",
      "fieldPatterns": {
        "1": { "consentLevels": [1] },
        "2": { "consentLevels": [2] }
      }
    }
  },
  "encryption": {
    "timestampConfig": {
      "field": "Timestamp",
      "format": "yyyy-MM-dd HH.mm.ss.nnnnnn:Z",
      "defaultTimeZone": { "id": "UTC" }
    },
    "batchJobGroupId": null
  },
  "eventContractRef": { "handle": "databert-handle", "name": "batch_job_public", "version": "1.0.0" },
  "encryptedData": {
    "target": {
      "dataConnectorRef": { "name": "databert-demo" },
      "dataType": { "csv": { "charset": "UTF-8" } },
      "fileName": "out/encrypted.csv"
    }
  },
  "encryptionKeysData": {
    "target": {
      "dataConnectorRef": { "name": "databert-demo" },
      "dataType": { "csv": { "charset": "UTF-8" } },
      "fileName": "out/keys.csv"
    }
  },
  "derivedData": [
    {
      "target": {
        "dataConnectorRef": { "name": "databert-demo" },
        "dataType": { "csv": { "charset": "UTF-8" } },
        "fileName": "out/derived-2.csv"
      },
      "consentLevels": [2],
      "consentLevelType": "CUMULATIVE",
      "maskedFields": {
        "seed": "hi-there",
        "fieldPatterns": {
          "databert-handle/batch_job_public/1.0.0": { "fieldPatterns": ["Email", "UserName"] }
        }
      }
    }
  ]
})";

TEST(BatchJobConfig, LowerCamelCaseKeysGiveTheSameConfig) {
  BatchJobConfig camel = Parse(kCamelDemo);
  BatchJobConfig snake = Parse(Demo());
  EXPECT_EQ(BatchJobConfigToJson(camel), BatchJobConfigToJson(snake));
  EXPECT_EQ(camel.source, snake.source);
  EXPECT_EQ(camel.consent.field_patterns, snake.consent.field_patterns);
  ASSERT_EQ(camel.derived_data.size(), 1u);
  EXPECT_EQ(camel.derived_data[0].masked_fields, snake.derived_data[0].masked_fields);
}

TEST(BatchJobConfig, CanonicalJsonOfTheDemo) {
  json expected = json::parse(R"({
  "source_data": {
    "data_connector_ref": { "name": "databert-demo" },
    "file_name": "input.csv",
    "data_type": { "csv": { "charset": "UTF-8" } }
  },
  "consent": {
    "default_consent_levels": [0],
    "consent_level_extractor": {
      "field": "PrivacyPlane",
      "field_patterns": { "1": { "consent_levels": [1] }, "2": { "consent_levels": [2] } }
    }
  },
  "encryption": {
    "timestamp_config": {
      "field": "Timestamp",
      "format": "yyyy-MM-dd HH.mm.ss.nnnnnn:Z",
      "default_time_zone": { "id": "UTC" }
    }
  },
  "event_contract_ref": { "handle": "databert-handle", "name": "batch_job_public", "version": "1.0.0" },
  "encrypted_data": { "target": {
      "data_connector_ref": { "name": "databert-demo" },
      "data_type": { "csv": { "charset": "UTF-8" } },
      "file_name": "out/encrypted.csv" } },
  "encryption_keys_data": { "target": {
      "data_connector_ref": { "name": "databert-demo" },
      "data_type": { "csv": { "charset": "UTF-8" } },
      "file_name": "out/keys.csv" } },
  "derived_data": [ {
      "target": {
        "data_connector_ref": { "name": "databert-demo" },
        "data_type": { "csv": { "charset": "UTF-8" } },
        "file_name": "out/derived-2.csv"
      },
      "consent_levels": [2],
      "consent_level_type": "CUMULATIVE",
      "masked_fields": {
        "hash_type": "MURMUR3_128",
        "seed": "hi-there",
        "field_patterns": {
          "databert-handle/batch_job_public/1.0.0": { "field_patterns": ["Email", "UserName"] }
        }
      } } ],
  "on_error": "FAIL"
})");
  EXPECT_EQ(BatchJobConfigToJson(Parse(Demo())), expected);
}

TEST(BatchJobConfig, RoundTripsThroughCanonicalJson) {
  BatchJobConfig c = Parse(Demo());
  c.id = "3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60";
  c.source = {"src", "in/2024", "*.csv", "ISO-8859-1"};
  c.consent.default_levels = ConsentLevels{};
  c.timestamp.default_zone = "Europe/Amsterdam";
  c.batch_job_group_id = "group-1";
  c.derived_data.push_back(
      {{"dst", "", "out/granular.csv", "UTF-8"}, {ConsentLevelType::kGranular, {1, 3}}, {}});
  c.masked_fields = MaskedFieldsConfig{HashType::kHmacSha256, "", {{"a/b/1.2.3", {"x*", "y"}}}};
  c.on_error = OnError::kSkip;
  c.rejected_data = DataLocation{"rej", "p", "bad.csv", "UTF-8"};

  json j = BatchJobConfigToJson(c);
  BatchJobConfig back = Parse(j.dump(2));
  EXPECT_EQ(BatchJobConfigToJson(back), j);
  EXPECT_EQ(back.id, c.id);
  EXPECT_EQ(back.source, c.source);
  EXPECT_EQ(back.consent.default_levels, ConsentLevels{});
  EXPECT_EQ(back.timestamp, c.timestamp);
  EXPECT_EQ(back.batch_job_group_id, "group-1");
  ASSERT_EQ(back.derived_data.size(), 2u);
  EXPECT_EQ(back.derived_data[1].target, c.derived_data[1].target);
  EXPECT_EQ(back.derived_data[1].purpose.type, ConsentLevelType::kGranular);
  EXPECT_EQ(back.derived_data[1].purpose.levels, (ConsentLevels{1, 3}));
  EXPECT_FALSE(back.derived_data[1].masked_fields.has_value());
  EXPECT_EQ(back.masked_fields, c.masked_fields);
  EXPECT_EQ(back.on_error, OnError::kSkip);
  EXPECT_EQ(back.rejected_data, c.rejected_data);
  // Absent optionals are omitted.
  EXPECT_FALSE(BatchJobConfigToJson(Parse(Demo())).contains("ref"));
  EXPECT_FALSE(j["derived_data"][1].contains("masked_fields"));
  EXPECT_FALSE(j["masked_fields"].contains("seed"));
  EXPECT_EQ(j["masked_fields"]["hash_type"], "HMAC_SHA256");
  EXPECT_EQ(j["consent"], json::parse(R"({"default_consent_levels": [],
      "consent_level_extractor": {"field": "PrivacyPlane", "field_patterns": {
        "1": {"consent_levels": [1]}, "2": {"consent_levels": [2]}}}})"));
}

TEST(BatchJobConfig, EnumsMayBeNumbers) {
  BatchJobConfig c =
      Parse(Edit(R"("consent_level_type": "CUMULATIVE")", R"("consent_level_type": 1)"));
  EXPECT_EQ(c.derived_data[0].purpose.type, ConsentLevelType::kCumulative);

  c = Parse(Edit(R"("consent_levels": [2],
      "consent_level_type": "CUMULATIVE")",
                 R"("consent_levels": [1, 2],
      "consent_level_type": "2")"));
  EXPECT_EQ(c.derived_data[0].purpose.type, ConsentLevelType::kGranular);
  EXPECT_EQ(c.derived_data[0].purpose.levels, (ConsentLevels{1, 2}));

  c = Parse(Edit(R"("seed": "hi-there",)", R"("seed": "hi-there", "hash_type": 2,)"));
  EXPECT_EQ(c.derived_data[0].masked_fields->hash_type, HashType::kHmacSha256);
  c = Parse(Edit(R"("seed": "hi-there",)", R"("seed": "hi-there", "hashType": "HMAC_SHA256",)"));
  EXPECT_EQ(c.derived_data[0].masked_fields->hash_type, HashType::kHmacSha256);
  c = Parse(Edit(R"("seed": "hi-there",)", R"("seed": "hi-there", "hash_type": "1",)"));
  EXPECT_EQ(c.derived_data[0].masked_fields->hash_type, HashType::kMurmur3_128);
}

TEST(BatchJobConfig, LevelsAreSortedAndMayBeStrings) {
  BatchJobConfig c = Parse(Edit("[0],", R"(["2", 0, 2, 1],)"));
  EXPECT_EQ(*c.consent.default_levels, (ConsentLevels{0, 1, 2}));
}

TEST(BatchJobConfig, UnknownKeysNameKeyAndLine) {
  EXPECT_EQ(Error(Edit(R"("file_name": "input.csv")", R"("fileNme": "input.csv")")),
            "job.json line 5: unknown key 'fileNme' in source_data");
  EXPECT_EQ(Error(Edit(R"("consent": {)", R"("consents": {)")),
            "job.json line 8: unknown key 'consents' in the document");
  EXPECT_EQ(Error(Edit(R"("file_name": "out/derived-2.csv")",
                       R"("file_name": "out/derived-2.csv", "extra": 1)")),
            "job.json line 46: unknown key 'extra' in derived_data[0].target");
  EXPECT_EQ(Error(Edit(R"("1": { "consent_levels": [1] })",
                       R"("1": { "consent_levels": [1], "levels": [1] })")),
            "job.json line 13: unknown key 'levels' in "
            "consent.consent_level_extractor.field_patterns['1']");
  EXPECT_EQ(Error(Edit(R"("seed": "hi-there")", R"("sed": "hi-there")")),
            "job.json line 51: unknown key 'sed' in derived_data[0].masked_fields");
  EXPECT_EQ(Error(Edit(R"({ "field_patterns": ["Email", "UserName"] })",
                       R"({ "fields": ["Email", "UserName"] })")),
            "job.json line 53: unknown key 'fields' in derived_data[0].masked_fields."
            "field_patterns['databert-handle/batch_job_public/1.0.0']");
  EXPECT_EQ(Error(Edit(R"({ "id": "UTC" })", R"({ "zone": "UTC" })")),
            "job.json line 22: unknown key 'zone' in "
            "encryption.timestamp_config.default_time_zone");
  EXPECT_EQ(Error(Edit(R"("data_type": { "csv": { "charset": "UTF-8" } }
  },)",
                       R"("data_type": { "json": {} }
  },)")),
            "job.json line 6: unknown key 'json' in source_data.data_type");
  EXPECT_EQ(Error(Edit(R"("batch_job_group_id": null)", R"("batch_job_group_id": null, "x": 1)")),
            "job.json line 24: unknown key 'x' in encryption");
}

TEST(BatchJobConfig, MissingMembersNameTheParent) {
  EXPECT_EQ(Error(Edit(R"("data_type": { "csv": { "charset": "UTF-8" } },
      "file_name": "out/encrypted.csv")",
                       R"("data_type": { "csv": { "charset": "UTF-8" } })")),
            "job.json line 28: missing 'file_name' in encrypted_data.target");
  // A member written as null is absent, and the message points at it.
  EXPECT_EQ(Error(Edit(R"("file_name": "out/keys.csv")", R"("file_name": null)")),
            "job.json line 38: missing 'file_name' in encryption_keys_data.target");
  EXPECT_EQ(Error(Edit(R"("file_name": "out/keys.csv")", R"("file_name": "")")),
            "job.json line 38: 'file_name' in encryption_keys_data.target must not be empty");
  EXPECT_EQ(Error(Edit(R"("file_name": "input.csv",)", "")),
            "job.json line 3: source_data needs 'file_name' or 'path_prefix'");
  EXPECT_EQ(Error(Edit(R"({ "billing_id": "ignored_billing_id", "name": "databert-demo" })",
                       R"({ "billing_id": "x" })")),
            "job.json line 4: missing 'name' in source_data.data_connector_ref");
  EXPECT_EQ(Error(Edit(R"("consent_level_type": "CUMULATIVE",)", "")),
            "job.json line 42: missing 'consent_level_type' in derived_data[0]");
  EXPECT_EQ(Error(Edit(R"("consent_levels": [2],)", "")),
            "job.json line 42: missing 'consent_levels' in derived_data[0]");
  EXPECT_EQ(Error(Edit(R"(, "version": "1.0.0" })", " }")),
            "job.json line 26: missing 'version' in event_contract_ref");
  EXPECT_EQ(Error(Edit(R"("field": "Timestamp",)", "")),
            "job.json line 19: missing 'field' in encryption.timestamp_config");
  EXPECT_EQ(Error(Edit(R"("format": "yyyy-MM-dd HH.mm.ss.nnnnnn:Z",)", "")),
            "job.json line 19: missing 'format' in encryption.timestamp_config");
  EXPECT_EQ(Error(Edit(R"("field": "PrivacyPlane",)", "")),
            "job.json line 10: missing 'field' in consent.consent_level_extractor");
  EXPECT_EQ(Error(Edit(R"({ "consent_levels": [1] })", "{}")),
            "job.json line 13: missing 'consent_levels' in "
            "consent.consent_level_extractor.field_patterns['1']");
  EXPECT_EQ(Error(DemoWithout("consent")), "job.json line 1: missing 'consent'");
  EXPECT_EQ(Error(DemoWithout("source_data")), "job.json line 1: missing 'source_data'");
  EXPECT_EQ(Error(DemoWithout("encryption")), "job.json line 1: missing 'encryption'");
  EXPECT_EQ(Error(DemoWithout("event_contract_ref")),
            "job.json line 1: missing 'event_contract_ref'");
  EXPECT_EQ(Error(DemoWithout("encrypted_data")), "job.json line 1: missing 'encrypted_data'");
  EXPECT_EQ(Error(DemoWithout("encryption_keys_data")),
            "job.json line 1: missing 'encryption_keys_data'");
  EXPECT_EQ(Error("{}"), "job.json line 1: missing 'source_data'");
}

TEST(BatchJobConfig, BothSpellingsAreAnError) {
  EXPECT_EQ(Error(Edit(R"("file_name": "input.csv",)", R"("file_name": "input.csv",
    "fileName": "other.csv",)")),
            "job.json line 6: both 'file_name' and 'fileName' in source_data");
  EXPECT_EQ(Error(Edit(R"("derived_data": [)", R"("derivedData": [],
  "derived_data": [)")),
            "job.json line 42: both 'derivedData' and 'derived_data' in the document");
}

TEST(BatchJobConfig, WrongTypes) {
  EXPECT_EQ(Error(Edit(R"("file_name": "input.csv")", R"("file_name": 5)")),
            "job.json line 5: 'file_name' must be a string");
  EXPECT_EQ(Error(Edit(R"("ref": { "billing_id": "ignored_billing_id" })", R"("ref": "abc")")),
            "job.json line 2: 'ref' must be an object");
  EXPECT_EQ(Error(Edit("[0],", "0,")),
            "job.json line 9: 'default_consent_levels' in consent must be a list of integers");
  EXPECT_EQ(Error(Edit("[0],", R"([0,
 "x"],)")),
            "job.json line 10: 'default_consent_levels' in consent must be a list of integers");
  EXPECT_EQ(Error(Edit(R"("consent_levels": [2],)", R"("consent_levels": [2.5],)")),
            "job.json line 48: 'consent_levels' in derived_data[0] must be a list of integers");
  EXPECT_EQ(Error(Edit(R"("consent_level_type": "CUMULATIVE")", R"("consent_level_type": true)")),
            "job.json line 49: 'consent_level_type' in derived_data[0] must be a name or a number");
  EXPECT_EQ(Error(Edit(R"("consent_level_type": "CUMULATIVE")", R"("consent_level_type": "BOTH")")),
            "job.json line 49: " + ParseConsentLevelType("BOTH").status().message());
  EXPECT_EQ(Error(Edit(R"("consent_level_type": "CUMULATIVE")", R"("consent_level_type": 0)")),
            "job.json line 49: " + ParseConsentLevelType("0").status().message());
  EXPECT_EQ(Error(Edit(R"("seed": "hi-there",)", R"("seed": "hi-there", "hash_type": "MD5",)")),
            "job.json line 51: " + ParseHashType("MD5").status().message());
  EXPECT_EQ(Error(Edit(R"("seed": "hi-there",)", R"("seed": 7,)")),
            "job.json line 51: 'seed' must be a string");
  EXPECT_EQ(Error(Edit(R"(["Email", "UserName"])", R"(["Email", 3])")),
            "job.json line 53: 'field_patterns' in derived_data[0].masked_fields.field_patterns"
            "['databert-handle/batch_job_public/1.0.0'] must be a list of strings");
  EXPECT_EQ(Error(Edit(R"("field_patterns": {
          "databert-handle)",
                       R"("field_patterns": [], "x": {
          "databert-handle)")),
            "job.json line 52: unknown key 'x' in derived_data[0].masked_fields");
  EXPECT_EQ(Error(Edit(R"("field_patterns": {
          "databert-handle)",
                       R"("field_patterns": [], "billing_id": {
          "databert-handle)")),
            "job.json line 52: 'field_patterns' in derived_data[0].masked_fields must be an "
            "object");
  EXPECT_EQ(Error(Edit(R"("field_patterns": {
        "1")",
                       R"("field_patterns": 1, "billing_id": {
        "1")")),
            "job.json line 12: 'field_patterns' in consent.consent_level_extractor must be an "
            "object");
  std::string demo = Demo();
  EXPECT_EQ(
      Error(demo.substr(0, demo.find(R"(  "derived_data": [)")) + "  \"derived_data\": {}\n}"),
      "job.json line 41: 'derived_data' must be a list");
  EXPECT_EQ(
      Error(demo.substr(0, demo.find(R"(  "derived_data": [)")) + "  \"derived_data\": [\n  3]\n}"),
      "job.json line 42: 'derived_data[0]' must be an object");
  EXPECT_EQ(Error(Edit(R"("source_data": {)", R"("on_error": "IGNORE",
  "source_data": {)")),
            "job.json line 3: 'on_error' must be \"FAIL\" or \"SKIP\", got \"IGNORE\"");
}

TEST(BatchJobConfig, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(Error(Edit(R"("file_name": "input.csv",)", R"("file_name": "input.csv")")),
            "job.json line 6, column 15: unexpected string literal; expected '}'");
  EXPECT_EQ(Error(Edit(R"("field": "Timestamp",)", R"("field": "Timestamp",,)")),
            "job.json line 20, column 28: unexpected ','; expected string literal");
  EXPECT_EQ(
      Error(Edit(R"("file_name": "input.csv",)", R"("file_name": "input.csv", "file_name": "x",)")),
      "job.json line 5: duplicate key 'file_name' (first on line 5)");
}

TEST(BatchJobConfig, NullMeansAbsent) {
  BatchJobConfig c = Parse(Edit(R"({ "id": "UTC" })", "null"));
  EXPECT_EQ(c.timestamp.default_zone, "UTC");
  EXPECT_EQ(c.batch_job_group_id, "");  // null in the demo itself
  c = Parse(
      Edit(R"("ref": { "billing_id": "ignored_billing_id" },)",
           R"("ref": null, "masked_fields": null, "on_error": null, "rejected_data": null,)"));
  EXPECT_EQ(c.id, "");
  EXPECT_FALSE(c.masked_fields.has_value());
  EXPECT_EQ(c.on_error, OnError::kFail);
  EXPECT_FALSE(c.rejected_data.has_value());
  c = Parse(Edit(R"("file_name": "input.csv",)",
                 R"("file_name": "input.csv", "path_prefix": null, "data_type": null,)",
                 Edit(R"("data_type": { "csv": { "charset": "UTF-8" } }
  },)",
                      "\"billing_id\": null\n  },")));
  EXPECT_EQ(c.source, (DataLocation{"databert-demo", "", "input.csv", "UTF-8"}));
  c = Parse(Edit(R"("default_consent_levels": [0],)", R"("default_consent_levels": null,)"));
  EXPECT_FALSE(c.consent.default_levels.has_value());
  c = Parse(Edit(R"("seed": "hi-there",)", R"("seed": null, "hash_type": null,)"));
  EXPECT_EQ(c.derived_data[0].masked_fields->seed, "");
  c = Parse(Edit(R"("masked_fields": {)", R"("masked_fields": null, "billing_id": {)"));
  EXPECT_FALSE(c.derived_data[0].masked_fields.has_value());
}

TEST(BatchJobConfig, BillingIdIsIgnoredEverywhere) {
  std::string text = Edit(R"("ref": { "billing_id": "ignored_billing_id" },)",
                          R"("ref": { "billing_id": "b" }, "billing_id": "b",)");
  text =
      Edit(R"("file_name": "input.csv",)", R"("file_name": "input.csv", "billingId": "b",)", text);
  text = Edit(R"("file_name": "out/keys.csv")", R"("file_name": "out/keys.csv", "billing_id": 1)",
              text);
  text = Edit(R"("consent_level_type": "CUMULATIVE",)",
              R"("consent_level_type": "CUMULATIVE", "billingId": null,)", text);
  text = Edit(R"("seed": "hi-there",)", R"("seed": "hi-there", "billing_id": "b",)", text);
  text = Edit(R"("default_consent_levels": [0],)",
              R"("default_consent_levels": [0], "billing_id": "b",)", text);
  text = Edit(R"({ "id": "UTC" })", R"({ "id": "UTC", "billing_id": "b" })", text);
  EXPECT_EQ(BatchJobConfigToJson(Parse(text)), BatchJobConfigToJson(Parse(Demo())));
}

TEST(BatchJobConfig, ValidatesWhatItCan) {
  EXPECT_EQ(Error(Edit("[0],", "[0, -1],")),
            "job.json line 9: 'default_consent_levels' in consent must be >= 0, got -1");
  EXPECT_EQ(Error(Edit(R"("1": { "consent_levels": [1] })", R"("1": { "consent_levels": [-2] })")),
            "job.json line 13: 'consent_levels' in "
            "consent.consent_level_extractor.field_patterns['1'] must be >= 0, got -2");
  EXPECT_EQ(
      Error(Edit(R"("consent_levels": [2],)", R"("consent_levels": [1, 2],)")),
      "job.json line 42: derived_data[0]: " + PurposeError(ConsentLevelType::kCumulative, {1, 2}));
  EXPECT_EQ(Error(Edit(R"("consent_levels": [2],
      "consent_level_type": "CUMULATIVE")",
                       R"("consent_levels": [],
      "consent_level_type": "GRANULAR")")),
            "job.json line 42: derived_data[0]: " + PurposeError(ConsentLevelType::kGranular, {}));
  EXPECT_EQ(Error(Edit(R"({ "billing_id": "ignored_billing_id" })", R"({ "id": "not-a-uuid" })")),
            "job.json line 2: 'id' in ref must be a UUID, got 'not-a-uuid'");
  EXPECT_EQ(Parse(Edit(R"({ "billing_id": "ignored_billing_id" })",
                       R"({ "id": "3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60" })"))
                .id,
            "3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60");
  EXPECT_EQ(Error(Edit(R"("version": "1.0.0" })", R"("version": "1.0" })")),
            "job.json line 26: " +
                ContractRef::Parse("databert-handle/batch_job_public/1.0").status().message());
  EXPECT_EQ(
      Error(Edit(R"("handle": "databert-handle")", R"("handle": "a/b")")),
      "job.json line 26: " + ContractRef::Parse("a/b/batch_job_public/1.0.0").status().message());
  EXPECT_EQ(Error(Edit(R"("handle": "databert-handle")", R"("handle": "")")),
            "job.json line 26: 'handle' in event_contract_ref must not be empty");
  EXPECT_EQ(Error(Edit(R"("databert-handle/batch_job_public/1.0.0": {)",
                       R"("databert-handle/batch_job_public": {)")),
            "job.json line 53: " +
                ContractRef::Parse("databert-handle/batch_job_public").status().message());
  EXPECT_EQ(Error(Edit(R"({ "name": "databert-demo" },
      "data_type": { "csv": { "charset": "UTF-8" } },
      "file_name": "out/keys.csv")",
                       R"({ "name": "" },
      "data_type": { "csv": { "charset": "UTF-8" } },
      "file_name": "out/keys.csv")")),
            "job.json line 36: 'name' in encryption_keys_data.target.data_connector_ref must not "
            "be empty");
}

TEST(BatchJobConfig, OptionalMembers) {
  std::string text = Edit(R"("file_name": "input.csv",)", R"("path_prefix": "in/2024",)");
  text = Edit(R"("batch_job_group_id": null)", R"("batch_job_group_id": "g1")", text);
  text = Edit(R"("derived_data": [)", R"("on_error": "SKIP",
  "masked_fields": { "hash_type": "HMAC_SHA256", "field_patterns": {"h/n/1.0.0": {"field_patterns": ["a*"]}} },
  "rejected_data": { "target": { "data_connector_ref": { "name": "r" }, "file_name": "bad.csv" } },
  "derived_data": [)",
              text);
  text = Edit(R"({ "charset": "UTF-8" } }
  },)",
              R"({ "charset": "ISO-8859-1" } }
  },)",
              text);
  BatchJobConfig c = Parse(text);
  EXPECT_EQ(c.source, (DataLocation{"databert-demo", "in/2024", "", "ISO-8859-1"}));
  EXPECT_EQ(c.batch_job_group_id, "g1");
  EXPECT_EQ(c.on_error, OnError::kSkip);
  EXPECT_EQ(c.masked_fields,
            (MaskedFieldsConfig{HashType::kHmacSha256, "", {{"h/n/1.0.0", {"a*"}}}}));
  EXPECT_EQ(c.rejected_data, (DataLocation{"r", "", "bad.csv", "UTF-8"}));
  EXPECT_EQ(RejectedLocation(c), (DataLocation{"r", "", "bad.csv", "UTF-8"}));

  // A job without derived outputs or extractor.
  json j = json::parse(Demo());
  j.erase("derived_data");
  j["consent"].erase("consent_level_extractor");
  c = Parse(j.dump());
  EXPECT_TRUE(c.derived_data.empty());
  EXPECT_FALSE(c.consent.extractor_field.has_value());
  EXPECT_TRUE(c.consent.field_patterns.empty());
  EXPECT_FALSE(BatchJobConfigToJson(c).contains("derived_data"));
  EXPECT_FALSE(BatchJobConfigToJson(c)["consent"].contains("consent_level_extractor"));
}

TEST(BatchJobConfig, MaxRecordBytes) {
  EXPECT_EQ(Parse(Demo()).max_record_bytes, 16u << 20) << "16 MiB by default";
  EXPECT_FALSE(BatchJobConfigToJson(Parse(Demo())).contains("max_record_bytes"));
  for (const char* spelling : {"max_record_bytes", "maxRecordBytes"}) {
    BatchJobConfig c = Parse(Edit(
        R"("source_data": {)", std::string("\"") + spelling + "\": 4096,\n  \"source_data\": {"));
    EXPECT_EQ(c.max_record_bytes, 4096u);
    EXPECT_EQ(BatchJobConfigToJson(c)["max_record_bytes"], 4096);
    EXPECT_EQ(Parse(BatchJobConfigToJson(c).dump()).max_record_bytes, 4096u);
  }
  EXPECT_EQ(Parse(Edit(R"("source_data": {)", R"("max_record_bytes": "1073741824",
  "source_data": {)"))
                .max_record_bytes,
            1u << 30);
  for (const char* bad : {"0", "-1", "1073741825", "-9223372036854775808"})
    EXPECT_EQ(
        Error(Edit(R"("source_data": {)",
                   std::string("\"max_record_bytes\": ") + bad + ",\n  \"source_data\": {")),
        std::string("job.json line 3: 'max_record_bytes' must be from 1 to 1073741824, got ") +
            bad);
  EXPECT_EQ(Error(Edit(R"("source_data": {)", R"("max_record_bytes": "lots",
  "source_data": {)")),
            "job.json line 3: 'max_record_bytes' must be a number");
}

TEST(BatchJobConfig, RedactSecretsHidesEverySeed) {
  BatchJobConfig c = Parse(Demo());
  c.masked_fields = MaskedFieldsConfig{HashType::kMurmur3_128, "job-seed", {}};
  c.derived_data.push_back(c.derived_data[0]);
  c.derived_data[1].masked_fields->seed = "";
  c.derived_data.push_back(c.derived_data[0]);
  c.derived_data[2].masked_fields.reset();
  BatchJobConfig r = RedactSecrets(c);
  EXPECT_EQ(r.masked_fields->seed, "****");
  EXPECT_EQ(r.derived_data[0].masked_fields->seed, "****");
  EXPECT_EQ(r.derived_data[1].masked_fields->seed, "");
  EXPECT_FALSE(r.derived_data[2].masked_fields.has_value());
  EXPECT_EQ(r.derived_data[0].masked_fields->field_patterns,
            c.derived_data[0].masked_fields->field_patterns);
  EXPECT_EQ(c.derived_data[0].masked_fields->seed, "hi-there");  // the original is unchanged
  EXPECT_EQ(BatchJobConfigToJson(r)["derived_data"][0]["masked_fields"]["seed"], "****");
}

TEST(BatchJobConfig, RejectedLocationDefaultsNextToTheEncryptedData) {
  BatchJobConfig c;
  c.encrypted_data = {"conn", "pre", "out/enc.csv", "UTF-8"};
  EXPECT_EQ(RejectedLocation(c), (DataLocation{"conn", "pre", "out/enc-rejected.csv", "UTF-8"}));
  c.encrypted_data.file_name = "out/enc";
  EXPECT_EQ(RejectedLocation(c).file_name, "out/enc-rejected.csv");
  c.rejected_data = DataLocation{"other", "", "rej.csv", "UTF-8"};
  EXPECT_EQ(RejectedLocation(c), *c.rejected_data);
  EXPECT_EQ(RejectedLocation(Parse(Demo())).file_name, "out/encrypted-rejected.csv");
}

}  // namespace
}  // namespace strm
