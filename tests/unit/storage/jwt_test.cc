#include "storage/jwt.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/test_certificates.h"

namespace strm {
namespace {

using namespace std::chrono;

// ---- OpenSSL helpers: test keys are made here, never committed ----------------------------

// PKCS#8 PEM, optionally encrypted with a passphrase.
std::string PrivatePem(EVP_PKEY* k, const char* passphrase = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  const EVP_CIPHER* cipher = passphrase ? EVP_aes_256_cbc() : nullptr;
  int len = passphrase ? static_cast<int>(std::strlen(passphrase)) : 0;
  EXPECT_EQ(
      PEM_write_bio_PrivateKey(bio, k, cipher, reinterpret_cast<const unsigned char*>(passphrase),
                               len, nullptr, nullptr),
      1);
  return BioText(bio);
}

// The traditional PKCS#1 form, "BEGIN RSA PRIVATE KEY".
std::string Pkcs1Pem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(k, EVP_PKEY_KEYPAIR, "PEM", "type-specific", nullptr);
  EXPECT_NE(ctx, nullptr);
  EXPECT_EQ(OSSL_ENCODER_to_bio(ctx, bio), 1);
  OSSL_ENCODER_CTX_free(ctx);
  return BioText(bio);
}

std::string PublicPem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio, k), 1);
  return BioText(bio);
}

struct KeyPair {
  std::string private_pem, public_pem;
};

// One 2048-bit RSA key for the whole suite (generation takes a moment).
const KeyPair& TestKey() {
  static const KeyPair pair = [] {
    Pkey k(EVP_RSA_gen(2048));
    EXPECT_NE(k, nullptr);
    return KeyPair{PrivatePem(k.get()), PublicPem(k.get())};
  }();
  return pair;
}

Bytes MustDecode(std::string_view b64url) {
  auto b = Base64UrlDecode(b64url);
  EXPECT_TRUE(b.ok()) << b.status().message();
  return b.ok() ? *b : Bytes{};
}

std::vector<std::string> Split(const std::string& jwt) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = jwt.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(jwt.substr(start, dot - start));
  parts.push_back(jwt.substr(start));
  return parts;
}

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }

// ---- RFC 7515 appendix A.2: "Example JWS Using RSASSA-PKCS1-v1_5 SHA-256" -----------------
// The RSA key (JWK members, base64url) and the expected JWS are copied from the RFC.

constexpr std::string_view kA2N =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d"
    "4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexM"
    "dbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvU"
    "K-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr std::string_view kA2E = "AQAB";
constexpr std::string_view kA2D =
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOo"
    "AJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gf"
    "pRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPD"
    "VZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
constexpr std::string_view kA2P =
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJ"
    "dTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
constexpr std::string_view kA2Q =
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD"
    "_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
constexpr std::string_view kA2Dp =
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6"
    "HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0";
constexpr std::string_view kA2Dq =
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaH"
    "F-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU";
constexpr std::string_view kA2Qi =
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YI"
    "Bi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U";
constexpr std::string_view kA2Header = "{\"alg\":\"RS256\"}";
constexpr std::string_view kA2Payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
constexpr std::string_view kA2Jws =
    "eyJhbGciOiJSUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5j"
    "ujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L0"
    "7Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUip"
    "UTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// The A.2 key as an EVP_PKEY, built from its JWK members.
Pkey A2Key() {
  struct Member {
    const char* name;
    std::string_view b64url;
  };
  const Member members[] = {
      {OSSL_PKEY_PARAM_RSA_N, kA2N},          {OSSL_PKEY_PARAM_RSA_E, kA2E},
      {OSSL_PKEY_PARAM_RSA_D, kA2D},          {OSSL_PKEY_PARAM_RSA_FACTOR1, kA2P},
      {OSSL_PKEY_PARAM_RSA_FACTOR2, kA2Q},    {OSSL_PKEY_PARAM_RSA_EXPONENT1, kA2Dp},
      {OSSL_PKEY_PARAM_RSA_EXPONENT2, kA2Dq}, {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, kA2Qi},
  };
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::vector<BIGNUM*> bns;
  for (const Member& m : members) {
    Bytes b = MustDecode(m.b64url);
    BIGNUM* bn = BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr);
    bns.push_back(bn);
    EXPECT_EQ(OSSL_PARAM_BLD_push_BN(bld, m.name, bn), 1);
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* k = nullptr;
  EXPECT_EQ(EVP_PKEY_fromdata_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params), 1);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  for (BIGNUM* bn : bns) BN_free(bn);
  return Pkey(k);
}

TEST(JwtRfc7515, AppendixA2Rs256) {
  Pkey key = A2Key();
  ASSERT_NE(key, nullptr);
  auto jws = SignRs256Jws(kA2Header, kA2Payload, PrivatePem(key.get()));
  ASSERT_TRUE(jws.ok()) << jws.status().message();
  EXPECT_EQ(*jws, kA2Jws);

  auto verified = VerifyRs256Jwt(kA2Jws, PublicPem(key.get()));
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  EXPECT_EQ(verified->header, kA2Header);
  EXPECT_EQ(verified->claims, kA2Payload);
}

// ---- service-account JWTs -------------------------------------------------------------------

constexpr std::string_view kEmail = "strm-test@example-project.iam.gserviceaccount.com";
constexpr std::string_view kTokenUri = "https://oauth2.googleapis.com/token";
constexpr std::string_view kScope = "https://www.googleapis.com/auth/devstorage.read_write";
const sys_seconds kNow{seconds{1700000000}};

TEST(JwtServiceAccount, SignsHeaderAndClaimsThatVerify) {
  const KeyPair& key = TestKey();
  auto jwt = MakeServiceAccountJwt(kEmail, key.private_pem, kTokenUri, kScope, kNow, "abc123");
  ASSERT_TRUE(jwt.ok()) << jwt.status().message();
  std::vector<std::string> parts = Split(*jwt);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(Text(MustDecode(parts[0])), R"({"alg":"RS256","kid":"abc123","typ":"JWT"})");
  EXPECT_EQ(Text(MustDecode(parts[1])),
            R"({"aud":"https://oauth2.googleapis.com/token","exp":1700003600,"iat":1700000000,)"
            R"("iss":"strm-test@example-project.iam.gserviceaccount.com",)"
            R"("scope":"https://www.googleapis.com/auth/devstorage.read_write"})");
  EXPECT_EQ(MustDecode(parts[2]).size(), 256u) << "a 2048-bit RSA signature";

  auto verified = VerifyRs256Jwt(*jwt, key.public_pem);
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  const auto claims = nlohmann::json::parse(verified->claims);
  EXPECT_EQ(claims["iss"], kEmail);
  EXPECT_EQ(claims["scope"], kScope);
  EXPECT_EQ(claims["aud"], kTokenUri);
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"].get<int64_t>(), 1700000000 + kServiceAccountJwtSeconds);
  EXPECT_EQ(nlohmann::json::parse(verified->header)["kid"], "abc123");

  // The private key may stand in for the public one.
  EXPECT_TRUE(VerifyRs256Jwt(*jwt, key.private_pem).ok());
}

TEST(JwtServiceAccount, HeaderWithoutKeyIdAndPkcs1Keys) {
  Pkey k(EVP_RSA_gen(2048));
  ASSERT_NE(k, nullptr);
  const std::string pkcs1 = Pkcs1Pem(k.get());
  ASSERT_NE(pkcs1.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  auto jwt = MakeServiceAccountJwt(kEmail, pkcs1, kTokenUri, kScope, kNow);
  ASSERT_TRUE(jwt.ok()) << jwt.status().message();
  EXPECT_EQ(Text(MustDecode(Split(*jwt)[0])), R"({"alg":"RS256","typ":"JWT"})");
  EXPECT_TRUE(VerifyRs256Jwt(*jwt, PublicPem(k.get())).ok());
}

TEST(JwtServiceAccount, RejectsEmptyOrNonUtf8Inputs) {
  const std::string& pem = TestKey().private_pem;
  EXPECT_FALSE(MakeServiceAccountJwt("", pem, kTokenUri, kScope, kNow).ok());
  EXPECT_FALSE(MakeServiceAccountJwt(kEmail, pem, "", kScope, kNow).ok());
  EXPECT_FALSE(MakeServiceAccountJwt(kEmail, pem, kTokenUri, "", kNow).ok());
  auto bad = MakeServiceAccountJwt("a\xff@example.com", pem, kTokenUri, kScope, kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("UTF-8"), std::string::npos);
}

// ---- verification failures --------------------------------------------------------------------

TEST(JwtVerify, TamperedOrForeignTokensFail) {
  const KeyPair& key = TestKey();
  const std::string jwt = *MakeServiceAccountJwt(kEmail, key.private_pem, kTokenUri, kScope, kNow);
  std::vector<std::string> p = Split(jwt);

  // Another payload under the original signature.
  const std::string forged_claims =
      R"({"aud":"https://oauth2.googleapis.com/token","exp":1999999999,"iat":1700000000,)"
      R"("iss":"attacker@example.com","scope":"https://www.googleapis.com/auth/cloud-platform"})";
  auto tampered = VerifyRs256Jwt(p[0] + "." + Base64UrlEncode(AsBytes(forged_claims)) + "." + p[2],
                                 key.public_pem);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(tampered.status().message().find("signature does not verify"), std::string::npos);

  // One changed signature character.
  std::string sig = p[2];
  sig[10] = sig[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(VerifyRs256Jwt(p[0] + "." + p[1] + "." + sig, key.public_pem).status().code(),
            StatusCode::kPermissionDenied);

  // A valid token under another key.
  Pkey other(EVP_RSA_gen(2048));
  EXPECT_EQ(VerifyRs256Jwt(jwt, PublicPem(other.get())).status().code(),
            StatusCode::kPermissionDenied);

  // Algorithm substitution: "none", or HS256 over the same bytes, is never accepted.
  for (std::string_view header : {R"({"alg":"none"})", R"({"alg":"HS256","typ":"JWT"})"}) {
    auto r =
        VerifyRs256Jwt(Base64UrlEncode(AsBytes(header)) + "." + p[1] + "." + p[2], key.public_pem);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("not signed with RS256"), std::string::npos);
  }
  auto crit = VerifyRs256Jwt(
      Base64UrlEncode(AsBytes(R"({"alg":"RS256","crit":["exp"]})")) + "." + p[1] + "." + p[2],
      key.public_pem);
  EXPECT_NE(crit.status().message().find("crit"), std::string::npos);

  // Malformed shapes.
  EXPECT_EQ(VerifyRs256Jwt(p[0] + "." + p[1], key.public_pem).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyRs256Jwt(jwt + ".x", key.public_pem).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyRs256Jwt(p[0] + ".a+b." + p[2], key.public_pem).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      VerifyRs256Jwt(p[0] + "." + Base64UrlEncode(AsBytes("[1]")) + "." + p[2], key.public_pem)
          .status()
          .code(),
      StatusCode::kInvalidArgument);
}

// ---- key errors ---------------------------------------------------------------------------------

// Every line of the PEM body, none of which may appear in a message.
void ExpectNoKeyMaterial(const std::string& message, const std::string& pem) {
  size_t start = 0;
  while (start < pem.size()) {
    size_t end = pem.find('\n', start);
    if (end == std::string::npos) end = pem.size();
    std::string line = pem.substr(start, end - start);
    if (!line.empty() && !line.starts_with("-----")) {
      EXPECT_EQ(message.find(line.substr(0, 16)), std::string::npos) << message;
    }
    start = end + 1;
  }
}

TEST(JwtKeys, BadKeysGiveClearMessagesWithoutKeyMaterial) {
  auto message_of = [](const std::string& pem) {
    Status s = CheckRsaPrivateKeyPem(pem);
    EXPECT_FALSE(s.ok());
    auto jwt = MakeServiceAccountJwt(kEmail, pem, kTokenUri, kScope, kNow);
    EXPECT_FALSE(jwt.ok());
    EXPECT_EQ(jwt.status().message(), s.message());
    ExpectNoKeyMaterial(s.message(), pem);
    return s.message();
  };
  EXPECT_TRUE(CheckRsaPrivateKeyPem(TestKey().private_pem).ok());

  EXPECT_NE(message_of("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC").find("not PEM text"), std::string::npos);
  EXPECT_NE(
      message_of("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB"
                 "\n-----END PRIVATE KEY-----\n")
          .find("not a valid PEM private key"),
      std::string::npos);
  EXPECT_NE(message_of(TestKey().public_pem).find("not a valid PEM private key"),
            std::string::npos);

  Pkey rsa(EVP_RSA_gen(2048));
  const std::string encrypted = PrivatePem(rsa.get(), "correct horse");
  ASSERT_NE(encrypted.find("ENCRYPTED"), std::string::npos);
  EXPECT_NE(message_of(encrypted).find("encrypted"), std::string::npos);

  Pkey ec(EVP_EC_gen("P-256"));
  ASSERT_NE(ec, nullptr);
  EXPECT_NE(message_of(PrivatePem(ec.get())).find("of type EC, not RSA"), std::string::npos);
  Pkey ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_NE(ed, nullptr);
  EXPECT_NE(message_of(PrivatePem(ed.get())).find("not RSA"), std::string::npos);

  // Verification keys too.
  const std::string jwt =
      *MakeServiceAccountJwt(kEmail, TestKey().private_pem, kTokenUri, kScope, kNow);
  auto v = VerifyRs256Jwt(jwt, PublicPem(ec.get()));
  EXPECT_NE(v.status().message().find("not RSA"), std::string::npos);
  v = VerifyRs256Jwt(jwt, "garbage");
  EXPECT_NE(v.status().message().find("not PEM text"), std::string::npos);
}

}  // namespace
}  // namespace strm
