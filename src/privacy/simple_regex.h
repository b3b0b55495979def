// SimpleRegex: the common shape of a contract's validation regexes (`^[^@]+@[^@]+$`, a
// code of digits, a word) matched in a few nanoseconds a byte, without RE2's per-match
// set-up and locking: a validation runs on every row.
//
// Compile accepts only a subset of RE2's syntax, and gives the answer of
// RE2::FullMatch(value, RE2(pattern)) with RE2's default options (UTF-8, case-sensitive,
// `.` not matching a newline):
//   - an optional `^` first and an optional `$` last (anchors; a full match needs neither);
//   - a sequence of atoms, each optionally followed by `?`, `*` or `+`;
//   - atoms: a printable ASCII character that is not a metacharacter, `\` + ASCII
//     punctuation, `.`, `\d` `\w` `\s` `\D` `\W` `\S`, and classes `[...]` / `[^...]` of
//     printable ASCII characters, ranges `a-z`, escaped punctuation and `\d` `\w` `\s`;
//   - at most 63 atoms after expanding `x+` into `xx*`.
// Anything else (groups, alternation, counted repetition, flags, POSIX classes, non-ASCII
// pattern text) is refused, and the caller uses RE2. Values are matched as ASCII: Match
// answers nullopt for a value with a byte >= 0x80, which the caller then gives to RE2
// (a multibyte character is one `.` to RE2).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace strm {

class SimpleRegex {
 public:
  static std::optional<SimpleRegex> Compile(std::string_view pattern);

  // Whether the whole of `value` matches; nullopt if `value` is not ASCII.
  std::optional<bool> Match(std::string_view value) const {
    if (dfa_.empty()) return MatchNfa(value);
    // A DFA: most of a value is a run of bytes that keep the state (`[^@]+`), and the scan
    // over such a run has no dependency from byte to byte (the NFA's state update, a chain
    // of eight instructions a byte, had; it was 4% of a batch job).
    const auto* p = reinterpret_cast<const unsigned char*>(value.data());
    const unsigned char* const end = p + value.size();
    unsigned state = 0;
    while (p < end) {
      const uint8_t* next = &dfa_[state * 256];
      while (p < end && next[*p] == state) ++p;
      if (p == end) break;
      const uint8_t to = next[*p++];
      if (to == kDead) return false;
      if (to == kNonAscii) return std::nullopt;
      state = to;
    }
    return (accepting_ >> state & 1) != 0;
  }

  // Whether Match runs a DFA (patterns of up to 64 DFA states) rather than the NFA.
  bool has_dfa() const { return !dfa_.empty(); }

 private:
  static constexpr uint8_t kDead = 0xFE, kNonAscii = 0xFF;  // DFA "states" past the last
  static constexpr size_t kMaxDfaStates = 64;

  SimpleRegex() = default;
  std::optional<bool> MatchNfa(std::string_view value) const {
    // A set of positions in the atom sequence (bit i: before atom i; bit n_: the end),
    // advanced over every byte at once (a bit-parallel Thompson NFA).
    uint64_t states = start_;
    for (unsigned char c : value) {
      if (c >= 0x80) return std::nullopt;
      states = Step(states, c);
      if (states == 0) return false;
    }
    return (states >> n_ & 1) != 0;
  }
  uint64_t Step(uint64_t states, unsigned char c) const {
    const uint64_t moved = states & accepts_[c];
    return Close((moved & repeat_) | ((moved & ~repeat_) << 1));
  }
  // Adds the positions reachable by skipping optional atoms (`?`, `*`): in a run of
  // optional atoms, adding a state's bit carries up to the bit after the run, and the bits
  // the carry changed are the states reached (the state's own bit is kept by `s |`).
  uint64_t Close(uint64_t s) const { return s | ((optional_ + (s & optional_)) ^ optional_); }
  // The NFA's reachable state sets as a DFA, if there are at most kMaxDfaStates of them.
  void BuildDfa();

  std::array<uint64_t, 128> accepts_{};  // per byte: the atoms matching it
  uint64_t repeat_ = 0;                  // atoms with `*` (after expanding `+`)
  uint64_t optional_ = 0;                // atoms with `?` or `*`
  uint64_t start_ = 0;                   // Close(bit 0)
  unsigned n_ = 0;                       // atoms
  // [state * 256 + byte]: the next state, kDead or kNonAscii; state 0 is the start.
  std::vector<uint8_t> dfa_;
  uint64_t accepting_ = 0;  // bit per DFA state
};

}  // namespace strm
