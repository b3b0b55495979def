#include "net/xml_reader.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <system_error>

namespace strm {
namespace {

constexpr int kMaxDepth = 32;       // levels below the root
constexpr size_t kMaxRefSize = 12;  // from '&' to ';': "&#x10FFFF;" with room to spare

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Appends what the reference `ref` (between '&' and ';') stands for; on failure the cause.
std::optional<std::string> AppendReference(std::string_view ref, std::string& out) {
  if (ref == "amp") {
    out += '&';
  } else if (ref == "lt") {
    out += '<';
  } else if (ref == "gt") {
    out += '>';
  } else if (ref == "quot") {
    out += '"';
  } else if (ref == "apos") {
    out += '\'';
  } else if (ref.size() >= 2 && ref[0] == '#') {
    const bool hex = ref[1] == 'x';
    std::string_view digits = ref.substr(hex ? 2 : 1);
    uint32_t cp = 0;
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || cp == 0 ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return "invalid character reference '&" + std::string(ref) + ";'";
    AppendUtf8(cp, out);
  } else {
    return "unknown entity '&" + std::string(ref) + ";'";
  }
  return std::nullopt;
}

// `raw` with its references decoded, or nullopt if one cannot be.
std::optional<std::string> DecodeAttributeValue(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos || semi - i > kMaxRefSize) return std::nullopt;
    if (AppendReference(raw.substr(i + 1, semi - i - 1), out)) return std::nullopt;
    i = semi;
  }
  return out;
}

class XmlParser {
 public:
  // With `stop_at`, parsing ends at the first end of an element of that name: see Stopped().
  explicit XmlParser(std::string_view in, std::optional<std::string_view> stop_at = std::nullopt)
      : in_(in), stop_at_(stop_at) {}

  Result<XmlElement> ParseDocument() {
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a UTF-8 byte order mark
    STRM_RETURN_IF_ERROR(SkipMisc());
    if (!At("<")) return Error("no root element");
    XmlElement root;
    STRM_RETURN_IF_ERROR(Element(root, 0));
    STRM_RETURN_IF_ERROR(SkipMisc());
    if (At("<")) return Error("a second root element");
    if (pos_ != in_.size()) return Error("content after the root element");
    return root;
  }

  // The text of the element that stopped ParseDocument(), if one did.
  const std::optional<std::string>& Stopped() const { return stopped_; }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgument("malformed XML at byte " + std::to_string(pos_) + ": " +
                           std::string(what));
  }
  bool At(std::string_view s) const { return in_.substr(pos_, s.size()) == s; }
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  void SkipSpace() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }
  // Moves past the next `end`, or fails naming `what`.
  Status SkipPast(std::string_view end, std::string_view what) {
    size_t at = in_.find(end, pos_);
    if (at == std::string_view::npos)
      return Error(std::string("unterminated ") + std::string(what));
    pos_ = at + end.size();
    return Status::Ok();
  }

  // Whitespace, comments and processing instructions (the XML declaration among them).
  Status SkipMisc() {
    for (;;) {
      SkipSpace();
      if (At("<?")) {
        STRM_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (At("<!--")) {
        STRM_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (At("<![CDATA[")) {
        return Error("CDATA outside the root element");
      } else if (At("<!")) {
        return Error("DTDs are not supported");
      } else {
        return Status::Ok();
      }
    }
  }

  Result<std::string> Name() {
    size_t start = pos_;
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (IsSpace(c) || c == '/' || c == '>' || c == '=' || c == '<' || c == '&' || c == '"' ||
          c == '\'')
        break;
      ++pos_;
    }
    if (pos_ == start) return Error("expected a name");
    return std::string(in_.substr(start, pos_ - start));
  }

  // At '&': decodes one entity or character reference into `out`.
  Status Reference(std::string& out) {
    size_t semi = in_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > kMaxRefSize)
      return Error("unterminated '&'");
    if (auto cause = AppendReference(in_.substr(pos_ + 1, semi - pos_ - 1), out))
      return Error(*cause);
    pos_ = semi + 1;
    return Status::Ok();
  }

  // `e` has ended. With stop_at_ matching, records its text and unwinds the parse with an
  // error that ParseDocument's caller never shows.
  Status Ended(const XmlElement& e) {
    if (!stop_at_ || e.name != *stop_at_) return Status::Ok();
    stopped_ = e.text;
    return Error("stopped at </" + e.name + ">");
  }

  // At '<' of a start tag: the element, its content and its end tag.
  Status Element(XmlElement& out, int depth) {
    if (depth > kMaxDepth) return Error("elements nested too deeply");
    ++pos_;
    STRM_ASSIGN_OR_RETURN(out.name, Name());
    for (;;) {  // attributes
      SkipSpace();
      if (At("/>")) {
        pos_ += 2;
        return Ended(out);
      }
      if (At(">")) {
        ++pos_;
        break;
      }
      STRM_ASSIGN_OR_RETURN(std::string attr, Name());
      SkipSpace();
      if (!At("=")) return Error("expected '=' after attribute " + attr);
      ++pos_;
      SkipSpace();
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\''))
        return Error("expected a quoted value of attribute " + attr);
      const char quote[2] = {in_[pos_], '\0'};
      const size_t start = ++pos_;
      STRM_RETURN_IF_ERROR(SkipPast(quote, "attribute value"));
      std::optional<std::string> value = DecodeAttributeValue(in_.substr(start, pos_ - 1 - start));
      out.attributes.emplace_back(std::move(attr), value.value_or(std::string()));
    }
    for (;;) {  // content
      if (pos_ >= in_.size()) return Error("<" + out.name + "> is not closed");
      const char c = in_[pos_];
      if (c == '&') {
        STRM_RETURN_IF_ERROR(Reference(out.text));
      } else if (c != '<') {
        size_t next = in_.find_first_of("<&", pos_);
        if (next == std::string_view::npos) next = in_.size();
        out.text.append(in_.substr(pos_, next - pos_));
        pos_ = next;
      } else if (At("</")) {
        pos_ += 2;
        STRM_ASSIGN_OR_RETURN(std::string name, Name());
        if (name != out.name) return Error("</" + name + "> closes <" + out.name + ">");
        SkipSpace();
        if (!At(">")) return Error("expected '>'");
        ++pos_;
        return Ended(out);
      } else if (At("<![CDATA[")) {
        pos_ += 9;
        size_t end = in_.find("]]>", pos_);
        if (end == std::string_view::npos) return Error("unterminated CDATA section");
        out.text.append(in_.substr(pos_, end - pos_));
        pos_ = end + 3;
      } else if (At("<!--")) {
        STRM_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (At("<?")) {
        STRM_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (At("<!")) {
        return Error("unexpected '<!'");
      } else {
        out.children.emplace_back();
        STRM_RETURN_IF_ERROR(Element(out.children.back(), depth + 1));
      }
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::optional<std::string_view> stop_at_;
  std::optional<std::string> stopped_;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view n) const {
  for (const XmlElement& c : children)
    if (c.name == n) return &c;
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view n) const {
  const XmlElement* c = Child(n);
  return c != nullptr ? c->text : std::string();
}

std::string XmlElement::Attribute(std::string_view n) const {
  for (const auto& [key, value] : attributes)
    if (key == n) return value;
  return {};
}

Result<XmlElement> ParseXml(std::string_view xml) { return XmlParser(xml).ParseDocument(); }

std::string XmlElementText(std::string_view xml, std::string_view name) {
  XmlParser parser(xml, name);
  // The parse itself fails or succeeds alike: what counts is whether `name` ended on the way.
  (void)parser.ParseDocument();
  return parser.Stopped().value_or(std::string());
}

}  // namespace strm
