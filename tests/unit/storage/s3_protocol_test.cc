// The pure parts of S3's protocol (storage/s3_protocol.h): addressing, names, and the XML
// documents S3 answers with. No server.
#include "storage/s3_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace strm {
namespace {

TEST(S3Addressing, VirtualHostedOnAwsPathStyleElsewhere) {
  auto a = ResolveS3Addressing("my-bucket", "", S3PathStyle::kAuto, "eu-west-1");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_FALSE(a->path_style);
  EXPECT_EQ(a->host, "my-bucket.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(a->Path("a b/zoë.csv"), "/a b/zoë.csv");
  EXPECT_EQ(a->Path(""), "/");
  EXPECT_EQ(a->Url("a b/zoë.csv"),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b/zo%C3%AB.csv");

  // Dots (the wildcard certificate covers one label) and non-DNS names go path-style.
  for (const char* bucket : {"my.bucket", "My_Bucket"}) {
    a = ResolveS3Addressing(bucket, "", S3PathStyle::kAuto, "us-east-1");
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_TRUE(a->path_style) << bucket;
    EXPECT_EQ(a->Url("k"), "https://s3.us-east-1.amazonaws.com/" + std::string(bucket) + "/k");
  }
  a = ResolveS3Addressing("my-bucket", "", S3PathStyle::kOn, "us-east-1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Url(""), "https://s3.us-east-1.amazonaws.com/my-bucket");
  a = ResolveS3Addressing("my.bucket", "", S3PathStyle::kOff, "us-east-1");
  ASSERT_TRUE(a.ok());  // the user asked for it
  EXPECT_EQ(a->host, "my.bucket.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(ResolveS3Addressing("My_Bucket", "", S3PathStyle::kOff, "us-east-1").status().code(),
            StatusCode::kInvalidArgument);
  a = ResolveS3Addressing("data", "", S3PathStyle::kAuto, "cn-north-1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "data.s3.cn-north-1.amazonaws.com.cn");

  // A custom endpoint: path-style unless told otherwise; a default port is dropped.
  a = ResolveS3Addressing("my-bucket", "http://127.0.0.1:9000", S3PathStyle::kAuto, "us-east-1");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->path_style);
  EXPECT_EQ(a->host, "127.0.0.1:9000");
  EXPECT_EQ(a->Url("a+b.csv"), "http://127.0.0.1:9000/my-bucket/a%2Bb.csv");
  EXPECT_EQ(a->Url(""), "http://127.0.0.1:9000/my-bucket");
  a = ResolveS3Addressing("my-bucket", "HTTPS://minio.example.com:443/", S3PathStyle::kOff, "");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->host, "my-bucket.minio.example.com");
  EXPECT_EQ(a->Url("k"), "https://my-bucket.minio.example.com/k");
  a = ResolveS3Addressing("b1", "https://storage.googleapis.com", S3PathStyle::kAuto, "auto");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->Url("k"), "https://storage.googleapis.com/b1/k");

  for (const char* bad : {"ftp://host", "http://", "http://host/path", "http://u:p@host"}) {
    EXPECT_EQ(ResolveS3Addressing("b1", bad, S3PathStyle::kAuto, "").status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(ResolveS3Addressing("b1", "", S3PathStyle::kAuto, "Not A Region").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(S3ListParsing, DecodesEntitiesAndContinuationTokens) {
  auto page = ParseListObjectsV2(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!-- a comment -->\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>strm-test</Name><Prefix>a&amp;b/</Prefix><KeyCount>3</KeyCount>"
      "<MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
      "<ContinuationToken>prev</ContinuationToken>"
      "<NextContinuationToken>1/ab+c=d&amp;e</NextContinuationToken>"
      "<Contents><Key>a&amp;b/&lt;x&gt; &quot;q&quot; &apos;s&apos; &#233;&#x4E2D;&#x1F600;.csv"
      "</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
      "<ETag>&quot;0123&quot;</ETag><Size>18446744073709551615</Size>"
      "<Owner><ID>1</ID><DisplayName>x</DisplayName></Owner>"
      "<StorageClass>STANDARD</StorageClass></Contents>\n"
      "<Contents>\n  <Key> spaced key </Key>\n  <Size>0</Size>\n  <Extra a='>' b=\"/>\"/>\n"
      "</Contents>"
      "<Contents><Key><![CDATA[raw <&> key]]></Key><Size>7</Size></Contents>"
      "</ListBucketResult>\n");
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->objects.size(), 3u);
  EXPECT_EQ(page->objects[0].key, "a&b/<x> \"q\" 's' \xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80.csv");
  EXPECT_EQ(page->objects[0].size, 18446744073709551615ull);
  EXPECT_EQ(page->objects[1].key, " spaced key ");
  EXPECT_EQ(page->objects[1].size, 0u);
  EXPECT_EQ(page->objects[2].key, "raw <&> key");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1/ab+c=d&e");

  auto last = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>"
      "</ListBucketResult>");
  ASSERT_TRUE(last.ok()) << last.status().message();
  EXPECT_FALSE(last->truncated);
  EXPECT_TRUE(last->objects.empty());
}

TEST(S3ListParsing, RefusesWhatItCannotTrust) {
  const char* bad[] = {
      "",
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",  // no token
      "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>a&nbsp;b</Key><Size>1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>&#0;</Key><Size>1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>&#xD800;</Key><Size>1</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>k</Size></Contents></ListBucketResult>",
      "<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents>",
      "<ListBucketResult></ListBucketResult><Extra/>",
      "<!DOCTYPE x [<!ENTITY e \"boom\">]><ListBucketResult/>",
      "<ListAllMyBucketsResult/>",
      "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
  };
  for (const char* xml : bad) {
    auto page = ParseListObjectsV2(xml);
    EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument) << xml;
  }
  auto err = ParseListObjectsV2(
      "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access &amp; "
      "denied</Message></Error>");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().message(), "S3 answered with an error: AccessDenied (Access & denied)");
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(ParseListObjectsV2(deep).ok());
}

TEST(S3Names, KeysBucketsAndRegions) {
  EXPECT_TRUE(CheckS3Key("a/b c/zo\xC3\xAB.csv").ok());
  EXPECT_EQ(CheckS3Key(std::string(1025, 'k')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckS3Key("a\tb").message(), "object name 'a b' contains a control character");
  EXPECT_EQ(CheckS3Key("a/../b").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckS3BucketName("Legacy_Bucket.1").ok());
  EXPECT_EQ(CheckS3BucketName("a/b").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckS3BucketName("").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsS3RegionName("eu-west-1"));
  EXPECT_FALSE(IsS3RegionName("EU-West-1"));
  EXPECT_FALSE(IsS3RegionName(""));
}

TEST(S3Documents, ErrorCodesEscapesAndNumbers) {
  EXPECT_EQ(S3ErrorCode("<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
                        "<Message>Reduce your request rate.</Message></Error>"),
            "SlowDown");
  EXPECT_EQ(S3ErrorCode("<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>"), "");
  EXPECT_EQ(S3ErrorCode("<Error><Code>cut"), "") << "not a document";
  EXPECT_EQ(S3XmlEscape("\"a&b<c>\""), "\"a&amp;b&lt;c&gt;\"");
  EXPECT_EQ(ParseS3Number("18446744073709551615"), 18446744073709551615ull);
  EXPECT_EQ(ParseS3Number(""), std::nullopt);
  EXPECT_EQ(ParseS3Number("12 "), std::nullopt);
  EXPECT_EQ(ParseS3Number("-1"), std::nullopt);
}

}  // namespace
}  // namespace strm
