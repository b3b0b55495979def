// Events of a source stream from login to the log (streams/stream_ingest.h), on a real
// catalog and embedded log: tokens, the demo event decrypted cell by cell from the log with
// the key from the key stream, one key per key-field value for 24 hours (an injected clock),
// keys taken back after a restart, and the errors. Plus the parts: tokens and event checks.
#include "streams/stream_ingest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "core/bytes.h"
#include "formats/avro.h"
#include "privacy/schema.h"
#include "streams/embedded_log.h"
#include "testing/test_support.h"

namespace strm {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// The demo event of docs/strm-wire.md §3 (Avro binary).
std::string DemoEventAvro() {
  auto b = HexDecode(
      "327374726d707269766163792f6578616d706c652f312e332e3000000000040002000212756e697175652d3134"
      "1673657373696f6e2d373430021673656e7369746976652d3102206e6f742d73656e7369746976652d3339");
  return std::string(b->begin(), b->end());
}

nlohmann::json JsonEvent(const std::string& key_value, const std::string& unique) {
  return {{"strmMeta", {{"eventContractRef", "strmprivacy/example/1.3.0"}, {"consentLevels", {1}}}},
          {"uniqueIdentifier", unique},
          {"consistentValue", key_value},
          {"notSensitiveValue", "plain"}};
}

class StreamIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("strm-ingest-" + NewUuidV4());
    auto c = OpenSqliteCatalog((dir_ / "home").string());
    ASSERT_TRUE(c.ok()) << c.status().message();
    catalog_ = std::move(c).value();
    auto key = LoadOrCreateMasterKey((dir_ / "home").string(), false);
    ASSERT_TRUE(key.ok());
    master_ = *key;
    stream_.name = "demo";
    stream_.id = NewUuidV4();
    stream_.credentials = {{"client-1", "secret-1"}};
    stream_.created_at = 1;
    ASSERT_TRUE(catalog_->CreateStream(stream_).ok());
    Reopen();
  }
  void TearDown() override {
    ingest_.reset();
    log_.reset();
    catalog_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    ingest_.reset();
    log_.reset();
    auto l = EmbeddedLog::Open((dir_ / "log").string());
    ASSERT_TRUE(l.ok()) << l.status().message();
    log_ = std::move(l).value();
    StreamIngestOptions o;
    o.now_ms = [this] { return now_; };
    ingest_ = std::make_unique<StreamIngest>(*catalog_, *log_, master_, o);
  }
  StreamTokenClaims Who() {
    auto login = ingest_->Login("client-1", "secret-1");
    EXPECT_TRUE(login.ok()) << login.status().message();
    auto who = ingest_->Authorize(login->access_token);
    EXPECT_TRUE(who.ok()) << who.status().message();
    return *who;
  }
  Status Send(const nlohmann::json& event) {
    std::promise<Status> p;
    ingest_->IngestDecoded(Who(), event, [&p](Status s) { p.set_value(std::move(s)); });
    return p.get_future().get();
  }
  std::vector<nlohmann::json> Events() {
    auto r = log_->Read(StreamIngest::EventsTopic(stream_.id), 0, 0, 1 << 24,
                        std::chrono::milliseconds(0));
    std::vector<nlohmann::json> out;
    if (!r.ok()) return out;
    for (const auto& s : r->records) out.push_back(nlohmann::json::parse(s.record.value));
    return out;
  }
  std::vector<StreamKeyRecord> Keys() {
    SecretBox box(master_);
    auto r = log_->Read(StreamIngest::KeysTopic(stream_.id), 0, 0, 1 << 24,
                        std::chrono::milliseconds(0));
    std::vector<StreamKeyRecord> out;
    if (!r.ok()) return out;
    for (const auto& s : r->records) {
      const auto& v = s.record.value;
      auto k =
          OpenStreamKey(box, stream_.id, {reinterpret_cast<const uint8_t*>(v.data()), v.size()});
      EXPECT_TRUE(k.ok()) << k.status().message();
      EXPECT_EQ(s.record.key, k->key.KeyLinkText());
      out.push_back(*k);
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Catalog> catalog_;
  std::array<uint8_t, 32> master_{};
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<StreamIngest> ingest_;
  StreamRecord stream_;
  int64_t now_ = 1'764'936'000'000;  // 2025-12-05T12:00:00Z
  testing::MasterKeyEnv env_;
};

TEST_F(StreamIngestTest, TheDemoEventIsStoredEncryptedWithItsKeyInTheKeyStream) {
  std::promise<Status> p;
  ingest_->Ingest(Who(), EventEncoding::kAvroBinary, "strmprivacy/demo/1.0.2", DemoEventAvro(),
                  [&p](Status s) { p.set_value(std::move(s)); });
  ASSERT_TRUE(p.get_future().get().ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  const nlohmann::json& e = events[0];
  auto keys = Keys();
  ASSERT_EQ(keys.size(), 1u);
  const DataKey& key = keys[0].key;
  EXPECT_EQ(keys[0].created_at, now_);
  EXPECT_EQ(e["strmMeta"]["keyLink"], key.KeyLinkText());
  EXPECT_EQ(e["strmMeta"]["timestamp"], now_);
  EXPECT_TRUE(e["strmMeta"]["nonce"].is_number_integer());
  EXPECT_EQ(e["strmMeta"]["consentLevels"], nlohmann::json::array({0, 1}));
  EXPECT_EQ(e["strmMeta"]["eventContractRef"], "strmprivacy/example/1.3.0");
  DeterministicAead aead(key.keyset);
  EXPECT_EQ(*aead.DecryptBase64(e["uniqueIdentifier"].get<std::string>()), "unique-14");
  EXPECT_EQ(*aead.DecryptBase64(e["consistentValue"].get<std::string>()), "session-740");
  EXPECT_EQ(*aead.DecryptBase64(e["someSensitiveValue"].get<std::string>()), "sensitive-1");
  EXPECT_EQ(e["notSensitiveValue"], "not-sensitive-39");
  // strmMeta first, then the schema's fields in order.
  auto r = log_->Read(StreamIngest::EventsTopic(stream_.id), 0, 0, 1 << 20,
                      std::chrono::milliseconds(0));
  EXPECT_THAT(r->records[0].record.value,
              ::testing::MatchesRegex(
                  R"(\{"strmMeta":\{"eventContractRef":.*"keyLink":.*\},)"
                  R"("uniqueIdentifier":.*"consistentValue":.*)"
                  R"("someSensitiveValue":.*"notSensitiveValue":"not-sensitive-39"\})"));
  EXPECT_EQ(r->records[0].record.key, key.KeyLinkText());
}

TEST_F(StreamIngestTest, AKeyServesItsValueForADayAndIsTakenBackAfterARestart) {
  ASSERT_TRUE(Send(JsonEvent("s-1", "u-1")).ok());
  ASSERT_TRUE(Send(JsonEvent("s-2", "u-2")).ok());
  now_ += 23 * 3'600'000;
  Reopen();  // the keys come back from the key stream
  ASSERT_TRUE(Send(JsonEvent("s-1", "u-3")).ok());
  now_ += 3'600'000;  // 24 h after s-1's key was made: a new one
  ASSERT_TRUE(Send(JsonEvent("s-1", "u-4")).ok());
  auto events = Events();
  auto keys = Keys();
  ASSERT_EQ(events.size(), 4u);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(events[0]["strmMeta"]["keyLink"], events[2]["strmMeta"]["keyLink"]);
  EXPECT_NE(events[0]["strmMeta"]["keyLink"], events[1]["strmMeta"]["keyLink"]);
  EXPECT_NE(events[0]["strmMeta"]["keyLink"], events[3]["strmMeta"]["keyLink"]);
  EXPECT_EQ(events[3]["strmMeta"]["keyLink"], keys[2].key.KeyLinkText());
  DeterministicAead aead(keys[2].key.keyset);
  EXPECT_EQ(*aead.DecryptBase64(events[3]["uniqueIdentifier"].get<std::string>()), "u-4");
}

TEST_F(StreamIngestTest, EventsOfManyThreadsShareOneKeyPerValue) {
  const StreamTokenClaims who = Who();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<std::promise<Status>> ps(50);
      for (int i = 0; i < 50; ++i)
        ingest_->IngestDecoded(who, JsonEvent("s-" + std::to_string(i % 5), "u"),
                               [&ps, i](Status s) { ps[i].set_value(std::move(s)); });
      for (auto& p : ps) ok += p.get_future().get().ok();
      (void)t;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(Events().size(), 200u);
  EXPECT_EQ(Keys().size(), 5u);
}

TEST_F(StreamIngestTest, TokensAndEventErrorsSayWhatIsWrong) {
  EXPECT_EQ(ingest_->Login("client-1", "wrong").status().message(), "invalid client credentials");
  EXPECT_EQ(ingest_->Login("nobody", "secret-1").status().message(), "invalid client credentials");
  auto login = ingest_->Login("client-1", "secret-1");
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(ingest_->Authorize(login->refresh_token).status().message(),
            "the token is not an access token");
  auto refreshed = ingest_->Refresh(login->refresh_token);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status().message();
  now_ += 3'601'000;
  EXPECT_EQ(ingest_->Authorize(login->access_token).status().message(), "the token has expired");
  std::string forged = login->access_token;
  forged[forged.size() / 2] ^= 1;
  EXPECT_EQ(ingest_->Authorize(forged).status().code(), StatusCode::kPermissionDenied);

  nlohmann::json bad = JsonEvent("s-1", "secret-value-1");
  bad["strmMeta"]["consentLevels"] = {1, -2};
  EXPECT_EQ(Send(bad).message(), "field 'strmMeta.consentLevels' must hold integers >= 0");
  bad = JsonEvent("s-1", "secret-value-1");
  bad.erase("consistentValue");
  EXPECT_EQ(Send(bad).message(), "field 'consistentValue' is required");
  bad = JsonEvent("s-1", "secret-value-1");
  bad["strmMeta"].erase("eventContractRef");
  EXPECT_THAT(Send(bad).message(), HasSubstr("field 'strmMeta.eventContractRef' is missing"));
  std::promise<Status> p;
  ingest_->Ingest(Who(), EventEncoding::kAvroBinary, "acme/x/1.0.0", DemoEventAvro(),
                  [&p](Status s) { p.set_value(std::move(s)); });
  EXPECT_EQ(p.get_future().get().message(),
            "no Avro schema is known for schema ref acme/x/1.0.0: no such data contract");
  EXPECT_TRUE(Events().empty());
}

TEST_F(StreamIngestTest, AvroBinaryEventsOfAUserContractUseTheAvroFormOfItsSchema) {
  auto ref = ContractRef::Parse("acme/orders/1.0.0");
  auto schema = ParseSimpleSchema(R"({"name": "Order", "namespace": "com.acme", "nodes": [
    {"type": "STRING", "name": "customer", "required": true},
    {"type": "LONG", "name": "amount"}, {"type": "STRING", "name": "email"}]})");
  ASSERT_TRUE(schema.ok());
  auto contract = MakeDataContract(*ref, *schema, R"({"keyField": "customer",
    "piiFields": {"customer": 1, "email": 2}})");
  ASSERT_TRUE(contract.ok()) << contract.status().message();
  ASSERT_TRUE(catalog_->CreateDataContract(*contract).ok());
  auto avro = AvroSchema::Parse(AvroSchemaJson(*schema).dump());
  ASSERT_TRUE(avro.ok()) << avro.status().message();
  auto body = avro->EncodeBinary({{"strmMeta",
                                   {{"eventContractRef", "acme/orders/1.0.0"},
                                    {"nonce", nullptr},
                                    {"timestamp", nullptr},
                                    {"keyLink", nullptr},
                                    {"billingId", nullptr},
                                    {"consentLevels", {1}}}},
                                  {"customer", "c-42"},
                                  {"amount", 1250},
                                  {"email", "c42@example.com"}});
  ASSERT_TRUE(body.ok()) << body.status().message();
  std::promise<Status> p;
  ingest_->Ingest(Who(), EventEncoding::kAvroBinary, "acme/orders/1.0.0", *body,
                  [&p](Status s) { p.set_value(std::move(s)); });
  ASSERT_TRUE(p.get_future().get().ok());
  const auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["amount"], 1250);
  EXPECT_NE(events[0]["customer"], "c-42") << "PII encrypted";
  EXPECT_NE(events[0]["email"], "c42@example.com");
  EXPECT_EQ(events[0]["strmMeta"]["eventContractRef"], "acme/orders/1.0.0");

  std::promise<Status> wrong;
  ingest_->Ingest(Who(), EventEncoding::kAvroBinary, "acme/orders/1.0.0", body->substr(0, 10),
                  [&wrong](Status s) { wrong.set_value(std::move(s)); });
  EXPECT_THAT(wrong.get_future().get().message(),
              HasSubstr("the Avro body does not match its schema"));
}

TEST_F(StreamIngestTest, ABatchAnswersEachEventInOrderAndAppendsTheTakenOnesInOrder) {
  std::vector<nlohmann::json> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(JsonEvent("s-" + std::to_string(i % 2), "u-" + std::to_string(i)));
    batch.back()["notSensitiveValue"] = "n-" + std::to_string(i);
  }
  batch[1].erase("consistentValue");
  std::promise<std::vector<Status>> p;
  ingest_->IngestBatch(Who(), batch, [&p](std::vector<Status> r) { p.set_value(std::move(r)); });
  const std::vector<Status> results = p.get_future().get();
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[1].message(), "field 'consistentValue' is required");
  std::vector<std::string> taken;
  for (const auto& e : Events()) taken.push_back(e["notSensitiveValue"].get<std::string>());
  EXPECT_EQ(taken, (std::vector<std::string>{"n-0", "n-2", "n-3", "n-4"}));
  for (size_t i : {0u, 2u, 3u, 4u}) EXPECT_TRUE(results[i].ok()) << i;
  EXPECT_EQ(Keys().size(), 2u) << "one key per key-field value";
  const auto events = Events();
  EXPECT_EQ(events[0]["strmMeta"]["keyLink"], events[1]["strmMeta"]["keyLink"]);  // s-0, s-0
  EXPECT_NE(events[0]["strmMeta"]["keyLink"], events[2]["strmMeta"]["keyLink"]);  // s-0, s-1
}

TEST_F(StreamIngestTest, ADeletedStreamsTokensStopWithinTheCacheTime) {
  auto login = ingest_->Login("client-1", "secret-1");
  ASSERT_TRUE(login.ok());
  ASSERT_TRUE(ingest_->Authorize(login->access_token).ok());
  ASSERT_TRUE(catalog_->DeleteStream("demo").ok());
  EXPECT_TRUE(ingest_->Authorize(login->access_token).ok()) << "remembered for cache_ttl";
  now_ += 2'000;
  EXPECT_EQ(ingest_->Authorize(login->access_token).status().message(),
            "the token's stream or client no longer exists");
}

TEST(StreamTokens, SignedBoundAndTimed) {
  std::array<uint8_t, 32> key{};
  key[0] = 1;
  StreamTokens tokens(key);
  StreamTokenClaims c{StreamTokenKind::kAccess, "demo", "id-1", "client-1", 100, 200};
  const std::string t = tokens.Issue(c);
  EXPECT_EQ(*tokens.Verify(t, StreamTokenKind::kAccess, 150), c);
  EXPECT_EQ(tokens.Verify(t, StreamTokenKind::kAccess, 200).status().message(),
            "the token has expired");
  std::array<uint8_t, 32> other{};
  EXPECT_EQ(StreamTokens(other).Verify(t, StreamTokenKind::kAccess, 150).status().message(),
            "the token is not one this server issued");
  // The header is fixed: a token claiming another algorithm is not taken.
  const std::string none = "eyJhbGciOiJub25lIn0" + t.substr(t.find('.'));
  EXPECT_EQ(tokens.Verify(none, StreamTokenKind::kAccess, 150).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(StreamEvents, EncodingsAndLines) {
  EXPECT_EQ(ParseEventEncoding(""), EventEncoding::kAvroBinary);
  EXPECT_EQ(ParseEventEncoding("application/JSON; charset=utf-8"), EventEncoding::kJson);
  EXPECT_EQ(ParseEventEncoding("text/csv"), std::nullopt);
  EXPECT_EQ(DecodeEvent(EventEncoding::kJson, "[1]", nullptr).status().message(),
            "the event must be a JSON object");
  EXPECT_EQ(DecodeEvent(EventEncoding::kJson, "{", nullptr).status().message(),
            "the body is not valid JSON");
}

}  // namespace
}  // namespace strm
