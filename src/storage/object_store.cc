#include "storage/object_store.h"

#include <algorithm>

namespace strm {

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("an object name must not be empty");
  if (key.front() == '/')
    return InvalidArgument("object name '" + std::string(key) + "' is absolute");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg == "." || seg == "..")
      return InvalidArgument("object name '" + std::string(key) + "' contains '" +
                             std::string(seg) + "'");
    start = end + 1;
  }
  return Status::Ok();
}

std::string JoinKey(std::string_view prefix, std::string_view key) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out += '/';
  out += key;
  return out;
}

void SortByKey(std::vector<ObjectInfo>& objects) {
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
}

}  // namespace strm
