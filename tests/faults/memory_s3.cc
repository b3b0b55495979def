#include "memory_s3.h"

#include <charconv>

#include "net/xml_reader.h"
#include "twin_http.h"

namespace strm::testing {
namespace {

std::string ETag(uint64_t generation) { return "\"g" + std::to_string(generation) + "\""; }

HttpResponse S3Error(int status, std::string_view code, std::string_view message) {
  return Answer(status,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) +
                    "</Code><Message>" + XmlText(message) + "</Message></Error>",
                {{"content-type", "application/xml"}});
}

HttpResponse NoSuchKey() { return S3Error(404, "NoSuchKey", "The specified key does not exist."); }

HttpResponse PreconditionFailed() {
  return S3Error(412, "PreconditionFailed",
                 "At least one of the pre-conditions you specified did not hold");
}

// "bytes=a-b" of x-amz-copy-source-range, within `size`.
bool CopyRange(const std::string& spec, size_t size, size_t& first, size_t& last) {
  if (spec.substr(0, 6) != "bytes=") return false;
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return false;
  auto a = std::from_chars(spec.data() + 6, spec.data() + dash, first);
  auto b = std::from_chars(spec.data() + dash + 1, spec.data() + spec.size(), last);
  return a.ec == std::errc() && b.ec == std::errc() && first <= last && last < size;
}

}  // namespace

MemoryS3::MemoryS3(MemoryObjects& objects, std::string bucket)
    : objects_(objects), bucket_(std::move(bucket)) {}

size_t MemoryS3::PendingUploads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uploads_.size();
}

Result<HttpResponse> MemoryS3::Handle(const HttpRequest& request, const std::string& body) {
  const TwinUrl url = ParseTwinUrl(request.url);
  const std::string bucket_path = "/" + bucket_;
  if (url.origin != kS3TwinEndpoint)
    return Unavailable(DescribeRequest(request) + " failed: Could not resolve host");
  if (url.path == bucket_path || url.path == bucket_path + "/") {
    if (request.method == "HEAD") return Answer(200);
    if (request.method == "GET" && url.Get("list-type") == "2") return List(request);
    return S3Error(405, "MethodNotAllowed", "The bucket does not allow this method.");
  }
  if (url.path.compare(0, bucket_path.size() + 1, bucket_path + "/") != 0)
    return S3Error(404, "NoSuchBucket", "The specified bucket does not exist");
  const std::string key = PercentDecode(url.path.substr(bucket_path.size() + 1));
  if (url.Has("uploads") || url.Has("uploadId"))
    return Multipart(request, key, url.Get("uploadId"), body);
  return Object(request, key, body);
}

HttpResponse MemoryS3::Object(const HttpRequest& request, const std::string& key,
                              const std::string& body) {
  if (request.method == "PUT") {
    if (FindRequestHeader(request, "x-amz-copy-source") != nullptr) return Copy(request, key);
    const uint64_t g = objects_.Put(key, body);
    return Answer(200, {}, {{"etag", ETag(g)}});
  }
  if (request.method == "DELETE") {
    objects_.Delete(key);
    return Answer(204);
  }
  std::optional<StoredObject> o = objects_.Get(key);
  if (request.method == "HEAD") {
    if (!o) return Answer(404);
    return Answer(
        200, {},
        {{"content-length", std::to_string(o->data.size())}, {"etag", ETag(o->generation)}});
  }
  if (request.method != "GET") return S3Error(405, "MethodNotAllowed", "Not allowed.");
  if (!o) return NoSuchKey();
  const std::string* if_match = FindRequestHeader(request, "if-match");
  if (if_match != nullptr && *if_match != ETag(o->generation)) return PreconditionFailed();
  return RangedAnswer(
      request, o->data, {{"etag", ETag(o->generation)}},
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidRange</Code><Message>The "
      "requested range is not satisfiable</Message></Error>");
}

// CopyObject: the source "/bucket/key" (percent-encoded), pinned by x-amz-copy-source-if-match.
HttpResponse MemoryS3::Copy(const HttpRequest& request, const std::string& key) {
  const std::string source = PercentDecode(*FindRequestHeader(request, "x-amz-copy-source"));
  const std::string prefix = "/" + bucket_ + "/";
  if (source.compare(0, prefix.size(), prefix) != 0)
    return S3Error(400, "InvalidArgument", "Copy Source must mention the source bucket and key");
  std::optional<StoredObject> o = objects_.Get(source.substr(prefix.size()));
  if (!o) return NoSuchKey();
  const std::string* if_match = FindRequestHeader(request, "x-amz-copy-source-if-match");
  if (if_match != nullptr && *if_match != ETag(o->generation)) return PreconditionFailed();
  const uint64_t g = objects_.Put(key, o->data);
  return Answer(200, "<CopyObjectResult><ETag>" + XmlText(ETag(g)) + "</ETag></CopyObjectResult>",
                {{"content-type", "application/xml"}});
}

HttpResponse MemoryS3::Multipart(const HttpRequest& request, const std::string& key,
                                 const std::string& upload_id, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  if (request.method == "POST" && upload_id.empty()) {  // CreateMultipartUpload
    const std::string id = "upload-" + std::to_string(next_upload_++);
    uploads_[id] = Upload{key, {}};
    return Answer(200,
                  "<InitiateMultipartUploadResult><Bucket>" + bucket_ + "</Bucket><Key>" +
                      XmlText(key) + "</Key><UploadId>" + id +
                      "</UploadId></InitiateMultipartUploadResult>",
                  {{"content-type", "application/xml"}});
  }
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key)
    return S3Error(404, "NoSuchUpload", "The specified upload does not exist.");
  Upload& upload = it->second;
  if (request.method == "DELETE") {  // AbortMultipartUpload
    uploads_.erase(it);
    return Answer(204);
  }
  const TwinUrl url = ParseTwinUrl(request.url);
  if (request.method == "PUT") {  // UploadPart, UploadPartCopy
    int number = 0;
    const std::string n = url.Get("partNumber");
    std::from_chars(n.data(), n.data() + n.size(), number);
    if (number < 1 || number > 10000)
      return S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000");
    const std::string* source = FindRequestHeader(request, "x-amz-copy-source");
    if (source == nullptr) {
      upload.parts[number] = body;
      return Answer(200, {}, {{"etag", "\"p" + std::to_string(body.size()) + "\""}});
    }
    const std::string path = PercentDecode(*source), prefix = "/" + bucket_ + "/";
    std::optional<StoredObject> o = path.compare(0, prefix.size(), prefix) == 0
                                        ? objects_.Get(path.substr(prefix.size()))
                                        : std::nullopt;
    if (!o) return NoSuchKey();
    const std::string* if_match = FindRequestHeader(request, "x-amz-copy-source-if-match");
    if (if_match != nullptr && *if_match != ETag(o->generation)) return PreconditionFailed();
    size_t first = 0, last = o->data.empty() ? 0 : o->data.size() - 1;
    const std::string* range = FindRequestHeader(request, "x-amz-copy-source-range");
    if (range != nullptr && !CopyRange(*range, o->data.size(), first, last))
      return S3Error(400, "InvalidArgument", "The x-amz-copy-source-range value is not valid.");
    upload.parts[number] = o->data.substr(first, last - first + 1);
    return Answer(200,
                  "<CopyPartResult><ETag>&quot;p" + std::to_string(last - first + 1) +
                      "&quot;</ETag></CopyPartResult>",
                  {{"content-type", "application/xml"}});
  }
  // CompleteMultipartUpload: the parts named, in order, with the ETags they were given.
  auto doc = ParseXml(body);
  if (!doc.ok() || doc->name != "CompleteMultipartUpload")
    return S3Error(400, "MalformedXML", "The XML you provided was not well-formed.");
  std::string data;
  int previous = 0;
  for (const XmlElement& part : doc->children) {
    int number = 0;
    const std::string n = part.ChildText("PartNumber");
    std::from_chars(n.data(), n.data() + n.size(), number);
    auto p = upload.parts.find(number);
    if (part.name != "Part" || number <= previous || p == upload.parts.end() ||
        part.ChildText("ETag") != "\"p" + std::to_string(p->second.size()) + "\"")
      return S3Error(400, "InvalidPart", "One or more of the specified parts could not be found.");
    previous = number;
    data += p->second;
  }
  const uint64_t g = objects_.Put(key, std::move(data));
  uploads_.erase(it);
  return Answer(200,
                "<CompleteMultipartUploadResult><Key>" + XmlText(key) + "</Key><ETag>" +
                    XmlText(ETag(g)) + "</ETag></CompleteMultipartUploadResult>",
                {{"content-type", "application/xml"}});
}

// ListObjectsV2: the continuation token is the last key of the page before.
HttpResponse MemoryS3::List(const HttpRequest& request) {
  const TwinUrl url = ParseTwinUrl(request.url);
  const std::string prefix = url.Get("prefix"), after = url.Get("continuation-token");
  size_t max_keys = 1000;
  if (url.Has("max-keys")) {
    const std::string m = url.Get("max-keys");
    std::from_chars(m.data(), m.data() + m.size(), max_keys);
  }
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" +
      bucket_ + "</Name><Prefix>" + XmlText(prefix) + "</Prefix>";
  size_t n = 0;
  std::string last;
  bool truncated = false;
  for (const ObjectInfo& o : objects_.List(prefix)) {
    if (!after.empty() && o.key <= after) continue;
    if (n == max_keys) {
      truncated = true;
      break;
    }
    xml += "<Contents><Key>" + XmlText(o.key) + "</Key><Size>" + std::to_string(o.size) +
           "</Size></Contents>";
    last = o.key;
    ++n;
  }
  xml += "<KeyCount>" + std::to_string(n) + "</KeyCount><IsTruncated>" +
         (truncated ? "true" : "false") + "</IsTruncated>";
  if (truncated) xml += "<NextContinuationToken>" + XmlText(last) + "</NextContinuationToken>";
  xml += "</ListBucketResult>";
  return Answer(200, std::move(xml), {{"content-type", "application/xml"}});
}

}  // namespace strm::testing
