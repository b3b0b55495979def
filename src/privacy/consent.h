// Consent: which purposes a row's data subject allowed, and which rows and fields a purpose
// (a derived output or stream) may see. Pure functions. See SPEC §2 and docs/privacy.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace strm {

// Sorted, without duplicates.
using ConsentLevels = std::vector<int>;

struct ConsentConfig {
  // Absent: a row whose level cannot be determined is an error. Present but empty: such a
  // row has no consent (it appears in no derived output).
  std::optional<ConsentLevels> default_levels;
  // The extractor: a field whose value gives the row's levels.
  std::optional<std::string> extractor_field;
  std::map<std::string, ConsentLevels> field_patterns;  // exact value -> levels
};

class ConsentExtractor {
 public:
  // `personal`: the extractor field is personal data (a PII field of the contract), so its
  // values never appear in messages.
  explicit ConsentExtractor(ConsentConfig config, bool personal = false);
  const ConsentConfig& config() const { return config_; }

  // The levels of a row whose extractor field holds `value` (ignored without an
  // extractor): the field_patterns entry for that exact value; else the value read as an
  // integer ("1") or a list ("[1,2]", "1,2", "[]"); else the default. Error when none
  // applies: "unknown consent value 'x' in field 'F' and no default_consent_levels", or for a
  // personal field "unknown consent value in field 'F' (personal data, not shown) and no
  // default_consent_levels".
  Result<ConsentLevels> Extract(std::string_view value) const;

 private:
  ConsentConfig config_;
  bool personal_;
};

enum class ConsentLevelType { kCumulative, kGranular };

// "CUMULATIVE" or 1, "GRANULAR" or 2 (the numbers of STRM's enum, where 0 is
// CONSENT_LEVEL_TYPE_UNSPECIFIED and an error); names are case-sensitive.
Result<ConsentLevelType> ParseConsentLevelType(std::string_view name);
std::string_view ConsentLevelTypeName(ConsentLevelType t);

// A purpose: what one derived output may see.
struct Purpose {
  ConsentLevelType type = ConsentLevelType::kCumulative;
  ConsentLevels levels;  // CUMULATIVE: exactly one level

  // InvalidArgument for a CUMULATIVE purpose without exactly one level, a GRANULAR one
  // without levels, or negative levels.
  Status Validate() const;
  // CUMULATIVE L: max(row) >= L. GRANULAR: row contains every level. No consent: false.
  bool AllowsRow(const ConsentLevels& row) const;
  // CUMULATIVE L: purpose_level <= L. GRANULAR: purpose_level is among the levels.
  bool DecryptsField(int purpose_level) const;
};

// "[0,2]": the strmMeta.consentLevels rendering.
std::string FormatConsentLevels(const ConsentLevels& levels);

}  // namespace strm
