#include "formats/json_writer.h"

#include <gtest/gtest.h>

namespace strm {
namespace {

std::string Dump(const nlohmann::json& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Written(const nlohmann::json& v) {
  std::string out = "prefix:";
  AppendJson(v, out);
  return out;
}

TEST(JsonWriterTest, WritesWhatDumpWrites) {
  const std::vector<nlohmann::json> values = {
      nullptr,
      true,
      false,
      0,
      -42,
      int64_t{-9223372036854775807} - 1,
      uint64_t{18446744073709551615u},
      1.5,
      1.0,
      -0.0,
      1e300,
      "",
      "plain",
      "quote \" backslash \\ slash /",
      std::string("controls \b\f\n\r\t \x01\x1f\x7f and a nul: ") + std::string(1, '\0'),
      "utf-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "invalid utf-8: \xff\xfe and a lone \xc3",
      nlohmann::json::array(),
      nlohmann::json::object(),
      {1, "two", nullptr, {{"three", 3}}},
      {{"strmMeta", {{"eventContractRef", "a/b/1.0.0"}, {"consentLevels", {0, 1}}}},
       {"z", "last"},
       {"a", {{"nested", nlohmann::json::array({"x\ny"})}}},
       {"caf\xc3\xa9", 1}},
  };
  for (const auto& v : values) EXPECT_EQ(Written(v), "prefix:" + Dump(v)) << Dump(v);
}

TEST(JsonWriterTest, EscapesControlCharactersInLowerCaseHex) {
  std::string out;
  AppendJsonString(std::string("a\x1b") + "b", out);
  EXPECT_EQ(out, R"("a\u001bb")");
}

}  // namespace
}  // namespace strm
