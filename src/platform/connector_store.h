// Data connectors and their object stores (SPEC §1): a connector of each kind built from what
// a user gives (the CLI's arguments and credential files), and the ObjectStore it opens.
//
// Kinds (DataConnector::type, its location, its credentials sealed by the catalog):
//   "local"               {"path"}                                   none
//   "s3"                  {"bucket_name"}                            S3 credentials (canonical
//                                                                    JSON; empty: the AWS_*
//                                                                    environment variables)
//   "gcs"                 {"bucket_name"}                            a service-account key
//   "azure-blob-storage"  {"storage_account_uri", "container_name"}  client-credentials
// Every store of a process shares one HTTP transport (net/curl_transport.h), so connections
// are reused across them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "core/result.h"
#include "storage/object_store.h"

namespace strm {

// `credentials_json` is the file's text ("" for the environment), `source` its name in
// messages. InvalidArgument naming what is wrong; no secret in any message.
Result<DataConnector> MakeS3Connector(std::string name, std::string bucket,
                                      std::string_view credentials_json, const std::string& source);
Result<DataConnector> MakeGcsConnector(std::string name, std::string bucket,
                                       std::string_view credentials_json,
                                       const std::string& source);
Result<DataConnector> MakeAzureConnector(std::string name, std::string container,
                                         std::string storage_account_uri, std::string tenant_id,
                                         std::string client_id, std::string client_secret);

// Opens the connector's store (no request is made yet for the object stores; the first
// operation shows wrong credentials). InvalidArgument for an unknown type or a bad location.
Result<std::shared_ptr<ObjectStore>> OpenConnectorStore(const DataConnector& connector);

// Writes an empty `.strm_test_<uuid>.jsonl` at the connector's root, then deletes it (where
// the credentials allow: SPEC §1). PermissionDenied naming the connector if it cannot write.
Status CheckConnectorAccess(ObjectStore& store, std::string_view connector);

}  // namespace strm
