#include "net/http_transport.h"

#include <gtest/gtest.h>

namespace strm {
namespace {

HttpRequest Request(std::string method, std::string url) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  return r;
}

TEST(RedactUrl, DropsQueryFragmentAndUserInfo) {
  EXPECT_EQ(RedactUrl("https://host:9000/b/k?X-Amz-Signature=abc&x=1"), "https://host:9000/b/k");
  EXPECT_EQ(RedactUrl("https://user:pw@host/b/k#part"), "https://host/b/k");
  EXPECT_EQ(RedactUrl("http://host?sig=1"), "http://host");
  EXPECT_EQ(RedactUrl("http://host/a@b/c"), "http://host/a@b/c") << "an @ in the path stays";
  HttpRequest req = Request("PUT", "https://h/b/k?partNumber=1&uploadId=2");
  EXPECT_EQ(DescribeRequest(req), "PUT https://h/b/k");
}

TEST(PercentEncode, KeepsOnlyTheUnreservedAndOptionallySlashes) {
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b/zoë 1.csv"), "a%20b%2Fzo%C3%AB%201.csv");
  EXPECT_EQ(PercentEncode("a b/zoë 1.csv", /*keep_slash=*/true), "a%20b/zo%C3%AB%201.csv");
  EXPECT_EQ(PercentEncode("+&=?#%"), "%2B%26%3D%3F%23%25");
  EXPECT_EQ(PercentEncode(std::string("\x00\xff", 2)), "%00%FF");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PercentDecode, UndoesPercentEncodeAndKeepsWhatIsNoEscape) {
  for (const std::string& text :
       std::vector<std::string>{"a b/zoë 1.csv", "+&=?#%", std::string("\x00\xff", 2), ""})
    EXPECT_EQ(PercentDecode(PercentEncode(text)), text);
  EXPECT_EQ(PercentDecode("a%2fb%2Fc"), "a/b/c");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%4"), "%4");
  EXPECT_EQ(PercentDecode("%zz%41"), "%zzA");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
}

TEST(TransportCause, DropsTheRequestThatTransportsPutFirst) {
  EXPECT_EQ(TransportCause(Unavailable("GET https://h:1/b/k failed: Couldn't connect to server")),
            "Couldn't connect to server");
  EXPECT_EQ(TransportCause(Unavailable("DELETE http://h/k failed: Recv failure: reset")),
            "Recv failure: reset");
  for (const char* whole : {"S3 GET s3://b/k failed: x", "get http://h/k failed: x",
                            "GET ftp://h/k failed: x", "GET http://h/k broke: x", "plain words"})
    EXPECT_EQ(TransportCause(Unavailable(whole)), whole) << "not a transport's: kept whole";
}

TEST(HttpResponse, FindsHeadersByLowerCaseName) {
  HttpResponse r;
  r.headers = {{"etag", "\"a\""}, {"x-ms-error-code", "ServerBusy"}, {"etag", "\"b\""}};
  ASSERT_NE(r.FindHeader("etag"), nullptr);
  EXPECT_EQ(*r.FindHeader("etag"), "\"a\"") << "the first of a name";
  EXPECT_EQ(r.FindHeader("ETag"), nullptr) << "names are stored lower-cased";
  EXPECT_EQ(r.FindHeader("range"), nullptr);
}

}  // namespace
}  // namespace strm
