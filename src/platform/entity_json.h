// The JSON form of each entity: what `strm get/list/create -o json` prints, what the REST API
// answers and what RemotePlatform reads back. One form per entity, written and read here only.
//
//   data connector  {"ref": {"name"}, <location member>: location, "credentials"?: {...},
//                   "created_at"}; the location member is SPEC §1's name for the type
//                   (ConnectorLocationMember); "credentials" only when it has some.
//   data contract   ContractToJson's form (privacy/contract.h): {"ref": {handle, name,
//                   version}, "schema", "key_field", "pii_fields", "validations",
//                   "data_subject_field", "is_public"}.
//   batch job       the stored job config (the canonical form of jobs/batch_job_config.h),
//                   with {"ref": {"id"}, "state", "message", "stats", "created_at",
//                   "updated_at"} set over it, and "files" when it has input files of its
//                   own (a watching job): [{"name", "seq", "state", "message", "stats",
//                   "first_seen", "updated_at"}] in order of appearance.
//   stream          {"ref": {"name"}, "name", "id", "description", "tags": [...], and for a
//                   derived stream "linked_stream", "consent_levels": [...],
//                   "consent_level_type", "masked_fields": {"seed", "field_patterns": {ref:
//                   {"field_names": [...]}}} (as in a batch job); "credentials":
//                   [{"clientId", "clientSecret"}] (STRM's spelling), "created_at". As the
//                   body of a create request, only what its creator chooses is read
//                   (StreamFromJson takes a form without id, credentials or created_at).
//   key stream      {"ref": {"name"}, "name", "stream_id", "created_at"}.
// Timestamps are UTC with milliseconds: "2026-11-21T12:57:00.123Z".
//
// Secrets are a connector's credentials, a job's or a stream's masking seeds and a stream's
// client secrets. Secrets::kMasked (what is shown unless a user asks for more) writes each secret
// value as "****" (an empty one stays empty); kIncluded writes them as stored. Credentials are
// masked member by member without being parsed by kind: which members are secret is known in one
// place only, RedactCanonicalCredentials (storage/connector_credentials.h). Credentials that are
// not a JSON object are written as "****" whatever was asked.
//
// Reading back: XFromJson(XJson(x, kIncluded)) == x for every entity as strm stores it
// (canonical credentials and job configs; a job config whose ref is {"id": <the job's id>}).
// From a masked form, each secret reads back as the text "****" (not empty: empty S3
// credentials would mean "use the environment", an empty seed "make one"), so such an entity
// is for showing, not for running. The FromJson functions check the form's shape, not what a
// platform checks on create: a connector's credentials and a job's config are taken as they
// are. Errors are InvalidArgument and name the field ("batch job JSON: field 'state' must be
// one of PENDING, ..."); unknown members of a connector are ignored (a newer server may add
// some), those of a batch job are part of its config. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/result.h"
#include "platform/platform.h"
#include "privacy/contract.h"

namespace strm {

enum class Secrets { kMasked, kIncluded };

nlohmann::json ConnectorJson(const DataConnector& c, Secrets secrets);
Result<DataConnector> ConnectorFromJson(const nlohmann::json& j);

// A contract holds no secret: both forms are ContractToJson's, which ContractFromJson
// (privacy/contract.h) reads back, re-running the checks of a new contract.
nlohmann::json ContractJson(const DataContract& c, Secrets secrets);

nlohmann::json BatchJobJson(const BatchJobRecord& job, Secrets secrets);
Result<BatchJobRecord> BatchJobFromJson(const nlohmann::json& j);

nlohmann::json StreamJson(const StreamRecord& s, Secrets secrets);
Result<StreamRecord> StreamFromJson(const nlohmann::json& j);
nlohmann::json KeyStreamJson(const KeyStream& k);
Result<KeyStream> KeyStreamFromJson(const nlohmann::json& j);

// The member of a connector's JSON form that holds its location: "local_directory",
// "s3_bucket", "google_cloud_storage_bucket", "azure_blob_storage_container"; the type itself
// for a type strm does not know.
std::string_view ConnectorLocationMember(std::string_view type);

// "2026-11-21T12:57:00.123Z" (UTC, always three decimals), and back; InvalidArgument for any
// other text.
std::string FormatTimestamp(int64_t epoch_millis);
Result<int64_t> ParseTimestamp(std::string_view text);

}  // namespace strm
