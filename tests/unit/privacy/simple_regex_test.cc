#include "privacy/simple_regex.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>

namespace strm {
namespace {

bool Re2FullMatch(const std::string& pattern, const std::string& value) {
  RE2 re(pattern, RE2::Quiet);
  EXPECT_TRUE(re.ok()) << pattern;
  return RE2::FullMatch(value, re);
}

TEST(SimpleRegex, MatchesTheDemoContractsEmailRule) {
  auto re = SimpleRegex::Compile("^[^@]+@[^@]+$");
  ASSERT_TRUE(re.has_value());
  EXPECT_EQ(re->Match("igabdmta@lksaoq.com"), true);
  EXPECT_EQ(re->Match("a@b"), true);
  EXPECT_EQ(re->Match("@b"), false);
  EXPECT_EQ(re->Match("a@"), false);
  EXPECT_EQ(re->Match("a@b@c"), false);
  EXPECT_EQ(re->Match("no-at-sign"), false);
  EXPECT_EQ(re->Match("a\n@b"), true) << "a negated class matches a newline, as in RE2";
  EXPECT_EQ(re->Match("zoë@example.com"), std::nullopt) << "not ASCII: RE2 decides";
  EXPECT_EQ(re->Match("@zoë"), false) << "no match whatever follows the first byte";
  EXPECT_EQ(re->Match(std::string(1000, 'a') + "@" + std::string(1000, 'b')), true);
  EXPECT_EQ(re->Match(std::string(1000, 'a') + "@" + std::string(999, 'b') + "@"), false);
  EXPECT_TRUE(re->has_dfa());
}

TEST(SimpleRegex, RefusesWhatItDoesNotImplement) {
  for (const char* p :
       {"(a|b)", "a|b",     "a{2}", "a{2,3}", "a+?", "a**",   "[[:alpha:]]", "[]a]",
        "[]",    "\\bword", "\\pL", "\\x41",  "a^b", "a$b",   "(?i)abc",     "[a-b-c]",
        "[z-a]", "é",       "\\",   "[abc",   "a]",  "[\\D]", "\\n"}) {
    EXPECT_FALSE(SimpleRegex::Compile(p).has_value()) << p;
  }
  for (const char* p : {"", "^$", "abc", "^\\d+$", "[a-z0-9._-]+@[a-z]+\\.[a-z]+", "\\$\\^"})
    EXPECT_TRUE(SimpleRegex::Compile(p).has_value()) << p;
}

// Random patterns of the accepted shapes (and some refused ones), each compared with RE2 on
// random values.
TEST(SimpleRegex, AgreesWithRe2) {
  std::mt19937 rng(20261201);
  auto pick = [&rng](std::initializer_list<const char*> options) {
    return std::string(*(options.begin() + rng() % options.size()));
  };
  const std::string alphabet = "ab@.-_ 9Z\n\t]\\^$+";
  int compiled = 0, matched = 0, values = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string pattern = rng() % 2 ? "^" : "";
    const int atoms = 1 + static_cast<int>(rng() % 6);
    for (int a = 0; a < atoms; ++a) {
      pattern += pick({"a",     "b",         "@",    ".",    "\\.",    "\\-",    "\\d",
                       "\\w",   "\\s",       "\\D",  "\\W",  "\\S",    "[^@]",   "[ab]",
                       "[a-z]", "[^a-z0-9]", "[-a]", "[a-]", "[\\]a]", "[\\d@]", "[^\\s]",
                       "[.]",   "[a-b-c]",   "(a)",  "9",    " "});
      pattern += pick({"", "", "?", "*", "+", "{2}", "+?"});
    }
    if (rng() % 2) pattern += "$";
    auto re = SimpleRegex::Compile(pattern);
    if (!re) continue;
    ++compiled;
    for (int v = 0; v < 60; ++v) {
      std::string value;
      const size_t len = rng() % (v < 50 ? 8 : 40);  // long values: long runs of one state
      for (size_t k = 0; k < len; ++k) value += alphabet[rng() % alphabet.size()];
      const bool expected = Re2FullMatch(pattern, value);
      ASSERT_EQ(re->Match(value), expected)
          << "pattern '" << pattern << "' value '" << value << "'";
      matched += expected;
      ++values;
    }
  }
  EXPECT_GT(compiled, 500) << "many generated patterns are of the accepted shapes";
  EXPECT_GT(matched, values / 50) << "values that match, not only values that do not";
}

// `.*a` then six `.`: a DFA must remember where each of the last seven `a`s was, 128 states,
// more than it builds; the NFA matches instead, with the same answers.
TEST(SimpleRegex, PatternsWithTooManyDfaStatesUseTheNfa) {
  auto nfa = SimpleRegex::Compile("^.*a......$");
  auto dfa = SimpleRegex::Compile("^.*a.....$");  // 64 states: still a DFA
  ASSERT_TRUE(nfa.has_value() && dfa.has_value());
  EXPECT_FALSE(nfa->has_dfa());
  EXPECT_TRUE(dfa->has_dfa());
  const RE2 nfa_re2("^.*a......$"), dfa_re2("^.*a.....$");
  std::mt19937 rng(7);
  int matched = 0;
  for (int v = 0; v < 2000; ++v) {
    std::string value;
    for (size_t k = rng() % 20; k > 0; --k) value += "ababababab\n"[rng() % (v < 1500 ? 10 : 11)];
    const bool expected = RE2::FullMatch(value, nfa_re2);
    ASSERT_EQ(nfa->Match(value), expected) << "'" << value << "'";
    ASSERT_EQ(dfa->Match(value), RE2::FullMatch(value, dfa_re2)) << "'" << value << "'";
    matched += expected;
  }
  EXPECT_GT(matched, 100);
  EXPECT_EQ(nfa->Match("xa\x80zzzz"), std::nullopt);
}

TEST(SimpleRegex, LongPatternsUpToItsLimit) {
  std::string pattern;
  for (int i = 0; i < 63; ++i) pattern += "a";
  auto re = SimpleRegex::Compile(pattern);
  ASSERT_TRUE(re.has_value());
  EXPECT_EQ(re->Match(std::string(63, 'a')), true);
  EXPECT_EQ(re->Match(std::string(62, 'a')), false);
  EXPECT_EQ(re->Match(std::string(64, 'a')), false);
  EXPECT_FALSE(SimpleRegex::Compile(pattern + "a").has_value()) << "64 atoms";
  EXPECT_FALSE(SimpleRegex::Compile(std::string(62, 'a') + "b+").has_value()) << "b+ is two";
}

}  // namespace
}  // namespace strm
