#include "privacy/consent.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace strm {
namespace {

void Normalize(ConsentLevels* levels) {
  std::sort(levels->begin(), levels->end());
  levels->erase(std::unique(levels->begin(), levels->end()), levels->end());
}

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "1", "1,2", "[1,2]", "[ 1, 2 ]" and "[]" (no consent); nullopt for anything else, the
// empty value and negative numbers included, so that such a row falls to the default.
std::optional<ConsentLevels> ParseLevels(std::string_view value) {
  std::string_view s = Trim(value);
  if (s.empty()) return std::nullopt;
  if (s.front() == '[') {
    if (s.size() < 2 || s.back() != ']') return std::nullopt;
    s = Trim(s.substr(1, s.size() - 2));
    if (s.empty()) return ConsentLevels{};
  }
  ConsentLevels levels;
  while (true) {
    const size_t comma = s.find(',');
    const std::string_view item = Trim(s.substr(0, comma));
    int level = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), level);
    // from_chars accepts a leading '-'; levels are never negative.
    if (item.empty() || item.front() == '-' || ec != std::errc() ||
        end != item.data() + item.size()) {
      return std::nullopt;
    }
    levels.push_back(level);
    if (comma == std::string_view::npos) break;
    s = s.substr(comma + 1);
  }
  Normalize(&levels);
  return levels;
}

}  // namespace

ConsentExtractor::ConsentExtractor(ConsentConfig config, bool personal)
    : config_(std::move(config)), personal_(personal) {
  if (config_.default_levels) Normalize(&*config_.default_levels);
  for (auto& [value, levels] : config_.field_patterns) Normalize(&levels);
}

Result<ConsentLevels> ConsentExtractor::Extract(std::string_view value) const {
  if (!config_.extractor_field) {
    if (config_.default_levels) return *config_.default_levels;
    return InvalidArgument("no consent_level_extractor and no default_consent_levels");
  }
  auto it = config_.field_patterns.find(std::string(value));
  if (it != config_.field_patterns.end()) return it->second;
  if (std::optional<ConsentLevels> parsed = ParseLevels(value)) return *std::move(parsed);
  if (config_.default_levels) return *config_.default_levels;
  if (personal_)
    return InvalidArgument("unknown consent value in field '" + *config_.extractor_field +
                           "' (personal data, not shown) and no default_consent_levels");
  return InvalidArgument("unknown consent value '" + std::string(value) + "' in field '" +
                         *config_.extractor_field + "' and no default_consent_levels");
}

Result<ConsentLevelType> ParseConsentLevelType(std::string_view name) {
  if (name == "CUMULATIVE" || name == "1") return ConsentLevelType::kCumulative;
  if (name == "GRANULAR" || name == "2") return ConsentLevelType::kGranular;
  return InvalidArgument("unknown consent_level_type '" + std::string(name) +
                         "' (expected CUMULATIVE or GRANULAR)");
}

std::string_view ConsentLevelTypeName(ConsentLevelType t) {
  return t == ConsentLevelType::kGranular ? "GRANULAR" : "CUMULATIVE";
}

Status Purpose::Validate() const {
  for (int level : levels) {
    if (level < 0) {
      return InvalidArgument("consent levels must be >= 0, got " + FormatConsentLevels(levels));
    }
  }
  if (type == ConsentLevelType::kCumulative && levels.size() != 1) {
    return InvalidArgument("a CUMULATIVE purpose needs exactly one consent level, got " +
                           FormatConsentLevels(levels));
  }
  if (type == ConsentLevelType::kGranular && levels.empty()) {
    return InvalidArgument("a GRANULAR purpose needs at least one consent level");
  }
  return Status::Ok();
}

bool Purpose::AllowsRow(const ConsentLevels& row) const {
  if (row.empty() || levels.empty()) return false;  // no consent, or an invalid purpose
  if (type == ConsentLevelType::kCumulative) {
    return *std::max_element(row.begin(), row.end()) >= levels.front();
  }
  return std::all_of(levels.begin(), levels.end(),
                     [&row](int l) { return std::find(row.begin(), row.end(), l) != row.end(); });
}

bool Purpose::DecryptsField(int purpose_level) const {
  if (levels.empty()) return false;
  if (type == ConsentLevelType::kCumulative) return purpose_level <= levels.front();
  return std::find(levels.begin(), levels.end(), purpose_level) != levels.end();
}

std::string FormatConsentLevels(const ConsentLevels& levels) {
  std::string out = "[";
  for (size_t i = 0; i < levels.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(levels[i]);
  }
  out += ']';
  return out;
}

}  // namespace strm
