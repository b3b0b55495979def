#!/usr/bin/env bash
# Configures and builds strm with a CMake preset (default: "default"; "ci" adds -Werror,
# "asan" builds with ASan + UBSan into build-asan/). Usage: scripts/build.sh [preset] [target]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
target=${2:-all}
jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target "$target" -j "$jobs"
