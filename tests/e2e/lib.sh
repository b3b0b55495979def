# shellcheck shell=bash
# Shared helpers of the end-to-end tests; sourced by every tests/e2e/*_test.sh, which CTest
# runs as `bash <script> <path-to-strm> <source-dir>`. Each assertion prints what it expected
# and what came when it fails, and exits non-zero; `finish` prints the count.

if [[ $# -lt 2 ]]; then
  echo "usage: bash $0 <path-to-strm> <source-dir>" >&2
  exit 2
fi
STRM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
# shellcheck disable=SC2034  # used by the scripts that source this file
DEMO=$SRC/examples/demo
PASSED=0

# A private STRM_HOME and data directory, removed on exit. No server: the embedded catalog.
WORK=$(mktemp -d)
SERVICE_PIDS=()
cleanup() {
  local p
  for p in "${SERVICE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
export STRM_HOME=$WORK/home
DATA=$WORK/data
mkdir -p "$DATA"
unset STRM_API_URL
export LC_ALL=C  # byte order for sort and [[ < ]]

pass() { PASSED=$((PASSED + 1)); }

fail() {
  echo "FAIL: $1" >&2
  shift
  local line
  for line in "$@"; do echo "  $line" >&2; done
  echo "$PASSED passed, 1 failed" >&2
  exit 1
}

# Runs a command without letting `set -e` stop the script; sets OUT, ERR and RC.
run() {
  set +e
  "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  RC=$?
  set -e
  OUT=$(cat "$WORK/stdout")
  ERR=$(cat "$WORK/stderr")
}

# Runs strm and requires exit code 0 and an empty stderr; sets OUT.
strm_ok() {
  run "$STRM" "$@"
  if [[ $RC -ne 0 || -n $ERR ]]; then
    fail "strm $* should succeed" "exit code: $RC" "stderr: $ERR"
  fi
}

expect_eq() {  # name expected actual
  if [[ "$2" != "$3" ]]; then
    fail "$1" "expected: [$2]" "got:      [$3]"
  fi
  pass
}

expect_contains() {  # name haystack needle
  if [[ "$2" != *"$3"* ]]; then
    fail "$1" "expected to contain: [$3]" "got: [$2]"
  fi
  pass
}

expect_not_contains() {  # name haystack needle
  if [[ "$2" == *"$3"* ]]; then
    fail "$1" "expected not to contain: [$3]" "got: [$2]"
  fi
  pass
}

expect_line() {  # name text line: `line` is one whole line of `text`
  if ! grep -qxF -- "$3" <<<"$2"; then
    fail "$1" "expected a line: [$3]" "got: [$2]"
  fi
  pass
}

# expect_fail name code needle [needle...] -- strm-args...
# The command must exit with `code`, print nothing on stdout, and print one sentence on stderr
# that starts with "Error: " and contains every needle. Usage errors (code 2) may add the line
# "Run with --help for usage."; other errors print exactly one line.
expect_fail() {
  local name=$1 code=$2 needles=()
  shift 2
  while [[ $1 != -- ]]; do
    needles+=("$1")
    shift
  done
  shift
  run "$STRM" "$@"
  local first=${ERR%%$'\n'*} rest=
  [[ $ERR == *$'\n'* ]] && rest=${ERR#*$'\n'}
  if [[ $RC -ne $code ]]; then
    fail "$name: exit code" "expected: $code" "got:      $RC" "stderr: $ERR"
  fi
  if [[ -n $OUT ]]; then
    fail "$name: stdout must be empty" "got: [$OUT]"
  fi
  if [[ $first != "Error: "* ]]; then
    fail "$name: stderr must start with 'Error: '" "got: [$ERR]"
  fi
  if [[ -n $rest && ($code -ne 2 || $rest != "Run with --help for usage.") ]]; then
    fail "$name: stderr must be one sentence" "got: [$ERR]"
  fi
  local n
  for n in "${needles[@]}"; do
    if [[ $first != *"$n"* ]]; then
      fail "$name: message" "expected to contain: [$n]" "got: [$first]"
    fi
  done
  pass
}

# The directory of the test servers that scripts/services.sh installs (fails if missing).
services_dir() {
  bash "$SRC/scripts/services.sh" --check > /dev/null ||
    fail "the test servers are not installed" "run: bash scripts/services.sh"
  echo "${STRM_SERVICES_DIR:-$SRC/.cache/services}"
}

# start_service LOG REGEX CMD...: starts CMD in the background with its output in LOG, waits
# (30 s at most) for a line matching REGEX, whose last number is the port it listens on; sets
# PORT and SERVICE_PID. The service is stopped when the script exits.
start_service() {
  local log=$1 regex=$2 i line
  shift 2
  "$@" >"$log" 2>&1 &
  SERVICE_PID=$!
  SERVICE_PIDS+=("$SERVICE_PID")
  for ((i = 0; i < 300; i++)); do
    line=$(grep -E "$regex" "$log" 2>/dev/null | head -1 || true)
    if [[ -n $line ]]; then
      PORT=$(grep -oE '[0-9]+' <<<"$line" | tail -1)
      return 0
    fi
    kill -0 "$SERVICE_PID" 2>/dev/null || fail "service $1 exited" "$(cat "$log")"
    sleep 0.1
  done
  fail "service $1 did not start in 30 s" "$(cat "$log")"
}

# start_strm_server LOG [FLAGS...]: `strm serve` on a free port of 127.0.0.1 with FLAGS, its
# log in LOG, ready; points the CLI at it (STRM_API_URL, STRM_API_TOKEN) and sets SERVER (its
# pid).
start_strm_server() {
  local log=$1
  shift
  start_service "$log" 'ready .*url=http://127.0.0.1:[0-9]+' \
    "$STRM" serve --listen 127.0.0.1:0 "$@"
  SERVER=$SERVICE_PID
  export STRM_API_URL=http://127.0.0.1:$PORT
  STRM_API_TOKEN=$(cat "$STRM_HOME/api-token")
  export STRM_API_TOKEN
}

# start_s3rver: s3rver (which checks SigV4 signatures) on 127.0.0.1 with the bucket
# demo-bucket, its objects under $WORK/s3; sets S3 (its URL) and SERVICES. (s3rver encrypts
# its list continuation tokens with DES, which Node 20 only allows with
# --openssl-legacy-provider.)
start_s3rver() {
  SERVICES=$(services_dir)
  mkdir -p "$WORK/s3"
  start_service "$WORK/s3rver.log" 'S3rver listening on' \
    node --openssl-legacy-provider \
    -e "require(process.argv[1]).parseAsync(process.argv.slice(2), {from: 'user'})" \
    "$SERVICES/node_modules/@20minutes/s3rver/lib/cli.js" -d "$WORK/s3" -a 127.0.0.1 -p 0 \
    --configure-bucket demo-bucket --silent
  S3=http://127.0.0.1:$PORT
}

# s3 GET|PUT|DELETE KEY [FILE]: a request to s3rver's demo-bucket signed by curl's own SigV4
# (so that a test does not check strm against itself); prints the body, fails on an HTTP
# error.
s3() {
  local method=$1 key=$2 file=${3:-}
  local args=(-sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$method")
  [[ -n $file ]] && args+=(-T "$file")
  # Bucket requests ("?query") go to /bucket, without a slash (s3rver's signature check
  # wants that form).
  if [[ $key == \?* ]]; then
    curl "${args[@]}" "$S3/demo-bucket$key"
  else
    curl "${args[@]}" "$S3/demo-bucket/$key"
  fi
}
s3_keys() {  # the keys under a prefix, one per line
  s3 GET "?list-type=2&prefix=${1//\//%2F}" | grep -oE '<Key>[^<]*</Key>' |
    sed -E 's/<\/?Key>//g' || true
}

# expect_decrypts_demo NAME ENCRYPTED KEYS: `strm decrypt` of a demo job's encrypted output
# with its keys output gives back the demo input's columns (the contract $CONTRACT).
expect_decrypts_demo() {
  strm_ok decrypt -F "$2" --keys "$3" --contract "$CONTRACT"
  expect_eq "$1" "$(cut -d, -f1-2,4-9 "$DEMO/input.csv")" "$(cut -d, -f1-8 <<<"$OUT")"
}

# After `run` of a job against a store that is down (fault_proxy.js --down): exit code 1 and
# an error that names the connector $1, the request $2 ("GCS POST gs://bucket/"), the store's
# answer $3 and how often it was tried (the retry policy's 5 attempts).
expect_down_failure() {
  expect_eq "job against a store that is down fails" 1 "$RC"
  expect_contains "the error names the connector" "$ERR" "data connector '$1'"
  expect_contains "the error names the store and the object" "$ERR" "$2"
  expect_contains "the error says what failed" "$ERR" "$3"
  expect_contains "the error says how often it was tried" "$ERR" "failed after 5 attempts"
}

# The demo job with every connector replaced by $1 and every output under the prefix $2.
demo_job_for() {
  sed -e "s/\"name\": \"databert-demo\"/\"name\": \"$1\"/" \
    -e "s|\"file_name\": \"out/|\"file_name\": \"$2/|" "$DEMO/job.json"
}

finish() {
  echo "$PASSED passed, 0 failed"
}
