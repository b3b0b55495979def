#!/usr/bin/env bash
# `strm serve`: ready when /healthz answers 200; one server per STRM_HOME (the second is
# refused, naming the first); bad flags are named; HTTP/1.1 and h2c (h2load, many streams on
# one connection) on one port; JSON errors for unknown routes; SIGTERM drains and exits 0;
# a request log line per request, in text or JSON.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_service "$WORK/serve.log" 'ready .*url=http://127.0.0.1:[0-9]+' \
  "$STRM" serve --listen 127.0.0.1:0
SERVER_PID=$SERVICE_PID
BASE=http://127.0.0.1:$PORT

run curl -s -w '\n%{http_code}' "$BASE/healthz"
expect_eq "/healthz answers 200 once ready" $'{"status":"ok"}\n200' "$OUT"
run curl -s -w '\n%{http_code}' "$BASE/no/such/route"
expect_eq "an unknown route is a JSON 404" \
  $'{"error":{"code":404,"message":"no route for GET /no/such/route","status":"not found"}}\n404' "$OUT"

if command -v h2load >/dev/null; then
  run h2load -n 200 -c 2 -m 20 "$BASE/healthz"
  expect_contains "h2load: 200 requests over h2c, multiplexed on 2 connections" "$OUT" \
    "status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx"
  expect_contains "h2load spoke h2c" "$OUT" "Application protocol: h2c"
else
  echo "note: h2load is missing (scripts/setup.sh installs nghttp2-client); h2c not checked" >&2
fi

expect_fail "a second server on the same STRM_HOME" 1 \
  "another strm server runs on $STRM_HOME (pid $SERVER_PID on" "stop it first" \
  -- serve --listen 127.0.0.1:0
expect_fail "a bad --listen" 1 "--listen must be HOST:PORT, got 'nonsense'" \
  -- serve --listen nonsense
expect_fail "a port out of range" 1 "the port must be a number from 0 to 65535, got '70000'" \
  -- serve --listen 127.0.0.1:70000
expect_fail "a bad --log-format" 1 "--log-format must be json or text, got 'xml'" \
  -- serve --log-format xml
expect_fail "a --watch-interval out of range" 2 "--watch-interval" "not in range 0.05" \
  -- serve --listen 127.0.0.1:0 --watch-interval 0
expect_fail "a bad --catalog" 1 "--catalog must be sqlite:DIR or postgresql://..., got 'mysql:x'" \
  -- serve --catalog mysql:x
expect_fail "a PostgreSQL catalog" 1 "PostgreSQL catalogs" "not supported by this release" \
  -- serve --catalog postgresql://localhost/strm
expect_fail "--tls-cert without --tls-key" 1 "TLS needs both --tls-cert and --tls-key" \
  -- serve --tls-cert /nonexistent.pem

kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
expect_eq "SIGTERM drains and exits 0" 0 "$rc"
log=$(cat "$WORK/serve.log")
expect_contains "the log has a line per request" "$log" \
  "request method=GET path=/healthz status=200 ms="
expect_contains "the log says it drained" "$log" "draining signal=SIGTERM"
expect_contains "the log says it stopped" "$log" "stopped"
run curl -s "$BASE/healthz"
expect_eq "nothing listens any more" 7 "$RC"

# JSON logs; the address in use is named.
start_service "$WORK/serve2.log" '"event":"ready"' "$STRM" serve --listen 127.0.0.1:0 \
  --log-format json
SERVER_PID=$SERVICE_PID
PORT=$(grep -oE '127\.0\.0\.1:[0-9]+' "$WORK/serve2.log" | head -1 | cut -d: -f2)
run curl -s "http://127.0.0.1:$PORT/healthz"
STRM_HOME=$WORK/other-home expect_fail "an address in use" 1 \
  "cannot listen on 127.0.0.1:$PORT" -- serve --listen "127.0.0.1:$PORT"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
line=$(grep '"event":"request"' "$WORK/serve2.log" | head -1)
expect_contains "JSON request lines" "$line" '"event":"request","method":"GET","path":"/healthz","status":200,"ms":'

# HTTPS with a self-signed certificate; the catalog named with --catalog sqlite:DIR.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
start_service "$WORK/serve3.log" 'ready .*url=https://127.0.0.1:[0-9]+' "$STRM" serve \
  --listen 127.0.0.1:0 --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --catalog "sqlite:$WORK/tls-home"
SERVER_PID=$SERVICE_PID
[[ -f $WORK/tls-home/api-token ]] || fail "--catalog sqlite:DIR puts the catalog in DIR"
run curl -s --cacert "$WORK/cert.pem" "https://127.0.0.1:$PORT/healthz"
expect_eq "/healthz over HTTPS" '{"status":"ok"}' "$OUT"
STRM_HOME=$WORK/tls-home CURL_CA_BUNDLE=$WORK/cert.pem STRM_API_URL=https://127.0.0.1:$PORT \
  STRM_API_TOKEN=$(cat "$WORK/tls-home/api-token") run "$STRM" list batch-jobs -o plain
expect_eq "the CLI over HTTPS" "0:" "$RC:$ERR"
run curl -s --cacert "$WORK/cert.pem" "http://127.0.0.1:$PORT/healthz"
if [[ $RC -eq 0 ]]; then fail "plain HTTP on an HTTPS port must get no answer" "got: $OUT"; fi
pass
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
finish
