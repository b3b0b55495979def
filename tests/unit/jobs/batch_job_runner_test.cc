#include "jobs/batch_job_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "job_test_fixture.h"
#include "jobs/decrypt_csv.h"
#include "jobs/job_plan.h"
#include "privacy/masking.h"
#include "privacy/tink_keyset.h"

namespace strm::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

size_t Col(const std::vector<std::string>& header, const std::string& name) {
  auto it = std::find(header.begin(), header.end(), name);
  EXPECT_NE(it, header.end()) << "no column " << name;
  return static_cast<size_t>(it - header.begin());
}

// The keyLinks of the encrypted output in order of first appearance, and those of the keys
// output in its order: the keys output lists each key used once, in order of first use.
void ExpectKeysInOrderOfFirstUse(const Rows& enc, const Rows& keys) {
  ASSERT_FALSE(enc.empty());
  const size_t link = Col(enc[0], "strmMeta.keyLink");
  std::vector<std::string> first_use;
  std::set<std::string> seen;
  for (size_t r = 1; r < enc.size(); ++r)
    if (seen.insert(enc[r][link]).second) first_use.push_back(enc[r][link]);
  std::vector<std::string> listed;
  for (size_t r = 1; r < keys.size(); ++r) listed.push_back(keys[r][0]);
  EXPECT_EQ(listed, first_use);
}

class BatchJobRunnerTest : public JobFixture {
 protected:
  void SetUp() override {
    JobFixture::SetUp();
    WriteInput("input.csv", ReadTestFile("demo/input.csv"));
  }
};

TEST_F(BatchJobRunnerTest, DemoJobGivesWhatItsReadmeLists) {
  auto outcome = Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->rows, 10u);
  EXPECT_EQ(outcome->keys, 3u);
  EXPECT_EQ(FinishedMessage(*outcome).rfind("Processed 10 records in ", 0), 0u);

  Rows input = ReadCsv("input.csv");
  Rows enc = ReadCsv("out/encrypted.csv");
  ASSERT_EQ(enc.size(), 11u);
  EXPECT_EQ(enc[0], kDemoOutputHeader) << "Timestamp is not in the schema, so it is dropped";

  // Three keys, changing at each UTC day: rows 1-4, 5-9, 10.
  size_t link = Col(enc[0], "strmMeta.keyLink");
  std::vector<std::string> links;
  for (size_t r = 1; r <= 10; ++r) links.push_back(enc[r][link]);
  for (size_t r = 1; r < 4; ++r) EXPECT_EQ(links[r], links[0]);
  for (size_t r = 5; r < 9; ++r) EXPECT_EQ(links[r], links[4]);
  EXPECT_EQ(std::set<std::string>(links.begin(), links.end()).size(), 3u);
  EXPECT_TRUE(IsUuid(links[0]));

  Rows keys = ReadCsv("out/keys.csv");
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_THAT(keys[0], ElementsAre("keyLink", "encryptionKey", "policyId", "expiresAt"));
  EXPECT_EQ(keys[1][0], links[0]);  // in the order of first use
  EXPECT_EQ(keys[2][0], links[4]);
  EXPECT_EQ(keys[3][0], links[9]);
  EXPECT_EQ(keys[1][3], "1865030400000") << "7 years after 2022-02-06T00:00Z";

  // Meta columns, and PII encrypted under the row's key (decrypt and compare).
  EXPECT_EQ(enc[1][Col(enc[0], "strmMeta.timestamp")], "1644126192962");
  EXPECT_EQ(enc[1][Col(enc[0], "strmMeta.eventContractRef")],
            "databert-handle/batch_job_public/1.0.0");
  EXPECT_EQ(enc[1][Col(enc[0], "strmMeta.nonce")], "0");
  EXPECT_EQ(enc[1][Col(enc[0], "strmMeta.consentLevels")], "[2]");
  EXPECT_EQ(enc[4][Col(enc[0], "strmMeta.consentLevels")], "[0]");
  std::map<std::string, DeterministicAead> aeads;
  for (size_t k = 1; k < keys.size(); ++k)
    aeads.emplace(keys[k][0], DeterministicAead(*ParseTinkKeysetJson(keys[k][1])));
  for (size_t r = 1; r <= 10; ++r) {
    for (const std::string col : {"SessionId", "UserName", "PublicFieldA", "PrivacyPlane"})
      EXPECT_EQ(enc[r][Col(enc[0], col)], input[r][Col(input[0], col)]) << col << " is not PII";
    for (const std::string col : {"Email", "PrivateFieldA", "PrivateFieldB"}) {
      const std::string& ct = enc[r][Col(enc[0], col)];
      EXPECT_NE(ct, input[r][Col(input[0], col)]);
      auto plain = aeads.at(enc[r][link]).DecryptBase64(ct);
      ASSERT_TRUE(plain.ok()) << plain.status().message();
      EXPECT_EQ(*plain, input[r][Col(input[0], col)]);
    }
  }

  // The derived output: rows 1, 2 and 7, decrypted, UserName and Email masked.
  Rows derived = ReadCsv("out/derived-2.csv");
  ASSERT_EQ(derived.size(), 4u);
  EXPECT_EQ(derived[0], kDemoOutputHeader);
  const size_t kept[] = {1, 2, 7};
  for (size_t i = 0; i < 3; ++i) {
    const auto& row = derived[i + 1];
    const auto& in = input[kept[i]];
    EXPECT_EQ(row[Col(derived[0], "SessionId")], in[Col(input[0], "SessionId")]);
    EXPECT_EQ(row[Col(derived[0], "UserName")], "e07e42089c9396d6bda4cd480b2a80bd");
    EXPECT_EQ(row[Col(derived[0], "Email")],
              Masker(HashType::kMurmur3_128, "hi-there").Mask(in[Col(input[0], "Email")]));
    EXPECT_EQ(row[Col(derived[0], "PrivateFieldA")], in[Col(input[0], "PrivateFieldA")]);
    EXPECT_EQ(row[Col(derived[0], "PrivateFieldB")], in[Col(input[0], "PrivateFieldB")]);
    EXPECT_EQ(row[Col(derived[0], "strmMeta.keyLink")], enc[kept[i]][link]);
  }
  EXPECT_EQ(derived[1][Col(derived[0], "Email")], "839d8205da411ca5d07d43cce1fb2533");
}

TEST_F(BatchJobRunnerTest, DecryptReidentifiesTheEncryptedOutput) {
  ASSERT_TRUE(Run().ok());
  StringInputStream enc(ReadOutput("out/encrypted.csv"));
  StringOutputStream plain;
  ASSERT_TRUE(DecryptCsv(enc, ReadOutput("out/keys.csv"), contract_, "encrypted.csv", plain).ok());
  Rows dec = *ParseCsvDocument(plain.committed());
  Rows input = ReadCsv("input.csv");
  ASSERT_EQ(dec.size(), input.size());
  for (size_t r = 1; r < dec.size(); ++r)
    for (size_t c = 0; c < 8; ++c) EXPECT_EQ(dec[r][c], input[r][Col(input[0], dec[0][c])]);
}

TEST_F(BatchJobRunnerTest, DecryptNamesAMissingKey) {
  ASSERT_TRUE(Run().ok());
  StringInputStream enc(ReadOutput("out/encrypted.csv"));
  StringOutputStream plain;
  Status s = DecryptCsv(enc, "keyLink,encryptionKey,policyId,expiresAt\n", contract_,
                        "encrypted.csv", plain);
  EXPECT_THAT(s.message(),
              ::testing::MatchesRegex("keyLink [0-9a-f-]{36} is not in the keys file in row 1 of "
                                      "encrypted.csv"));
  EXPECT_FALSE(plain.is_committed());
}

TEST_F(BatchJobRunnerTest, JobsOfOneGroupShareKeysAndOthersDoNot) {
  config_.batch_job_group_id = "group-1";
  ASSERT_TRUE(Run().ok());
  std::string first = ReadOutput("out/encrypted.csv");
  std::string first_keys = ReadOutput("out/keys.csv");
  config_.id = NewUuidV4();
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(ReadOutput("out/encrypted.csv"), first) << "same group: same keys, same ciphertexts";
  EXPECT_EQ(ReadOutput("out/keys.csv"), first_keys);

  config_.batch_job_group_id.clear();  // keys per job
  config_.id = NewUuidV4();
  ASSERT_TRUE(Run().ok());
  Rows a = *ParseCsvDocument(first), b = ReadCsv("out/encrypted.csv");
  EXPECT_NE(a[1][Col(a[0], "strmMeta.keyLink")], b[1][Col(b[0], "strmMeta.keyLink")]);
  EXPECT_NE(a[1][Col(a[0], "Email")], b[1][Col(b[0], "Email")]);
}

TEST_F(BatchJobRunnerTest, OutputsDoNotDependOnThreadsOrBlockSize) {
  // 5,000 rows in blocks of 4 KiB: many blocks, keys created concurrently, and more keys
  // than one task formats for the keys output.
  std::string input = ReadTestFile("demo/input.csv");
  input = input.substr(0, input.find('\n') + 1);  // the header
  Rows demo = *ParseCsvDocument(ReadTestFile("demo/input.csv"));
  for (int i = 0; i < 5000; ++i) {
    auto row = demo[1 + i % 10];
    row[1] = "user_" + std::to_string(i % 1111);
    row[2][9] = static_cast<char>('1' + i % 9);  // spread over 9 days
    for (size_t c = 0; c < row.size(); ++c) input += (c ? "," : "") + row[c];
    input += "\n";
  }
  WriteInput("input.csv", input);
  config_.batch_job_group_id = "threads";
  auto one = Run(1, 4096);
  ASSERT_TRUE(one.ok()) << one.status().message();
  std::string enc1 = ReadOutput("out/encrypted.csv"), keys1 = ReadOutput("out/keys.csv"),
              der1 = ReadOutput("out/derived-2.csv");
  for (int threads : {2, 4}) {
    config_.id = NewUuidV4();
    auto many = Run(threads, 4096 + 512 * threads);
    ASSERT_TRUE(many.ok()) << many.status().message();
    EXPECT_EQ(ReadOutput("out/encrypted.csv"), enc1);
    EXPECT_EQ(ReadOutput("out/keys.csv"), keys1);
    EXPECT_EQ(ReadOutput("out/derived-2.csv"), der1);
  }
  EXPECT_EQ(one->rows, 5000u);
  EXPECT_EQ(one->keys, 5000u);  // (i % 1111, i % 9) repeats only after 9,999 rows
  EXPECT_EQ(std::count(keys1.begin(), keys1.end(), '\n'), 5001);
}

TEST_F(BatchJobRunnerTest, KeysUsedAcrossBlocksAreListedOnceInOrderOfFirstUse) {
  // 6,000 rows of 40 users over 3 days in blocks of 2 KiB: each key is used in many blocks,
  // which workers process side by side, so a block often resolves a key that a block before
  // it, still being processed, uses first.
  std::string input = ReadTestFile("demo/input.csv");
  input = input.substr(0, input.find('\n') + 1);
  Rows demo = *ParseCsvDocument(ReadTestFile("demo/input.csv"));
  for (int i = 0; i < 6000; ++i) {
    auto row = demo[1 + i % 10];
    row[1] = "user_" + std::to_string((i * 7) % 40);
    row[2][9] = static_cast<char>('1' + (i / 7) % 3);
    for (size_t c = 0; c < row.size(); ++c) input += (c ? "," : "") + row[c];
    input += "\n";
  }
  WriteInput("input.csv", input);
  config_.batch_job_group_id = "reuse";
  auto one = Run(1, 2048);
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->keys, 120u);
  const std::string keys1 = ReadOutput("out/keys.csv"), enc1 = ReadOutput("out/encrypted.csv");
  ExpectKeysInOrderOfFirstUse(ReadCsv("out/encrypted.csv"), ReadCsv("out/keys.csv"));
  for (int threads : {2, 4, 8}) {
    config_.id = NewUuidV4();
    auto many = Run(threads, 2048);
    ASSERT_TRUE(many.ok()) << many.status().message();
    EXPECT_EQ(many->keys, 120u) << threads;
    EXPECT_EQ(ReadOutput("out/keys.csv"), keys1) << threads;
    EXPECT_EQ(ReadOutput("out/encrypted.csv"), enc1) << threads;
  }
}

// Quoted newlines and commas, doubled quotes, a BOM, CRLF, empty fields, non-ASCII text.
TEST_F(BatchJobRunnerTest, ReadsTrickyCsvLikeRfc4180) {
  std::string header =
      "SessionId,UserName,Timestamp,Email,PublicFieldA,PublicFieldB,PrivateFieldA,"
      "PrivateFieldB,PrivacyPlane";
  WriteInput("input.csv",
             "\xEF\xBB\xBF" + header + "\r\n" +
                 "s1,zoë,2022-02-06 06.43.12.962083:+0100,zoë@example.com,"
                 "\"multi\r\nline, with comma\",0.5,\"say \"\"hi\"\"\",1,2\r\n"
                 "s2,,2022-02-06 06.43.12.962083:+0100,,,,,,\r\n"
                 "\"s3\",\"日本\",2022-02-06 07.00.00.000000:+0100,a@b.c,x,1,\"\",2,1");
  auto outcome = Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  Rows enc = ReadCsv("out/encrypted.csv");
  ASSERT_EQ(enc.size(), 4u);
  EXPECT_EQ(enc[0], kDemoOutputHeader) << "the BOM is not part of the first column's name";
  EXPECT_EQ(enc[1][3], "multi\r\nline, with comma");
  EXPECT_EQ(enc[2][2], "") << "empty PII stays empty";
  EXPECT_EQ(enc[2][1], "") << "an empty key-field value is a key of its own";
  EXPECT_EQ(enc[2][13], "[0]") << "an empty consent value falls to the default";
  EXPECT_EQ(enc[3][0], "s3");
  EXPECT_EQ(enc[3][1], "日本");
  EXPECT_EQ(enc[3][5], "") << "an empty quoted PII field stays empty";
  EXPECT_EQ(outcome->keys, 3u) << "zoë, the empty value and 日本";

  StringInputStream in(ReadOutput("out/encrypted.csv"));
  StringOutputStream plain;
  ASSERT_TRUE(DecryptCsv(in, ReadOutput("out/keys.csv"), contract_, "encrypted.csv", plain).ok());
  Rows dec = *ParseCsvDocument(plain.committed());
  EXPECT_EQ(dec[1][2], "zoë@example.com");
  EXPECT_EQ(dec[1][5], "say \"hi\"");
  EXPECT_EQ(dec[3][2], "a@b.c");
  // Derived (CUMULATIVE 2): only s1 has level 2; its masks are over the UTF-8 bytes.
  Rows derived = ReadCsv("out/derived-2.csv");
  ASSERT_EQ(derived.size(), 2u);
  EXPECT_EQ(derived[1][1], Masker(HashType::kMurmur3_128, "hi-there").Mask("zoë"));
  EXPECT_EQ(derived[1][5], "say \"hi\"");
}

TEST_F(BatchJobRunnerTest, ConvertsLatin1Input) {
  config_.source.charset = "ISO-8859-1";
  WriteInput("input.csv",
             "SessionId,UserName,Timestamp,Email,PublicFieldA,PublicFieldB,PrivateFieldA,"
             "PrivateFieldB,PrivacyPlane\n"
             "s1,Zo\xEB,2022-02-06 06.43.12.962083:+0100,zo\xEB@example.com,Caf\xE9,1,"
             "Stra\xDF"
             "e,7,2\n");
  ASSERT_TRUE(Run().ok());
  Rows enc = ReadCsv("out/encrypted.csv");
  EXPECT_EQ(enc[1][1], "Zoë");
  EXPECT_EQ(enc[1][3], "Café");
  Rows derived = ReadCsv("out/derived-2.csv");
  ASSERT_EQ(derived.size(), 2u);
  EXPECT_EQ(derived[1][5], "Straße");
  EXPECT_EQ(derived[1][2], Masker(HashType::kMurmur3_128, "hi-there").Mask("zoë@example.com"));
}

struct BadInput {
  std::string name;
  std::string rows;  // appended after the demo header
  std::string error;
};

class BadInputTest : public JobFixture, public ::testing::WithParamInterface<BadInput> {};

const char kHeader[] =
    "SessionId,UserName,Timestamp,Email,PublicFieldA,PublicFieldB,PrivateFieldA,PrivateFieldB,"
    "PrivacyPlane\n";
const char kGoodRow[] = "s,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,1\n";

TEST_P(BadInputTest, FailsNamingTheRowAndWritesNothing) {
  WriteInput("input.csv", std::string(kHeader) + kGoodRow + GetParam().rows);
  auto outcome = Run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().message(), GetParam().error);
  EXPECT_THAT(OutputKeys(), IsEmpty()) << "nothing is half-written";
}

INSTANTIATE_TEST_SUITE_P(
    Rows, BadInputTest,
    ::testing::Values(
        BadInput{"RaggedRow", "s,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2\n",
                 "Wrong number of fields in row 2 of input.csv: 8 instead of 9"},
        BadInput{"BadTimestamp", "s,u,2010-12-01 08:26,e@x.y,a,1,b,2,1\n",
                 "Invalid timestamp '2010-12-01 08:26' in row 2 of input.csv: expected "
                 "yyyy-MM-dd HH.mm.ss.nnnnnn:Z"},
        BadInput{"RegexValidation", "s,u,2022-02-06 06.43.12.962083:+0100,not-an-email,a,1,b,2,1\n",
                 "Validation failed in row 2 of input.csv: field 'Email' does not match "
                 "^[^@]+@[^@]+$"},
        // Not ASCII: decided by RE2, not by SimpleRegex (ReadsTrickyCsvLikeRfc4180 has one
        // that passes).
        BadInput{"RegexValidationNotAscii",
                 "s,u,2022-02-06 06.43.12.962083:+0100,zoë@x@y,a,1,b,2,1\n",
                 "Validation failed in row 2 of input.csv: field 'Email' does not match "
                 "^[^@]+@[^@]+$"},
        BadInput{"InvalidUtf8", "s,u\xC3\x28,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,1\n",
                 "Invalid UTF-8 in row 2 of input.csv"},
        BadInput{"StrayQuote", "s,u\"x,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,1\n",
                 "Unexpected quote in unquoted field in row 2 of input.csv"},
        BadInput{"UnterminatedQuote", "s,\"u,2022\n",
                 "Unterminated quoted field in row 2 of input.csv"},
        // Found by csv_fuzzer: the reader's error at the end of the file came before the
        // errors in the rows above it.
        BadInput{"BadRowBeforeUnterminatedQuote",
                 "s,u\xC3\x28,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,1\ns,\"u,2022\n",
                 "Invalid UTF-8 in row 2 of input.csv"}),
    [](const auto& info) { return info.param.name; });

TEST_F(JobFixture, UnknownConsentValueWithoutDefaultFails) {
  config_.consent.default_levels.reset();
  WriteInput("input.csv", std::string(kHeader) + kGoodRow +
                              "s,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,gold\n");
  auto outcome = Run();
  EXPECT_EQ(outcome.status().message(),
            "Invalid consent in row 2 of input.csv: unknown consent value 'gold' in field "
            "'PrivacyPlane' and no default_consent_levels");
  EXPECT_THAT(OutputKeys(), IsEmpty());
}

TEST_F(JobFixture, MissingSchemaColumnFailsBeforeAnyOutput) {
  WriteInput("input.csv",
             "SessionId,UserName,Timestamp,PublicFieldA,PublicFieldB,PrivateFieldA,PrivateFieldB,"
             "PrivacyPlane\ns,u,2022-02-06 06.43.12.962083:+0100,a,1,b,2,1\n");
  auto outcome = Run();
  EXPECT_EQ(outcome.status().message(),
            "input.csv: column 'Email' of contract databert-handle/batch_job_public/1.0.0 is not "
            "in the header");
  EXPECT_THAT(OutputKeys(), IsEmpty());
}

TEST_F(JobFixture, OutputsMustBeUtf8) {
  config_.derived_data[0].target.charset = "ISO-8859-1";
  EXPECT_EQ(ValidateJob(config_, contract_).message(),
            "derived_data[0]: output charset 'ISO-8859-1' is not supported (outputs are written "
            "in UTF-8)");
  config_.derived_data[0].target.charset = "utf8";
  EXPECT_TRUE(ValidateJob(config_, contract_).ok());
}

TEST_F(JobFixture, UnknownPatternLetterFailsBeforeReading) {
  config_.timestamp.format = "yyyy-QQ";
  EXPECT_EQ(ValidateJob(config_, contract_).message(),
            "encryption.timestamp_config: unsupported pattern letter 'Q' in timestamp format "
            "'yyyy-QQ'");
  EXPECT_EQ(Run().status().message(), ValidateJob(config_, contract_).message());
  EXPECT_THAT(OutputKeys(), IsEmpty());
}

TEST_F(JobFixture, MissingInputFileIsNamed) {
  auto outcome = Run();
  EXPECT_EQ(outcome.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(outcome.status().message(), ::testing::HasSubstr("input.csv does not exist"));
  EXPECT_THAT(OutputKeys(), IsEmpty());
}

TEST_F(JobFixture, EmptyInputNeedsAHeader) {
  WriteInput("input.csv", "");
  EXPECT_EQ(Run().status().message(), "input.csv is empty: a header row is required");
}

TEST_F(JobFixture, CancelledJobAbortsEveryOutput) {
  std::string input = kHeader;
  for (int i = 0; i < 2000; ++i) input += kGoodRow;
  WriteInput("input.csv", input);
  std::atomic<bool> cancel{false};
  JobRunOptions options;
  options.threads = 2;
  options.block_size = 4096;  // many blocks, so the run is cancelled half-way
  options.cancel = &cancel;
  int calls = 0;
  options.on_progress = [&](const JobProgress&) {
    if (++calls == 3) cancel.store(true);
  };
  auto outcome = RunBatchJob(config_, contract_, *catalog_, resolver_, options);
  EXPECT_EQ(outcome.status().message(), "the job was cancelled; no output was committed");
  EXPECT_EQ(outcome.status().code(), StatusCode::kCancelled);
  EXPECT_LT(calls, 20) << "the run stopped soon after the cancel";
  EXPECT_THAT(OutputKeys(), IsEmpty());
  // No temporary objects are left behind either.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "data"))
    EXPECT_FALSE(IsTemporaryKey(e.path().filename().string())) << e.path();
}

TEST_F(JobFixture, ARecordOverTheLimitFailsTheJobNamingRowAndLimit) {
  config_.max_record_bytes = 200;
  const std::string long_row =
      "s,u,2022-02-06 06.43.12.962083:+0100,e@x.y," + std::string(200, 'a') + ",1,b,2,1\n";
  for (OnError on_error : {OnError::kFail, OnError::kSkip}) {
    config_.on_error = on_error;
    WriteInput("input.csv", std::string(kHeader) + kGoodRow + kGoodRow + long_row + kGoodRow);
    for (size_t block : {64, 4096}) {
      auto outcome = Run(2, block);
      // A record over the limit cannot be skipped: where it ends is not known until it is read.
      EXPECT_EQ(outcome.status().message(),
                "Record longer than max_record_bytes (200 bytes) in row 3 of input.csv");
      EXPECT_THAT(OutputKeys(), IsEmpty());
    }
  }
  config_.max_record_bytes = 300;
  config_.on_error = OnError::kFail;
  EXPECT_TRUE(Run().ok());
}

TEST_F(JobFixture, SkipWritesRejectedRowsWithTheirReason) {
  config_.on_error = OnError::kSkip;
  WriteInput("input.csv", std::string(kHeader) + kGoodRow +
                              "s,u,2010-12-01 08:26,e@x.y,a,1,b,2,1\n"
                              "s,u,only,three\n" +
                              kGoodRow);
  auto outcome = Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->rows, 2u);
  EXPECT_EQ(outcome->rejected, 2u);
  EXPECT_EQ(ReadCsv("out/encrypted.csv").size(), 3u);
  Rows rejected = ReadCsv("out/encrypted-rejected.csv");
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_THAT(rejected[0], ElementsAre("row", "reason", "record"));
  EXPECT_THAT(rejected[1],
              ElementsAre("2",
                          "Invalid timestamp '2010-12-01 08:26' in row 2 of input.csv: expected "
                          "yyyy-MM-dd HH.mm.ss.nnnnnn:Z",
                          "s,u,2010-12-01 08:26,e@x.y,a,1,b,2,1"));
  EXPECT_THAT(rejected[2],
              ElementsAre("3", "Wrong number of fields in row 3 of input.csv: 4 instead of 9",
                          "s,u,only,three"));
}

TEST_F(JobFixture, GranularPurposeAndRowsWithoutConsent) {
  config_.consent.default_levels = ConsentLevels{};  // unknown values: no consent
  config_.derived_data[0].purpose = {ConsentLevelType::kGranular, {1, 2}};
  config_.derived_data[0].masked_fields.reset();
  WriteInput("input.csv", std::string(kHeader) +
                              "s1,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,\"[1,2]\"\n"
                              "s2,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,2\n"
                              "s3,u,2022-02-06 06.43.12.962083:+0100,e@x.y,a,1,b,2,none\n");
  ASSERT_TRUE(Run().ok());
  Rows enc = ReadCsv("out/encrypted.csv");
  ASSERT_EQ(enc.size(), 4u) << "the encrypted output keeps every row";
  EXPECT_EQ(enc[1][13], "[1,2]");
  EXPECT_EQ(enc[3][13], "[]");
  Rows derived = ReadCsv("out/derived-2.csv");
  ASSERT_EQ(derived.size(), 2u) << "only s1 consented to both 1 and 2";
  EXPECT_EQ(derived[1][0], "s1");
  EXPECT_EQ(derived[1][2], "e@x.y");
}

TEST_F(JobFixture, MaskingNeverRevealsWhatConsentHides) {
  // CUMULATIVE 1 decrypts Email (level 1) but not PrivateFieldA (level 2); masking
  // PrivateFieldA must leave its ciphertext, not hash its plaintext.
  config_.derived_data[0].purpose = {ConsentLevelType::kCumulative, {1}};
  config_.derived_data[0].masked_fields->field_patterns = {
      {"databert-handle/batch_job_public/1.0.0", {"Private*"}}};
  WriteInput("input.csv", std::string(kHeader) + kGoodRow);
  ASSERT_TRUE(Run().ok());
  Rows enc = ReadCsv("out/encrypted.csv");
  Rows derived = ReadCsv("out/derived-2.csv");
  ASSERT_EQ(derived.size(), 2u);
  EXPECT_EQ(derived[1][2], "e@x.y") << "level 1 is decrypted and not masked";
  EXPECT_EQ(derived[1][5], enc[1][5]) << "level 2 stays encrypted, even though masked";
  EXPECT_EQ(derived[1][6], enc[1][6]);
}

TEST_F(JobFixture, HmacMasks) {
  config_.derived_data[0].purpose = {ConsentLevelType::kCumulative, {1}};
  config_.derived_data[0].masked_fields->hash_type = HashType::kHmacSha256;
  config_.derived_data[0].masked_fields->seed = "s3cr3t";
  WriteInput("input.csv", std::string(kHeader) + kGoodRow);
  ASSERT_TRUE(Run().ok());
  Rows derived = ReadCsv("out/derived-2.csv");
  ASSERT_EQ(derived.size(), 2u);
  EXPECT_EQ(derived[1][2], HmacSha256Hex("s3cr3t", "e@x.y"));
  EXPECT_EQ(derived[1][2].size(), 64u);
}

TEST_F(JobFixture, GlobReadsEveryMatchingFileInOrder) {
  config_.source.file_name = "part-*.csv";
  config_.source.path_prefix = "in";
  WriteInput("in/part-2.csv", std::string(kHeader) +
                                  "s2,u,2022-02-06 06.43.12.962083:+0100,"
                                  "e@x.y,a,1,b,2,1\n");
  WriteInput("in/part-1.csv", std::string(kHeader) + kGoodRow);
  WriteInput("in/other.csv", std::string(kHeader) + kGoodRow);
  auto outcome = Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->files, 2u);
  Rows enc = ReadCsv("out/encrypted.csv");
  ASSERT_EQ(enc.size(), 3u);
  EXPECT_EQ(enc[1][0], "s");
  EXPECT_EQ(enc[2][0], "s2");
}

TEST_F(JobFixture, AKeyUsedInTwoFilesIsListedOnceAtItsFirstUse) {
  // The same data subject and day in both files, at row 2 of the first and row 1 of the
  // second: the key's first use is in the first file, whatever the row numbers.
  config_.source.file_name = "part-*.csv";
  config_.source.path_prefix = "in";
  const std::string other = "o,v,2022-02-06 06.43.12.962083:+0100,f@x.y,a,1,b,2,1\n";
  WriteInput("in/part-1.csv", std::string(kHeader) + other + kGoodRow);
  WriteInput("in/part-2.csv", std::string(kHeader) + kGoodRow + other);
  auto outcome = Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(outcome->files, 2u);
  Rows enc = ReadCsv("out/encrypted.csv");
  Rows keys = ReadCsv("out/keys.csv");
  ASSERT_EQ(enc.size(), 5u);
  ASSERT_EQ(outcome->keys, 2u);
  ASSERT_EQ(keys.size(), 3u);
  ExpectKeysInOrderOfFirstUse(enc, keys);
}

}  // namespace
}  // namespace strm::testing
