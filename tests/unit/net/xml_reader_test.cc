#include "net/xml_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace strm {
namespace {

// The root's text of `<r>` + `content` + `</r>`, or the error message prefixed by "error: ".
std::string TextOf(const std::string& content) {
  auto doc = ParseXml("<r>" + content + "</r>");
  return doc.ok() ? doc->text : "error: " + doc.status().message();
}

bool Refused(std::string_view xml) {
  auto doc = ParseXml(xml);
  return !doc.ok() && doc.status().code() == StatusCode::kInvalidArgument;
}

TEST(XmlReader, ReadsATree) {
  auto doc = ParseXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name>"
      "<Contents><Key>k1</Key><Size>1</Size></Contents>"
      "<Contents>\n  <Key> spaced </Key>\n  <Size>2</Size>\n</Contents>"
      "<Marker />"
      "</ListBucketResult >\n");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ(doc->name, "ListBucketResult");
  EXPECT_EQ(doc->Attribute("xmlns"), "http://s3.amazonaws.com/doc/2006-03-01/");
  ASSERT_EQ(doc->children.size(), 4u);
  EXPECT_EQ(doc->ChildText("Name"), "b");
  EXPECT_EQ(doc->Child("Contents"), &doc->children[1]) << "the first of its name";
  EXPECT_EQ(doc->children[2].ChildText("Key"), " spaced ") << "text is not trimmed";
  EXPECT_EQ(doc->children[2].text, "\n  \n  \n") << "own text only, not the children's";
  EXPECT_EQ(doc->children[3].name, "Marker");
  EXPECT_TRUE(doc->children[3].children.empty());
  EXPECT_EQ(doc->Child("Missing"), nullptr);
  EXPECT_EQ(doc->ChildText("Missing"), "");
  EXPECT_EQ(doc->Attribute("missing"), "");
}

TEST(XmlReader, DecodesThePredefinedEntities) {
  EXPECT_EQ(TextOf("a &amp; b &lt;1&gt; &quot;q&quot; &apos;s&apos;"), "a & b <1> \"q\" 's'");
  EXPECT_EQ(TextOf("&amp;amp;"), "&amp;") << "decoded once";
  EXPECT_EQ(TextOf("1 > 0"), "1 > 0") << "a bare '>' is text";
}

TEST(XmlReader, DecodesNumericReferencesToUtf8) {
  EXPECT_EQ(TextOf("&#65;&#x41;&#x7F;"), "AA\x7F");
  EXPECT_EQ(TextOf("&#233;&#x7FF;"), "\xC3\xA9\xDF\xBF");  // two bytes
  EXPECT_EQ(TextOf("&#x800;&#x4E2D;&#xFFFF;"), "\xE0\xA0\x80\xE4\xB8\xAD\xEF\xBF\xBF");  // three
  EXPECT_EQ(TextOf("&#x1F600;&#x10FFFF;"), "\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");          // four
  EXPECT_EQ(TextOf("&#x0041;&#0065;"), "AA") << "leading zeros";
}

TEST(XmlReader, RefusesBadReferences) {
  for (const char* bad : {
           "&#0;",       "&#x0;",        // NUL is no XML character
           "&#xD800;",   "&#xDFFF;",     // surrogates
           "&#x110000;", "&#99999999;",  // past U+10FFFF
           "&#;",        "&#x;",        "&#12a;",           "&#-1;",
           "&#+1;",      "&#X41;",      "&# 65;",           "&nbsp;",
           "&AMP;",      "&;",                               // no DTD defines more entities
           "a & b",      "&amp",        "&#0000000000065;",  // no ';' within reach
       }) {
    EXPECT_TRUE(Refused("<r>" + std::string(bad) + "</r>")) << bad;
  }
  auto doc = ParseXml("<r>ab&#xD800;</r>");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(),
            "malformed XML at byte 5: invalid character reference '&#xD800;'");
  EXPECT_EQ(ParseXml("<r>&nbsp;</r>").status().message(),
            "malformed XML at byte 3: unknown entity '&nbsp;'");
}

TEST(XmlReader, TakesCdataAsItIs) {
  EXPECT_EQ(TextOf("<![CDATA[raw <&> &amp; key]]>"), "raw <&> &amp; key");
  EXPECT_EQ(TextOf("a<![CDATA[]]>b<![CDATA[ ]] > ]]>&lt;"), "ab ]] > <");
  EXPECT_TRUE(Refused("<r><![CDATA[no end</r>"));
  EXPECT_TRUE(Refused("<![CDATA[x]]><r/>")) << "CDATA outside the root element";
  EXPECT_TRUE(Refused("<r/><![CDATA[x]]>"));
}

TEST(XmlReader, SkipsCommentsAndProcessingInstructions) {
  auto doc = ParseXml(
      "\xEF\xBB\xBF<?xml version=\"1.0\"?><!-- before <r> -->\n<r>a<!-- <b>c</b> -->b"
      "<?pi <x>?>c</r><!-- after --><?pi?>\n");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ(doc->text, "abc");
  EXPECT_TRUE(doc->children.empty());
  EXPECT_TRUE(Refused("<!-- no end <r/>"));
  EXPECT_TRUE(Refused("<r><!-- no end</r>"));
  EXPECT_TRUE(Refused("<?xml version=\"1.0\"<r/>"));
  EXPECT_TRUE(Refused("<r><? no end</r>"));
}

TEST(XmlReader, ReadsAttributes) {
  auto doc = ParseXml(
      "<r a=\"1\" b = 'x &amp; &#233; &quot;y&quot;' gt='>' slash=\"/>\" bad=\"&bogus;\" "
      "empty=''><Name Encoded=\"true\">n</Name></r>");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  ASSERT_EQ(doc->attributes.size(), 6u);
  EXPECT_EQ(doc->attributes[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(doc->Attribute("b"), "x & \xC3\xA9 \"y\"");
  EXPECT_EQ(doc->Attribute("gt"), ">") << "a '>' inside quotes does not end the tag";
  EXPECT_EQ(doc->Attribute("slash"), "/>");
  EXPECT_EQ(doc->Attribute("bad"), "") << "an undecodable value reads as empty";
  EXPECT_EQ(doc->Attribute("empty"), "");
  EXPECT_EQ(doc->children.at(0).Attribute("Encoded"), "true");
  for (const char* bad :
       {"<r a></r>", "<r a=1></r>", "<r a=\"1></r>", "<r a='1\"></r>", "<r =\"1\"></r>"}) {
    EXPECT_TRUE(Refused(bad)) << bad;
  }
}

TEST(XmlReader, RefusesMalformedDocuments) {
  for (const char* bad : {
           "",
           " \n ",
           "not xml",
           "junk<r/>",
           "<r/>junk",
           "<r/><r/>",    // two root elements
           "<r>",         // not closed
           "<r><a></r>",  // crossed
           "<r></a>",
           "<r></r",  // an end tag without '>'
           "<r></ r>",
           "<r",
           "<>",
           "< r/>",
           "<r><>x</></r>",
           " \xEF\xBB\xBF<r/>",  // a byte order mark only at the very start
           "<!DOCTYPE r [<!ENTITY e \"boom\">]><r>&e;</r>",
           "<r><!ENTITY e \"boom\"></r>",
       }) {
    EXPECT_TRUE(Refused(bad)) << bad;
  }
  EXPECT_EQ(ParseXml("<r><a></r>").status().message(), "malformed XML at byte 9: </r> closes <a>");
  EXPECT_EQ(ParseXml("<r>").status().message(), "malformed XML at byte 3: <r> is not closed");
  EXPECT_EQ(ParseXml("<!DOCTYPE r><r/>").status().message(),
            "malformed XML at byte 0: DTDs are not supported");
}

TEST(XmlReader, LimitsNesting) {
  auto nested = [](int levels) {
    std::string xml;
    for (int i = 0; i < levels; ++i) xml += "<a>";
    for (int i = 0; i < levels; ++i) xml += "</a>";
    return xml;
  };
  EXPECT_TRUE(ParseXml(nested(33)).ok()) << "the root and 32 levels below it";
  EXPECT_TRUE(Refused(nested(34)));
  EXPECT_TRUE(Refused(nested(100'000))) << "refused without exhausting the stack";
}

TEST(XmlElementText, FindsTheFirstElementToEnd) {
  EXPECT_EQ(XmlElementText("<?xml version=\"1.0\"?><Error><Code>Server&amp;Busy</Code>"
                           "<Message>m</Message></Error>",
                           "Code"),
            "Server&Busy");
  EXPECT_EQ(XmlElementText("<Error><Code>BlobNotFound</Code><Message>cut sh", "Code"),
            "BlobNotFound")
      << "a body cut short still yields what came before";
  EXPECT_EQ(XmlElementText("<Error><Code>A</Code><Code>B</Code></Error>", "Code"), "A");
  EXPECT_EQ(XmlElementText("<Error><Detail><![CDATA[x<y]]></Detail></Error>", "Detail"), "x<y");
  EXPECT_EQ(XmlElementText("<Error><Code/></Error>", "Code"), "");
  EXPECT_EQ(XmlElementText("<Error>x</Error>", "Error"), "x") << "the root counts too";
}

TEST(XmlElementText, IsEmptyWithoutIt) {
  EXPECT_EQ(XmlElementText("not xml", "Code"), "");
  EXPECT_EQ(XmlElementText("", "Code"), "");
  EXPECT_EQ(XmlElementText("<Error><Message>m</Message></Error>", "Code"), "");
  EXPECT_EQ(XmlElementText("<Error><Code>cut sh", "Code"), "") << "it never ended";
  EXPECT_EQ(XmlElementText("<Error><Bad &bogus;/><Code>A</Code></Error>", "Code"), "")
      << "nothing after the document goes wrong counts";
  EXPECT_EQ(XmlElementText("<Error><Code>a &bogus;</Code></Error>", "Code"), "");
  EXPECT_EQ(XmlElementText("<Error><Code>A</Code></Error>", ""), "");
}

}  // namespace
}  // namespace strm
