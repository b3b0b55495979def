#include "platform/stream_rules.h"

#include <algorithm>
#include <charconv>

#include "core/base64url.h"
#include "core/bytes.h"
#include "privacy/contract.h"

namespace strm {
namespace {

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string DefaultDerivedStreamName(std::string_view source, std::span<const int> levels,
                                     bool masked) {
  std::string name(source);
  name += masked ? "-M" : "-";
  for (size_t i = 0; i < levels.size(); ++i) {
    if (i > 0) name += '-';
    name += std::to_string(levels[i]);
  }
  return name;
}

Result<std::vector<int>> ParsePurposeLevels(std::string_view text) {
  std::vector<int> levels;
  if (Trim(text).empty()) return InvalidArgument("purposes: give at least one purpose level");
  for (std::string_view part : Split(text, ',')) {
    part = Trim(part);
    int level = -1;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), level);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || level < 0)
      return InvalidArgument("purposes: '" + std::string(part) +
                             "' is not a purpose level (an integer >= 0)");
    levels.push_back(level);
  }
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

Result<std::pair<std::string, std::vector<std::string>>> ParseMaskedFieldsFlag(
    std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return InvalidArgument("masked fields '" + std::string(text) +
                           "' must be handle/name/version:field1,field2");
  STRM_ASSIGN_OR_RETURN(ContractRef ref, ContractRef::Parse(Trim(text.substr(0, colon))));
  std::vector<std::string> fields;
  for (std::string_view f : Split(text.substr(colon + 1), ',')) {
    f = Trim(f);
    if (f.empty())
      return InvalidArgument("masked fields of " + ref.ToString() + ": a field name is empty");
    if (std::find(fields.begin(), fields.end(), f) == fields.end()) fields.emplace_back(f);
  }
  return std::make_pair(ref.ToString(), std::move(fields));
}

StreamCredential NewStreamCredential() {
  const Bytes secret = SecureRandomBytes(32);
  return {NewUuidV4(), Base64UrlEncode(secret)};
}

}  // namespace strm
