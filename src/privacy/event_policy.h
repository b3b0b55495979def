// EventPolicy: what a purpose (a batch job's derived output, or a derived stream) does to the
// records of one contract, over field values and whatever their encoding (CSV rows in batch
// jobs, JSON events in streams): which records it sees (Purpose, privacy/consent.h), which
// personal fields it decrypts, which fields it masks, and so what each field of its output
// holds. jobs/job_plan and streams/stream_derivation both take their rules from here, so a
// derived stream holds exactly what a derived batch output of the same purpose holds.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "privacy/consent.h"
#include "privacy/contract.h"
#include "privacy/masking.h"
#include "privacy/schema.h"

namespace strm {

// What a purpose's output holds in one field.
enum class FieldOutput {
  kAsStored,        // the value as stored: plaintext, or a PII field's ciphertext
  kPlaintext,       // a PII field, decrypted
  kMaskOfPlaintext  // the mask of the plaintext (a masked field that the purpose may see)
};

struct PurposeField {
  SchemaField field;   // a leaf of the contract's schema
  int pii_level = -1;  // -1: not personal data
  FieldOutput output = FieldOutput::kAsStored;
};

// A purpose over one contract.
struct PurposePolicy {
  Purpose purpose;
  std::vector<PurposeField> fields;  // every leaf of the schema, in schema order
  std::optional<Masker> masker;      // when any field is masked

  bool Sees(const ConsentLevels& record_levels) const { return purpose.AllowsRow(record_levels); }
};

// `mask_patterns`: the masked-field patterns of this contract ('*' matches any run of
// characters; null or empty: none); `masker` is required when there are some. Masking never
// reveals what consent hides: a PII field that the purpose does not decrypt keeps its
// ciphertext even when masked.
PurposePolicy MakePurposePolicy(const DataContract& contract, const Purpose& purpose,
                                const std::vector<std::string>* mask_patterns,
                                std::optional<Masker> masker);

// True when `name` matches `pattern`, where '*' matches any run of characters.
bool MatchesFieldPattern(std::string_view pattern, std::string_view name);

// InvalidArgument naming the pattern when a masked-field pattern matches no field of the
// contract ("<where>: pattern 'x' matches no field of contract h/n/v").
Status CheckMaskPatterns(const DataContract& contract, const std::vector<std::string>& patterns,
                         std::string_view where);

}  // namespace strm
