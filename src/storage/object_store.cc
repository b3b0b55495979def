#include "storage/object_store.h"

namespace strm {

std::string JoinKey(std::string_view prefix, std::string_view key) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out += '/';
  out += key;
  return out;
}

}  // namespace strm
