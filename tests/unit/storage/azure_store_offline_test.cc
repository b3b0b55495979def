// Azure Blob store without a server: account URIs, blob and token URLs, options, the List
// Blobs XML, and the block-by-block copy over an in-memory transport. The store against
// Azurite is in azure_store_test.cc.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "net/memory_transport.h"
#include "storage/azure_store.h"
#include "testing/azurite.h"
#include "testing/test_support.h"

namespace strm {
namespace {

using testing::EnvGuard;
constexpr const char* kTenant = testing::kAzureTenant;
constexpr const char* kClientId = testing::kAzureClientId;
constexpr const char* kSecret = testing::kAzureSecret;

TEST(AzureStoreUrls, PathStyleAccountUri) {
  auto a = ParseAzureAccountUri("https://127.0.0.1:10000/devstoreaccount1/");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->base, "https://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(a->account, "devstoreaccount1");
  EXPECT_EQ(AzureContainerUrl(*a, "data"), "https://127.0.0.1:10000/devstoreaccount1/data");
  EXPECT_EQ(AzureBlobUrl(*a, "data", "a b/zoë 1.csv"),
            "https://127.0.0.1:10000/devstoreaccount1/data/a%20b/zo%C3%AB%201.csv");
}

TEST(AzureStoreUrls, HostStyleAccountUri) {
  auto a = ParseAzureAccountUri("https://myaccount.blob.core.windows.net");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->base, "https://myaccount.blob.core.windows.net");
  EXPECT_EQ(a->account, "myaccount");
  EXPECT_EQ(AzureBlobUrl(*a, "c1", "x/y+z?&#%.csv"),
            "https://myaccount.blob.core.windows.net/c1/x/y%2Bz%3F%26%23%25.csv");
  EXPECT_EQ(AzureBlobUrl(*a, "c1", "dir/"), "https://myaccount.blob.core.windows.net/c1/dir/");
  EXPECT_EQ(ParseAzureAccountUri("HTTPS://acct.blob.core.windows.net/")->base,
            "https://acct.blob.core.windows.net");
  EXPECT_EQ(AzurePercentEncode("a/b c~d", false), "a%2Fb%20c~d");
}

TEST(AzureStoreUrls, RejectsMalformedAccountUris) {
  for (const char* bad : {"", "acct.blob.core.windows.net", "ftp://host/acct", "https://",
                          "https://host/acct?sv=2020&sig=abc", "https://user:pw@host/acct",
                          "https://host/acct#frag", "https://:443/acct"}) {
    auto a = ParseAzureAccountUri(bad);
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // No SAS signature of a rejected URI is ever repeated... but the URI itself is named.
  EXPECT_NE(ParseAzureAccountUri("ftp://h/a").status().message().find("ftp://h/a"),
            std::string::npos);
}

TEST(AzureStoreUrls, TokenEndpointHonoursAzureAuthorityHost) {
  EnvGuard guard("AZURE_AUTHORITY_HOST");
  ::unsetenv("AZURE_AUTHORITY_HOST");
  EXPECT_EQ(AzureAuthorityHost(""), "https://login.microsoftonline.com");
  EXPECT_EQ(AzureTokenUrl(AzureAuthorityHost(""), "contoso.onmicrosoft.com"),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  ::setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/", 1);  // as the SDKs write it
  EXPECT_EQ(AzureAuthorityHost(""), "https://login.microsoftonline.us");
  EXPECT_EQ(AzureAuthorityHost("https://login.chinacloudapi.cn/"), "https://login.chinacloudapi.cn")
      << "an explicit option wins";
  EXPECT_EQ(AzureTokenUrl("https://h:8443/", "a b"), "https://h:8443/a%20b/oauth2/v2.0/token");
}

AzureStoreOptions ValidOptions() {
  AzureStoreOptions o;
  o.storage_account_uri = "https://acct.blob.core.windows.net";
  o.container = "data";
  o.credentials = {kTenant, kClientId, kSecret};
  o.authority_host = "https://login.microsoftonline.com";
  return o;
}

TEST(AzureStoreUrls, OpenChecksOptionsWithoutARequest) {
  auto ok = OpenAzureStore(ValidOptions());
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ((*ok)->Describe(), "azure://acct/data");

  auto expect_invalid = [](AzureStoreOptions o, const std::string& says) {
    auto s = OpenAzureStore(std::move(o));
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << says;
    EXPECT_NE(s.status().message().find(says), std::string::npos) << s.status().message();
    EXPECT_EQ(s.status().message().find(kSecret), std::string::npos);
  };
  AzureStoreOptions o = ValidOptions();
  o.container = "Data_1";
  expect_invalid(o, "container name 'Data_1'");
  o = ValidOptions();
  o.container = "a--b";
  expect_invalid(o, "container name");
  o = ValidOptions();
  o.credentials.client_secret.clear();
  expect_invalid(o, "client_secret");
  o = ValidOptions();
  o.block_size = 100;
  expect_invalid(o, "block size");
  o = ValidOptions();
  o.authority_host = "http://login.example.com";
  expect_invalid(o, "https://");
  o = ValidOptions();
  o.storage_account_uri = "acct";
  expect_invalid(o, "storage account URI");
  o = ValidOptions();
  o.container = "$root";
  EXPECT_TRUE(OpenAzureStore(o).ok());

  auto store = OpenAzureStore(ValidOptions());
  for (const char* key : {"", "a/../b", "./a", "a/."}) {
    EXPECT_EQ((*store)->OpenRead(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ((*store)->OpenWrite(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ((*store)->Delete(key).code(), StatusCode::kInvalidArgument) << key;
  }
}

TEST(AzureStoreXml, ParsesAListBlobsPage) {
  const std::string xml =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<EnumerationResults ServiceEndpoint=\"https://a.blob.core.windows.net/\" "
      "ContainerName=\"c\">\n"
      "  <Prefix>p/</Prefix><Marker /><MaxResults>2</MaxResults>\n"
      "  <!-- a comment with <Blob> in it -->\n"
      "  <Blobs>\n"
      "    <Blob><Name>p/a &amp; b &lt;1&gt; &quot;q&quot; &apos;s&apos; &#233;&#x4E2D;.csv</Name>"
      "<Properties><Last-Modified>Mon, 01 Jan 2024 00:00:00 GMT</Last-Modified>"
      "<Content-Length>12</Content-Length><BlobType>BlockBlob</BlobType></Properties>"
      "<OrMetadata /></Blob>\n"
      "    <Blob><Name Encoded=\"true\">p/%01ctl%2Fx</Name><Properties>"
      "<Content-Length>0</Content-Length></Properties></Blob>\n"
      "    <Blob><Name><![CDATA[p/<raw>&]]></Name><Properties><Content-Length>"
      "18446744073709551615</Content-Length></Properties></Blob>\n"
      "  </Blobs>\n"
      "  <NextMarker>2!84!MDAwMDE=</NextMarker>\n"
      "</EnumerationResults>";
  auto page = ParseAzureBlobList(xml);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->blobs.size(), 3u);
  EXPECT_EQ(page->blobs[0].key, "p/a & b <1> \"q\" 's' \xC3\xA9\xE4\xB8\xAD.csv");
  EXPECT_EQ(page->blobs[0].size, 12u);
  EXPECT_EQ(page->blobs[1].key,
            "p/\x01"
            "ctl/x");
  EXPECT_EQ(page->blobs[1].size, 0u);
  EXPECT_EQ(page->blobs[2].key, "p/<raw>&");
  EXPECT_EQ(page->blobs[2].size, UINT64_MAX);
  EXPECT_EQ(page->next_marker, "2!84!MDAwMDE=");

  auto last =
      ParseAzureBlobList("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>");
  ASSERT_TRUE(last.ok()) << last.status().message();
  EXPECT_TRUE(last->blobs.empty());
  EXPECT_EQ(last->next_marker, "");
}

TEST(AzureStoreXml, RejectsMalformedDocuments) {
  for (const char* bad : {
           "",
           "<EnumerationResults><Blobs>",
           "<EnumerationResults></Blobs>",
           "<Error><Code>x</Code></Error>",
           "<EnumerationResults><Blobs><Blob><Name>a &bogus; b</Name></Blob></Blobs>"
           "</EnumerationResults>",
           "<EnumerationResults><Blobs><Blob><Name>a &#0; b</Name></Blob></Blobs>"
           "</EnumerationResults>",
           "<EnumerationResults><Blobs><Blob><Properties /></Blob></Blobs></EnumerationResults>",
           "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Content-Length>-1"
           "</Content-Length></Properties></Blob></Blobs></EnumerationResults>",
           "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><EnumerationResults/>",
           "<EnumerationResults/><EnumerationResults/>",
           "junk<EnumerationResults/>",
       }) {
    auto page = ParseAzureBlobList(bad);
    EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// Azurite has no Put Block From URL: the large-blob copy is checked exchange by exchange.
TEST(AzureStoreCopy, CopiesLargeBlobsBlockByBlockFromTheirUrl) {
  std::vector<std::string> seen;
  std::string block_list;
  auto http = std::make_shared<MemoryTransport>(
      [&](const HttpRequest& req, const std::string& body) -> Result<HttpResponse> {
        HttpResponse r;
        if (req.url.find("/oauth2/v2.0/token") != std::string::npos) {
          r.status = 200;
          r.body = R"({"access_token": "tok", "expires_in": 3600, "token_type": "Bearer"})";
          return r;
        }
        std::string line = req.method + " " + req.url.substr(req.url.find("/data/"));
        std::string auth, source_auth;
        for (const HttpHeader& h : req.headers) {
          if (h.name == "x-ms-copy-source" || h.name == "x-ms-source-range" ||
              h.name == "x-ms-source-if-match")
            line += " " + h.name + "=" + h.value;
          if (h.name == "Authorization") auth = h.value;
          if (h.name == "x-ms-copy-source-authorization") source_auth = h.value;
        }
        if (!source_auth.empty()) line += source_auth == auth ? " +source-auth" : " !source-auth";
        seen.push_back(line);
        if (req.method == "HEAD") {
          r.status = 200;
          r.headers = {{"content-length", "2500"}, {"etag", "\"e1\""}};
          return r;
        }
        if (req.url.find("comp=blocklist") != std::string::npos) block_list = body;
        r.status = 201;
        return r;
      });
  AzureStoreOptions o = ValidOptions();
  o.http = http;
  o.authority_host = "https://login.test";
  o.block_size = 1024;
  o.max_sync_copy_size = 2048;
  auto store = OpenAzureStore(o);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Status s = (*store)->Copy("in/big.bin", "out/big.bin");
  ASSERT_TRUE(s.ok()) << s.message();
  const std::string src = "https://acct.blob.core.windows.net/data/in/big.bin";
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0], "HEAD /data/in/big.bin");
  for (int i = 0; i < 3; ++i) {
    const std::string range = i == 0 ? "0-1023" : i == 1 ? "1024-2047" : "2048-2499";
    EXPECT_EQ(seen[i + 1].substr(0, seen[i + 1].find('?')), "PUT /data/out/big.bin");
    EXPECT_NE(seen[i + 1].find("?comp=block&blockid="), std::string::npos) << seen[i + 1];
    EXPECT_NE(seen[i + 1].find(" x-ms-copy-source=" + src + " x-ms-source-range=bytes=" + range +
                               " x-ms-source-if-match=\"e1\" +source-auth"),
              std::string::npos)
        << seen[i + 1];
  }
  EXPECT_EQ(seen[4], "PUT /data/out/big.bin?comp=blocklist");
  size_t latest = 0;
  for (size_t at = 0; (at = block_list.find("<Latest>", at)) != std::string::npos; ++at) ++latest;
  EXPECT_EQ(latest, 3u);
}

}  // namespace
}  // namespace strm
