// The rules of streams that need no catalog (SPEC §3): a derived stream's default name, the
// CLI's --purposes/--levels and --masked-fields values, and new client credentials.
// Pure functions (NewStreamCredential draws random bytes), thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "core/result.h"

namespace strm {

// "<source>-<levels joined by ->", with "M" before the levels when the stream masks fields:
// ("example", {3}, true) -> "example-M3"; ("example", {1, 2}, false) -> "example-1-2".
std::string DefaultDerivedStreamName(std::string_view source, std::span<const int> levels,
                                     bool masked);

// "1,2" -> {1, 2}: integers >= 0, sorted, each once; at least one. InvalidArgument naming
// the value that is wrong ("purposes: 'x' is not a purpose level (an integer >= 0)").
Result<std::vector<int>> ParsePurposeLevels(std::string_view text);

// "handle/name/version:f1,f2" -> ("handle/name/version", {"f1", "f2"}). InvalidArgument saying
// what is missing.
Result<std::pair<std::string, std::vector<std::string>>> ParseMaskedFieldsFlag(
    std::string_view text);

// A client of a source stream: a random id (UUIDv4) and a random secret (32 bytes,
// base64url).
StreamCredential NewStreamCredential();

}  // namespace strm
