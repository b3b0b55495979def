#include "privacy/tink_keyset.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace strm {
namespace {

// VECTORS.md §1.
constexpr std::string_view kKeysetJson =
    R"({"primaryKeyId":714921229,"key":[{"keyData":{"typeUrl":"type.googleapis.com/google.crypto.tink.AesSivKey","value":"EkBKGzBuy9C3UUmWaOzpe7NBEg6QK21FRhZ9MjuD5hpa0+hPJy0kn1HngA9QUT5aGbTNQQyow0V6qJCFoFRQNNTH","keyMaterialType":"SYMMETRIC"},"status":"ENABLED","keyId":714921229,"outputPrefixType":"TINK"}]})";

struct Pair {
  std::string_view plaintext, ciphertext;
};
constexpr Pair kPairs[] = {
    {"17850", "ASqc1Q0QalDEN+LHeyZSfGHE+s9Lqu4o+jM="},
    {"12583", "ASqc1Q1h6ff3aiKFDnas5ivoRc7u8hU/vjo="},
    {"Zoë@example.com", "ASqc1Q157vTDVOuDV0It0c/EUQLyysdjgB1g+lp+wnLzWhYUmQ=="},
};

TinkKeyset VectorKeyset() {
  auto k = ParseTinkKeysetJson(kKeysetJson);
  if (!k.ok()) std::abort();
  return *k;
}

// The vector keyset with `from` replaced by `to`.
std::string Edit(std::string_view from, std::string_view to) {
  std::string json(kKeysetJson);
  size_t pos = json.find(from);
  if (pos == std::string::npos) std::abort();
  return json.replace(pos, from.size(), to);
}

std::string ParseError(std::string_view json) {
  auto r = ParseTinkKeysetJson(json);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(TinkKeyset, ParsesVectorKeyset) {
  TinkKeyset k = VectorKeyset();
  EXPECT_EQ(k.key_id, 714921229u);
  EXPECT_EQ(HexEncode(k.key),
            "4a1b306ecbd0b751499668ece97bb341120e902b6d4546167d323b83e61a5ad3e84f272d249f51e7"
            "800f50513e5a19b4cd410ca8c3457aa89085a0545034d4c7");
}

TEST(TinkKeyset, WritesVectorKeysetByteIdentically) {
  EXPECT_EQ(TinkKeysetToJson(VectorKeyset()), kKeysetJson);
}

TEST(TinkKeyset, CsvFieldIsTheJsonQuotedWithQuotesDoubled) {
  std::string csv_vector;
  AppendTinkKeysetCsvField(VectorKeyset(), csv_vector);
  EXPECT_EQ(csv_vector.substr(0, 21), R"("{""primaryKeyId"":71)");
  for (int i = 0; i < 50; ++i) {
    TinkKeyset k = i == 0 ? VectorKeyset() : GenerateTinkKeyset();
    if (i == 1) k.key_id = 0xffffffffu;  // the longest id
    if (i == 2) k.key_id = 0;
    std::string expected = "\"";
    for (char c : TinkKeysetToJson(k))
      expected += c == '"' ? std::string("\"\"") : std::string(1, c);
    expected += "\"";
    std::string out = "x,";  // appends
    AppendTinkKeysetCsvField(k, out);
    EXPECT_EQ(out, "x," + expected);
  }
}

TEST(TinkKeyset, AcceptsExplicitVersionZero) {
  // 08 00 (version 0) before the key: "CAA" + the vector's base64 shifted by two bytes.
  Bytes proto = {0x08, 0x00, 0x12, 0x40};
  TinkKeyset expected = VectorKeyset();
  proto.insert(proto.end(), expected.key.begin(), expected.key.end());
  auto k = ParseTinkKeysetJson(Edit(
      "EkBKGzBuy9C3UUmWaOzpe7NBEg6QK21FRhZ9MjuD5hpa0+hPJy0kn1HngA9QUT5aGbTNQQyow0V6qJCFoFRQNNTH",
      Base64Encode(proto)));
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(*k, expected);
}

TEST(TinkKeyset, AcceptsKeyIdsAboveInt32AndSignedForms) {
  TinkKeyset big = VectorKeyset();
  big.key_id = 0x9a000001u;  // 2583691265; older Tink wrote it as the int -1711276031
  std::string json = TinkKeysetToJson(big);
  EXPECT_NE(json.find(R"("primaryKeyId":2583691265,)"), std::string::npos);
  EXPECT_NE(json.find(R"("keyId":2583691265,)"), std::string::npos);
  for (size_t pos; (pos = json.find("2583691265")) != std::string::npos;) {
    json.replace(pos, 10, "-1711276031");
  }
  auto k = ParseTinkKeysetJson(json);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(*k, big);
}

TEST(TinkKeyset, PicksThePrimaryKeyAmongSeveral) {
  TinkKeyset a = GenerateTinkKeyset(), b = GenerateTinkKeyset();
  b.key_id = a.key_id + 1;
  std::string ja = TinkKeysetToJson(a), jb = TinkKeysetToJson(b);
  // {"primaryKeyId":B,"key":[<key of a>,<key of b>]}
  std::string key_a = ja.substr(ja.find('[') + 1, ja.rfind(']') - ja.find('[') - 1);
  std::string json = jb.insert(jb.find('[') + 1, key_a + ",");
  auto k = ParseTinkKeysetJson(json);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(*k, b);
}

TEST(TinkKeyset, RejectsMalformedKeysets) {
  EXPECT_EQ(ParseError("{"), "invalid Tink keyset: not valid JSON");
  EXPECT_EQ(ParseError("[]"), "invalid Tink keyset: not a JSON object");
  EXPECT_EQ(ParseError(Edit("\"primaryKeyId\":714921229", "\"primaryKeyId\":\"714921229\"")),
            "invalid Tink keyset: \"primaryKeyId\" is missing or not a 32-bit integer");
  EXPECT_EQ(ParseError(Edit("\"primaryKeyId\":714921229", "\"primaryKeyId\":4294967296")),
            "invalid Tink keyset: \"primaryKeyId\" is missing or not a 32-bit integer");
  EXPECT_EQ(ParseError(R"({"primaryKeyId":1})"),
            "invalid Tink keyset: \"key\" is missing or not an array");
  EXPECT_EQ(ParseError(R"({"primaryKeyId":1,"key":[{}]})"),
            "invalid Tink keyset: \"keyId\" of key 0 is missing or not a 32-bit integer");
  EXPECT_EQ(ParseError(R"({"primaryKeyId":1,"key":[]})"),
            "invalid Tink keyset: primary key id 1 is not among the keys");
  EXPECT_EQ(ParseError(Edit("\"primaryKeyId\":714921229", "\"primaryKeyId\":5")),
            "invalid Tink keyset: primary key id 5 is not among the keys");
}

TEST(TinkKeyset, RejectsUnsupportedKeys) {
  EXPECT_EQ(ParseError(Edit("\"ENABLED\"", "\"DISABLED\"")),
            "invalid Tink keyset: primary key 714921229 is not ENABLED (status \"DISABLED\")");
  EXPECT_EQ(ParseError(Edit("\"status\":\"ENABLED\",", "")),
            "invalid Tink keyset: primary key 714921229 is not ENABLED (status missing)");
  EXPECT_EQ(ParseError(Edit("\"TINK\"", "\"RAW\"")),
            "invalid Tink keyset: output prefix type \"RAW\" is not supported (only TINK)");
  EXPECT_EQ(ParseError(Edit("google.crypto.tink.AesSivKey", "google.crypto.tink.AesGcmKey")),
            "invalid Tink keyset: key type \"type.googleapis.com/google.crypto.tink.AesGcmKey\" "
            "is not type.googleapis.com/google.crypto.tink.AesSivKey");
  EXPECT_EQ(ParseError(Edit("\"SYMMETRIC\"", "\"REMOTE\"")),
            "invalid Tink keyset: key material type \"REMOTE\" is not SYMMETRIC");
  EXPECT_EQ(ParseError(R"({"primaryKeyId":1,"key":[{"keyId":1,"status":"ENABLED",)"
                       R"("outputPrefixType":"TINK"}]})"),
            "invalid Tink keyset: \"keyData\" of primary key 1 is missing or not an object");
  EXPECT_EQ(ParseError(Edit("\"value\":\"", "\"value\":7,\"x\":\"")),
            "invalid Tink keyset: \"value\" of primary key 714921229 is missing or not a string");
  EXPECT_EQ(ParseError(Edit("EkBKGzBu", "EkBKGzB*")),
            "invalid Tink keyset: key value is not valid base64 (invalid base64: unexpected "
            "character)");
}

TEST(TinkKeyset, RejectsBadKeyProtos) {
  auto with_value = [](const Bytes& proto) {
    return ParseError(Edit(
        "EkBKGzBuy9C3UUmWaOzpe7NBEg6QK21FRhZ9MjuD5hpa0+hPJy0kn1HngA9QUT5aGbTNQQyow0V6qJCFoFRQNNTH",
        Base64Encode(proto)));
  };
  Bytes short_key = {0x12, 0x20};
  short_key.resize(2 + 32, 0x11);
  EXPECT_EQ(with_value(short_key),
            "invalid Tink keyset: AES-SIV key is 32 bytes, expected 64 (AES256_SIV)");
  EXPECT_EQ(with_value({0x08, 0x01, 0x12, 0x00}),
            "invalid Tink keyset: unsupported AesSivKey version 1");
  EXPECT_EQ(with_value({0x08, 0x00}), "invalid Tink keyset: AesSivKey has no key value");
  EXPECT_EQ(with_value({0x12, 0x40, 0x00}),
            "invalid Tink keyset: key value is not a valid AesSivKey protobuf");
  EXPECT_EQ(with_value({0x1a, 0x00}),
            "invalid Tink keyset: key value is not a valid AesSivKey protobuf");
  EXPECT_EQ(with_value({0x12}), "invalid Tink keyset: key value is not a valid AesSivKey protobuf");
}

TEST(DeterministicAead, EncryptsVectors) {
  DeterministicAead aead(VectorKeyset());
  EXPECT_EQ(aead.key_id(), 714921229u);
  for (const Pair& p : kPairs) {
    std::string out = "prefix,";
    aead.EncryptToBase64(p.plaintext, out);
    EXPECT_EQ(out, "prefix," + std::string(p.ciphertext));
    Bytes ct = aead.Encrypt(p.plaintext);
    EXPECT_EQ(ct.size(), p.plaintext.size() + DeterministicAead::kOverhead);
    EXPECT_EQ(Base64Encode(ct), p.ciphertext);
  }
}

TEST(DeterministicAead, DecryptsVectors) {
  DeterministicAead aead(VectorKeyset());
  for (const Pair& p : kPairs) {
    auto plain = aead.DecryptBase64(p.ciphertext);
    ASSERT_TRUE(plain.ok()) << plain.status().message();
    EXPECT_EQ(*plain, p.plaintext);
  }
}

// The reference is a separate S2V over Python `cryptography`'s CMAC and AES-CTR.
TEST(DeterministicAead, EncryptsEmptyPlaintext) {
  DeterministicAead aead(VectorKeyset());
  std::string out;
  aead.EncryptToBase64("", out);
  EXPECT_EQ(out, "ASqc1Q1yAPAJfb8BZNH5CVITZGfm");
  auto plain = aead.DecryptBase64(out);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(*plain, "");
}

TEST(DeterministicAead, RoundTripsLongValues) {
  DeterministicAead aead(GenerateTinkKeyset());
  for (size_t n : {0, 1, 100, 235, 236, 1000, 5000}) {
    std::string value(n, 'x');
    for (size_t i = 0; i < n; ++i) value[i] = static_cast<char>('a' + i % 26);
    std::string b64;
    aead.EncryptToBase64(value, b64);
    EXPECT_EQ(b64, Base64Encode(aead.Encrypt(value))) << n;
    auto plain = aead.DecryptBase64(b64);
    ASSERT_TRUE(plain.ok()) << plain.status().message();
    EXPECT_EQ(*plain, value);
  }
}

TEST(DeterministicAead, RejectsBadCiphertexts) {
  DeterministicAead aead(VectorKeyset());
  Bytes ct = aead.Encrypt("17850");
  auto error = [&](std::span<const uint8_t> c) {
    auto r = aead.Decrypt(c);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_EQ(error(std::span(ct).first(20)),
            "invalid ciphertext: 20 bytes, shorter than the 21-byte minimum");
  Bytes bad = ct;
  bad[0] = 0x00;
  EXPECT_EQ(error(bad), "invalid ciphertext: prefix byte is 00, not 01 (TINK)");
  bad = ct;
  bad[4] ^= 1;
  EXPECT_EQ(error(bad),
            "invalid ciphertext: key id 714921228 does not match the keyset's key id 714921229");
  for (size_t i = 5; i < ct.size(); ++i) {
    bad = ct;
    bad[i] ^= 0x40;
    EXPECT_EQ(error(bad), "invalid ciphertext: authentication failed") << i;
  }
  auto r = aead.DecryptBase64("ASqc1Q0QalDEN+LHeyZSfGHE+s9Lqu4o+jM");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "invalid ciphertext: invalid base64: length is not a multiple of 4");
  EXPECT_EQ(aead.DecryptBase64("ASqc1Q0QalDEN+LHeyZSfGHE+s9Lqu4o+jM*").status().message(),
            "invalid ciphertext: invalid base64: unexpected character");
}

TEST(DeterministicAead, OtherKeyCannotDecrypt) {
  TinkKeyset other = GenerateTinkKeyset();
  other.key_id = 714921229;  // same id, different key
  DeterministicAead aead(other);
  EXPECT_EQ(aead.DecryptBase64(kPairs[0].ciphertext).status().message(),
            "invalid ciphertext: authentication failed");
}

TEST(DeterministicAead, ClonesEncryptTheSame) {
  DeterministicAead a(VectorKeyset());
  DeterministicAead b = a.Clone();
  std::string out;
  b.EncryptToBase64(kPairs[2].plaintext, out);
  EXPECT_EQ(out, kPairs[2].ciphertext);
  EXPECT_EQ(b.key_id(), a.key_id());
  auto plain = a.DecryptBase64(out);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, kPairs[2].plaintext);
}

TEST(GenerateTinkKeyset, MakesDistinctUsableKeys) {
  std::set<uint32_t> ids;
  std::set<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    TinkKeyset k = GenerateTinkKeyset();
    EXPECT_NE(k.key_id, 0u);
    EXPECT_LT(k.key_id, 0x80000000u);
    EXPECT_NE(k.key, (std::array<uint8_t, 64>{}));
    ids.insert(k.key_id);
    keys.insert(HexEncode(k.key));
    auto parsed = ParseTinkKeysetJson(TinkKeysetToJson(k));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(keys.size(), 50u);
}

}  // namespace
}  // namespace strm

namespace strm {
namespace {

TEST(DeterministicAeadRekey, EncryptsUnderTheNewKeyset) {
  TinkKeyset a = GenerateTinkKeyset(), b = GenerateTinkKeyset();
  DeterministicAead aead(a);
  aead.Rekey(b);
  EXPECT_EQ(aead.key_id(), b.key_id);
  std::string ct;
  aead.EncryptToBase64("Zoë@example.com", ct);
  std::string expected;
  DeterministicAead(b).EncryptToBase64("Zoë@example.com", expected);
  EXPECT_EQ(ct, expected);
  EXPECT_EQ(*DeterministicAead(b).DecryptBase64(ct), "Zoë@example.com");
}

TEST(TinkKeysetTest, FromRandomTakesTheKeyThenAPositiveId) {
  uint8_t random[68];
  for (int i = 0; i < 68; ++i) random[i] = static_cast<uint8_t>(i);
  random[64] = 0xff;  // top bit cleared: ids are positive 31-bit numbers
  TinkKeyset k = TinkKeysetFromRandom(random);
  EXPECT_EQ(k.key_id, 0x7f414243u);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(k.key[i], i);
  random[64] = 0x80;
  random[65] = random[66] = random[67] = 0;
  EXPECT_EQ(TinkKeysetFromRandom(random).key_id, 1u) << "0 is not a valid id";
}

TEST(DeterministicAeadTest, EncryptManyEqualsEncrypt) {
  DeterministicAead aead(GenerateTinkKeyset());
  const std::vector<std::string_view> values = {"", "a", "ibthtfnf@mbeito.com",
                                                "PrivateFieldA_kHmSNlAn", "279909288129237"};
  std::vector<Bytes> out(values.size());
  std::vector<uint8_t*> ptrs;
  for (size_t i = 0; i < values.size(); ++i) {
    out[i].resize(DeterministicAead::kOverhead + values[i].size());
    ptrs.push_back(out[i].data());
  }
  aead.EncryptMany(values, ptrs.data());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(out[i], aead.Encrypt(values[i])) << values[i];
    auto back = aead.Decrypt(out[i]);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, values[i]);
  }
}

}  // namespace
}  // namespace strm
