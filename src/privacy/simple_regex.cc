#include "privacy/simple_regex.h"

#include <bitset>

namespace strm {
namespace {

using ByteSet = std::bitset<128>;

bool Printable(char c) { return c >= 0x20 && c <= 0x7e; }
bool Punct(char c) {
  return Printable(c) && c != ' ' && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
         !(c >= 'A' && c <= 'Z');
}

void AddRange(ByteSet& s, int lo, int hi) {
  for (int c = lo; c <= hi; ++c) s.set(static_cast<size_t>(c));
}

// \d \w \s (and, when `negatable`, \D \W \S) as a set; false for any other letter.
bool Shorthand(char e, bool negatable, ByteSet& out) {
  ByteSet s;
  switch (e | 0x20) {  // lowercase
    case 'd':
      AddRange(s, '0', '9');
      break;
    case 'w':
      AddRange(s, '0', '9');
      AddRange(s, 'A', 'Z');
      AddRange(s, 'a', 'z');
      s.set('_');
      break;
    case 's':
      for (char c : {'\t', '\n', '\f', '\r', ' '}) s.set(static_cast<size_t>(c));
      break;
    default:
      return false;
  }
  const bool upper = e >= 'A' && e <= 'Z';
  if (upper && !negatable) return false;
  out |= upper ? ~s : s;
  return true;
}

// Parses the class whose '[' is at p[i]; leaves i after its ']'.
std::optional<ByteSet> ParseClass(std::string_view p, size_t& i) {
  ++i;
  const bool negated = i < p.size() && p[i] == '^';
  if (negated) ++i;
  const size_t first = i;
  ByteSet set;
  // One class character at p[i] (plain, or escaped punctuation), or nullopt.
  auto single = [&p, &i]() -> std::optional<char> {
    if (i >= p.size()) return std::nullopt;
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size() || !Punct(p[i + 1])) return std::nullopt;
      i += 2;
      return p[i - 1];
    }
    if (!Printable(c) || c == '[' || c == ']') return std::nullopt;
    ++i;
    return c;
  };
  for (;;) {
    if (i >= p.size()) return std::nullopt;
    if (p[i] == ']') {
      if (i == first) return std::nullopt;  // "[]" or a literal ']' first: left to RE2
      ++i;
      break;
    }
    if (p[i] == '\\' && i + 1 < p.size() && !Punct(p[i + 1])) {
      if (!Shorthand(p[i + 1], /*negatable=*/false, set)) return std::nullopt;
      i += 2;
      continue;
    }
    // A plain '-' only first or last, where it cannot be read as a range.
    if (p[i] == '-' && i != first && !(i + 1 < p.size() && p[i + 1] == ']')) return std::nullopt;
    auto lo = single();
    if (!lo) return std::nullopt;
    if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
      ++i;
      auto hi = single();
      if (!hi || *hi < *lo) return std::nullopt;
      AddRange(set, *lo, *hi);
    } else {
      set.set(static_cast<size_t>(*lo));
    }
  }
  if (negated) set.flip();
  return set;
}

}  // namespace

std::optional<SimpleRegex> SimpleRegex::Compile(std::string_view p) {
  SimpleRegex re;
  auto add = [&re](const ByteSet& set, char quantifier) {
    if (re.n_ >= 63) return false;
    const uint64_t bit = uint64_t{1} << re.n_++;
    for (size_t c = 0; c < 128; ++c)
      if (set[c]) re.accepts_[c] |= bit;
    if (quantifier == '*') re.repeat_ |= bit;
    if (quantifier == '*' || quantifier == '?') re.optional_ |= bit;
    return true;
  };
  size_t i = 0;
  if (i < p.size() && p[i] == '^') ++i;
  while (i < p.size()) {
    const char c = p[i];
    ByteSet set;
    if (c == '$') {
      if (i + 1 != p.size()) return std::nullopt;  // '$' only as the final anchor
      break;
    }
    if (c == '.') {
      set.set();
      set.reset('\n');
      ++i;
    } else if (c == '[') {
      auto s = ParseClass(p, i);
      if (!s) return std::nullopt;
      set = *s;
    } else if (c == '\\') {
      if (i + 1 >= p.size()) return std::nullopt;
      const char e = p[i + 1];
      if (Punct(e)) {
        set.set(static_cast<size_t>(e));
      } else if (!Shorthand(e, /*negatable=*/true, set)) {
        return std::nullopt;
      }
      i += 2;
    } else if (!Printable(c) || std::string_view("+*?()[]{}|^").find(c) != std::string_view::npos) {
      return std::nullopt;
    } else {
      set.set(static_cast<size_t>(c));
      ++i;
    }
    char quantifier = 0;
    if (i < p.size() && (p[i] == '?' || p[i] == '*' || p[i] == '+')) {
      quantifier = p[i++];
      // Non-greedy, possessive-looking or counted forms are left to RE2.
      if (i < p.size() && std::string_view("?*+{").find(p[i]) != std::string_view::npos)
        return std::nullopt;
    }
    if (i < p.size() && p[i] == '{') return std::nullopt;
    if (quantifier == '+') {
      if (!add(set, 0) || !add(set, '*')) return std::nullopt;
    } else if (!add(set, quantifier)) {
      return std::nullopt;
    }
  }
  re.start_ = re.Close(1);
  re.BuildDfa();
  return re;
}

void SimpleRegex::BuildDfa() {
  std::vector<uint64_t> sets{start_};  // DFA state i is the NFA state set sets[i]
  std::vector<uint8_t> dfa;
  uint64_t accepting = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    if (sets[i] >> n_ & 1) accepting |= uint64_t{1} << i;
    dfa.resize((i + 1) * 256, kNonAscii);
    for (unsigned c = 0; c < 128; ++c) {
      const uint64_t to = Step(sets[i], static_cast<unsigned char>(c));
      if (to == 0) {
        dfa[i * 256 + c] = kDead;
        continue;
      }
      size_t j = 0;
      while (j < sets.size() && sets[j] != to) ++j;
      if (j == sets.size()) {
        if (sets.size() == kMaxDfaStates) return;  // too many: the NFA it is
        sets.push_back(to);
      }
      dfa[i * 256 + c] = static_cast<uint8_t>(j);
    }
  }
  dfa_ = std::move(dfa);
  accepting_ = accepting;
}

}  // namespace strm
