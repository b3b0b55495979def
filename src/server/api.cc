#include "server/api.h"

#include <charconv>
#include <limits>
#include <optional>
#include <vector>

#include "platform/entity_json.h"

namespace strm::server {
namespace {

constexpr std::string_view kPrefix = "/api/v1/";

// The path's segments after /api/v1/, percent-decoded; nothing if a segment's escape is bad.
std::optional<std::vector<std::string>> Segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  while (!path.empty()) {
    std::string_view raw = path.substr(0, path.find('/'));
    path.remove_prefix(std::min(path.size(), raw.size() + 1));
    std::string seg;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '%') {
        seg += raw[i];
        continue;
      }
      unsigned v = 0;
      if (i + 2 >= raw.size()) return std::nullopt;
      auto [end, ec] = std::from_chars(raw.data() + i + 1, raw.data() + i + 3, v, 16);
      if (ec != std::errc() || end != raw.data() + i + 3) return std::nullopt;
      seg += static_cast<char>(v);
      i += 2;
    }
    out.push_back(std::move(seg));
  }
  return out;
}

// The body as JSON, or a 400 that says where it is broken.
Result<nlohmann::json> ParseBody(const HttpRequest& r) {
  try {
    return nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument("the request body is not valid JSON (at byte " + std::to_string(e.byte) +
                           ")");
  }
}

Result<std::string> StringField(const nlohmann::json& body, const char* name) {
  if (!body.is_object() || !body.contains(name) || !body[name].is_string())
    return InvalidArgument(std::string("field '") + name + "' is missing or not a string");
  return body[name].get<std::string>();
}

// A whole number query parameter from `min` to `max`, or `fallback` when absent.
Result<int64_t> NumberParam(const HttpRequest& r, std::string_view name, int64_t fallback,
                            int64_t min, int64_t max) {
  std::string_view text = r.Param(name);
  if (text.empty()) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return InvalidArgument("query parameter '" + std::string(name) +
                           "' must be a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", got '" + std::string(text) + "'");
  return v;
}

nlohmann::json PreviewJson(const CsvPreview& p) {
  return {{"title", p.title}, {"header", p.header}, {"rows", p.rows}};
}

template <typename T, typename F>
nlohmann::json Array(const std::vector<T>& items, F form) {
  nlohmann::json out = nlohmann::json::array();
  for (const T& item : items) out.push_back(form(item));
  return out;
}

// Runs `call`; its value as `status` and JSON, or its error.
template <typename F>
HttpResponse Answer(int status, F call) {
  auto result = call();
  if (!result.ok()) return ErrorResponse(HttpStatusOf(result.status().code()), result.status());
  return JsonResponse(status, *result);
}

HttpResponse NoContentOr(const Status& s) {
  if (!s.ok()) return ErrorResponse(HttpStatusOf(s.code()), s);
  return {204, {}, ""};
}

}  // namespace

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump()};
}

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kCancelled:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kIo:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(int http_status, const Status& status) {
  return JsonResponse(http_status, {{"error",
                                     {{"code", http_status},
                                      {"status", StatusCodeName(status.code())},
                                      {"message", status.message()}}}});
}

std::string ApiRoute(std::string_view method, std::string_view path) {
  auto seg = Segments(path);
  if (!seg || seg->empty()) return "/api/other";
  const std::string& kind = (*seg)[0];
  const size_t n = seg->size();
  (void)method;
  if (kind == "data-connectors") {
    if (n == 1) return "/api/v1/data-connectors";
    if (n == 2) return "/api/v1/data-connectors/{name}";
    if (n == 3 && (*seg)[2] == "batch-jobs") return "/api/v1/data-connectors/{name}/batch-jobs";
  } else if (kind == "data-contracts") {
    if (n == 1) return "/api/v1/data-contracts";
    if (n == 4) return "/api/v1/data-contracts/{handle}/{name}/{version}";
  } else if (kind == "streams" || kind == "key-streams") {
    if (n == 1) return "/api/v1/" + kind;
    if (n == 2) return "/api/v1/" + kind + "/{name}";
    if (n == 3 && kind == "streams" && (*seg)[2] == "token") return "/api/v1/streams/{name}/token";
  } else if (kind == "batch-jobs") {
    if (n == 1) return "/api/v1/batch-jobs";
    if (n == 2) return "/api/v1/batch-jobs/{id}";
    if (n == 3 && ((*seg)[2] == "cancel" || (*seg)[2] == "preview"))
      return "/api/v1/batch-jobs/{id}/" + (*seg)[2];
  }
  return "/api/other";
}

Api::Api(Platform& platform, Authenticate authenticate, ApiOptions options)
    : platform_(platform),
      authenticate_(std::move(authenticate)),
      options_(options),
      workers_(options.workers) {}

void Api::Handle(HttpRequest&& request, Responder respond, std::string& route) {
  route = ApiRoute(request.method, request.path);
  // The token first: nothing else is looked at for a request without a valid one.
  if (request.BearerToken().empty()) {
    HttpResponse r = ErrorResponse(
        401,
        PermissionDenied("missing API token: send the header 'Authorization: Bearer <token>'"));
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return respond(std::move(r));
  }
  auto shared = std::make_shared<HttpRequest>(std::move(request));
  workers_.Submit([this, shared, respond](int) {
    Status allowed = authenticate_(shared->BearerToken());
    if (!allowed.ok()) {
      HttpResponse r = ErrorResponse(401, allowed);
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return respond(std::move(r));
    }
    respond(Dispatch(*shared));
  });
}

HttpResponse Api::Dispatch(const HttpRequest& r) {
  auto segments = Segments(r.path);
  if (!segments || segments->empty())
    return ErrorResponse(404, NotFound("no route for " + r.method + " " + r.path));
  const std::vector<std::string>& seg = *segments;
  const std::string& kind = seg[0];
  const size_t n = seg.size();
  const std::string& m = r.method;
  auto bad_method = [&] {
    return ErrorResponse(405, FailedPrecondition("method " + m + " is not allowed on " + r.path));
  };

  if (kind == "data-connectors" && n == 1) {
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(auto cs, platform_.ListDataConnectors());
        return Array(cs, [](const DataConnector& c) { return ConnectorJson(c, Secrets::kMasked); });
      });
    if (m == "POST")
      return Answer(201, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(nlohmann::json body, ParseBody(r));
        STRM_ASSIGN_OR_RETURN(DataConnector c, ConnectorFromJson(body));
        STRM_ASSIGN_OR_RETURN(DataConnector made, platform_.CreateDataConnector(std::move(c)));
        return ConnectorJson(made, Secrets::kMasked);
      });
    return bad_method();
  }
  if (kind == "data-connectors" && n == 2) {
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(DataConnector c, platform_.GetDataConnector(seg[1]));
        return ConnectorJson(c, Secrets::kMasked);
      });
    if (m == "DELETE")
      return NoContentOr(platform_.DeleteDataConnector(seg[1], r.Param("recursive") == "true"));
    return bad_method();
  }
  if (kind == "data-connectors" && n == 3 && seg[2] == "batch-jobs") {
    if (m != "GET") return bad_method();
    return Answer(200, [&]() -> Result<nlohmann::json> {
      STRM_ASSIGN_OR_RETURN(auto ids, platform_.DataConnectorDependents(seg[1]));
      return nlohmann::json(ids);
    });
  }

  if (kind == "data-contracts" && n == 1) {
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(auto cs, platform_.ListDataContracts());
        return Array(cs, [](const DataContract& c) { return ContractJson(c, Secrets::kMasked); });
      });
    if (m == "POST")
      return Answer(201, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(nlohmann::json body, ParseBody(r));
        STRM_ASSIGN_OR_RETURN(std::string ref_text, StringField(body, "ref"));
        STRM_ASSIGN_OR_RETURN(std::string schema, StringField(body, "schema_definition"));
        STRM_ASSIGN_OR_RETURN(std::string contract, StringField(body, "contract_definition"));
        STRM_ASSIGN_OR_RETURN(ContractRef ref, ContractRef::Parse(ref_text));
        STRM_ASSIGN_OR_RETURN(DataContract c, platform_.CreateDataContract(ref, schema, contract));
        return ContractJson(c, Secrets::kMasked);
      });
    return bad_method();
  }
  if (kind == "data-contracts" && n == 4) {
    auto ref = ContractRef::Parse(seg[1] + "/" + seg[2] + "/" + seg[3]);
    if (!ref.ok()) return ErrorResponse(400, ref.status());
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(DataContract c, platform_.GetDataContract(*ref));
        return ContractJson(c, Secrets::kMasked);
      });
    if (m == "DELETE") return NoContentOr(platform_.DeleteDataContract(*ref));
    return bad_method();
  }

  if (kind == "streams" && n == 1) {
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(auto ss, platform_.ListStreams());
        return Array(ss, [](const StreamRecord& s) { return StreamJson(s, Secrets::kMasked); });
      });
    if (m == "POST")  // the one answer that holds the new client's secret
      return Answer(201, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(nlohmann::json body, ParseBody(r));
        STRM_ASSIGN_OR_RETURN(StreamRecord wanted, StreamFromJson(body));
        StreamRecord chosen;  // what a creator may choose, nothing else
        chosen.name = wanted.name;
        chosen.description = wanted.description;
        chosen.tags = wanted.tags;
        chosen.linked_stream = wanted.linked_stream;
        chosen.consent_levels = wanted.consent_levels;
        chosen.masked_fields = wanted.masked_fields;
        chosen.mask_seed = wanted.mask_seed;
        STRM_ASSIGN_OR_RETURN(StreamRecord made, platform_.CreateStream(std::move(chosen)));
        return StreamJson(made, Secrets::kIncluded);
      });
    return bad_method();
  }
  if (kind == "streams" && n == 2) {
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(StreamRecord s, platform_.GetStream(seg[1]));
        return StreamJson(s, Secrets::kMasked);
      });
    if (m == "DELETE")
      return NoContentOr(platform_.DeleteStream(seg[1], r.Param("recursive") == "true"));
    return bad_method();
  }
  if (kind == "streams" && n == 3 && seg[2] == "token" && options_.stream_token) {
    if (m != "POST") return bad_method();
    return Answer(200, [&]() -> Result<nlohmann::json> { return options_.stream_token(seg[1]); });
  }
  if (kind == "key-streams" && (n == 1 || n == 2)) {
    if (m != "GET") return bad_method();
    return Answer(200, [&]() -> Result<nlohmann::json> {
      if (n == 2) {
        STRM_ASSIGN_OR_RETURN(KeyStream k, platform_.GetKeyStream(seg[1]));
        return KeyStreamJson(k);
      }
      STRM_ASSIGN_OR_RETURN(auto ks, platform_.ListKeyStreams());
      return Array(ks, KeyStreamJson);
    });
  }

  if (kind == "batch-jobs" && n == 1) {
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(auto js, platform_.ListBatchJobs());
        return Array(js, [](const BatchJobRecord& j) { return BatchJobJson(j, Secrets::kMasked); });
      });
    if (m == "POST")
      return Answer(201, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(int64_t threads, NumberParam(r, "threads", 0, 0, 256));
        std::string source(r.Param("source"));
        if (source.empty()) source = "request body";
        SubmitBatchJobOptions options;
        options.threads = static_cast<int>(threads);
        STRM_ASSIGN_OR_RETURN(BatchJobRecord job,
                              platform_.SubmitBatchJob(r.body, std::move(source), options));
        return BatchJobJson(job, Secrets::kMasked);
      });
    return bad_method();
  }
  if (kind == "batch-jobs" && n == 2) {
    if (m == "GET")
      return Answer(200, [&]() -> Result<nlohmann::json> {
        STRM_ASSIGN_OR_RETURN(int64_t seen,
                              NumberParam(r, "seen", -2, -1, std::numeric_limits<int64_t>::max()));
        if (seen == -2) {
          STRM_ASSIGN_OR_RETURN(BatchJobRecord job, platform_.GetBatchJob(seg[1]));
          return BatchJobJson(job, Secrets::kMasked);
        }
        STRM_ASSIGN_OR_RETURN(int64_t wait_ms,
                              NumberParam(r, "timeout_ms", 5000, 0, options_.max_watch.count()));
        STRM_ASSIGN_OR_RETURN(
            BatchJobRecord job,
            platform_.WatchBatchJob(seg[1], seen, std::chrono::milliseconds(wait_ms)));
        return BatchJobJson(job, Secrets::kMasked);
      });
    if (m == "DELETE") return NoContentOr(platform_.DeleteBatchJob(seg[1]));
    return bad_method();
  }
  if (kind == "batch-jobs" && n == 3 && seg[2] == "cancel") {
    if (m != "POST") return bad_method();
    return NoContentOr(platform_.CancelBatchJob(seg[1]));
  }
  if (kind == "batch-jobs" && n == 3 && seg[2] == "preview") {
    if (m != "GET") return bad_method();
    return Answer(200, [&]() -> Result<nlohmann::json> {
      STRM_ASSIGN_OR_RETURN(int64_t rows, NumberParam(r, "rows", 5, 1, 1000));
      STRM_ASSIGN_OR_RETURN(auto previews,
                            platform_.PreviewBatchJob(seg[1], static_cast<size_t>(rows)));
      return Array(previews, PreviewJson);
    });
  }
  return ErrorResponse(404, NotFound("no route for " + m + " " + r.path));
}

}  // namespace strm::server
