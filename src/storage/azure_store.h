// AzureStore: an ObjectStore over one container of Azure Blob Storage (SPEC §1
// azure_blob_storage_container), spoken directly over an HttpTransport with OAuth bearer
// tokens.
//
// Auth: the OAuth 2.0 client-credentials flow of Microsoft Entra ID: POST
// {authority}/{tenant}/oauth2/v2.0/token with grant_type=client_credentials, client_id,
// client_secret and scope=https://storage.azure.com/.default. The authority is
// AzureStoreOptions::authority_host, else $AZURE_AUTHORITY_HOST (as Azure's SDKs), else
// https://login.microsoftonline.com; it must be https. One token is cached per store and
// fetched again once less than min(5 min, half its lifetime) of its expires_in remains;
// concurrent requests wait for a single fetch (net/token_cache.h). Every storage request carries
// "Authorization: Bearer", "x-ms-version: 2023-11-03" (kAzureApiVersion; Azurite 3.35
// accepts it) and "x-ms-date".
//
// Addressing: the account URI may be host-style (https://account.blob.core.windows.net) or
// carry the account as its path (https://127.0.0.1:10000/devstoreaccount1, Azurite); the
// container URL is account URI + "/" + container, and a blob's URL appends its name with
// every '/'-separated segment percent-encoded. Keys may not be empty, nor contain "." or
// ".." segments (URL normalisation would change them).
//
// Operations:
//  - List: List Blobs pages (prefix, marker, NextMarker), committed blobs only (uncommitted
//    blocks are not blobs), sorted by key.
//  - OpenRead: ranged GETs of read_chunk_size bytes (net/ranged_reader.h), the next fetched
//    while one is read, pinned to the ETag of the first answer (If-Match), so an overwrite
//    during a read is an error rather than a mix of two objects. NotFound for 404 BlobNotFound.
//  - OpenWrite: net/chunked_upload.h. An object of at most block_size bytes is one Put Blob at
//    Commit(); a larger one is sent as Put Block requests (base64 block ids of equal length,
//    random per write), each on a thread of its own while the next block fills, and becomes
//    visible only with the Put Block List of Commit(). Memory: two blocks per open writer.
//    Abort or destruction simply never commits the blocks: Azure has no call to delete
//    uncommitted blocks and garbage-collects them (after a week), and they are never visible
//    as a blob. At most 50,000 blocks per object (Azure's limit): 390 GiB with 8 MiB blocks.
//  - Copy: Get Blob Properties of the source (NotFound if it is missing), then Copy Blob From
//    URL with x-ms-requires-sync (the copy is complete when it answers) for a source of at most
//    256 MiB (Azure's limit), or Put Block From URL in blocks of block_size and Put Block List
//    for a larger one (Azurite 3.35 has no Put Block From URL: it answers 501). The source is
//    read with the store's own token (x-ms-copy-source-authorization) and pinned to its ETag
//    (x-ms-source-if-match); the destination is replaced atomically.
//  - Delete: Delete Blob with its snapshots; a missing blob (404 BlobNotFound) is OK, a
//    missing container is not.
// Every request, token requests included, goes through net/retry_policy.h. Errors have
// net/http_status.h's shape: the operation, the blob as azure://account/container/blob, the
// HTTP status, Azure's error code (x-ms-error-code or the XML <Code>) and its message: "Azure
// PUT azure://acct/data/out.csv (Put Block List): HTTP 403 AuthorizationFailure (This request
// is not authorized to perform this operation.)". Token errors name the token endpoint and the
// OAuth error and error_description. No message contains the client secret or a token.
//
// Thread-safe, as ObjectStore requires.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_transport.h"
#include "net/retry_policy.h"
#include "storage/connector_credentials.h"
#include "storage/object_store.h"

namespace strm {

// The Blob service REST version strm speaks.
inline constexpr std::string_view kAzureApiVersion = "2023-11-03";
inline constexpr std::string_view kAzureDefaultAuthorityHost = "https://login.microsoftonline.com";
inline constexpr std::string_view kAzureStorageScope = "https://storage.azure.com/.default";
// The largest source of a synchronous Copy Blob From URL.
inline constexpr uint64_t kAzureMaxSyncCopySize = uint64_t{256} << 20;

struct AzureStoreOptions {
  std::string storage_account_uri;  // https://account.blob.core.windows.net or with a path:
                                    // https://127.0.0.1:PORT/devstoreaccount1 (Azurite)
  std::string container;
  AzureCredentials credentials;         // client-credentials flow
  std::shared_ptr<HttpTransport> http;  // null: a CurlTransport of the store's own
  RetryPolicy retry;
  size_t block_size = 8 << 20;       // Put Block size; 1 KiB to 4000 MiB
  size_t read_chunk_size = 4 << 20;  // bytes per ranged GET of OpenRead
  // "https://host" of the token endpoint; empty: $AZURE_AUTHORITY_HOST, else
  // kAzureDefaultAuthorityHost.
  std::string authority_host;
  // Copy: sources up to this size are one synchronous Copy Blob From URL, larger ones are
  // copied block by block (Put Block From URL). At most kAzureMaxSyncCopySize.
  uint64_t max_sync_copy_size = kAzureMaxSyncCopySize;
  // List Blobs maxresults; 0: the service's default (5000). Tests cross pages with it.
  int list_page_size = 0;
  // The clock of token expiry; empty: std::chrono::steady_clock::now. Tests inject one.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// Checks the options (URI, container name, credentials, sizes); makes no request, so a wrong
// secret shows at the first operation.
Result<std::shared_ptr<ObjectStore>> OpenAzureStore(AzureStoreOptions options);

// ---- Pieces of the protocol, exposed for tests ---------------------------------------------

// The parts of a storage account URI: "https://acct.blob.core.windows.net/" -> base
// "https://acct.blob.core.windows.net", account "acct"; "https://127.0.0.1:10000/devstoreaccount1"
// -> that base (no trailing '/'), account "devstoreaccount1". InvalidArgument for a scheme
// other than http(s), a query or fragment, user info, or no host.
struct AzureAccountUri {
  std::string base;     // scheme://host[:port][/path], no trailing '/'
  std::string account;  // the first path segment if there is a path, else the first label
};
Result<AzureAccountUri> ParseAzureAccountUri(std::string_view uri);

// PercentEncode (net/http_transport.h): every byte but A-Z a-z 0-9 - . _ ~, and '/' when
// `keep_slash`.
std::string AzurePercentEncode(std::string_view s, bool keep_slash);

// base + "/" + container, and that + "/" + the encoded blob name.
std::string AzureContainerUrl(const AzureAccountUri& account, std::string_view container);
std::string AzureBlobUrl(const AzureAccountUri& account, std::string_view container,
                         std::string_view blob);

// The authority in use: `configured`, else $AZURE_AUTHORITY_HOST, else the default; without a
// trailing '/'.
std::string AzureAuthorityHost(std::string_view configured);
// {authority}/{tenant}/oauth2/v2.0/token (the tenant percent-encoded).
std::string AzureTokenUrl(std::string_view authority_host, std::string_view tenant_id);

// One page of a List Blobs answer.
struct AzureBlobListPage {
  std::vector<ObjectInfo> blobs;  // names decoded (entities; Encoded="true" names unescaped)
  std::string next_marker;        // empty on the last page
};
// Parses an EnumerationResults document (with ParseXml of xml_reader.h). InvalidArgument for
// malformed XML, another root element, a <Blob> without a <Name> or a Content-Length that is
// no number.
Result<AzureBlobListPage> ParseAzureBlobList(std::string_view xml);

}  // namespace strm
