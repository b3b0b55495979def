#include "memory_azure.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "net/xml_reader.h"
#include "twin_http.h"

namespace strm::testing {
namespace {

std::string ETag(uint64_t generation) { return "\"0x" + std::to_string(generation) + "\""; }

HttpResponse AzureError(int status, const std::string& code, std::string_view message) {
  return Answer(status,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code +
                    "</Code><Message>" + XmlText(message) +
                    "\nRequestId:00000000-0000-0000-0000-000000000000</Message></Error>",
                {{"content-type", "application/xml"}, {"x-ms-error-code", code}});
}

HttpResponse BlobNotFound() {
  return AzureError(404, "BlobNotFound", "The specified blob does not exist.");
}

}  // namespace

MemoryAzure::MemoryAzure(MemoryObjects& objects, std::string container)
    : objects_(objects), container_(std::move(container)) {}

Result<HttpResponse> MemoryAzure::Handle(const HttpRequest& request, const std::string& body) {
  const TwinUrl url = ParseTwinUrl(request.url);
  if (url.origin == kAzureTwinAuthority && request.method == "POST" &&
      url.path.ends_with("/oauth2/v2.0/token"))
    return Token(body);
  if (url.origin != kAzureTwinAccountUri)
    return Unavailable(DescribeRequest(request) + " failed: Could not resolve host");
  const std::string* auth = FindRequestHeader(request, "authorization");
  if (auth == nullptr || !auth->starts_with("Bearer azure-token-"))
    return AzureError(401, "InvalidAuthenticationInfo", "Authentication information is missing.");
  const std::string container = "/" + container_;
  if (url.path == container && url.Get("restype") == "container" && url.Get("comp") == "list")
    return List(request);
  if (!url.path.starts_with(container + "/"))
    return AzureError(404, "ContainerNotFound", "The specified container does not exist.");
  return Blob(request, PercentDecode(url.path.substr(container.size() + 1)), body);
}

HttpResponse MemoryAzure::Token(const std::string& body) {
  if (body.find("grant_type=client_credentials") == std::string::npos ||
      body.find("client_secret=") == std::string::npos)
    return Answer(400, R"({"error": "invalid_request", "error_description": "AADSTS900144"})");
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = {{"access_token", "azure-token-" + std::to_string(++tokens_)},
                      {"expires_in", 3600},
                      {"token_type", "Bearer"}};
  return Answer(200, j.dump(), {{"content-type", "application/json"}});
}

HttpResponse MemoryAzure::List(const HttpRequest& request) {
  const TwinUrl url = ParseTwinUrl(request.url);
  const std::string marker = url.Get("marker");
  size_t max = 5000;
  if (url.Has("maxresults")) {
    const std::string m = url.Get("maxresults");
    std::from_chars(m.data(), m.data() + m.size(), max);
  }
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
      "ServiceEndpoint=\"" +
      std::string(kAzureTwinAccountUri) + "/\" ContainerName=\"" + container_ + "\"><Prefix>" +
      XmlText(url.Get("prefix")) + "</Prefix><Blobs>";
  size_t n = 0;
  std::string next;
  for (const ObjectInfo& o : objects_.List(url.Get("prefix"))) {
    if (!marker.empty() && o.key < marker) continue;
    if (n == max) {
      next = o.key;
      break;
    }
    xml += "<Blob><Name>" + XmlText(o.key) + "</Name><Properties><Content-Length>" +
           std::to_string(o.size) +
           "</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>";
    ++n;
  }
  xml += "</Blobs><NextMarker>" + XmlText(next) + "</NextMarker></EnumerationResults>";
  return Answer(200, std::move(xml), {{"content-type", "application/xml"}});
}

HttpResponse MemoryAzure::CopySource(const HttpRequest& request, std::string& data) {
  const std::string* source_auth = FindRequestHeader(request, "x-ms-copy-source-authorization");
  if (source_auth == nullptr || !source_auth->starts_with("Bearer azure-token-"))
    return AzureError(401, "CannotVerifyCopySource", "Server failed to authenticate the request.");
  const TwinUrl source = ParseTwinUrl(*FindRequestHeader(request, "x-ms-copy-source"));
  const std::string container = "/" + container_ + "/";
  std::optional<StoredObject> o;
  if (source.origin == kAzureTwinAccountUri && source.path.starts_with(container))
    o = objects_.Get(PercentDecode(source.path.substr(container.size())));
  if (!o) return AzureError(404, "CannotVerifyCopySource", "The specified blob does not exist.");
  const std::string* if_match = FindRequestHeader(request, "x-ms-source-if-match");
  if (if_match != nullptr && *if_match != ETag(o->generation))
    return AzureError(412, "CannotVerifyCopySource",
                      "The condition specified using HTTP conditional header(s) is not met.");
  data = std::move(o->data);
  if (const std::string* range = FindRequestHeader(request, "x-ms-source-range")) {
    size_t first = 0, last = 0;
    const size_t dash = range->find('-');
    const bool ok =
        range->starts_with("bytes=") && dash != std::string::npos &&
        std::from_chars(range->data() + 6, range->data() + dash, first).ec == std::errc() &&
        std::from_chars(range->data() + dash + 1, range->data() + range->size(), last).ec ==
            std::errc() &&
        first <= last && last < data.size();
    if (!ok) return AzureError(416, "InvalidRange", "The range specified is invalid.");
    data = data.substr(first, last - first + 1);
  }
  return Answer(200);
}

HttpResponse MemoryAzure::Blob(const HttpRequest& request, const std::string& name,
                               const std::string& body) {
  const TwinUrl url = ParseTwinUrl(request.url);
  if (request.method == "PUT") {
    const bool from_url = FindRequestHeader(request, "x-ms-copy-source") != nullptr;
    std::string data = body;
    if (from_url) {
      HttpResponse copied = CopySource(request, data);
      if (copied.status != 200) return copied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (url.Get("comp") == "block") {  // Put Block (From URL)
      const std::string id = url.Get("blockid");
      if (id.empty()) return AzureError(400, "InvalidQueryParameterValue", "blockid is missing.");
      uncommitted_[name][id] = std::move(data);
      return Answer(201);
    }
    if (url.Get("comp") == "blocklist") {  // Put Block List
      auto doc = ParseXml(body);
      if (!doc.ok() || doc->name != "BlockList")
        return AzureError(400, "InvalidXmlDocument", "XML specified is not syntactically valid.");
      Blocks& pending = uncommitted_[name];
      Blocks& current = committed_[name];
      Blocks used;
      std::string blob;
      auto find = [](const Blocks& blocks, const std::string& id) -> const std::string* {
        auto it = blocks.find(id);
        return it == blocks.end() ? nullptr : &it->second;
      };
      for (const XmlElement& e : doc->children) {
        const std::string* bytes = nullptr;
        if (e.name == "Latest") {
          bytes = find(pending, e.text);
          if (bytes == nullptr) bytes = find(current, e.text);
        } else if (e.name == "Uncommitted") {
          bytes = find(pending, e.text);
        } else if (e.name == "Committed") {
          bytes = find(current, e.text);
        }
        if (bytes == nullptr)
          return AzureError(400, "InvalidBlockList", "The specified block list is invalid.");
        blob += *bytes;
        used[e.text] = *bytes;
      }
      const uint64_t g = objects_.Put(name, std::move(blob));
      current = std::move(used);
      uncommitted_.erase(name);
      return Answer(201, {}, {{"etag", ETag(g)}});
    }
    if (from_url && (FindRequestHeader(request, "x-ms-requires-sync") == nullptr ||
                     *FindRequestHeader(request, "x-ms-requires-sync") != "true"))
      return AzureError(400, "MissingRequiredHeader", "x-ms-requires-sync is required.");
    const uint64_t g = objects_.Put(name, std::move(data));  // Put Blob, Copy Blob From URL
    committed_.erase(name);
    uncommitted_.erase(name);
    if (from_url) return Answer(202, {}, {{"etag", ETag(g)}, {"x-ms-copy-status", "success"}});
    return Answer(201, {}, {{"etag", ETag(g)}});
  }
  if (request.method == "DELETE") {
    if (!objects_.Delete(name)) return BlobNotFound();
    std::lock_guard<std::mutex> lock(mu_);
    committed_.erase(name);
    uncommitted_.erase(name);
    return Answer(202);
  }
  std::optional<StoredObject> o = objects_.Get(name);
  if (request.method == "HEAD") {
    if (!o) return Answer(404, {}, {{"x-ms-error-code", "BlobNotFound"}});
    return Answer(200, {},
                  {{"content-length", std::to_string(o->data.size())},
                   {"etag", ETag(o->generation)},
                   {"x-ms-blob-type", "BlockBlob"}});
  }
  if (request.method != "GET")
    return AzureError(405, "UnsupportedHttpVerb", "The resource doesn't support the verb.");
  if (!o) return BlobNotFound();
  const std::string* if_match = FindRequestHeader(request, "if-match");
  if (if_match != nullptr && *if_match != ETag(o->generation))
    return AzureError(412, "ConditionNotMet",
                      "The condition specified using HTTP conditional header(s) is not met.");
  return RangedAnswer(request, o->data, {{"etag", ETag(o->generation)}},
                      AzureError(416, "InvalidRange", "The range specified is invalid.").body);
}

}  // namespace strm::testing
