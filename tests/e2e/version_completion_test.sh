#!/usr/bin/env bash
# `strm --version` names the release of CMakeLists.txt; `strm completion bash|zsh` prints
# scripts that complete commands and flags from the command tree.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

version=$(sed -n 's/^project(strm VERSION \([0-9.]*\) .*/\1/p' "$SRC/CMakeLists.txt")
strm_ok --version
expect_eq "--version prints the release" "strm $version" "$OUT"

strm_ok completion bash
script=$WORK/strm.bash
printf '%s\n' "$OUT" >"$script"
# complete WORDS...: what the script offers for the last word after strm WORDS.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=(strm "$@"); COMP_CWORD=$#; _strm; echo "${COMPREPLY[*]}"' \
    _ "$script" "$@"
}
expect_eq "top-level commands" "completion create decrypt delete get list listen serve simulate" \
  "$(complete_words "" | tr ' ' '\n' | sort | paste -sd' ')"
expect_eq "nested commands" "data-connector data-contract" "$(complete_words create data-)"
expect_eq "a command's flags" "--file" "$(complete_words create batch-job --fi)"
expect_eq "flags before a command are skipped" "simulate" "$(complete_words -o json si)"
expect_contains "a leaf's positional completes file names" \
  "$(cd "$SRC" && complete_words create batch-job -F examples/demo/jo)" "examples/demo/job.json"

strm_ok completion zsh
expect_eq "zsh script starts with #compdef" "#compdef strm" "$(head -1 <<<"$OUT")"
expect_contains "zsh loads the bash functions" "$OUT" "bashcompinit"
expect_contains "zsh script holds the completer" "$OUT" "complete -F _strm strm"

expect_fail "an unknown shell" 1 "no completion for shell 'fish'" "bash or zsh" -- completion fish
expect_fail "completion needs a shell" 2 "shell" -- completion

finish
