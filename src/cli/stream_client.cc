#include "cli/stream_client.h"

#include <nlohmann/json.hpp>

#include "net/curl_transport.h"

namespace strm::cli {

Result<StreamSession> OpenStreamSession(Context& ctx, std::string_view stream,
                                        const StreamClientFlags& flags) {
  if (!ctx.remote())
    return FailedPrecondition("streams are served by a strm server: set --api-url or STRM_API_URL");
  if (flags.client_id.empty() != flags.client_secret.empty())
    return InvalidArgument("give both --client-id and --client-secret, or neither");
  StreamSession session;
  session.base_url = ctx.api_url;
  while (!session.base_url.empty() && session.base_url.back() == '/') session.base_url.pop_back();
  HttpRequest req;
  req.method = "POST";
  std::string form;  // req.body is a view: the text lives here
  if (!flags.client_id.empty()) {
    req.url = session.base_url + "/auth/realms/streams/protocol/openid-connect/token";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    form = "grant_type=client_credentials&client_id=" + PercentEncode(flags.client_id, false) +
           "&client_secret=" + PercentEncode(flags.client_secret, false);
    req.body = form;
  } else {
    STRM_ASSIGN_OR_RETURN(std::string api_token, ReadApiToken(ctx.api_token_file));
    req.url = session.base_url + "/api/v1/streams/" + PercentEncode(stream, false) + "/token";
    req.headers = {{"Authorization", "Bearer " + api_token}};
  }
  CurlTransport transport;
  auto res = transport.Send(req);
  if (!res.ok())
    return Unavailable("cannot reach the strm server at " + session.base_url + ": " +
                       std::string(TransportCause(res.status())));
  const auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || !j.is_object() || !j.contains("access_token")) {
    std::string why = "the server answered " + std::to_string(res->status);
    if (j.is_object() && j.contains("error") && j["error"].is_object())
      why = j["error"].value("message", why);
    else if (j.is_object() && j.contains("error_description"))
      why = j.value("error_description", why);
    return PermissionDenied("no access token for stream " + std::string(stream) + ": " + why);
  }
  session.access_token = j["access_token"].get<std::string>();
  return session;
}

}  // namespace strm::cli
