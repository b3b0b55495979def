// RemotePlatform: the Platform of a strm server, over its REST API (server/api.h), for the CLI
// with --api-url or STRM_API_URL. Each verb is one request (a watch is a long poll); the
// server's errors come back with their code and message as the server's Platform gave them,
// so the CLI prints the same sentence as it does locally. A server that cannot be reached is
// Unavailable ("cannot reach the strm server at URL: cause"); a refused token is
// PermissionDenied with the server's reason. The token is sent, never put in a message.
//
// Credentials never leave a server unmasked: connectors come back with "****" for each secret,
// and so do streams, except in the answer to CreateStream (its new client's secret).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "net/http_transport.h"
#include "platform/platform.h"

namespace strm {

struct RemotePlatformOptions {
  std::string url;                           // "http://127.0.0.1:8080" (a trailing '/' is ignored)
  std::string token;                         // the API token
  std::shared_ptr<HttpTransport> transport;  // default: a CurlTransport of its own
};

// InvalidArgument for a URL that is not http:// or https://, or an empty token. Makes no
// request yet.
Result<std::unique_ptr<Platform>> OpenRemotePlatform(RemotePlatformOptions options);

}  // namespace strm
