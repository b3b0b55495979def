#include "privacy/event_policy.h"

namespace strm {

bool MatchesFieldPattern(std::string_view pattern, std::string_view name) {
  // Iterative glob with backtracking to the last '*'.
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Status CheckMaskPatterns(const DataContract& contract, const std::vector<std::string>& patterns,
                         std::string_view where) {
  const auto leaves = Leaves(contract.schema);
  for (const std::string& pattern : patterns) {
    bool any = false;
    for (const SchemaField& f : leaves) any = any || MatchesFieldPattern(pattern, f.path);
    if (!any)
      return InvalidArgument(std::string(where) + ": pattern '" + pattern +
                             "' matches no field of contract " + contract.ref.ToString());
  }
  return Status::Ok();
}

PurposePolicy MakePurposePolicy(const DataContract& contract, const Purpose& purpose,
                                const std::vector<std::string>* mask_patterns,
                                std::optional<Masker> masker) {
  PurposePolicy p;
  p.purpose = purpose;
  for (SchemaField& leaf : Leaves(contract.schema)) {
    PurposeField f;
    auto pii = contract.pii_fields.find(leaf.path);
    f.pii_level = pii == contract.pii_fields.end() ? -1 : pii->second;
    bool mask = false;
    if (mask_patterns)
      for (const std::string& pattern : *mask_patterns)
        mask = mask || MatchesFieldPattern(pattern, leaf.path);
    const bool plaintext = f.pii_level < 0 || purpose.DecryptsField(f.pii_level);
    if (mask && plaintext) {
      f.output = FieldOutput::kMaskOfPlaintext;
    } else if (f.pii_level >= 0 && plaintext) {
      f.output = FieldOutput::kPlaintext;
    }
    f.field = std::move(leaf);
    p.fields.push_back(std::move(f));
  }
  if (mask_patterns && !mask_patterns->empty()) p.masker = std::move(masker);
  return p;
}

}  // namespace strm
