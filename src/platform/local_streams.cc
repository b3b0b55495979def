#include "platform/local_streams.h"

#include <algorithm>

#include "core/base64url.h"
#include "core/bytes.h"
#include "platform/stream_rules.h"
#include "privacy/event_policy.h"
#include "privacy/schema.h"

namespace strm {
namespace {

// Each masked field must be a field of its contract's schema: a typo would leave a value in
// clear text that its owner meant to be hashed.
Status CheckMaskedFields(Catalog& catalog, const StreamRecord& s) {
  for (const auto& [ref_text, fields] : s.masked_fields) {
    STRM_ASSIGN_OR_RETURN(ContractRef ref, ContractRef::Parse(ref_text));
    STRM_ASSIGN_OR_RETURN(DataContract contract, catalog.GetDataContract(ref));
    if (fields.empty())
      return InvalidArgument("masked fields of " + ref_text + ": name at least one field");
    const auto leaves = Leaves(contract.schema);
    for (const std::string& field : fields) {
      const bool known = std::any_of(leaves.begin(), leaves.end(), [&](const SchemaField& l) {
        return MatchesFieldPattern(field, l.path);  // names, or '*' patterns as in batch jobs
      });
      if (!known)
        return InvalidArgument("masked field '" + field + "' is not a field of data contract " +
                               ref_text);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<StreamRecord> CreateStreamIn(Catalog& catalog, StreamRecord s) {
  const bool derived = !s.linked_stream.empty();
  if (!derived) {
    if (!s.consent_levels.empty() || !s.masked_fields.empty() || !s.mask_seed.empty())
      return InvalidArgument(
          "purposes, masked fields and a mask seed belong to a derived stream: add "
          "--derived-from SOURCE");
    if (s.name.empty()) return InvalidArgument("a source stream needs a name");
  } else {
    STRM_ASSIGN_OR_RETURN(StreamRecord source, catalog.GetStream(s.linked_stream));
    if (!source.linked_stream.empty())
      return InvalidArgument("stream " + source.name + " is itself derived (from " +
                             source.linked_stream + "); derive from a source stream");
    if (s.consent_levels.empty())
      return InvalidArgument("a derived stream needs its purposes (--purposes 1,2)");
    std::sort(s.consent_levels.begin(), s.consent_levels.end());
    s.consent_levels.erase(std::unique(s.consent_levels.begin(), s.consent_levels.end()),
                           s.consent_levels.end());
    if (s.consent_levels.front() < 0) return InvalidArgument("purposes must be integers >= 0");
    if (s.masked_fields.empty() && !s.mask_seed.empty())
      return InvalidArgument("a mask seed needs masked fields (--masked-fields ref:f1,f2)");
    STRM_RETURN_IF_ERROR(CheckMaskedFields(catalog, s));
    if (!s.masked_fields.empty() && s.mask_seed.empty())
      s.mask_seed = Base64UrlEncode(SecureRandomBytes(24));
    s.consent_level_type = "GRANULAR";
    if (s.name.empty())
      s.name =
          DefaultDerivedStreamName(s.linked_stream, s.consent_levels, !s.masked_fields.empty());
  }
  STRM_RETURN_IF_ERROR(ValidateEntityName("stream", s.name));
  for (const std::string& tag : s.tags)
    if (tag.empty() || tag.size() > 100)
      return InvalidArgument("stream tags must have 1 to 100 characters");
  s.id = NewUuidV4();
  s.credentials = {NewStreamCredential()};
  s.created_at = NowMillis();
  STRM_RETURN_IF_ERROR(catalog.CreateStream(s));
  return s;
}

Status DeleteStreamIn(Catalog& catalog, std::string_view name, bool recursive) {
  STRM_RETURN_IF_ERROR(catalog.GetStream(name).status());
  if (recursive) {
    STRM_ASSIGN_OR_RETURN(auto all, catalog.ListStreams());
    for (const StreamRecord& s : all)
      if (s.linked_stream == name) STRM_RETURN_IF_ERROR(catalog.DeleteStream(s.name));
  }
  return catalog.DeleteStream(name);
}

Result<KeyStream> KeyStreamOf(const StreamRecord& s) {
  if (!s.linked_stream.empty())
    return NotFound("stream " + s.name +
                    " is derived and has no key stream; its source's is key stream " +
                    s.linked_stream);
  return KeyStream{s.name, s.id, s.created_at};
}

}  // namespace strm
