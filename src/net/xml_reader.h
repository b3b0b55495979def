// XmlReader: the small XML documents that object stores answer with (S3's ListObjectsV2 and
// <Error>, Azure's List Blobs and error bodies), read into a tree of elements.
//
// It reads exactly what those services send: elements; attributes; character data with the
// five predefined entities (&amp; &lt; &gt; &quot; &apos;) and numeric character references
// (&#NN; &#xHH;, decoded to UTF-8; &#0;, surrogates and code points past U+10FFFF are
// refused); CDATA sections (taken as they are); comments and processing instructions (the XML
// declaration among them), skipped; and a UTF-8 byte order mark at the very start. DTDs are
// refused, so no entity can be defined and none expanded (no expansion bombs), and elements may
// nest at most 32 levels below the root, so a hostile body cannot exhaust the stack.
//
// Not a validating parser: bytes pass through undecoded (no check of their encoding), names
// are only checked for their delimiters, and namespaces are not interpreted ("xmlns" is an
// attribute like any other; a prefix stays part of a name).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace strm {

struct XmlElement {
  std::string name;
  // In document order, values decoded. A value whose references cannot be decoded reads as ""
  // (the services never send one, and a document is not refused for it).
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // the element's own character data and CDATA, decoded; not its children's
  std::vector<XmlElement> children;

  // The first child named `name`, or null.
  const XmlElement* Child(std::string_view name) const;
  // The text of the first child named `name`, or "".
  std::string ChildText(std::string_view name) const;
  // The value of the first attribute named `name`, or "".
  std::string Attribute(std::string_view name) const;
};

// Parses a whole document: one root element with nothing around it but whitespace, comments
// and processing instructions. InvalidArgument "malformed XML at byte N: <cause>" otherwise.
Result<XmlElement> ParseXml(std::string_view xml);

// The text of the first element named `name` to end (of the end tags, the first), or "" if none
// does. Reads only up to that end tag, so a body that is cut short or malformed after it still
// yields it: meant for the bodies of error answers, which may be either.
std::string XmlElementText(std::string_view xml, std::string_view name);

}  // namespace strm
