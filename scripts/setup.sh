#!/usr/bin/env bash
# Installs everything strm needs to build and test, from Debian 12's packages.
# Safe to run again: installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git time
  libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libhowardhinnant-date-dev tzdata libsqlite3-dev libre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev openssl libcpp-httplib-dev
  # the server (src/server): Boost.Beast/Asio for HTTP/1.1 and WebSocket, nghttp2 for h2c
  libboost1.74-dev libnghttp2-dev
  # the server's tests and benches: h2load and nghttp (h2c clients), wrk; curl and xxd for
  # the end-to-end tests' requests and Avro bodies
  nghttp2-client wrk curl xxd
  # the server's /metrics are checked with Prometheus's own parser
  python3-prometheus-client
  clang-format
  # scripts/fuzz.sh: clang 14; libFuzzer and the sanitizer runtimes (only recommended by
  # clang, and setup installs no recommends); llvm-symbolizer for readable stack traces.
  clang libclang-rt-14-dev llvm
)

# Node.js and npm run the connector tests' servers (scripts/services.sh). A machine that
# already has them (for instance from NodeSource, whose nodejs bundles npm) keeps its own:
# Debian's npm package would conflict with it.
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all build dependencies are installed"
fi
