#!/usr/bin/env bash
# The HTTP layer's ceiling on this machine (issue 15): strm's HttpServer answering 204 to
# every POST /event (bench/http_hello.cc) against nginx doing the same, one event-loop thread
# or worker each, pinned to core 0; the load generator pinned to core 1.
# Usage: bash bench/http_hello.sh [ROUNDS] [SECONDS]     (defaults: 3 rounds of 10 s)
#
# HTTP/1.1: wrk -t1 -c64 -d$SECONDS --latency (a 199-byte JSON body).
# h2c:      h2load -c64 -m10 -n 500000 (prior knowledge; nginx 1.22 serves h2c on a port of
#           its own, strm on the same port as HTTP/1.1).
# Prints one line per run: protocol, server, requests/s, p99 (h2load: from its log), and the
# server's CPU microseconds per request (/proc/PID/stat), which noise moves least.
# Installs nginx-light, wrk and nghttp2-client if missing (Debian). Binaries from
# $STRM_BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-10}
build_dir=${STRM_BUILD_DIR:-build}
hello=$build_dir/strm_http_hello
[[ -x $hello ]] || cmake --build "$build_dir" --target strm_http_hello >&2

# shellcheck source-path=SCRIPTDIR source=nginx_ceiling.sh
source bench/nginx_ceiling.sh
install_load_tools

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

body='{"type": "page_view", "ts": 1700000000123, "session": "a1b2c3d4e5f6a7b8", "url": "https://example.com/products/widget?ref=home&utm=x", "ua": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101", "n": 42}'
printf '%s' "$body" >"$work/body.json"
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
write_nginx_conf "$work" 18080 18090
taskset -c 0 "$NGINX" -c "$work/nginx.conf" &
pids+=($!)
taskset -c 0 "$hello" 18082 &
pids+=($!)
sleep 1
nginx_worker=$(pgrep -f "nginx: worker" | head -1)
strm_pid=${pids[1]}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

echo "protocol  server  requests_per_s  p99_ms  server_cpu_us_per_request"
for ((round = 1; round <= rounds; round++)); do
  for server in nginx strm; do
    if [[ $server == nginx ]]; then pid=$nginx_worker h1=18080 h2=18090; else pid=$strm_pid h1=18082 h2=18082; fi
    c0=$(cpu_ticks "$pid")
    out=$(taskset -c 1 wrk -t1 -c64 -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$h1/event")
    ticks=$(($(cpu_ticks "$pid") - c0))
    reqs=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf 'http/1.1  %-6s  %14.0f  %6s  %.1f\n' "$server" "$reqs" "$p99" \
      "$(awk -v t="$ticks" -v n="$total" -v hz="$hz" 'BEGIN {print t / hz * 1e6 / n}')"
    c0=$(cpu_ticks "$pid")
    out=$(taskset -c 1 h2load -c64 -m10 -n 500000 -d "$work/body.json" \
      -H 'content-type: application/json' --log-file="$work/h2.tsv" "http://127.0.0.1:$h2/event")
    ticks=$(($(cpu_ticks "$pid") - c0))
    reqs=$(awk '/^finished in/ {print $4}' <<<"$out")
    ok=$(awk '/^status codes:/ {print $3}' <<<"$out")
    [[ $ok == 500000 ]] || { echo "h2load: not every request got a 2xx: $out" >&2; exit 1; }
    p99=$(awk -F'\t' '{print $3 / 1000}' "$work/h2.tsv" | sort -n | awk '{a[NR] = $1} END {printf "%.2fms", a[int(NR * 0.99)]}')
    printf 'h2c       %-6s  %14.0f  %6s  %.1f\n' "$server" "$reqs" "$p99" \
      "$(awk -v t="$ticks" -v hz="$hz" 'BEGIN {print t / hz * 1e6 / 500000}')"
  done
done
