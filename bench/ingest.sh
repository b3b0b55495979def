#!/usr/bin/env bash
# Event ingest against the HTTP ceiling (issue 16): `strm serve` taking demo events into a
# stream, durably (group commit before each 204), against nginx answering 204 to the same
# requests without doing anything (one worker), with the same load command. The load
# generator shares the machine's cores with the server, as the issue sets it; with
# STRM_BENCH_PIN=1 both servers (strm with all of its threads) are pinned to core 0 and the
# load generator to core 1.
# Usage: bash bench/ingest.sh [ROUNDS] [SECONDS] [MODES]
#   defaults: 2 rounds of 10 s, MODES "h1 h2c batch"
#   h1:    wrk -t1 -c64 --latency, POST /event, Avro binary bodies over 1,000 key-field values
#          (bench/ingest_bodies.cc), with STRM's Python driver's headers and the bearer token.
#   h2c:   h2load -c64 -m10 (prior knowledge), POST /event with one Avro body (h2load sends
#          one body; keys are made once per value either way).
#   batch: wrk -t1 -c8, POST /events with a JSON array of 1,000 events a request.
#   idle:  10,000 keep-alive connections opened and left idle (each answered once), the h1
#          load run beside them, then each of the 10,000 asked again (strm only).
#   volume: 10,000,000 events (h2load -n 10000 -c8 of the 1,000-event batch) into strm, for its
#          peak RSS (strm only).
# Prints one line per run: mode, server, requests/s, events/s, p99, and the server's CPU µs a
# request; fails if any request of strm's was not answered 2xx, or if the log holds fewer
# events than strm acknowledged. Then strm's peak RSS. Binaries from $STRM_BUILD_DIR
# (default build); installs nginx-light, wrk and nghttp2-client if missing (Debian).
# STRM_BENCH_PROFILE=DIR: records strm's runs with `perf record -g` into DIR/<mode>.perf.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rounds=${1:-2}
seconds=${2:-10}
modes=${3:-h1 h2c batch}
build_dir=${STRM_BUILD_DIR:-build}
strm=$repo/$build_dir/strm
bodies=$repo/$build_dir/strm_ingest_bodies
dump=$repo/$build_dir/strm_log_dump
[[ -x $strm && -x $bodies && -x $dump ]] ||
  cmake --build "$build_dir" --target strm strm_ingest_bodies strm_log_dump >&2

# shellcheck source-path=SCRIPTDIR source=nginx_ceiling.sh
source bench/nginx_ceiling.sh
install_load_tools

read -ra perf_flags <<<"${STRM_BENCH_PERF_FLAGS:--g}"  # split on purpose: several flags
pin_server="" pin_load=""
if [[ ${STRM_BENCH_PIN:-0} == 1 ]]; then pin_server="taskset -c 0" pin_load="taskset -c 1"; fi
work=$(mktemp -d "${STRM_BENCH_DIR:-/tmp}/strm-ingest.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$bodies" 1000 1000 "$work"

# nginx: 204 to everything (bench/nginx_ceiling.sh).
write_nginx_conf "$work" 18080 18090
$pin_server "$NGINX" -c "$work/nginx.conf" &
pids+=($!)

# strm: a source stream, its token, the server on core 0.
export STRM_HOME=$work/home
unset STRM_API_URL STRM_API_TOKEN
created=$("$strm" create stream bench -o json)
client_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientId"])' "$created")
client_secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientSecret"])' "$created")
$pin_server "$strm" serve --listen 127.0.0.1:0 --http-threads 1 >"$work/serve.log" 2>&1 &
strm_pid=$!
pids+=("$strm_pid")
for _ in $(seq 100); do grep -q ' ready ' "$work/serve.log" && break; sleep 0.1; done
port=$(grep ' ready ' "$work/serve.log" | grep -oE '[0-9]+$')
url=http://127.0.0.1:$port
token=$(curl -sS -d "grant_type=client_credentials&client_id=$client_id&client_secret=$client_secret" \
  "$url/auth/realms/streams/protocol/openid-connect/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
nginx_worker=$(pgrep -f "nginx: worker" | head -1)

# The Python driver's headers; wrk formats each body's request once.
cat >"$work/event.lua" <<LUA
dofile("$work/bodies.lua")
local headers = {
  ["Authorization"] = "Bearer $token",
  ["Content-Type"] = "application/octet-stream",
  ["Strm-Serialization-Type"] = "application/x-avro-binary",
  ["Strm-Schema-Ref"] = "strmprivacy/example/1.3.0",
  ["Strm-Driver-Version"] = "3.1.0",
}
local requests = {}
init = function(args)
  for i, body in ipairs(bodies) do requests[i] = wrk.format("POST", "/event", headers, body) end
end
local n = 0
request = function()
  n = n % #requests + 1
  return requests[n]
end
LUA
cat >"$work/batch.lua" <<LUA
local f = io.open("$work/batch.json", "rb")
wrk.method = "POST"
wrk.path = "/events"
wrk.body = f:read("*a")
f:close()
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
LUA
batch_events=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/batch.json")
# /events answers 200 with a result per event: one must be "ok" for each.
answer=$(curl -sS -X POST "$url/events" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' --data-binary @"$work/batch.json")
python3 - "$answer" "$batch_events" <<'PY'
import json, sys
results = json.loads(sys.argv[1])["results"]
bad = [r for r in results if r.get("status") != 204]
if len(results) != int(sys.argv[2]) or bad:
    sys.exit(f"ingest: /events answered {len(results)} results, {len(bad)} not 204: {bad[:1]}")
PY
acked=$batch_events

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
report() {  # MODE SERVER REQUESTS_PER_S EVENTS_PER_REQUEST P99 TICKS REQUESTS
  printf '%-6s %-6s %14.0f %14.0f %9s %8.1f\n' "$1" "$2" "$3" "$(awk -v r="$3" -v e="$4" 'BEGIN {print r * e}')" \
    "$5" "$(awk -v t="$6" -v n="$7" -v hz="$hz" 'BEGIN {print t / hz * 1e6 / n}')"
}
run_wrk() {  # MODE SERVER PID PORT SCRIPT CONNECTIONS EVENTS_PER_REQUEST
  local c0 out ticks total non2xx
  c0=$(cpu_ticks "$3")
  out=$($pin_load wrk -t1 -c"$6" -d"${seconds}s" --latency -s "$5" "http://127.0.0.1:$4/")
  ticks=$(($(cpu_ticks "$3") - c0))
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  if [[ $2 == strm ]]; then
    [[ -z $non2xx ]] || { echo "ingest: $non2xx answers of strm were not 2xx: $out" >&2; exit 1; }
    ! grep -q 'Socket errors' <<<"$out" || { echo "ingest: socket errors: $out" >&2; exit 1; }
    acked=$((acked + total * $7))
  fi
  report "$1" "$2" "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" "$7" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")" "$ticks" "$total"
}
run_h2load() {  # SERVER PID PORT
  local c0 out ticks n=500000
  c0=$(cpu_ticks "$2")
  out=$($pin_load h2load -c64 -m10 -n $n -d "$work/body.avro" \
    -H "authorization: Bearer $token" -H 'content-type: application/octet-stream' \
    -H 'strm-serialization-type: application/x-avro-binary' \
    -H 'strm-schema-ref: strmprivacy/example/1.3.0' --log-file="$work/h2.tsv" \
    "http://127.0.0.1:$3/event")
  ticks=$(($(cpu_ticks "$2") - c0))
  [[ $(awk '/^status codes:/ {print $3}' <<<"$out") == "$n" ]] ||
    { echo "ingest: h2load: not every request got a 2xx from $1: $out" >&2; exit 1; }
  [[ $1 == strm ]] && acked=$((acked + n))
  report h2c "$1" "$(awk '/^finished in/ {print $4}' <<<"$out")" 1 \
    "$(awk -F'\t' '{print $3 / 1000}' "$work/h2.tsv" | sort -n |
      awk '{a[NR] = $1} END {printf "%.2fms", a[int(NR * 0.99)]}')" "$ticks" $n
}

run_idle() {  # 10,000 idle keep-alive connections held while the h1 load runs
  python3 - "$port" "$work/idle.fifo" <<'PY' &
import resource, socket, sys
port, fifo = int(sys.argv[1]), sys.argv[2]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
request = b"GET /is-alive HTTP/1.1\r\nHost: bench\r\n\r\n"
def ask(s):
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"ok"):
        chunk = s.recv(4096)
        if not chunk:
            return False
        data += chunk
    return data.startswith(b"HTTP/1.1 200")
conns = []
for _ in range(10000):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    conns.append(s)
opened = sum(ask(s) for s in conns)
print(f"idle: {len(conns)} connections opened, {opened} answered", flush=True)
open(fifo).read()  # until the load beside them is done
again = sum(ask(s) for s in conns)
print(f"idle: {again} of {len(conns)} still open and answering after the load", flush=True)
PY
  local idle_pid=$!
  for _ in $(seq 600); do grep -q . "$work/idle.out" 2>/dev/null && break; sleep 0.1; done
  echo "strm: $(find "/proc/$strm_pid/fd" -mindepth 1 | wc -l) open files, RSS $(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$strm_pid/status") MiB with the idle connections"
  local perf_pid=""
  if [[ -n ${STRM_BENCH_PROFILE:-} ]]; then
    mkdir -p "$STRM_BENCH_PROFILE"
    perf record -q "${perf_flags[@]}" -p "$strm_pid" -o "$STRM_BENCH_PROFILE/idle.perf" 2>/dev/null &
    perf_pid=$!
  fi
  run_wrk "h1+10k" strm "$strm_pid" "$port" "$work/event.lua" 64 1
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  echo "done" >"$work/idle.fifo"
  wait "$idle_pid"
}

echo "mode   server   requests_per_s   events_per_s       p99  cpu_us_per_request"
for ((round = 1; round <= rounds; round++)); do
  for mode in $modes; do
    if [[ $mode == idle ]]; then
      mkfifo "$work/idle.fifo"
      run_idle > >(tee "$work/idle.out") 2>&1
      rm -f "$work/idle.fifo" "$work/idle.out"
      continue
    fi
    if [[ $mode == volume ]]; then
      start=$(date +%s.%N)
      out=$($pin_load h2load -c8 -n 10000 -d "$work/batch.json" -H "authorization: Bearer $token" \
        -H 'content-type: application/json' "http://127.0.0.1:$port/events")
      [[ $(awk '/^status codes:/ {print $3}' <<<"$out") == 10000 ]] ||
        { echo "ingest: volume: not every request got a 2xx: $out" >&2; exit 1; }
      acked=$((acked + 10000 * batch_events))
      echo "volume: $((10000 * batch_events)) events in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}') s," \
        "strm RSS now $(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$strm_pid/status") MiB," \
        "peak $(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$strm_pid/status") MiB"
      continue
    fi
    for server in nginx strm; do
      if [[ $server == nginx ]]; then pid=$nginx_worker h1=18080 h2=18090; else pid=$strm_pid h1=$port h2=$port; fi
      perf_pid=""
      if [[ $server == strm && -n ${STRM_BENCH_PROFILE:-} ]]; then
        mkdir -p "$STRM_BENCH_PROFILE"
        perf record -q "${perf_flags[@]}" -p "$strm_pid" -o "$STRM_BENCH_PROFILE/$mode.perf" 2>/dev/null &
        perf_pid=$!
      fi
      case $mode in
        h1) run_wrk h1 $server "$pid" "$h1" "$work/event.lua" 64 1 ;;
        h2c) run_h2load $server "$pid" "$h2" ;;
        batch) run_wrk batch $server "$pid" "$h1" "$work/batch.lua" 8 "$batch_events" ;;
        *) echo "ingest: unknown mode $mode (h1, h2c, batch)" >&2; exit 2 ;;
      esac
      if [[ -n $perf_pid ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
    done
  done
done
rss=$(awk '/VmHWM/ {print $2}' "/proc/$strm_pid/status")
kill -TERM "$strm_pid"
wait "$strm_pid" || true
# Every acknowledged event is in the log: count the records of the stream's events topic.
stream_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$created")
logged=$("$dump" "$STRM_HOME/log" "events.$stream_id" --count)
echo "strm: $acked events acknowledged, $logged in the log, peak RSS $((rss / 1024)) MiB"
((logged >= acked)) || { echo "ingest: the log holds fewer events than were acknowledged" >&2; exit 1; }
