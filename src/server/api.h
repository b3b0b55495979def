// The REST API of SPEC §5, JSON over HTTP under /api/v1/, over one Platform: the same verbs,
// validation and messages as the CLI, and each entity in its one JSON form
// (platform/entity_json.h), credentials and seeds masked. docs/api.md lists the routes.
//
// Every request needs `Authorization: Bearer <API token>` (401 otherwise, before anything is
// read). Errors are {"error": {"code": <HTTP status>, "status": <Status code name>,
// "message": <the Platform's sentence>}}: 400 bad JSON or fields (naming the field), 401,
// 403, 404, 409 (exists, or a dependency or a state blocks it), 413 (the HTTP server), 5xx.
// Platform calls block (the catalog, a store's access check), so they run on a pool of
// workers, never on the event loop; a watch waits there at most `max_watch`.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/worker_pool.h"
#include "platform/platform.h"
#include "server/http_types.h"

namespace strm::server {

struct ApiOptions {
  int workers = 8;
  // POST /api/v1/streams/{name}/token: tokens to act as a stream's client (the server's stream
  // routes make them); absent: 404.
  std::function<Result<nlohmann::json>(std::string_view stream)> stream_token;
  std::chrono::milliseconds max_watch{10'000};
};

class Api {
 public:
  // OK, or the reason a bearer token is refused (PermissionDenied, without the token).
  using Authenticate = std::function<Status(std::string_view token)>;

  Api(Platform& platform, Authenticate authenticate, ApiOptions options = {});

  // Answers a request whose path starts with /api/. `route` is set at once to the route's
  // pattern ("/api/v1/batch-jobs/{id}"), for metrics and logs.
  void Handle(HttpRequest&& request, Responder respond, std::string& route);

 private:
  HttpResponse Dispatch(const HttpRequest& request);

  Platform& platform_;
  Authenticate authenticate_;
  const ApiOptions options_;
  WorkerPool workers_;
};

// The route pattern of an /api/ path, without running it ("/api/v1/data-connectors/{name}").
std::string ApiRoute(std::string_view method, std::string_view path);

// The HTTP status of a Status code: 400, 403, 404, 409, 499, 500, 503.
int HttpStatusOf(StatusCode code);

// `body` as JSON with `status`.
HttpResponse JsonResponse(int status, const nlohmann::json& body);

// {"error": {"code", "status", "message"}}.
HttpResponse ErrorResponse(int http_status, const Status& status);

}  // namespace strm::server
