// One mapping of HTTP failures to Status codes, and one shape for the messages that name them,
// for every object store:
//
//   "<Store> <METHOD> <object uri>[ (<operation>)]: HTTP <status> <code> (<service message>)"
//   "S3 PUT s3://b/out/x.csv: HTTP 403 SignatureDoesNotMatch (The request signature we ...)"
//   "Azure PUT azure://acct/c/out/x.csv (Put Block List) failed after 5 attempts: HTTP 503
//    ServerBusy (The server is busy.)"
//
// (RequestName makes the part before the colon; retry_policy.h adds "failed after N
// attempts".) The service's code and message come from its error document (ParseServiceError);
// the message is cut to kMaxServiceMessage bytes, one line. Messages never carry a secret, a
// token, a signature or a query string: object URIs are not request URLs, service messages
// never quote the request's credentials (and DescribeHttpFailure can blank out a secret that
// an endpoint echoes), and transport errors name redacted URLs (http_transport.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_transport.h"

namespace strm {

inline constexpr size_t kMaxServiceMessage = 300;

// The Status code for a final HTTP answer that the caller did not expect:
//   401, 403            kPermissionDenied
//   404                 kNotFound
//   409, 412            kFailedPrecondition
//   408, 429, 5xx       kUnavailable (what is left once the retries ran out)
//   other 4xx, and 3xx  kInvalidArgument (a request the store refuses as it is; a redirect
//                       strm cannot follow, such as S3's to another endpoint)
//   anything else       kInternal
StatusCode StatusCodeForHttp(int http_status);

// The error a store put in its answer; members empty when absent.
//   S3, Azure  XML <Error><Code>...</Code><Message>...</Message></Error>; Azure also sends the
//              code as the x-ms-error-code header (the only place on HEAD), explains failed
//              authentication in <AuthenticationErrorDetail> (preferred to <Message>), and ends
//              its messages with "RequestId:..." and "Time:..." lines, which are dropped
//   GCS        JSON {"error": {"message": ..., "errors": [{"reason": ...}]}}: code = reason
//   OAuth      JSON {"error": "invalid_grant", "error_description": ...} (Entra ID, Google)
struct ServiceError {
  std::string code;
  std::string message;
};
ServiceError ParseServiceError(const HttpResponse& response);

// "HTTP 403 SignatureDoesNotMatch (The request signature ...)", "HTTP 503": the status, the
// service's code and its message, for messages. Every occurrence of `secret` (if not empty)
// in the service's text is replaced by "****".
std::string DescribeHttpFailure(const HttpResponse& response, std::string_view secret = {});

// Status(StatusCodeForHttp(status), what + ": " + DescribeHttpFailure(response)).
Status HttpFailure(std::string_view what, const HttpResponse& response);

// "<store> <method> <uri>" and " (<operation>)" when there is one: how messages name a request
// ("S3 PUT s3://b/k (UploadPart 3)").
std::string RequestName(std::string_view store, std::string_view method, std::string_view uri,
                        std::string_view operation = {});

// `text` for a message: cut to at most `max` bytes at a UTF-8 character boundary (with "..."
// after a cut), control characters as spaces.
std::string ForMessage(std::string_view text, size_t max);

bool IsHttpSuccess(int http_status);  // 2xx

}  // namespace strm
