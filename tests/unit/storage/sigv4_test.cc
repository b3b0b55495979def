#include "storage/sigv4.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace strm {
namespace {

using namespace std::chrono;

// The vectors below are AWS's own published examples (also in VECTORS.md §6):
//  - S3: "Signature Calculations for the Authorization Header: Transferring Payload in a
//    Single Chunk (AWS Signature Version 4)", Amazon S3 API Reference, examples "GET Object"
//    and "GET Bucket (List Objects)";
//  - generic: the AWS Signature Version 4 test suite, case "get-vanilla".
// AWS's S3 page writes the Authorization header with "," between its parts; strm writes
// ", " as the test suite and the AWS SDKs do. Both are accepted; the signature is the same.
constexpr std::string_view kS3AccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kS3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kS3Host = "examplebucket.s3.amazonaws.com";
const sys_seconds kS3Time = sys_days{2013y / May / 24};

Sigv4Credentials S3Keys() { return {std::string(kS3AccessKey), std::string(kS3Secret), ""}; }

Sigv4Signature MustSign(const Sigv4Request& r, const Sigv4Credentials& c, std::string_view region,
                        std::string_view service, sys_seconds t) {
  auto s = SignSigv4(r, c, region, service, t);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : Sigv4Signature{};
}

TEST(Sigv4, S3GetObjectWithRange) {
  Sigv4Request r;
  r.method = "GET";
  r.host = kS3Host;
  r.path = "/test.txt";
  r.headers = {{"Range", "bytes=0-9"}};
  r.payload_hash = kEmptyPayloadHash;
  Sigv4Signature s = MustSign(r, S3Keys(), "us-east-1", "s3", kS3Time);

  EXPECT_EQ(
      s.canonical_request,
      "GET\n"
      "/test.txt\n"
      "\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex(s.canonical_request),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n"
            "20130524T000000Z\n"
            "20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.canonical_uri, "/test.txt");
  EXPECT_EQ(s.query_string, "");
  const Sigv4Pairs expected_headers = {
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}};
  EXPECT_EQ(s.headers_to_add, expected_headers);
}

TEST(Sigv4, S3ListObjectsSortsTheQuery) {
  Sigv4Request r;
  r.host = kS3Host;
  r.path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // unsorted on purpose
  Sigv4Signature s = MustSign(r, S3Keys(), "us-east-1", "s3", kS3Time);
  EXPECT_EQ(s.query_string, "max-keys=2&prefix=J");
  EXPECT_EQ(
      s.canonical_request,
      "GET\n"
      "/\n"
      "max-keys=2&prefix=J\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.signed_headers, "host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(Sigv4, GenericGetVanilla) {
  Sigv4Request r;
  r.host = "example.amazonaws.com";
  r.path = "";  // empty means "/"
  r.content_sha256_header = false;
  Sigv4Signature s = MustSign(r, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""},
                              "us-east-1", "service", sys_days{2015y / August / 30} + 12h + 36min);
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  const Sigv4Pairs expected_headers = {{"x-amz-date", "20150830T123600Z"}};
  EXPECT_EQ(s.headers_to_add, expected_headers);
}

TEST(Sigv4, SessionTokenIsSignedAndAdded) {
  Sigv4Request r;
  r.host = kS3Host;
  r.path = "/test.txt";
  Sigv4Credentials c = S3Keys();
  const Sigv4Signature plain = MustSign(r, c, "us-east-1", "s3", kS3Time);
  c.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
  const Sigv4Signature s = MustSign(r, c, "us-east-1", "s3", kS3Time);
  EXPECT_EQ(s.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(s.canonical_request.find("\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN\n"),
            std::string::npos);
  ASSERT_EQ(s.headers_to_add.size(), 3u);
  EXPECT_EQ(s.headers_to_add[2], (std::pair<std::string, std::string>("x-amz-security-token",
                                                                      "FQoGZXIvYXdzEXAMPLETOKEN")));
  EXPECT_NE(s.signature, plain.signature);
}

TEST(Sigv4, UnsignedPayloadIsSignedAsGiven) {
  Sigv4Request r;
  r.method = "PUT";
  r.host = "127.0.0.1:9000";
  r.path = "/bucket/data.csv";
  r.payload_hash = kUnsignedPayload;
  const Sigv4Signature s = MustSign(r, S3Keys(), "us-east-1", "s3", kS3Time);
  EXPECT_TRUE(s.canonical_request.starts_with("PUT\n/bucket/data.csv\n\nhost:127.0.0.1:9000\n"));
  EXPECT_TRUE(s.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_EQ(s.headers_to_add[1].second, "UNSIGNED-PAYLOAD");
}

// As in the AWS test suite's get-header-value-trim and get-header-key-duplicate cases.
TEST(Sigv4, HeadersAreLowercasedSortedTrimmedAndJoined) {
  Sigv4Request r;
  r.host = kS3Host;
  r.headers = {{"My-Header2", "  \"a   b \t  c\"  "},
               {"My-Header1", "value2"},
               {"X-Amz-Meta-Owner", "zoë"},
               {"my-header1", " value1 "}};
  const Sigv4Signature s = MustSign(r, S3Keys(), "us-east-1", "s3", kS3Time);
  EXPECT_EQ(s.signed_headers,
            "host;my-header1;my-header2;x-amz-content-sha256;x-amz-date;x-amz-meta-owner");
  EXPECT_NE(s.canonical_request.find("\nmy-header1:value2,value1\nmy-header2:\"a b c\"\n"),
            std::string::npos)
      << s.canonical_request;
  EXPECT_NE(s.canonical_request.find("\nx-amz-meta-owner:zoë\n"), std::string::npos);
}

TEST(Sigv4, RejectsWhatCannotBeSignedOrSent) {
  Sigv4Request good;
  good.host = kS3Host;
  auto error_of = [](Sigv4Request r, Sigv4Credentials c = S3Keys()) {
    auto s = SignSigv4(r, c, "us-east-1", "s3", kS3Time);
    EXPECT_FALSE(s.ok());
    if (s.ok()) return std::string();
    EXPECT_EQ(s.status().message().find(kS3Secret), std::string::npos) << s.status().message();
    return s.status().message();
  };
  ASSERT_TRUE(SignSigv4(good, S3Keys(), "us-east-1", "s3", kS3Time).ok());

  for (std::string owned :
       {"Host", "x-amz-date", "X-Amz-Content-Sha256", "authorization", "x-amz-security-token"}) {
    Sigv4Request r = good;
    r.headers = {{owned, "x"}};
    EXPECT_NE(error_of(r).find("set by the signer"), std::string::npos) << owned;
  }
  Sigv4Request r = good;
  r.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  EXPECT_NE(error_of(r).find("control character"), std::string::npos);
  r = good;
  r.headers = {{"Bad Name", "x"}};
  EXPECT_NE(error_of(r).find("not a valid HTTP header name"), std::string::npos);
  r = good;
  r.payload_hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  EXPECT_NE(error_of(r).find("payload hash"), std::string::npos);
  r = good;
  r.method = "get";
  EXPECT_NE(error_of(r).find("method"), std::string::npos);
  r = good;
  r.path = "test.txt";
  EXPECT_NE(error_of(r).find("start with '/'"), std::string::npos);
  r = good;
  r.host = "";
  EXPECT_NE(error_of(r).find("host"), std::string::npos);

  Sigv4Credentials c = S3Keys();
  c.secret_access_key = "";
  EXPECT_NE(error_of(good, c).find("secret access key is empty"), std::string::npos);
  c = S3Keys();
  c.session_token = "FQoGZXIv\nYXdz";
  const std::string m = error_of(good, c);
  EXPECT_NE(m.find("session token"), std::string::npos);
  EXPECT_EQ(m.find("FQoG"), std::string::npos) << "the token must not be echoed";
  EXPECT_FALSE(SignSigv4(good, S3Keys(), "", "s3", kS3Time).ok());
  EXPECT_FALSE(SignSigv4(good, S3Keys(), "us-east-1", "", kS3Time).ok());
}

TEST(Sigv4UriEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(AwsUriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(AwsUriEncode("a b", false), "a%20b");
  EXPECT_EQ(AwsUriEncode("~", false), "~");
  EXPECT_EQ(AwsUriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(AwsUriEncode("a/b", true), "a/b");
  EXPECT_EQ(AwsUriEncode("é", false), "%C3%A9");  // UTF-8 bytes, uppercase hex
  EXPECT_EQ(AwsUriEncode("€", true), "%E2%82%AC");
  EXPECT_EQ(AwsUriEncode("a+b", false), "a%2Bb");  // never a space
  EXPECT_EQ(AwsUriEncode("k=v&x", false), "k%3Dv%26x");
  EXPECT_EQ(AwsUriEncode("*%", false), "%2A%25");
  EXPECT_EQ(AwsUriEncode("", false), "");
}

TEST(Sigv4UriEncode, PathIsEncodedOnceWithSlashesKept) {
  Sigv4Request r;
  r.host = kS3Host;
  r.path = "/my bucket/a+b=c~d/é.csv";
  const Sigv4Signature s = MustSign(r, S3Keys(), "us-east-1", "s3", kS3Time);
  EXPECT_EQ(s.canonical_uri, "/my%20bucket/a%2Bb%3Dc~d/%C3%A9.csv");
  EXPECT_TRUE(s.canonical_request.starts_with("GET\n/my%20bucket/a%2Bb%3Dc~d/%C3%A9.csv\n"));
  r.path = "/already%20encoded";  // the path is raw: '%' itself is encoded
  EXPECT_EQ(MustSign(r, S3Keys(), "us-east-1", "s3", kS3Time).canonical_uri,
            "/already%2520encoded");
}

TEST(Sigv4Query, EncodesAndSortsByEncodedKeyThenValue) {
  EXPECT_EQ(CanonicalQueryString({}), "");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "J"}, {"max-keys", "2"}}), "max-keys=2&prefix=J");
  // Equal keys sort by value; a key without a value keeps its '='.
  EXPECT_EQ(CanonicalQueryString({{"a", "2"}, {"uploads", ""}, {"a", "1"}}), "a=1&a=2&uploads=");
  // Byte order of the encoded forms: uppercase before lowercase, '%' before letters and '~'.
  EXPECT_EQ(CanonicalQueryString({{"b", "1"}, {"B", "1"}, {"~", "1"}, {"é", "1"}}),
            "%C3%A9=1&B=1&b=1&~=1");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "logs/2024 01/a+b=c"}}),
            "prefix=logs%2F2024%2001%2Fa%2Bb%3Dc");
  EXPECT_EQ(CanonicalQueryString({{"list-type", "2"}, {"continuation-token", "1/a=="}}),
            "continuation-token=1%2Fa%3D%3D&list-type=2");
}

TEST(Sigv4Date, AmzDateAndSha256) {
  EXPECT_EQ(AmzDate(kS3Time), "20130524T000000Z");
  EXPECT_EQ(AmzDate(sys_days{2024y / December / 31} + 23h + 59min + 58s), "20241231T235958Z");
  EXPECT_EQ(Sha256Hex(""), kEmptyPayloadHash);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace strm
