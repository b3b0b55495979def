// JSON configuration documents that remember the line of every member, so that an error in
// a user's file can say where it is ("job.json line 12: unknown key 'fileNme' in
// source_data"). Used for job files, contracts and credentials; not for hot paths.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace strm {

struct JsonDocument {
  std::string source;  // the file name used in messages
  nlohmann::json value;
  std::map<std::string, int> lines;  // JSON pointer ("/source_data/file_name") -> 1-based line

  // The line of the member at `pointer`, or of its nearest ancestor that has one (0: none).
  int LineOf(const std::string& pointer) const;
  // "job.json line 12" (or just "job.json" when the line is unknown).
  std::string Where(const std::string& pointer) const;
};

// Parses `text`. Syntax errors name the source, the line and the column. Hostile shapes are
// errors too: nesting deeper than 128 levels, and member paths whose total length exceeds
// 64 times the text's size (at least 1 MiB), which would make `lines` quadratic in size.
Result<JsonDocument> ParseJsonDocument(std::string_view text, std::string source);

// One reference token of a JSON pointer, escaped per RFC 6901 ("a/b~c" -> "a~1b~0c").
std::string EscapeJsonPointer(std::string_view token);

// "file_name" -> "fileName".
std::string SnakeToLowerCamel(std::string_view snake);

// Reads one JSON object of a document member by member. Members are named in snake_case
// and also accepted in lowerCamelCase; a null member counts as absent. Finish() reports the
// first member that was never asked for, with its line.
class JsonObjectReader {
 public:
  // `pointer` is the object's JSON pointer ("" for the root); `what` names it in messages
  // ("source_data"). InvalidArgument (via status()) when the value there is not an object.
  JsonObjectReader(const JsonDocument& doc, std::string pointer, std::string what);

  Status status() const { return status_; }
  // The member, or nullptr when absent or null.
  const nlohmann::json* Get(std::string_view snake_name);
  // The JSON pointer of a member (of the spelling actually used, if present).
  std::string PointerOf(std::string_view snake_name) const;
  // An error located at a member: "job.json line 12: <message>".
  Status ErrorAt(std::string_view snake_name, std::string_view message) const;

  // Typed getters: absent -> the default; wrong type -> an error naming member and line.
  Result<std::string> GetString(std::string_view snake_name, std::string def = "");
  Result<bool> GetBool(std::string_view snake_name, bool def = false);
  Result<int64_t> GetInt(std::string_view snake_name, int64_t def = 0);

  // InvalidArgument "job.json line 7: unknown key 'fooBar' in source_data" for the first
  // member never asked for; keys listed in `ignored` (e.g. "billing_id") are accepted.
  Status Finish(const std::set<std::string>& ignored = {}) const;

 private:
  const std::string* FindKey(std::string_view snake_name) const;
  std::string Spelling(std::string_view snake_name) const;  // the key as written, or snake
  int KeyLine(const std::string& key) const;
  std::string Name() const;  // what_, or "the document"
  const JsonDocument& doc_;
  std::string pointer_, what_;
  const nlohmann::json* obj_ = nullptr;
  std::set<std::string> used_;
  Status status_;
};

}  // namespace strm
