#include "memory_gcs.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "twin_http.h"

namespace strm::testing {
namespace {

using nlohmann::json;

HttpResponse GcsError(int status, std::string_view reason, std::string message) {
  json e = {{"error",
             {{"code", status},
              {"message", message},
              {"errors", json::array({{{"message", message}, {"reason", reason}}})}}}};
  return Answer(status, e.dump(), {{"content-type", "application/json; charset=UTF-8"}});
}

json Metadata(const std::string& bucket, const std::string& name, const StoredObject& o) {
  return {{"kind", "storage#object"},
          {"bucket", bucket},
          {"name", name},
          {"generation", std::to_string(o.generation)},
          {"size", std::to_string(o.data.size())}};
}

HttpResponse JsonAnswer(int status, const json& j) {
  return Answer(status, j.dump(), {{"content-type", "application/json; charset=UTF-8"}});
}

}  // namespace

MemoryGcs::MemoryGcs(MemoryObjects& objects, std::string bucket)
    : objects_(objects), bucket_(std::move(bucket)) {}

size_t MemoryGcs::PendingUploads() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [id, s] : sessions_) n += s.finished ? 0 : 1;
  return n;
}

Result<HttpResponse> MemoryGcs::Handle(const HttpRequest& request, const std::string& body) {
  const TwinUrl url = ParseTwinUrl(request.url);
  if (url.origin != kGcsTwinEndpoint)
    return Unavailable(DescribeRequest(request) + " failed: Could not resolve host");
  if (url.path == "/token" && request.method == "POST") return Token(body);
  const std::string* auth = FindRequestHeader(request, "authorization");
  if (auth == nullptr || !auth->starts_with("Bearer gcs-token-"))
    return GcsError(401, "required", "Anonymous caller does not have storage.objects access.");
  const std::string objects = "/storage/v1/b/" + bucket_ + "/o";
  const std::string uploads = "/upload/storage/v1/b/" + bucket_ + "/o";
  if (url.path == objects && request.method == "GET") return List(request);
  if (url.path == uploads) {
    if (url.Has("upload_id")) {
      if (request.method == "DELETE") {
        std::lock_guard<std::mutex> lock(mu_);
        sessions_.erase(url.Get("upload_id"));
        return Answer(499);
      }
      return SessionPut(request, url.Get("upload_id"), body);
    }
    if (request.method == "POST") return Upload(request, body);
  }
  if (url.path.starts_with(objects + "/")) {
    const std::string rest = url.path.substr(objects.size() + 1);
    const std::string rewrite = "/rewriteTo/b/" + bucket_ + "/o/";
    const size_t at = rest.find(rewrite);
    if (at != std::string::npos && request.method == "POST")
      return Rewrite(PercentDecode(rest.substr(0, at)),
                     PercentDecode(rest.substr(at + rewrite.size())));
    if (rest.find('/') == std::string::npos) return Object(request, PercentDecode(rest));
  }
  return GcsError(404, "notFound", "Not Found");
}

HttpResponse MemoryGcs::Token(const std::string& body) {
  if (body.find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") ==
          std::string::npos ||
      body.find("assertion=") == std::string::npos)
    return Answer(400, R"({"error": "invalid_request", "error_description": "no JWT"})");
  std::lock_guard<std::mutex> lock(mu_);
  return JsonAnswer(200, {{"access_token", "gcs-token-" + std::to_string(++tokens_)},
                          {"expires_in", 3600},
                          {"token_type", "Bearer"}});
}

HttpResponse MemoryGcs::List(const HttpRequest& request) {
  const TwinUrl url = ParseTwinUrl(request.url);
  const std::string after = url.Get("pageToken");
  uint64_t max = TwinNumber(url.Get("maxResults")).value_or(1000);
  json items = json::array();
  std::string next;
  for (const ObjectInfo& o : objects_.List(url.Get("prefix"))) {
    if (!after.empty() && o.key <= after) continue;
    if (items.size() == max) {
      next = items.back()["name"].get<std::string>();
      break;
    }
    items.push_back({{"name", o.key}, {"size", std::to_string(o.size)}});
  }
  json page = {{"kind", "storage#objects"}, {"items", items}};
  if (!next.empty()) page["nextPageToken"] = next;
  return JsonAnswer(200, page);
}

HttpResponse MemoryGcs::Object(const HttpRequest& request, const std::string& name) {
  const TwinUrl url = ParseTwinUrl(request.url);
  std::optional<StoredObject> o = objects_.Get(name);
  const std::string missing = "No such object: " + bucket_ + "/" + name;
  if (request.method == "DELETE") {
    if (!objects_.Delete(name)) return GcsError(404, "notFound", missing);
    return Answer(204);
  }
  if (request.method != "GET") return GcsError(405, "methodNotAllowed", "Method not allowed");
  // A generation that is not the live one no longer exists: 404, as for a missing object.
  if (!o || (url.Has("generation") && url.Get("generation") != std::to_string(o->generation)))
    return GcsError(404, "notFound", missing);
  if (url.Get("alt") != "media") return JsonAnswer(200, Metadata(bucket_, name, *o));
  return RangedAnswer(
      request, o->data, {{"x-goog-generation", std::to_string(o->generation)}},
      GcsError(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.")
          .body);
}

HttpResponse MemoryGcs::Rewrite(const std::string& from, const std::string& to) {
  std::optional<StoredObject> o = objects_.Get(from);
  if (!o) return GcsError(404, "notFound", "No such object: " + bucket_ + "/" + from);
  const uint64_t g = objects_.Put(to, o->data);
  const std::string size = std::to_string(o->data.size());
  return JsonAnswer(200, {{"kind", "storage#rewriteResponse"},
                          {"totalBytesRewritten", size},
                          {"objectSize", size},
                          {"done", true},
                          {"resource", Metadata(bucket_, to, StoredObject{o->data, g})}});
}

HttpResponse MemoryGcs::Upload(const HttpRequest& request, const std::string& body) {
  const TwinUrl url = ParseTwinUrl(request.url);
  const std::string name = url.Get("name");
  if (name.empty()) return GcsError(400, "required", "Required parameter: name");
  if (url.Get("uploadType") == "media") {
    const uint64_t g = objects_.Put(name, body);
    return JsonAnswer(200, Metadata(bucket_, name, StoredObject{body, g}));
  }
  if (url.Get("uploadType") != "resumable") return GcsError(400, "invalid", "Invalid uploadType");
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = "session-" + std::to_string(next_session_++);
  sessions_[id] = Session{name, {}, false};
  return Answer(200, {},
                {{"location", std::string(kGcsTwinEndpoint) + "/upload/storage/v1/b/" + bucket_ +
                                  "/o?uploadType=resumable&upload_id=" + id}});
}

// A chunk ("bytes a-b/T" or "bytes a-b/*") or a status query ("bytes */T" or "bytes */*"):
// 308 with the Range it holds until the total is reached, then 200 and the object.
HttpResponse MemoryGcs::SessionPut(const HttpRequest& request, const std::string& id,
                                   const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return GcsError(404, "notFound", "No such upload session");
  Session& s = it->second;
  const std::string* range = FindRequestHeader(request, "content-range");
  std::string_view spec = range != nullptr ? std::string_view(*range) : std::string_view();
  if (!spec.starts_with("bytes ") || spec.find('/') == std::string_view::npos)
    return GcsError(400, "invalid", "Invalid Content-Range");
  spec.remove_prefix(6);
  const size_t slash = spec.find('/');
  const std::string_view span = spec.substr(0, slash), total_text = spec.substr(slash + 1);
  const bool total_known = total_text != "*";
  const uint64_t total = total_known ? TwinNumber(total_text).value_or(UINT64_MAX) : 0;
  if (total == UINT64_MAX) return GcsError(400, "invalid", "Invalid Content-Range");
  auto held_answer = [&s]() {
    HttpHeaders h;
    if (!s.data.empty()) h.push_back({"range", "bytes=0-" + std::to_string(s.data.size() - 1)});
    return Answer(308, {}, std::move(h));
  };
  auto finish = [&]() {
    const uint64_t g = objects_.Put(s.name, s.data);
    s.finished = true;
    return JsonAnswer(200, Metadata(bucket_, s.name, StoredObject{s.data, g}));
  };
  if (s.finished) {
    std::optional<StoredObject> o = objects_.Get(s.name);
    return JsonAnswer(200, Metadata(bucket_, s.name, o ? *o : StoredObject{s.data, 0}));
  }
  if (span != "*") {
    const size_t dash = span.find('-');
    const std::optional<uint64_t> first = TwinNumber(span.substr(0, dash));
    const std::optional<uint64_t> last =
        dash == std::string_view::npos ? std::nullopt : TwinNumber(span.substr(dash + 1));
    if (!first || !last || *last < *first || *last - *first + 1 != body.size())
      return GcsError(400, "invalid", "Invalid Content-Range");
    if (*first > s.data.size())
      return GcsError(400, "invalid", "The chunk does not start where the session ends");
    if (*last + 1 > s.data.size()) s.data += body.substr(s.data.size() - *first);
  }
  if (total_known && s.data.size() > total)
    return GcsError(400, "invalid", "The session holds more than the total");
  if (total_known && s.data.size() == total) return finish();
  return held_answer();
}

}  // namespace strm::testing
