#include "store_twin.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "memory_azure.h"
#include "memory_gcs.h"
#include "memory_s3.h"
#include "net/memory_transport.h"
#include "storage/azure_store.h"
#include "storage/gcs_store.h"
#include "storage/s3_store.h"
#include "twin_http.h"

namespace strm::testing {
namespace {

// A service-account key for the GCS connector's JWTs, made once per process (the twin does
// not check signatures).
const std::string& ServiceAccountKey() {
  static const std::string pem = [] {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    EVP_PKEY_free(key);
    return out;
  }();
  return pem;
}

FaultDialect DialectOf(Remote remote) {
  switch (remote) {
    case Remote::kS3:
      return FaultDialect::kS3;
    case Remote::kGcs:
      return FaultDialect::kGcs;
    case Remote::kAzure:
      return FaultDialect::kAzure;
  }
  return FaultDialect::kS3;
}

std::unique_ptr<ProtocolTwin> MakeServer(Remote remote, MemoryObjects& objects) {
  switch (remote) {
    case Remote::kS3:
      return std::make_unique<MemoryS3>(objects, kTwinBucket);
    case Remote::kGcs:
      return std::make_unique<MemoryGcs>(objects, kTwinBucket);
    case Remote::kAzure:
      break;
  }
  return std::make_unique<MemoryAzure>(objects, kTwinBucket);
}

}  // namespace

std::string_view RemoteName(Remote remote) {
  switch (remote) {
    case Remote::kS3:
      return "S3";
    case Remote::kGcs:
      return "GCS";
    case Remote::kAzure:
      return "Azure";
  }
  return "?";
}

StoreTwin::StoreTwin(Remote remote, RetryPolicy retry, bool small_parts)
    : remote_(remote),
      retry_(std::move(retry)),
      small_parts_(small_parts),
      server_(MakeServer(remote, objects_)) {
  ProtocolTwin* server = server_.get();
  faults_ = std::make_shared<FaultTransport>(
      std::make_shared<MemoryTransport>([server](const HttpRequest& req, const std::string& body) {
        return server->Handle(req, body);
      }),
      DialectOf(remote));
}

StoreTwin::~StoreTwin() = default;

Result<std::shared_ptr<ObjectStore>> StoreTwin::Open() const {
  switch (remote_) {
    case Remote::kS3: {
      S3StoreOptions o;
      o.bucket = kTwinBucket;
      o.credentials.access_key_id = "TWINKEY";
      o.credentials.secret_access_key = "twin-secret";
      o.credentials.endpoint_url = kS3TwinEndpoint;
      o.credentials.path_style = S3PathStyle::kOn;
      o.region = "us-east-1";
      o.http = faults_;
      o.retry = retry_;
      o.environment = [](const std::string&) { return std::optional<std::string>(); };
      return OpenS3Store(std::move(o));
    }
    case Remote::kGcs: {
      GcsStoreOptions o;
      o.bucket = kTwinBucket;
      o.credentials.client_email = "twin@faults.iam.gserviceaccount.com";
      o.credentials.private_key = ServiceAccountKey();
      o.credentials.token_uri = kGcsTwinTokenUri;
      o.endpoint = kGcsTwinEndpoint;
      if (small_parts_) o.read_size = 512;
      o.http = faults_;
      o.retry = retry_;
      return OpenGcsStore(std::move(o));
    }
    case Remote::kAzure:
      break;
  }
  AzureStoreOptions o;
  o.storage_account_uri = kAzureTwinAccountUri;
  o.container = kTwinBucket;
  o.credentials = {"twin-tenant", "twin-client", "twin-secret"};
  o.authority_host = kAzureTwinAuthority;
  if (small_parts_) o.block_size = o.read_chunk_size = 1 << 10;
  o.http = faults_;
  o.retry = retry_;
  return OpenAzureStore(std::move(o));
}

std::string StoreTwin::Uri(std::string_view key) const {
  switch (remote_) {
    case Remote::kS3:
      return "s3://" + std::string(kTwinBucket) + "/" + std::string(key);
    case Remote::kGcs:
      return "gs://" + std::string(kTwinBucket) + "/" + std::string(key);
    case Remote::kAzure:
      break;
  }
  return "azure://twinacct/" + std::string(kTwinBucket) + "/" + std::string(key);
}

std::string StoreTwin::KeyOf(std::string_view url) const {
  const TwinUrl u = ParseTwinUrl(url);
  std::string prefix;
  switch (remote_) {
    case Remote::kS3:
      if (u.origin != kS3TwinEndpoint) return {};
      prefix = "/" + std::string(kTwinBucket) + "/";
      break;
    case Remote::kGcs:
      if (u.origin != kGcsTwinEndpoint) return {};
      prefix = "/storage/v1/b/" + std::string(kTwinBucket) + "/o/";
      break;
    case Remote::kAzure:
      if (u.origin != kAzureTwinAccountUri) return {};
      prefix = "/" + std::string(kTwinBucket) + "/";
      break;
  }
  if (u.path.compare(0, prefix.size(), prefix) != 0) return {};
  std::string rest = u.path.substr(prefix.size());
  if (remote_ == Remote::kGcs) {  // ".../o/FROM/rewriteTo/b/B/o/TO" names TO
    const std::string rewrite = "/rewriteTo/b/" + std::string(kTwinBucket) + "/o/";
    const size_t at = rest.find(rewrite);
    if (at != std::string::npos) rest = rest.substr(at + rewrite.size());
  }
  return PercentDecode(rest);
}

}  // namespace strm::testing
