// The HTTP pieces that the store twins (memory_s3.h, memory_gcs.h, memory_azure.h) share:
// taking a request's URL apart, finding its headers, and answering ranged GETs as the three
// services do.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_transport.h"

namespace strm::testing {

struct TwinUrl {
  std::string origin;                        // "https://host[:port]"
  std::string path;                          // as sent (percent-encoded), "/" at least
  std::map<std::string, std::string> query;  // names and values percent-decoded

  bool Has(const std::string& name) const { return query.count(name) != 0; }
  // The value of `name`, "" when it is absent.
  std::string Get(const std::string& name) const;
};
TwinUrl ParseTwinUrl(std::string_view url);

// A decimal number that is the whole of `text`, or nullopt.
std::optional<uint64_t> TwinNumber(std::string_view text);

// The value of the request's header `name` (any case), or null.
const std::string* FindRequestHeader(const HttpRequest& request, std::string_view name);

// An answer of `status` with `body` and `headers`.
HttpResponse Answer(int status, std::string body = {}, HttpHeaders headers = {});

// A GET of `data` as S3, GCS and Azure answer it, `headers` added: without a Range header 200
// and the whole object; "bytes=a-b" or "bytes=a-" 206 with those bytes (cut at the end) and
// Content-Range; a range that starts at or past the end (every range of an empty object) is
// 416 with `unsatisfiable_body`.
HttpResponse RangedAnswer(const HttpRequest& request, const std::string& data, HttpHeaders headers,
                          std::string unsatisfiable_body);

// & < > " escaped, for element text and attribute values.
std::string XmlText(std::string_view text);

}  // namespace strm::testing
