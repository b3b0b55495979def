#!/usr/bin/env bash
# Egress (SPEC §3): `strm listen web-socket` on GET /ws prints a stream's new events, encrypted
# with strmMeta filled for the source stream, and decrypted and masked for a derived stream;
# a bad token is refused with its reason; and the same over wss:// from a server with TLS.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_strm_server "$WORK/serve.log"
URL=$STRM_API_URL
strm_ok create stream demo -o json
cid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientId"])' "$OUT")
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientSecret"])' "$OUT")
strm_ok create stream --derived-from demo --purposes 1 \
  --masked-fields strmprivacy/example/1.3.0:notSensitiveValue --mask-seed s33d -o plain
token=$(curl -sS -d "grant_type=client_credentials&client_id=$cid&client_secret=$secret" \
  "$URL/auth/realms/streams/protocol/openid-connect/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
send() {  # UNIQUE LEVELS [curl flags...]
  curl -sS -o /dev/null -w '%{http_code}' "${@:3}" -X POST "$URL/event" -H "Authorization: Bearer $token" \
    -H 'Strm-Serialization-Type: application/json' --data-raw \
    '{"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0", "consentLevels": '"$2"'},
      "uniqueIdentifier": "'"$1"'", "consistentValue": "session-1", "notSensitiveValue": "plain-'"$1"'"}'
}

"$STRM" listen web-socket demo >"$WORK/source.out" 2>"$WORK/source.err" &
SERVICE_PIDS+=($!)
"$STRM" listen web-socket demo-M1 >"$WORK/derived.out" 2>"$WORK/derived.err" &
SERVICE_PIDS+=($!)
# Until both listeners are connected (they see what comes after they opened), send warm-ups.
for _ in $(seq 100); do
  expect_eq "warm-up 204" 204 "$(send warm [1])" >/dev/null
  [[ -s $WORK/source.out && -s $WORK/derived.out ]] && break
  sleep 0.1
done
[[ -s $WORK/source.out && -s $WORK/derived.out ]] || fail "the listeners never got an event" \
  "$(cat "$WORK/source.err" "$WORK/derived.err")"
expect_eq "event 1" 204 "$(send u-1 '[0, 1]')"
expect_eq "event 2 (no consent for 1)" 204 "$(send u-2 '[0]')"
expect_eq "event 3" 204 "$(send u-3 '[1]')"
for _ in $(seq 100); do
  grep -q 'plain-u-3' "$WORK/source.out" && grep -q '"consentLevels":\[1\]}' "$WORK/derived.out" &&
    [[ $(grep -c '"uniqueIdentifier":"u-3"' "$WORK/derived.out") -ge 1 ]] && break
  sleep 0.1
done
src=$(grep -v warm "$WORK/source.out" | grep -v '"plain-warm"' || true)
expect_eq "3 source events" 3 "$(grep -c . <<<"$src")"
expect_not_contains "source: PII encrypted" "$src" '"uniqueIdentifier":"u-1"'
expect_contains "source: non-PII as sent" "$src" '"notSensitiveValue":"plain-u-2"'
expect_contains "source: keyLink filled" "$src" '"keyLink":"'
derived=$(python3 - "$WORK/derived.out" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["uniqueIdentifier"] == "warm":
        continue
    print(e["uniqueIdentifier"], e["notSensitiveValue"] != "plain-" + e["uniqueIdentifier"], e["strmMeta"]["consentLevels"])
PY
)
expect_eq "derived: u-1 and u-3, decrypted, masked" "u-1 True [0, 1]
u-3 True [1]" "$derived"
run "$STRM" listen web-socket demo --client-id "$cid" --client-secret wrong
expect_contains "a wrong secret" "$ERR" "no access token for stream demo: invalid client credentials"
run "$STRM" listen web-socket nope
expect_contains "unknown stream" "$ERR" "no access token for stream nope"

# The same over wss://: a server with a certificate of its own, trusted through CURL_CA_BUNDLE
# (as for the API), and its own home.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
STRM_HOME=$WORK/tls-home start_service "$WORK/tls.log" 'ready .*url=https://127.0.0.1:[0-9]+' \
  "$STRM" serve --listen 127.0.0.1:0 --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
TLS_URL=https://127.0.0.1:$PORT
tls() {
  STRM_HOME=$WORK/tls-home CURL_CA_BUNDLE=$WORK/cert.pem STRM_API_URL=$TLS_URL \
    STRM_API_TOKEN=$(cat "$WORK/tls-home/api-token") "$@"
}
created=$(tls "$STRM" create stream secure -o json)
cid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientId"])' "$created")
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientSecret"])' "$created")
token=$(curl -sS --cacert "$WORK/cert.pem" -d "grant_type=client_credentials&client_id=$cid&client_secret=$secret" \
  "$TLS_URL/auth/realms/streams/protocol/openid-connect/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
tls "$STRM" listen web-socket secure >"$WORK/tls.out" 2>"$WORK/tls.err" &
SERVICE_PIDS+=($!)
URL=$TLS_URL
for _ in $(seq 100); do
  [[ $(send warm '[0]' --cacert "$WORK/cert.pem") == 204 ]] || fail "a warm-up event over HTTPS" "$(cat "$WORK/tls.log")"
  grep -q plain-warm "$WORK/tls.out" && break
  sleep 0.1
done
expect_eq "an event over HTTPS" 204 "$(send u-9 '[1]' --cacert "$WORK/cert.pem")"
for _ in $(seq 100); do grep -q plain-u-9 "$WORK/tls.out" && break; sleep 0.1; done
expect_contains "listen web-socket over wss://" "$(cat "$WORK/tls.out")" '"notSensitiveValue":"plain-u-9"'
expect_eq "nothing on stderr" "" "$(cat "$WORK/tls.err")"
finish
