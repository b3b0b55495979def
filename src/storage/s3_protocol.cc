#include "storage/s3_protocol.h"

#include <algorithm>
#include <charconv>

#include "net/http_status.h"
#include "net/http_transport.h"
#include "net/xml_reader.h"
#include "storage/sigv4.h"

namespace strm {
namespace {

constexpr size_t kMaxKeyBytes = 1024;  // S3's limit on a key's UTF-8 bytes

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A bucket name that can be the first label of a host name under a wildcard certificate.
bool IsDnsLabelBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  if (!IsLowerAlnum(b.front()) || !IsLowerAlnum(b.back())) return false;
  return std::all_of(b.begin(), b.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

// A name that can be a host name: DNS labels separated by dots.
bool IsHostBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  size_t start = 0;
  while (start <= b.size()) {
    size_t end = b.find('.', start);
    if (end == std::string_view::npos) end = b.size();
    std::string_view label = b.substr(start, end - start);
    if (label.empty() || !IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) return false;
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '-'; }))
      return false;
    start = end + 1;
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Status CheckS3BucketName(std::string_view b) {
  if (b.empty()) return InvalidArgument("an S3 bucket name must not be empty");
  if (b.size() > 255) return InvalidArgument("S3 bucket name is longer than 255 characters");
  for (char c : b) {
    if (!(IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'))
      return InvalidArgument("S3 bucket name '" + ForMessage(b, 255) +
                             "' may contain only letters, digits, '.', '-' and '_'");
  }
  return Status::Ok();
}

bool IsS3RegionName(std::string_view r) {
  return !r.empty() && r.size() <= 64 &&
         std::all_of(r.begin(), r.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

Status CheckS3Key(std::string_view key) {
  if (key.size() > kMaxKeyBytes)
    return InvalidArgument("object name is longer than S3's 1024 bytes");
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return InvalidArgument("object name '" + ForMessage(key, 200) +
                             "' contains a control character");
  }
  return ValidateObjectKey(key);
}

Result<std::string> NormalizeS3Endpoint(std::string_view url, std::string* scheme_out,
                                        std::string* host_out) {
  std::string scheme;
  if (StartsWithNoCase(url, "https://")) {
    scheme = "https";
  } else if (StartsWithNoCase(url, "http://")) {
    scheme = "http";
  } else {
    return InvalidArgument("the S3 endpoint must start with http:// or https://");
  }
  std::string_view host = url.substr(scheme.size() + 3);
  while (!host.empty() && host.back() == '/') host.remove_suffix(1);
  if (host.empty()) return InvalidArgument("the S3 endpoint has no host");
  if (host.find_first_of("/?#@ \t") != std::string_view::npos)
    return InvalidArgument(
        "the S3 endpoint must be scheme://host[:port], without user info, path or query");
  const std::string_view default_port = scheme == "https" ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.substr(host.size() - default_port.size()) == default_port &&
      host[host.size() - default_port.size() - 1] != ':')
    host.remove_suffix(default_port.size());
  if (scheme_out != nullptr) *scheme_out = scheme;
  if (host_out != nullptr) *host_out = std::string(host);
  return scheme + "://" + std::string(host);
}

std::string S3XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string S3ErrorCode(std::string_view body) {
  if (body.find("<Error") == std::string_view::npos) return {};
  auto doc = ParseXml(body);
  if (!doc.ok() || doc->name != "Error") return {};
  return doc->ChildText("Code");
}

std::optional<uint64_t> ParseS3Number(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string S3Addressing::Path(std::string_view key) const {
  if (key.empty()) return bucket_path.empty() ? "/" : bucket_path;
  return bucket_path + "/" + std::string(key);
}

std::string S3Addressing::Url(std::string_view key) const {
  return scheme + "://" + host + AwsUriEncode(Path(key), /*keep_slash=*/true);
}

Result<S3Addressing> ResolveS3Addressing(std::string_view bucket, std::string_view endpoint_url,
                                         S3PathStyle path_style, std::string_view region) {
  STRM_RETURN_IF_ERROR(CheckS3BucketName(bucket));
  S3Addressing a;
  std::string service_host;
  if (endpoint_url.empty()) {
    if (!IsS3RegionName(region))
      return InvalidArgument("invalid AWS region '" + ForMessage(region, 64) + "'");
    const bool china = region.substr(0, 3) == "cn-";
    a.scheme = "https";
    service_host = "s3." + std::string(region) + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
    a.path_style = path_style == S3PathStyle::kOn ||
                   (path_style == S3PathStyle::kAuto && !IsDnsLabelBucket(bucket));
  } else {
    STRM_RETURN_IF_ERROR(NormalizeS3Endpoint(endpoint_url, &a.scheme, &service_host).status());
    a.path_style = path_style != S3PathStyle::kOff;
  }
  if (!a.path_style && !IsHostBucket(bucket))
    return InvalidArgument("S3 bucket '" + std::string(bucket) +
                           "' cannot be addressed virtual-hosted style (its name is not a host "
                           "name); use path-style addressing");
  a.host = a.path_style ? service_host : std::string(bucket) + "." + service_host;
  a.bucket_path = a.path_style ? "/" + std::string(bucket) : std::string();
  return a;
}

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  STRM_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name == "Error")
    return InvalidArgument("S3 answered with an error: " + ForMessage(root.ChildText("Code"), 64) +
                           " (" + ForMessage(root.ChildText("Message"), kMaxServiceMessage) + ")");
  if (root.name != "ListBucketResult")
    return InvalidArgument("expected a <ListBucketResult>, got <" + ForMessage(root.name, 64) +
                           ">");
  S3ListPage page;
  for (XmlElement& child : root.children) {
    if (child.name == "Contents") {
      const XmlElement* key = child.Child("Key");
      if (key == nullptr || key->text.empty())
        return InvalidArgument("a <Contents> element has no <Key>");
      auto size = ParseS3Number(child.ChildText("Size"));
      if (!size)
        return InvalidArgument("the <Size> of '" + ForMessage(key->text, 200) +
                               "' is not a number");
      page.objects.push_back({key->text, *size});
    } else if (child.name == "IsTruncated") {
      if (child.text != "true" && child.text != "false")
        return InvalidArgument("<IsTruncated> is neither true nor false");
      page.truncated = child.text == "true";
    } else if (child.name == "NextContinuationToken") {
      page.next_continuation_token = std::move(child.text);
    }
  }
  if (page.truncated && page.next_continuation_token.empty())
    return InvalidArgument("a truncated listing has no <NextContinuationToken>");
  return page;
}

}  // namespace strm
