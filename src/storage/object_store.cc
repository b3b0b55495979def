#include "storage/object_store.h"

#include <algorithm>

#include "core/bytes.h"

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

std::string TemporaryKey(std::string_view key) {
  const size_t slash = key.rfind('/');
  const size_t name = slash == std::string_view::npos ? 0 : slash + 1;
  std::string out(key.substr(0, name));
  out += '.';
  out += key.substr(name);
  out += ".strm-tmp-";
  out += NewUuidV4();
  return out;
}

bool IsTemporaryKey(std::string_view key) {
  const size_t slash = key.rfind('/');
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  return !name.empty() && name.front() == '.' && name.find(".strm-tmp-") != std::string_view::npos;
}

void SortByKey(std::vector<ObjectInfo>& objects) {
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
}

}  // namespace strm
