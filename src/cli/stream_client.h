// How the CLI acts as a client of a stream (`strm listen web-socket`, `strm simulate
// random-events`): the server's URL and an access token for the stream. With --client-id and
// --client-secret, the token comes from the token endpoint as any driver gets it; without
// them, from the server's API with the API token (POST /api/v1/streams/{name}/token), so a
// user who may manage the stream need not copy its secret. Either way a server is needed
// (--api-url or STRM_API_URL).
#pragma once

#include <string>
#include <string_view>

#include "cli/command_support.h"
#include "core/result.h"

namespace strm::cli {

struct StreamClientFlags {
  std::string client_id, client_secret;
};

struct StreamSession {
  std::string base_url;  // the server, without a trailing '/'
  std::string access_token;
};

Result<StreamSession> OpenStreamSession(Context& ctx, std::string_view stream,
                                        const StreamClientFlags& flags);

}  // namespace strm::cli
