#!/usr/bin/env bash
# Load on the REST API (issue 15): 200 concurrent keep-alive clients for 30 s (wrk) on a
# server holding the demo's connector, contract and 5 finished batch jobs, each request a
# different read route with the bearer token (list jobs, one job, list connectors, one
# contract, a watch that answers at once). Fails if any request errs or is not 2xx.
# Usage: bash bench/api_load.sh [CONNECTIONS] [SECONDS]   (defaults 200, 30)
# Binaries from $STRM_BUILD_DIR (default build); wrk from scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
connections=${1:-200}
seconds=${2:-30}
build_dir=${STRM_BUILD_DIR:-build}
strm=$repo/$build_dir/strm
[[ -x $strm ]] || { echo "api_load: $strm is missing (cmake --build $build_dir)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "api_load: wrk is missing (bash scripts/setup.sh)" >&2; exit 1; }

work=$(mktemp -d)
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export STRM_HOME=$work/home
unset STRM_API_URL STRM_API_TOKEN
mkdir -p "$work/data"
cp examples/demo/input.csv "$work/data/"
"$strm" create data-connector local databert-demo "$work/data" -o plain >/dev/null
"$strm" create data-contract databert-handle/batch_job_public/1.0.0 \
  --schema-definition examples/demo/schema.json --contract-definition examples/demo/contract.json \
  -o plain >/dev/null

"$strm" serve --listen 127.0.0.1:0 --http-threads 1 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q ' ready ' "$work/serve.log" && break; sleep 0.1; done
port=$(grep ' ready ' "$work/serve.log" | grep -oE '[0-9]+$')
export STRM_API_URL=http://127.0.0.1:$port
STRM_API_TOKEN=$(cat "$STRM_HOME/api-token")
export STRM_API_TOKEN
for i in 1 2 3 4 5; do
  "$strm" create batch-job -F examples/demo/job.json --wait -o plain >/dev/null
done
id=$("$strm" list batch-jobs -o plain | head -1 | cut -f1)

cat >"$work/api.lua" <<LUA
local paths = {
  "/api/v1/batch-jobs",
  "/api/v1/batch-jobs/$id",
  "/api/v1/data-connectors",
  "/api/v1/data-contracts/databert-handle/batch_job_public/1.0.0",
  "/api/v1/batch-jobs/$id?seen=-1",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Authorization"] = "Bearer $STRM_API_TOKEN"})
end
LUA
out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/api.lua" "$STRM_API_URL")
echo "$out"
requests=$(awk '/requests in/ {print $1}' <<<"$out")
non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
socket=$(grep -c 'Socket errors' <<<"$out" || true)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
echo "api_load: $connections connections, ${seconds}s: $requests requests," \
  "$(awk '/Requests\/sec/ {print $2}' <<<"$out") requests/s," \
  "p50 $(awk '$1 == "50%" {print $2}' <<<"$out"), p99 $(awk '$1 == "99%" {print $2}' <<<"$out")," \
  "non-2xx ${non2xx:-0}, socket errors: $socket line(s), server peak RSS $((rss / 1024)) MiB"
kill -TERM "$server"
wait "$server" || true
server=""
[[ -z $non2xx && $socket -eq 0 ]] || { echo "api_load: FAILED: errors under load" >&2; exit 1; }
