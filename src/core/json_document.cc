#include "core/json_document.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>

namespace strm {
namespace {

// Configuration documents are shallow; hostile ones must not make the member index (one
// JSON pointer per member) grow with the square of their size. So: a nesting limit, and a
// budget for the pointers' total length that any sane document stays far below.
constexpr size_t kMaxDepth = 128;
constexpr size_t kPointerBytesPerInputByte = 64;
constexpr size_t kPointerBytesMin = 1 << 20;

// A char iterator that counts how many characters the parser has consumed, so that the SAX
// handler knows where the lexer is. nlohmann reads one character at a time through it.
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, size_t* consumed) : p_(p), consumed_(consumed) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    ++p_;
    ++*consumed_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& o) const { return p_ == o.p_; }

 private:
  const char* p_;
  size_t* consumed_;
};

// Builds the value like nlohmann's DOM parser, and records the line of every object key
// and of every array element.
class LineSax {
 public:
  explicit LineSax(std::string_view text, const std::string& source, JsonDocument& doc)
      : text_(text), source_(source), doc_(doc) {}

  size_t* consumed() { return &consumed_; }
  const Status& status() const { return status_; }

  bool null() { return Add(nullptr); }
  bool boolean(bool v) { return Add(v); }
  bool number_integer(nlohmann::json::number_integer_t v) { return Add(v); }
  bool number_unsigned(nlohmann::json::number_unsigned_t v) { return Add(v); }
  bool number_float(nlohmann::json::number_float_t v, const std::string&) { return Add(v); }
  bool string(std::string& v) { return Add(std::move(v)); }
  bool binary(nlohmann::json::binary_t& v) { return Add(std::move(v)); }

  bool start_object(std::size_t) { return Open(nlohmann::json::object()); }
  bool start_array(std::size_t) { return Open(nlohmann::json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(std::string& k) {
    nlohmann::json& obj = *stack_.back().value;
    std::string pointer = stack_.back().pointer + "/" + EscapeJsonPointer(k);
    int line = CurrentLine();
    if (obj.contains(k)) {
      status_ =
          InvalidArgument(source_ + " line " + std::to_string(line) + ": duplicate key '" + k +
                          "' (first on line " + std::to_string(doc_.lines[pointer]) + ")");
      return false;
    }
    if (!Index(pointer, line)) return false;
    pending_key_ = std::move(k);
    pending_pointer_ = std::move(pointer);
    return true;
  }

  bool parse_error(std::size_t byte, const std::string&, const nlohmann::json::exception& ex) {
    // The byte position counts the characters read (1-based), so the offending character is
    // at byte - 1; at the end of the input it points one past the end.
    size_t offset = std::min(byte == 0 ? 0 : byte - 1, text_.size());
    // The line starts after the last newline before the offending character (none before
    // the first character: rfind from npos would find the last newline of the whole text).
    size_t line_start = offset == 0 ? std::string_view::npos : text_.rfind('\n', offset - 1);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + offset, '\n'));
    size_t column = offset - line_start + 1;
    status_ = InvalidArgument(source_ + " line " + std::to_string(line) + ", column " +
                              std::to_string(column) + ": " + ShortMessage(ex.what()));
    return false;
  }

 private:
  struct Open_ {
    nlohmann::json* value;
    std::string pointer;
  };

  // 1-based line of the last token read. The lexer reads one character past a number, so a
  // trailing newline in what was consumed belongs to the next line, not to the token.
  int CurrentLine() {
    size_t end = std::min(consumed_, text_.size());
    lines_ += static_cast<int>(std::count(text_.begin() + counted_, text_.begin() + end, '\n'));
    counted_ = end;
    return lines_ + 1 - (end > 0 && text_[end - 1] == '\n' ? 1 : 0);
  }

  // Places `v` in the open container (or as the root); returns the stored value, or nullptr
  // when the index budget is exceeded.
  nlohmann::json* Place(nlohmann::json v, std::string* pointer) {
    if (stack_.empty()) {
      doc_.value = std::move(v);
      doc_.lines[""] = CurrentLine();
      *pointer = "";
      return &doc_.value;
    }
    nlohmann::json& parent = *stack_.back().value;
    if (parent.is_object()) {
      *pointer = std::move(pending_pointer_);
      return &(parent[std::move(pending_key_)] = std::move(v));
    }
    *pointer = stack_.back().pointer + "/" + std::to_string(parent.size());
    if (!Index(*pointer, CurrentLine())) return nullptr;
    parent.push_back(std::move(v));
    return &parent.back();
  }

  // Records the line of the member at `pointer`, within the budget.
  bool Index(const std::string& pointer, int line) {
    pointer_bytes_ += pointer.size();
    if (pointer_bytes_ > std::max(kPointerBytesMin, kPointerBytesPerInputByte * text_.size())) {
      status_ = InvalidArgument(source_ + " line " + std::to_string(line) +
                                ": too many long member names to index");
      return false;
    }
    doc_.lines[pointer] = line;
    return true;
  }

  bool Add(nlohmann::json v) {
    std::string pointer;
    return Place(std::move(v), &pointer) != nullptr;
  }
  bool Open(nlohmann::json v) {
    if (stack_.size() == kMaxDepth) {
      status_ = InvalidArgument(source_ + " line " + std::to_string(CurrentLine()) +
                                ": nested deeper than " + std::to_string(kMaxDepth) + " levels");
      return false;
    }
    std::string pointer;
    nlohmann::json* placed = Place(std::move(v), &pointer);
    if (placed == nullptr) return false;
    stack_.push_back({placed, std::move(pointer)});
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error while
  // parsing object - unexpected '}'; expected string literal" -> "unexpected '}'; expected
  // string literal": we say where ourselves, and the parser's state means little to users.
  static std::string ShortMessage(std::string_view what) {
    size_t p = what.find("] ");
    if (p != std::string_view::npos) what.remove_prefix(p + 2);
    if (what.starts_with("parse error")) {
      p = what.find(": ");
      if (p != std::string_view::npos) what.remove_prefix(p + 2);
    }
    if (what.starts_with("syntax error while parsing ")) {
      p = what.find(" - ");
      if (p != std::string_view::npos) what.remove_prefix(p + 3);
    }
    return std::string(what);
  }

  std::string_view text_;
  const std::string& source_;
  JsonDocument& doc_;
  size_t consumed_ = 0, counted_ = 0;
  int lines_ = 0;
  size_t pointer_bytes_ = 0;
  std::vector<Open_> stack_;
  std::string pending_key_, pending_pointer_;
  Status status_;
};

}  // namespace

std::string EscapeJsonPointer(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

int JsonDocument::LineOf(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = lines.find(p);
    if (it != lines.end()) return it->second;
    if (p.empty()) return 0;
    p.erase(p.rfind('/') == std::string::npos ? 0 : p.rfind('/'));
  }
}

std::string JsonDocument::Where(const std::string& pointer) const {
  int line = LineOf(pointer);
  return line > 0 ? source + " line " + std::to_string(line) : source;
}

Result<JsonDocument> ParseJsonDocument(std::string_view text, std::string source) {
  JsonDocument doc;
  doc.source = std::move(source);
  LineSax sax(text, doc.source, doc);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(CountingIterator(text.data(), sax.consumed()),
                                   CountingIterator(text.data() + text.size(), sax.consumed()),
                                   &sax);
  } catch (const std::exception& e) {  // not expected: errors reach the handler
    return InvalidArgument(doc.source + ": " + e.what());
  }
  if (!ok) {
    if (!sax.status().ok()) return sax.status();
    return InvalidArgument(doc.source + ": invalid JSON");
  }
  return doc;
}

std::string SnakeToLowerCamel(std::string_view snake) {
  std::string out;
  out.reserve(snake.size());
  bool upper = false;
  for (char c : snake) {
    if (c == '_' && !out.empty()) {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

JsonObjectReader::JsonObjectReader(const JsonDocument& doc, std::string pointer, std::string what)
    : doc_(doc), pointer_(std::move(pointer)), what_(std::move(what)) {
  const nlohmann::json* v = nullptr;
  try {
    nlohmann::json::json_pointer jp(pointer_);
    if (doc_.value.contains(jp)) v = &doc_.value.at(jp);
  } catch (const nlohmann::json::exception&) {
    v = nullptr;
  }
  std::string name = what_.empty() ? "the document" : "'" + what_ + "'";
  if (v == nullptr || v->is_null()) {
    status_ = InvalidArgument(doc_.Where(pointer_) + ": missing " + name);
    return;
  }
  if (!v->is_object()) {
    status_ = InvalidArgument(doc_.Where(pointer_) + ": " + name + " must be an object");
    return;
  }
  obj_ = v;
  // Both spellings of one member: report the pair whose later key comes first.
  std::map<std::string, std::string> seen;  // lowerCamel form -> key
  int reported_line = 0;
  for (const auto& [key, value] : obj_->items()) {
    auto [it, inserted] = seen.emplace(SnakeToLowerCamel(key), key);
    if (inserted) continue;
    std::string a = it->second, b = key;
    if (KeyLine(a) > KeyLine(b)) std::swap(a, b);
    if (status_.ok() || KeyLine(b) < reported_line) {
      reported_line = KeyLine(b);
      status_ = InvalidArgument(doc_.Where(pointer_ + "/" + EscapeJsonPointer(b)) + ": both '" + a +
                                "' and '" + b + "' in " + Name());
    }
  }
}

std::string JsonObjectReader::Name() const { return what_.empty() ? "the document" : what_; }

int JsonObjectReader::KeyLine(const std::string& key) const {
  return doc_.LineOf(pointer_ + "/" + EscapeJsonPointer(key));
}

const std::string* JsonObjectReader::FindKey(std::string_view snake_name) const {
  if (obj_ == nullptr) return nullptr;
  auto it = obj_->find(std::string(snake_name));
  if (it == obj_->end()) it = obj_->find(SnakeToLowerCamel(snake_name));
  if (it == obj_->end()) return nullptr;
  return &it.key();
}

const nlohmann::json* JsonObjectReader::Get(std::string_view snake_name) {
  const std::string* key = FindKey(snake_name);
  if (key == nullptr) return nullptr;
  used_.insert(*key);
  const nlohmann::json& v = (*obj_)[*key];
  return v.is_null() ? nullptr : &v;
}

std::string JsonObjectReader::PointerOf(std::string_view snake_name) const {
  const std::string* key = FindKey(snake_name);
  return pointer_ + "/" + EscapeJsonPointer(key ? std::string_view(*key) : snake_name);
}

Status JsonObjectReader::ErrorAt(std::string_view snake_name, std::string_view message) const {
  return InvalidArgument(doc_.Where(PointerOf(snake_name)) + ": " + std::string(message));
}

std::string JsonObjectReader::Spelling(std::string_view snake_name) const {
  const std::string* key = FindKey(snake_name);
  return key ? *key : std::string(snake_name);
}

Result<std::string> JsonObjectReader::GetString(std::string_view snake_name, std::string def) {
  const nlohmann::json* v = Get(snake_name);
  if (v == nullptr) return def;
  if (!v->is_string()) {
    return ErrorAt(snake_name, "'" + Spelling(snake_name) + "' must be a string");
  }
  return v->get<std::string>();
}

Result<bool> JsonObjectReader::GetBool(std::string_view snake_name, bool def) {
  const nlohmann::json* v = Get(snake_name);
  if (v == nullptr) return def;
  if (!v->is_boolean()) {
    return ErrorAt(snake_name, "'" + Spelling(snake_name) + "' must be true or false");
  }
  return v->get<bool>();
}

Result<int64_t> JsonObjectReader::GetInt(std::string_view snake_name, int64_t def) {
  const nlohmann::json* v = Get(snake_name);
  if (v == nullptr) return def;
  std::string name = "'" + Spelling(snake_name) + "'";
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() &&
        v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return ErrorAt(snake_name, name + " is out of range");
    }
    return v->get<int64_t>();
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (d != static_cast<double>(static_cast<int64_t>(d))) {
      return ErrorAt(snake_name, name + " must be a whole number");
    }
    return static_cast<int64_t>(d);
  }
  // Protobuf's JSON mapping writes 64-bit integers as strings ("60"): accept them.
  if (v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) return n;
  }
  return ErrorAt(snake_name, name + " must be a number");
}

Status JsonObjectReader::Finish(const std::set<std::string>& ignored) const {
  if (!status_.ok()) return status_;
  std::set<std::string> ignored_keys;
  for (const std::string& k : ignored) {
    ignored_keys.insert(k);
    ignored_keys.insert(SnakeToLowerCamel(k));
  }
  const std::string* first = nullptr;
  int first_line = 0;
  for (auto it = obj_->begin(); it != obj_->end(); ++it) {
    if (used_.count(it.key()) || ignored_keys.count(it.key())) continue;
    int line = KeyLine(it.key());
    if (first == nullptr || line < first_line) {
      first = &it.key();
      first_line = line;
    }
  }
  if (first == nullptr) return Status::Ok();
  return InvalidArgument(doc_.Where(pointer_ + "/" + EscapeJsonPointer(*first)) +
                         ": unknown key '" + *first + "' in " + Name());
}

}  // namespace strm
