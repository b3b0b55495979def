// Outputs never collide (SPEC §2): two outputs that are one object, or an output that is the
// input, are refused before anything is read or written, naming both.
#include "jobs/job_locations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "job_test_fixture.h"

namespace strm::testing {
namespace {

using ::testing::IsEmpty;

class JobLocationsTest : public JobFixture {
 protected:
  void SetUp() override {
    JobFixture::SetUp();
    WriteInput("input.csv", ReadTestFile("demo/input.csv"));
    // A second connector over the directory out/ of the first.
    auto out = OpenLocalStore((dir_ / "data" / "out").string());
    ASSERT_TRUE(out.ok());
    out_store_ = std::move(out).value();
    resolver_ = [this](const std::string& name) -> Result<std::shared_ptr<ObjectStore>> {
      if (name == "databert-demo") return store_;
      if (name == "demo-out") return out_store_;
      return NotFound("data connector '" + name + "' does not exist");
    };
  }
  std::string Uri(const std::string& key) { return store_->ObjectUri(key); }
  // The run fails with `message`, and the data directory holds only the input.
  void ExpectRefused(const std::string& message) {
    EXPECT_EQ(CheckJobLocations(config_, resolver_).message(), message);
    auto outcome = Run();
    EXPECT_EQ(outcome.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(outcome.status().message(), message);
    EXPECT_THAT(OutputKeys(), IsEmpty());
    EXPECT_EQ(ReadOutput("input.csv"), ReadTestFile("demo/input.csv"));
  }
  std::shared_ptr<ObjectStore> out_store_;
};

TEST_F(JobLocationsTest, TheDemoJobsLocationsAreApart) {
  EXPECT_TRUE(CheckJobLocations(config_, resolver_).ok());
}

TEST_F(JobLocationsTest, TwoOutputsOfOneNameAreRefused) {
  config_.derived_data[0].target.file_name = "out/encrypted.csv";
  ExpectRefused(
      "encrypted_data (databert-demo: out/encrypted.csv) and derived_data[0] "
      "(databert-demo: out/encrypted.csv) are one object (" +
      Uri("out/encrypted.csv") + "): every output needs an object of its own");
}

TEST_F(JobLocationsTest, OneObjectThroughTwoConnectorsIsRefused) {
  config_.encryption_keys_data.connector = "demo-out";
  config_.encryption_keys_data.file_name = "derived-2.csv";
  ExpectRefused(
      "encryption_keys_data (demo-out: derived-2.csv) and derived_data[0] "
      "(databert-demo: out/derived-2.csv) are one object (" +
      Uri("out/derived-2.csv") + "): every output needs an object of its own");
}

TEST_F(JobLocationsTest, APathPrefixCountsInTheName) {
  config_.derived_data[0].target.path_prefix = "out";
  config_.derived_data[0].target.file_name = "keys.csv";
  ExpectRefused(
      "encryption_keys_data (databert-demo: out/keys.csv) and derived_data[0] "
      "(databert-demo: out/keys.csv) are one object (" +
      Uri("out/keys.csv") + "): every output needs an object of its own");
}

TEST_F(JobLocationsTest, AnOutputMustNotBeTheInput) {
  config_.encryption_keys_data.file_name = "input.csv";
  ExpectRefused(
      "encryption_keys_data (databert-demo: input.csv) is the job's input source_data "
      "(databert-demo: input.csv) (" +
      Uri("input.csv") + "): an output must not overwrite what the job reads");
}

TEST_F(JobLocationsTest, TheRejectedRowsMustNotBeTheInputEither) {
  config_.on_error = OnError::kSkip;
  DataLocation rejected = config_.source;
  config_.rejected_data = rejected;
  ExpectRefused(
      "rejected_data (databert-demo: input.csv) is the job's input source_data "
      "(databert-demo: input.csv) (" +
      Uri("input.csv") + "): an output must not overwrite what the job reads");
}

TEST_F(JobLocationsTest, AnOutputMustNotMatchTheInputPattern) {
  config_.source.file_name = "*.csv";
  config_.encrypted_data.file_name = "encrypted.csv";  // beside the inputs, and a .csv
  ExpectRefused(
      "encrypted_data (databert-demo: encrypted.csv) matches the job's input "
      "source_data (databert-demo: *.csv) (" +
      Uri("encrypted.csv") + "): an output must not be one of the files the job reads");
  config_.encrypted_data.file_name = "out/encrypted.csv";  // in a sub-folder: not an input
  EXPECT_TRUE(CheckJobLocations(config_, resolver_).ok());
  config_.source.file_name.clear();  // every .csv under the prefix
  config_.encrypted_data.file_name = "encrypted.csv";
  EXPECT_THAT(CheckJobLocations(config_, resolver_).message(),
              ::testing::HasSubstr("matches the job's input"));
  config_.encrypted_data.file_name = "encrypted.txt";
  EXPECT_TRUE(CheckJobLocations(config_, resolver_).ok());
}

// --- {input}: one set of outputs per input file ---

void PerFileOutputs(BatchJobConfig& c) {
  c.encrypted_data.file_name = "out/{input}-encrypted.csv";
  c.encryption_keys_data.file_name = "out/{input}-keys.csv";
  for (auto& d : c.derived_data) d.target.file_name = "out/{input}-derived.csv";
}

TEST_F(JobLocationsTest, InputFillsEveryOutputWithTheInputsNameWithoutItsExtension) {
  config_.source.file_name = "*.csv";
  EXPECT_FALSE(HasInputPlaceholder(config_));
  PerFileOutputs(config_);
  config_.encrypted_data.file_name = "out/{input}/{input}.csv";
  ASSERT_TRUE(HasInputPlaceholder(config_));
  BatchJobConfig one = ForInputFile(config_, "day-3.csv");
  EXPECT_EQ(one.source.file_name, "day-3.csv");
  EXPECT_EQ(one.source.connector, config_.source.connector);
  EXPECT_EQ(one.encrypted_data.file_name, "out/day-3/day-3.csv");
  EXPECT_EQ(one.encryption_keys_data.file_name, "out/day-3-keys.csv");
  EXPECT_EQ(one.derived_data[0].target.file_name, "out/day-3-derived.csv");
  EXPECT_EQ(RejectedLocation(one).file_name, "out/day-3/day-3-rejected.csv")
      << "the rejected rows follow the encrypted data";
  EXPECT_EQ(ForInputFile(config_, "a.b.csv").encryption_keys_data.file_name, "out/a.b-keys.csv");
  EXPECT_EQ(ForInputFile(config_, "noext").encryption_keys_data.file_name, "out/noext-keys.csv");
  EXPECT_EQ(ForInputFile(config_, ".csv").encryption_keys_data.file_name, "out/.csv-keys.csv");
  EXPECT_EQ(ForInputFile(config_, "x.csv").timestamp, config_.timestamp) << "the rest is the job's";
}

TEST_F(JobLocationsTest, AWatchingJobNeedsInputInEveryOutput) {
  config_.source.file_name = "*.csv";
  config_.encrypted_data.file_name = "out/encrypted.csv";
  EXPECT_TRUE(CheckInputPlaceholders(config_, false).ok()) << "one set of outputs for all files";
  Status s = CheckInputPlaceholders(config_, true);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "a job that watches its source writes each output once per input file, so every "
            "output's file_name must contain {input} (as in 'out/{input}.csv'): "
            "encryption_keys_data (databert-demo: out/keys.csv) has none");
  PerFileOutputs(config_);
  EXPECT_TRUE(CheckInputPlaceholders(config_, true).ok());
  EXPECT_TRUE(CheckInputPlaceholders(config_, false).ok());
  config_.derived_data[0].target.file_name = "out/derived.csv";  // some, not all
  EXPECT_EQ(CheckInputPlaceholders(config_, false).message(),
            "a job with {input} in an output writes each output once per input file, so every "
            "output's file_name must contain {input} (as in 'out/{input}.csv'): "
            "derived_data[0] (databert-demo: out/derived.csv) has none");
  config_.source.file_name = "input.csv";  // one input: {input} is its name, anywhere
  EXPECT_TRUE(CheckInputPlaceholders(config_, true).ok());
}

}  // namespace
}  // namespace strm::testing
