#include "core/json_document.h"

#include <gtest/gtest.h>

#include <string>

namespace strm {
namespace {

// Keys on known lines; the numbers are followed by a newline, which the lexer reads ahead.
constexpr const char* kDoc = R"({
  "name": "demo",
  "source_data": {
    "file_name": "input.csv",
    "interval": 60
  },
  "seven": 7
  ,
  "list": [1,
    {"inner": true},
    "x"],
  "a/b": {"m~n": null}
})";

JsonDocument Parse(std::string_view text) {
  Result<JsonDocument> doc = ParseJsonDocument(text, "job.json");
  EXPECT_TRUE(doc.ok()) << doc.status().message();
  return doc.ok() ? *doc : JsonDocument{};
}

std::string ParseError(std::string_view text) {
  Result<JsonDocument> doc = ParseJsonDocument(text, "job.json");
  EXPECT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  return doc.status().message();
}

TEST(JsonDocument, BuildsTheValue) {
  JsonDocument doc = Parse(kDoc);
  EXPECT_EQ(doc.source, "job.json");
  EXPECT_EQ(doc.value, nlohmann::json::parse(kDoc));
  EXPECT_EQ(doc.value["list"][0], 1);
  EXPECT_TRUE(doc.value["a/b"]["m~n"].is_null());
}

TEST(JsonDocument, RecordsTheLineOfEveryKeyAndElement) {
  JsonDocument doc = Parse(kDoc);
  std::map<std::string, int> expected = {
      {"", 1},
      {"/name", 2},
      {"/source_data", 3},
      {"/source_data/file_name", 4},
      {"/source_data/interval", 5},
      {"/seven", 7},
      {"/list", 9},
      {"/list/0", 9},
      {"/list/1", 10},
      {"/list/1/inner", 10},
      {"/list/2", 11},
      {"/a~1b", 12},
      {"/a~1b/m~0n", 12},
  };
  EXPECT_EQ(doc.lines, expected);
  EXPECT_EQ(doc.LineOf("/seven"), 7);
}

TEST(JsonDocument, LineOfFallsBackToTheNearestAncestor) {
  JsonDocument doc = Parse(kDoc);
  EXPECT_EQ(doc.LineOf("/source_data/path_prefix"), 3);
  EXPECT_EQ(doc.LineOf("/source_data/data_type/csv"), 3);
  EXPECT_EQ(doc.LineOf("/missing"), 1);
  EXPECT_EQ(doc.Where("/source_data/interval"), "job.json line 5");
  EXPECT_EQ(doc.Where("/list/1/other"), "job.json line 10");

  JsonDocument empty;
  empty.source = "x.json";
  EXPECT_EQ(empty.LineOf("/a"), 0);
  EXPECT_EQ(empty.Where("/a"), "x.json");
}

TEST(JsonDocument, RootLineIsWhereTheValueStarts) {
  JsonDocument doc = Parse("\n\n  {\"a\":\n1}");
  EXPECT_EQ(doc.lines.at(""), 3);
  EXPECT_EQ(doc.lines.at("/a"), 3);
  EXPECT_EQ(Parse("42\n").lines.at(""), 1);
}

TEST(JsonDocument, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(ParseError("{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3\n}"),
            "job.json line 4, column 5: unexpected string literal; expected '}'");
  EXPECT_EQ(ParseError("{\"a\": tru}"),
            "job.json line 1, column 10: invalid literal; last read: '\"a\": tru}'");
  EXPECT_EQ(ParseError("{\n  \"a\": 1,\n}"),
            "job.json line 3, column 1: unexpected '}'; expected string literal");
  EXPECT_EQ(ParseError("{\"a\": 1"),
            "job.json line 1, column 8: unexpected end of input; expected '}'");
  EXPECT_EQ(ParseError("{\n"),
            "job.json line 2, column 1: unexpected end of input; expected "
            "string literal");
  EXPECT_EQ(ParseError(""),
            "job.json line 1, column 1: unexpected end of input; expected '[', "
            "'{', or a literal");
  EXPECT_EQ(ParseError("{} x"),
            "job.json line 1, column 4: invalid literal; last read: '{} x'; expected end of "
            "input");
  EXPECT_EQ(ParseError("{\"a\": 01}"),
            "job.json line 1, column 8: unexpected number literal; expected '}'");
}

// A bad first byte was once reported at column 18446744073709551606: the line's start was
// looked for from the end of the text, past newlines further on.
TEST(JsonDocument, ABadFirstByteIsAtLineOneColumnOne) {
  for (const std::string text : {"\xff\n{}\n\n\n\n\n\n\n\n", "x\n\n", "}\n{\"a\": 1}\n"}) {
    const std::string m = ParseError(text);
    EXPECT_TRUE(m.starts_with("job.json line 1, column 1: ")) << m;
  }
}

TEST(JsonDocument, NestingIsLimited) {
  // Found with large inputs to json_config_fuzzer: the member index grew with the square of
  // the depth (200 KB of '[' took over 2 GB).
  EXPECT_EQ(ParseError(std::string(200000, '[')), "job.json line 1: nested deeper than 128 levels");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(ParseError(objects), "job.json line 1: nested deeper than 128 levels");
  EXPECT_EQ(ParseError("{\n\"a\":\n" + std::string(200, '[')),
            "job.json line 3: nested deeper than 128 levels");
  JsonDocument doc = Parse(std::string(128, '[') + std::string(128, ']'));
  EXPECT_EQ(doc.lines.size(), 128u);
}

TEST(JsonDocument, LongMemberNamesRepeatedInTheIndexAreLimited) {
  // Every element's pointer repeats the long key: the index would be quadratic in the size.
  std::string text = "{\"" + std::string(100000, 'k') + "\": [0";
  for (int i = 0; i < 1000; ++i) text += ",0";
  text += "]}";
  EXPECT_EQ(ParseError(text), "job.json line 1: too many long member names to index");
  EXPECT_EQ(Parse("{\"" + std::string(100000, 'k') + "\": [0,0,0]}").lines.size(), 5u);
}

TEST(JsonDocument, DuplicateKeysAreErrors) {
  EXPECT_EQ(ParseError("{\n  \"a\": 1,\n  \"b\": {\"x\": 1,\n\n \"x\": 2}}"),
            "job.json line 5: duplicate key 'x' (first on line 3)");
  // The same key in different objects is fine.
  EXPECT_EQ(Parse("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}").value["b"]["x"], 2);
}

TEST(JsonDocument, SnakeToLowerCamel) {
  EXPECT_EQ(SnakeToLowerCamel("file_name"), "fileName");
  EXPECT_EQ(SnakeToLowerCamel("default_consent_levels"), "defaultConsentLevels");
  EXPECT_EQ(SnakeToLowerCamel("name"), "name");
  EXPECT_EQ(SnakeToLowerCamel("fileName"), "fileName");
  EXPECT_EQ(SnakeToLowerCamel("key_2"), "key2");
  EXPECT_EQ(SnakeToLowerCamel("_private"), "_private");
}

TEST(JsonDocument, EscapeJsonPointer) {
  EXPECT_EQ(EscapeJsonPointer("plain"), "plain");
  EXPECT_EQ(EscapeJsonPointer("a/b~c"), "a~1b~0c");
  EXPECT_EQ(EscapeJsonPointer("handle/name/1.0.0"), "handle~1name~11.0.0");
}

constexpr const char* kObject = R"({
  "source_data": {
    "fileName": "input.csv",
    "path_prefix": null,
    "interval": "x",
    "count": "42",
    "flag": true,
    "fooBar": 1,
    "billingId": "b",
    "zeta": 2
  }
})";

TEST(JsonObjectReader, ReadsSnakeAndCamelMembers) {
  JsonDocument doc = Parse(kObject);
  JsonObjectReader r(doc, "/source_data", "source_data");
  ASSERT_TRUE(r.status().ok());
  EXPECT_EQ(*r.GetString("file_name"), "input.csv");
  EXPECT_EQ(r.Get("path_prefix"), nullptr);  // null is absent
  EXPECT_EQ(*r.GetString("path_prefix", "def"), "def");
  EXPECT_EQ(r.Get("absent"), nullptr);
  EXPECT_EQ(*r.GetInt("count"), 42);
  EXPECT_EQ(*r.GetInt("absent", 7), 7);
  EXPECT_TRUE(*r.GetBool("flag"));
  EXPECT_TRUE(*r.GetBool("absent", true));
  EXPECT_EQ(r.PointerOf("file_name"), "/source_data/fileName");
  EXPECT_EQ(r.PointerOf("data_type"), "/source_data/data_type");
  EXPECT_EQ(r.ErrorAt("file_name", "bad").message(), "job.json line 3: bad");
  EXPECT_EQ(r.ErrorAt("data_type", "missing").message(), "job.json line 2: missing");
}

TEST(JsonObjectReader, FinishReportsTheFirstUnusedMemberInDocumentOrder) {
  JsonDocument doc = Parse(kObject);
  JsonObjectReader r(doc, "/source_data", "source_data");
  (void)r.Get("file_name");
  (void)r.Get("path_prefix");
  (void)r.Get("count");
  Status s = r.Finish({"billing_id"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "job.json line 5: unknown key 'interval' in source_data");
  (void)r.Get("interval");
  (void)r.Get("flag");
  EXPECT_EQ(r.Finish({"billing_id"}).message(),
            "job.json line 8: unknown key 'fooBar' in source_data");
  (void)r.Get("foo_bar");
  EXPECT_EQ(r.Finish().message(), "job.json line 9: unknown key 'billingId' in source_data");
  EXPECT_EQ(r.Finish({"billing_id"}).message(),
            "job.json line 10: unknown key 'zeta' in source_data");
  (void)r.Get("zeta");
  EXPECT_TRUE(r.Finish({"billing_id"}).ok());
}

TEST(JsonObjectReader, TypedGettersNameTheMemberAndLine) {
  JsonDocument doc = Parse(R"({
  "s": 1,
  "b": "yes",
  "interval": "x",
  "half": 1.5,
  "whole": 2.0,
  "big": 18446744073709551615,
  "neg": "-3",
  "list": [1]
})");
  JsonObjectReader r(doc, "", "");
  EXPECT_EQ(r.GetString("s").status().message(), "job.json line 2: 's' must be a string");
  EXPECT_EQ(r.GetBool("b").status().message(), "job.json line 3: 'b' must be true or false");
  EXPECT_EQ(r.GetInt("interval").status().message(),
            "job.json line 4: 'interval' must be a number");
  EXPECT_EQ(r.GetInt("half").status().message(), "job.json line 5: 'half' must be a whole number");
  EXPECT_EQ(*r.GetInt("whole"), 2);
  EXPECT_EQ(r.GetInt("big").status().message(), "job.json line 7: 'big' is out of range");
  EXPECT_EQ(*r.GetInt("neg"), -3);
  EXPECT_EQ(r.GetInt("list").status().message(), "job.json line 9: 'list' must be a number");
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonObjectReader, TypedGetterErrorsUseTheSpellingInTheFile) {
  JsonDocument doc = Parse("{\n\"fileName\": 3}");
  JsonObjectReader r(doc, "", "");
  EXPECT_EQ(r.GetString("file_name").status().message(),
            "job.json line 2: 'fileName' must be a string");
}

TEST(JsonObjectReader, BothSpellingsAreAnError) {
  JsonDocument doc = Parse(R"({
  "t": {
    "file_name": "a",
    "other": 1,
    "fileName": "b",
    "path_prefix": "p",
    "pathPrefix": "q"
  }
})");
  JsonObjectReader r(doc, "/t", "encrypted_data.target");
  EXPECT_EQ(r.status().message(),
            "job.json line 5: both 'file_name' and 'fileName' in encrypted_data.target");
  EXPECT_EQ(r.Finish().message(), r.status().message());

  // Reported even for ignored members.
  JsonDocument doc2 = Parse("{\"billingId\": 1,\n \"billing_id\": 2}");
  EXPECT_EQ(JsonObjectReader(doc2, "", "").status().message(),
            "job.json line 2: both 'billingId' and 'billing_id' in the document");
}

TEST(JsonObjectReader, NotAnObject) {
  JsonDocument doc = Parse("{\n\"a\": [1],\n\"n\": null}");
  EXPECT_EQ(JsonObjectReader(doc, "/a", "source_data").status().message(),
            "job.json line 2: 'source_data' must be an object");
  EXPECT_EQ(JsonObjectReader(doc, "/n", "ref").status().message(),
            "job.json line 3: missing 'ref'");
  EXPECT_EQ(JsonObjectReader(doc, "/zz", "ref").status().message(),
            "job.json line 1: missing 'ref'");
  EXPECT_EQ(JsonObjectReader(doc, "not a pointer", "x").status().message(),
            "job.json line 1: missing 'x'");
  JsonDocument list = Parse("[]");
  JsonObjectReader r(list, "", "");
  EXPECT_EQ(r.status().message(), "job.json line 1: the document must be an object");
  EXPECT_EQ(r.Get("a"), nullptr);
  EXPECT_EQ(r.Finish().message(), r.status().message());
}

}  // namespace
}  // namespace strm
