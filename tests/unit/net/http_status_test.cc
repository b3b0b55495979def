#include "net/http_status.h"

#include <gtest/gtest.h>

namespace strm {
namespace {

HttpResponse Response(int status, std::string body = "", HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(StatusCodeForHttp, MapsEveryClassOfAnswer) {
  EXPECT_EQ(StatusCodeForHttp(401), StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForHttp(403), StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForHttp(404), StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForHttp(409), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForHttp(412), StatusCode::kFailedPrecondition);
  for (int s : {400, 405, 411, 413, 416, 301, 307})
    EXPECT_EQ(StatusCodeForHttp(s), StatusCode::kInvalidArgument) << s;
  for (int s : {408, 429, 500, 501, 502, 503, 504, 505})
    EXPECT_EQ(StatusCodeForHttp(s), StatusCode::kUnavailable) << s;
  for (int s : {0, 100, 200, 600}) EXPECT_EQ(StatusCodeForHttp(s), StatusCode::kInternal) << s;
}

TEST(ParseServiceError, ReadsEachStoresErrorDocument) {
  ServiceError s3 = ParseServiceError(
      Response(403,
               "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The "
               "signature &amp; more</Message><RequestId>1</RequestId></Error>"));
  EXPECT_EQ(s3.code, "SignatureDoesNotMatch");
  EXPECT_EQ(s3.message, "The signature & more");

  ServiceError azure = ParseServiceError(
      Response(404,
               "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound"
               "</Code><Message>The specified blob does not exist.\nRequestId:8e5b\nTime:2024-"
               "01-01T00:00:00Z</Message></Error>",
               {{"x-ms-error-code", "BlobNotFound"}}));
  EXPECT_EQ(azure.code, "BlobNotFound");
  EXPECT_EQ(azure.message, "The specified blob does not exist.") << "no RequestId or Time";
  ServiceError head = ParseServiceError(Response(404, "", {{"x-ms-error-code", "BlobNotFound"}}));
  EXPECT_EQ(head.code, "BlobNotFound") << "HEAD: the header alone";
  EXPECT_EQ(head.message, "");
  ServiceError auth = ParseServiceError(
      Response(403,
               "<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate"
               "</Message><AuthenticationErrorDetail>Lifetime validation failed. The token is "
               "expired.</AuthenticationErrorDetail></Error>"));
  EXPECT_EQ(auth.message, "Lifetime validation failed. The token is expired.");

  ServiceError gcs =
      ParseServiceError(Response(404, R"({"error": {"code": 404, "message": "No such object: b/k",
               "errors": [{"message": "No such object: b/k", "reason": "notFound"}]}})"));
  EXPECT_EQ(gcs.code, "notFound");
  EXPECT_EQ(gcs.message, "No such object: b/k");

  ServiceError oauth = ParseServiceError(Response(
      400, R"({"error": "invalid_grant", "error_description": "Invalid JWT Signature."})"));
  EXPECT_EQ(oauth.code, "invalid_grant");
  EXPECT_EQ(oauth.message, "Invalid JWT Signature.");

  for (const char* none : {"", "oops", "<html>Bad Gateway</html>", "{not json", "[1, 2]"}) {
    ServiceError e = ParseServiceError(Response(502, none));
    EXPECT_EQ(e.code, "") << none;
    EXPECT_EQ(e.message, "") << none;
  }
}

TEST(DescribeHttpFailure, GivesStatusCodeAndOneLineOfMessage) {
  EXPECT_EQ(DescribeHttpFailure(Response(503,
                                         "<Error><Code>SlowDown</Code><Message>Please reduce "
                                         "your request rate.</Message></Error>")),
            "HTTP 503 SlowDown (Please reduce your request rate.)");
  EXPECT_EQ(DescribeHttpFailure(Response(500, "oops")), "HTTP 500");
  EXPECT_EQ(DescribeHttpFailure(Response(503, "<Code>ServerBusy</Code>")), "HTTP 503 ServerBusy");
  const std::string long_message(1000, 'm');
  const std::string d = DescribeHttpFailure(Response(
      400, "<Error><Code>X</Code><Message>a\r\nb\t" + long_message + "</Message></Error>"));
  EXPECT_EQ(d.rfind("HTTP 400 X (a  b m", 0), 0u) << d;
  EXPECT_EQ(d.find('\n'), std::string::npos);
  EXPECT_LE(d.size(), std::string("HTTP 400 X ()...").size() + kMaxServiceMessage);
  // An endpoint that echoes a secret does not get it into a message.
  EXPECT_EQ(DescribeHttpFailure(Response(401, R"j({"error": "invalid_client",
                                                  "error_description": "bad secret 'hunter2' (hunter2)"})j"),
                                "hunter2"),
            "HTTP 401 invalid_client (bad secret '****' (****))");
}

TEST(HttpFailure, NamesTheRequestWithTheMappedCode) {
  Status s = HttpFailure(RequestName("S3", "PUT", "s3://b/k", "UploadPart 3"),
                         Response(403,
                                  "<Error><Code>AccessDenied</Code><Message>Access Denied"
                                  "</Message></Error>"));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "S3 PUT s3://b/k (UploadPart 3): HTTP 403 AccessDenied (Access Denied)");
  EXPECT_EQ(RequestName("GCS", "GET", "gs://b/k"), "GCS GET gs://b/k");
}

TEST(ForMessage, CutsAtACharacterBoundaryAndBlanksControls) {
  EXPECT_EQ(ForMessage("short", 10), "short");
  EXPECT_EQ(ForMessage("zoë zoë", 3), "zo...") << "never half of a character";
  EXPECT_EQ(ForMessage("a\nb\x7f", 10), "a b ");
}

}  // namespace
}  // namespace strm
