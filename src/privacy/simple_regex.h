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

namespace strm {

class SimpleRegex {
 public:
  static std::optional<SimpleRegex> Compile(std::string_view pattern);

  // Whether the whole of `value` matches; nullopt if `value` is not ASCII.
  std::optional<bool> Match(std::string_view value) const {
    // A set of positions in the atom sequence (bit i: before atom i; bit n_: the end),
    // advanced over every byte at once (a bit-parallel Thompson NFA).
    uint64_t states = start_;
    for (unsigned char c : value) {
      if (c >= 0x80) return std::nullopt;
      const uint64_t moved = states & accepts_[c];
      states = Close((moved & repeat_) | ((moved & ~repeat_) << 1));
      if (states == 0) return false;
    }
    return (states >> n_ & 1) != 0;
  }

 private:
  SimpleRegex() = default;
  // Adds the positions reachable by skipping optional atoms (`?`, `*`): in a run of
  // optional atoms, adding a state's bit carries up to the bit after the run, and the bits
  // the carry changed are the states reached (the state's own bit is kept by `s |`).
  uint64_t Close(uint64_t s) const { return s | ((optional_ + (s & optional_)) ^ optional_); }

  std::array<uint64_t, 128> accepts_{};  // per byte: the atoms matching it
  uint64_t repeat_ = 0;                  // atoms with `*` (after expanding `+`)
  uint64_t optional_ = 0;                // atoms with `?` or `*`
  uint64_t start_ = 0;                   // Close(bit 0)
  unsigned n_ = 0;                       // atoms
};

}  // namespace strm
