#include "platform/remote_platform.h"

#include "net/curl_transport.h"
#include "platform/entity_json.h"

namespace strm {
namespace {

// A path segment, percent-encoded (names may hold '%', '?', '#').
std::string Segment(std::string_view s) { return PercentEncode(s, /*keep_slash=*/false); }

class RemotePlatform final : public Platform {
 public:
  explicit RemotePlatform(RemotePlatformOptions o) : o_(std::move(o)) {}

  Result<DataConnector> CreateDataConnector(DataConnector c) override {
    const std::string body = ConnectorJson(c, Secrets::kIncluded).dump();
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("POST", "/api/v1/data-connectors", body));
    return ConnectorFromJson(j);
  }
  Result<DataConnector> GetDataConnector(std::string_view name) override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j,
                          Call("GET", "/api/v1/data-connectors/" + Segment(name)));
    return ConnectorFromJson(j);
  }
  Result<std::vector<DataConnector>> ListDataConnectors() override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/data-connectors"));
    return Each<DataConnector>(j, ConnectorFromJson);
  }
  Result<std::vector<std::string>> DataConnectorDependents(std::string_view name) override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j,
                          Call("GET", "/api/v1/data-connectors/" + Segment(name) + "/batch-jobs"));
    if (!j.is_array()) return BadAnswer("a list of batch job ids");
    std::vector<std::string> ids;
    for (const auto& id : j) {
      if (!id.is_string()) return BadAnswer("a list of batch job ids");
      ids.push_back(id.get<std::string>());
    }
    return ids;
  }
  Status DeleteDataConnector(std::string_view name, bool recursive) override {
    return Call("DELETE",
                "/api/v1/data-connectors/" + Segment(name) + (recursive ? "?recursive=true" : ""))
        .status();
  }

  Result<DataContract> CreateDataContract(const ContractRef& ref, std::string_view schema_text,
                                          std::string_view contract_text) override {
    const nlohmann::json body = {{"ref", ref.ToString()},
                                 {"schema_definition", schema_text},
                                 {"contract_definition", contract_text}};
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("POST", "/api/v1/data-contracts", body.dump()));
    return ContractFromJson(j);
  }
  Result<DataContract> GetDataContract(const ContractRef& ref) override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", ContractPath(ref)));
    return ContractFromJson(j);
  }
  Result<std::vector<DataContract>> ListDataContracts() override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/data-contracts"));
    return Each<DataContract>(j, [](const nlohmann::json& c) { return ContractFromJson(c); });
  }
  Status DeleteDataContract(const ContractRef& ref) override {
    return Call("DELETE", ContractPath(ref)).status();
  }

  Result<StreamRecord> CreateStream(StreamRecord stream) override {
    const std::string body = StreamJson(stream, Secrets::kIncluded).dump();
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("POST", "/api/v1/streams", body));
    return StreamFromJson(j);
  }
  Result<StreamRecord> GetStream(std::string_view name) override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/streams/" + Segment(name)));
    return StreamFromJson(j);
  }
  Result<std::vector<StreamRecord>> ListStreams() override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/streams"));
    return Each<StreamRecord>(j, StreamFromJson);
  }
  Status DeleteStream(std::string_view name, bool recursive) override {
    return Call("DELETE", "/api/v1/streams/" + Segment(name) + (recursive ? "?recursive=true" : ""))
        .status();
  }
  Result<KeyStream> GetKeyStream(std::string_view name) override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/key-streams/" + Segment(name)));
    return KeyStreamFromJson(j);
  }
  Result<std::vector<KeyStream>> ListKeyStreams() override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/key-streams"));
    return Each<KeyStream>(j, KeyStreamFromJson);
  }

  Result<BatchJobRecord> SubmitBatchJob(std::string_view job_json, std::string source_name,
                                        const SubmitBatchJobOptions& options) override {
    std::string path = "/api/v1/batch-jobs?source=" + Segment(source_name);
    if (options.threads > 0) path += "&threads=" + std::to_string(options.threads);
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("POST", path, job_json));
    return BatchJobFromJson(j);
  }
  Result<BatchJobRecord> WatchBatchJob(std::string_view id, int64_t seen_updated_at,
                                       std::chrono::milliseconds timeout) override {
    STRM_ASSIGN_OR_RETURN(
        nlohmann::json j,
        Call("GET",
             "/api/v1/batch-jobs/" + Segment(id) +
                 "?seen=" + std::to_string(std::max<int64_t>(seen_updated_at, -1)) +
                 "&timeout_ms=" + std::to_string(std::min<int64_t>(timeout.count(), 10'000)),
             {}, timeout + std::chrono::seconds(30)));
    return BatchJobFromJson(j);
  }
  Status CancelBatchJob(std::string_view id) override {
    return Call("POST", "/api/v1/batch-jobs/" + Segment(id) + "/cancel", "").status();
  }
  Result<BatchJobRecord> GetBatchJob(std::string_view id) override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/batch-jobs/" + Segment(id)));
    return BatchJobFromJson(j);
  }
  Result<std::vector<BatchJobRecord>> ListBatchJobs() override {
    STRM_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", "/api/v1/batch-jobs"));
    return Each<BatchJobRecord>(j, BatchJobFromJson);
  }
  Status DeleteBatchJob(std::string_view id) override {
    return Call("DELETE", "/api/v1/batch-jobs/" + Segment(id)).status();
  }
  Result<std::vector<CsvPreview>> PreviewBatchJob(std::string_view id, size_t rows) override {
    STRM_ASSIGN_OR_RETURN(
        nlohmann::json j,
        Call("GET", "/api/v1/batch-jobs/" + Segment(id) + "/preview?rows=" + std::to_string(rows)));
    return Each<CsvPreview>(j, [this](const nlohmann::json& p) -> Result<CsvPreview> {
      CsvPreview out;
      try {
        out.title = p.at("title").get<std::string>();
        out.header = p.at("header").get<std::vector<std::string>>();
        out.rows = p.at("rows").get<std::vector<std::vector<std::string>>>();
      } catch (const nlohmann::json::exception&) {
        return BadAnswer("previews");
      }
      return out;
    });
  }

 private:
  static std::string ContractPath(const ContractRef& ref) {
    return "/api/v1/data-contracts/" + Segment(ref.handle) + "/" + Segment(ref.name) + "/" +
           Segment(ref.version);
  }

  Status BadAnswer(std::string_view what) const {
    return Internal("the strm server at " + o_.url + " did not answer with " + std::string(what));
  }

  template <typename T, typename F>
  Result<std::vector<T>> Each(const nlohmann::json& j, F read) const {
    if (!j.is_array()) return BadAnswer("a list");
    std::vector<T> out;
    for (const auto& item : j) {
      STRM_ASSIGN_OR_RETURN(T v, read(item));
      out.push_back(std::move(v));
    }
    return out;
  }

  // One request; the JSON answered (null for 204), or the server's error as a Status.
  Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                              std::string_view body = {},
                              std::chrono::milliseconds total = std::chrono::seconds(120)) {
    HttpRequest req;
    req.method = method;
    req.url = o_.url + path;
    req.headers = {{"Authorization", "Bearer " + o_.token}, {"Accept", "application/json"}};
    if (method == "POST" || method == "PUT")
      req.headers.push_back({"Content-Type", "application/json"});
    req.body = body;
    req.timeouts.total = total;
    auto res = o_.transport->Send(req);
    if (!res.ok())
      return Unavailable("cannot reach the strm server at " + o_.url + ": " +
                         std::string(TransportCause(res.status())));
    if (res->status == 204) return nlohmann::json();
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status >= 200 && res->status < 300) {
      if (j.is_discarded()) return BadAnswer("JSON");
      return j;
    }
    std::string message =
        "the strm server at " + o_.url + " answered " + std::to_string(res->status);
    StatusCode code = res->status == 401 ? StatusCode::kPermissionDenied : StatusCode::kInternal;
    if (!j.is_discarded() && j.contains("error") && j["error"].is_object()) {
      const auto& e = j["error"];
      if (e.contains("message") && e["message"].is_string()) message = e["message"];
      if (res->status != 401 && e.contains("status") && e["status"].is_string())
        code = StatusCodeFromName(e["status"].get<std::string>());
    }
    if (res->status == 401)
      message = "the strm server at " + o_.url + " refused the API token: " + message;
    return Status(code, message);
  }

  RemotePlatformOptions o_;
};

}  // namespace

Result<std::unique_ptr<Platform>> OpenRemotePlatform(RemotePlatformOptions options) {
  while (!options.url.empty() && options.url.back() == '/') options.url.pop_back();
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0)
    return InvalidArgument("the API URL must start with http:// or https://, got '" + options.url +
                           "'");
  if (options.token.empty())
    return InvalidArgument(
        "no API token: set STRM_API_TOKEN or --api-token-file (a server writes its first token "
        "to $STRM_HOME/api-token)");
  if (!options.transport) options.transport = std::make_shared<CurlTransport>();
  return std::unique_ptr<Platform>(new RemotePlatform(std::move(options)));
}

}  // namespace strm
