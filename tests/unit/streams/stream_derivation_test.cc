// Derived streams (streams/stream_derivation.h) on a real catalog, log and ingest: the events
// each purpose sees, decrypted and masked cell by cell as a batch job's derived output would
// be, in the source's order, and exactly once when the deriver starts again without having
// recorded what it appended; and DerivedStreams, which runs them as the server does.
#include "streams/stream_derivation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "core/bytes.h"
#include "privacy/masking.h"
#include "streams/derived_streams.h"
#include "streams/embedded_log.h"
#include "streams/stream_ingest.h"
#include "testing/test_support.h"

namespace strm {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class StreamDerivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-derive-" + NewUuidV4());
    catalog_ = std::move(OpenSqliteCatalog((dir_ / "home").string())).value();
    master_ = *LoadOrCreateMasterKey((dir_ / "home").string(), false);
    box_ = std::make_unique<SecretBox>(master_);
    source_ = Stream("demo", "");
    plain_ = Stream("demo-1-2", "demo");
    plain_.consent_levels = {1, 2};
    masked_ = Stream("demo-M1", "demo");
    masked_.consent_levels = {1};
    masked_.masked_fields["strmprivacy/example/1.3.0"] = {"uniqueIdentifier", "not*"};
    masked_.mask_seed = "seed-1";
    for (const StreamRecord* s : {&source_, &plain_, &masked_})
      ASSERT_TRUE(catalog_->CreateStream(*s).ok());
    log_ = std::move(EmbeddedLog::Open((dir_ / "log").string())).value();
    ingest_ = std::make_unique<StreamIngest>(*catalog_, *log_, master_);
  }
  void TearDown() override {
    ingest_.reset();
    log_.reset();
    catalog_.reset();
    fs::remove_all(dir_);
  }
  static StreamRecord Stream(const std::string& name, const std::string& source) {
    StreamRecord s;
    s.name = name;
    s.id = NewUuidV4();
    s.linked_stream = source;
    s.consent_level_type = source.empty() ? "" : "GRANULAR";
    s.credentials = {{"client-" + name, "secret"}};
    return s;
  }
  void Send(const std::string& unique, std::vector<int> levels) {
    json e = {{"strmMeta",
               {{"eventContractRef", "strmprivacy/example/1.3.0"}, {"consentLevels", levels}}},
              {"uniqueIdentifier", unique},
              {"consistentValue", "session-1"},
              {"someSensitiveValue", "sensitive-" + unique},
              {"notSensitiveValue", "plain-" + unique}};
    auto who = ingest_->Authorize(ingest_->Login("client-demo", "secret")->access_token);
    ASSERT_TRUE(who.ok());
    std::promise<Status> p;
    ingest_->IngestDecoded(*who, e, [&p](Status s) { p.set_value(std::move(s)); });
    ASSERT_TRUE(p.get_future().get().ok());
  }
  std::unique_ptr<StreamDeriver> Start(const StreamRecord& derived) {
    return std::make_unique<StreamDeriver>(
        *log_, *box_, [this](const ContractRef& r) { return catalog_->GetDataContract(r); },
        source_, derived);
  }
  std::vector<json> Events(const StreamRecord& s) {
    std::vector<json> out;
    auto r =
        log_->Read(StreamIngest::EventsTopic(s.id), 0, 0, 1 << 24, std::chrono::milliseconds(0));
    if (!r.ok()) return out;
    for (const auto& rec : r->records) out.push_back(json::parse(rec.record.value));
    return out;
  }
  // Waits (10 s at most) until `s` holds `n` events.
  std::vector<json> WaitFor(const StreamRecord& s, size_t n) {
    for (int i = 0; i < 1000 && Events(s).size() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return Events(s);
  }

  fs::path dir_;
  std::unique_ptr<Catalog> catalog_;
  std::array<uint8_t, 32> master_{};
  std::unique_ptr<SecretBox> box_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<StreamIngest> ingest_;
  StreamRecord source_, plain_, masked_;
  testing::MasterKeyEnv env_;
};

TEST_F(StreamDerivationTest, EachPurposeSeesDecryptsAndMasksAsInBatchJobs) {
  Send("u-1", {1, 2});
  Send("u-2", {1});
  Send("u-3", {});
  auto plain_deriver = Start(plain_);
  auto masked_deriver = Start(masked_);
  const auto source = Events(source_);
  ASSERT_EQ(source.size(), 3u);
  const auto plain = WaitFor(plain_, 1);
  const auto masked = WaitFor(masked_, 2);
  ASSERT_EQ(plain.size(), 1u);
  ASSERT_EQ(masked.size(), 2u);

  // GRANULAR {1, 2}: u-1's event only; levels 1 and 2 decrypted, 3 stays as stored.
  EXPECT_EQ(plain[0]["strmMeta"], source[0]["strmMeta"]);
  EXPECT_EQ(plain[0]["uniqueIdentifier"], "u-1");
  EXPECT_EQ(plain[0]["consistentValue"], "session-1");
  EXPECT_EQ(plain[0]["someSensitiveValue"], source[0]["someSensitiveValue"]);
  EXPECT_NE(plain[0]["someSensitiveValue"], "sensitive-u-1");
  EXPECT_EQ(plain[0]["notSensitiveValue"], "plain-u-1");

  // GRANULAR {1}, masked: u-1's and u-2's events in order; level 1 decrypted then masked,
  // the plain field masked, levels 2 and 3 as stored (a mask never shows what consent hides).
  const Masker m(HashType::kMurmur3_128, "seed-1");
  for (size_t i = 0; i < 2; ++i) {
    const std::string u = "u-" + std::to_string(i + 1);
    EXPECT_EQ(masked[i]["strmMeta"], source[i]["strmMeta"]);
    EXPECT_EQ(masked[i]["uniqueIdentifier"], m.Mask(u));
    EXPECT_EQ(masked[i]["consistentValue"], source[i]["consistentValue"]);
    EXPECT_EQ(masked[i]["someSensitiveValue"], source[i]["someSensitiveValue"]);
    EXPECT_EQ(masked[i]["notSensitiveValue"], m.Mask("plain-" + u));
  }
}

TEST_F(StreamDerivationTest, AStartAfterAnUnrecordedAppendDoesNotRepeatIt) {
  Send("u-1", {1});
  Send("u-2", {1});
  auto d = Start(masked_);
  ASSERT_EQ(WaitFor(masked_, 2).size(), 2u);
  d.reset();
  // As if the process died after the append and before its record: the group's position
  // goes back to the start.
  ASSERT_TRUE(
      log_->CommitOffset("derive." + masked_.id, StreamIngest::EventsTopic(source_.id), 0, 0).ok());
  d = Start(masked_);
  Send("u-3", {1});
  const auto events = WaitFor(masked_, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a duplicate would show now
  const auto after = Events(masked_);
  ASSERT_EQ(after.size(), 3u);
  const Masker m(HashType::kMurmur3_128, "seed-1");
  EXPECT_EQ(after[2]["uniqueIdentifier"], m.Mask("u-3"));
  EXPECT_TRUE(d->running());
}

}  // namespace
}  // namespace strm

namespace strm {
namespace {

// DerivedStreams (streams/derived_streams.h) runs the derivers of the catalog's derived streams
// and deletes the topics of deleted streams, leaving every other topic alone.
TEST_F(StreamDerivationTest, TheServersDerivationsFollowTheCatalogAndGoneStreamsLoseTheirTopics) {
  Send("u-1", {1, 2});
  ASSERT_TRUE(log_->CreateTopic("not-a-stream", 1).ok());
  auto errors = std::make_shared<std::vector<std::string>>();
  DerivedStreams all(*catalog_, *log_, master_, std::chrono::milliseconds(20),
                     [errors](const std::string& s, const Status& st) {
                       errors->push_back(s + ": " + st.message());
                     });
  EXPECT_EQ(WaitFor(plain_, 1).size(), 1u);
  EXPECT_EQ(WaitFor(masked_, 1).size(), 1u);
  auto topics = [this] { return *log_->ListTopics(); };
  ASSERT_THAT(topics(), ::testing::Contains(StreamIngest::EventsTopic(plain_.id)));

  ASSERT_TRUE(catalog_->DeleteStream(plain_.name).ok());
  const std::string gone = StreamIngest::EventsTopic(plain_.id);
  for (int i = 0; i < 500 && ::testing::Value(topics(), ::testing::Contains(gone)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_THAT(topics(), ::testing::Not(::testing::Contains(gone)));
  EXPECT_THAT(topics(),
              ::testing::IsSupersetOf(
                  {StreamIngest::EventsTopic(source_.id), StreamIngest::KeysTopic(source_.id),
                   StreamIngest::EventsTopic(masked_.id), std::string("not-a-stream")}));
  EXPECT_EQ(all.running(), 1u) << "the masked stream's deriver only";
  EXPECT_TRUE(errors->empty()) << errors->front();
}

}  // namespace
}  // namespace strm
