#!/usr/bin/env bash
# Events into a stream as STRM's drivers send them (SPEC §3): a form-encoded token request,
# then POST /event with an Avro binary body and the Python driver's headers, over HTTP/1.1
# keep-alive and over h2c with prior knowledge (the Node and Java drivers); JSON bodies; the
# batch route; and each error status with its sentence. The events land in the log encrypted:
# PII values never in clear text, the others as sent.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_strm_server "$WORK/serve.log"
URL=$STRM_API_URL
TOKEN_URL=$URL/auth/realms/streams/protocol/openid-connect/token
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$@"; }

strm_ok create stream demo -o json
client_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientId"])' "$OUT")
client_secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientSecret"])' "$OUT")

# The Python driver's token request: a form, Content-Type with a charset.
answer=$(curl -sS -X POST "$TOKEN_URL" -H 'Content-Type: application/x-www-form-urlencoded; charset=UTF-8' \
  --data-raw "grant_type=client_credentials&client_id=$client_id&client_secret=$client_secret")
token=$(json_field "$answer" access_token)
refresh=$(json_field "$answer" refresh_token)
expect_eq "token type" Bearer "$(json_field "$answer" token_type)"
expect_eq "expires in an hour" 3600 "$(json_field "$answer" expires_in)"
basic=$(curl -sS -u "$client_id:$client_secret" -d grant_type=client_credentials "$TOKEN_URL")
expect_contains "HTTP Basic works too" "$basic" '"access_token":'
refreshed=$(curl -sS -d "grant_type=refresh_token&client_id=$client_id&refresh_token=$refresh" "$TOKEN_URL")
expect_contains "refresh grant" "$refreshed" '"access_token":'
status_of() { curl -sS -o "$WORK/body" -w '%{http_code}' "$@"; }
expect_eq "wrong secret: 401" 401 "$(status_of -d "grant_type=client_credentials&client_id=$client_id&client_secret=nope" "$TOKEN_URL")"
expect_contains "invalid_client" "$(cat "$WORK/body")" '"error":"invalid_client"'
expect_eq "bad grant: 400" 400 "$(status_of -d "grant_type=password" "$TOKEN_URL")"
expect_contains "unsupported_grant_type" "$(cat "$WORK/body")" unsupported_grant_type

# The demo event of docs/strm-wire.md §3, worked out from the Avro specification.
xxd -r -p > "$WORK/event.avro" <<<'327374726d707269766163792f6578616d706c652f312e332e3000000000040002000212756e697175652d31341673657373696f6e2d373430021673656e7369746976652d3102206e6f742d73656e7369746976652d3339'
send() {  # extra curl flags...: POST /event with the Python driver's headers; prints the status
  status_of -X POST "$URL/event" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/octet-stream' -H 'Strm-Serialization-Type: application/x-avro-binary' \
    -H 'Strm-Driver-Version: 3.1.0' -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' \
    --data-binary @"$WORK/event.avro" "$@"
}
expect_eq "Avro binary over HTTP/1.1: 204" 204 "$(send)"
expect_eq "Avro binary over h2c: 204" 204 "$(send --http2-prior-knowledge)"
expect_eq "the older Strm-Schema-Id header" 204 "$(status_of -X POST "$URL/event" \
  -H "Authorization: Bearer $token" -H 'Strm-Schema-Id: strmprivacy/demo/1.0.2' \
  --data-binary @"$WORK/event.avro")"
json_event='{"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0", "consentLevels": [0, 2]},
  "uniqueIdentifier": {"string": "unique-77"}, "consistentValue": "session-740",
  "someSensitiveValue": null, "notSensitiveValue": {"string": "not-sensitive-77"}}'
expect_eq "Avro JSON: 204" 204 "$(status_of -X POST "$URL/event" -H "Authorization: Bearer $token" \
  -H 'Strm-Serialization-Type: application/json' -H 'Strm-Schema-Ref: strmprivacy/example/1.3.0' \
  --data-raw "$json_event")"

# Errors, each with its sentence; no PII value in any of them.
post_json() {  # BODY [curl flags...]
  local body=$1
  shift
  status_of -X POST "$URL/event" -H "Authorization: Bearer $token" \
    -H 'Strm-Serialization-Type: application/json' --data-raw "$body" "$@"
}
expect_eq "no token: 401" 401 "$(status_of -X POST "$URL/event" --data-binary @"$WORK/event.avro")"
expect_contains "no token: sentence" "$(cat "$WORK/body")" "missing access token"
expect_eq "bad token: 401" 401 "$(status_of -X POST "$URL/event" -H 'Authorization: Bearer x.y.z' --data-binary @"$WORK/event.avro")"
expect_contains "bad token: sentence" "$(cat "$WORK/body")" "the token is not one this server issued"
expect_eq "unknown type: 415" 415 "$(status_of -X POST "$URL/event" -H "Authorization: Bearer $token" -H 'Strm-Serialization-Type: text/csv' --data-raw '{}')"
expect_contains "unknown type: sentence" "$(cat "$WORK/body")" "Strm-Serialization-Type must be application/x-avro-binary or application/json"
expect_eq "empty key field: 400" 400 "$(post_json '{"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0"}, "consistentValue": "", "uniqueIdentifier": "secret-pii-1"}')"
expect_eq "empty key field: sentence" "field 'consistentValue' (the key field) must have a value" "$(cat "$WORK/body")"
expect_eq "wrong type: 400" 400 "$(post_json '{"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0"}, "consistentValue": "s-1", "uniqueIdentifier": 4242}')"
expect_eq "wrong type: sentence" "field 'uniqueIdentifier' must be STRING" "$(cat "$WORK/body")"
expect_eq "unknown contract: 400" 400 "$(post_json '{"strmMeta": {"eventContractRef": "acme/none/1.0.0"}, "consistentValue": "s-1"}')"
expect_contains "unknown contract: sentence" "$(cat "$WORK/body")" "names data contract acme/none/1.0.0, which does not exist"
printf 'x%.0s' $(seq 1100000) > "$WORK/big"
expect_eq "too large: 413" 413 "$(status_of -X POST "$URL/event" -H "Authorization: Bearer $token" -H 'Strm-Serialization-Type: application/json' --data-binary @"$WORK/big")"
expect_contains "too large: sentence" "$(cat "$WORK/body")" "more than the limit of 1048576"
xxd -r -p > "$WORK/short.avro" <<<'327374726d707269766163792f6578616d706c652f312e332e30'
expect_eq "truncated Avro: 400" 400 "$(status_of -X POST "$URL/event" -H "Authorization: Bearer $token" -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' --data-binary @"$WORK/short.avro")"
expect_contains "truncated Avro: sentence" "$(cat "$WORK/body")" "the Avro body does not match its schema"

# A derived stream's client may not send.
strm_ok create stream --derived-from demo --purposes 1 -o json
d_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientId"])' "$OUT")
d_secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientSecret"])' "$OUT")
d_token=$(json_field "$(curl -sS -d "grant_type=client_credentials&client_id=$d_id&client_secret=$d_secret" "$TOKEN_URL")" access_token)
expect_eq "derived stream: 403" 403 "$(status_of -X POST "$URL/event" -H "Authorization: Bearer $d_token" -H 'Strm-Schema-Ref: strmprivacy/demo/1.0.2' --data-binary @"$WORK/event.avro")"
expect_contains "derived stream: sentence" "$(cat "$WORK/body")" "is derived: its events come from stream demo"

# Many events at once: one result per event, in order.
batch='{"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0", "consentLevels": [1]}, "consistentValue": "s-9", "uniqueIdentifier": "u-9"}
{"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0"}, "consistentValue": ""}
{"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0"}, "consistentValue": "s-10"}'
expect_eq "batch: 200" 200 "$(status_of -X POST "$URL/events" -H "Authorization: Bearer $token" --data-raw "$batch")"
expect_eq "batch: results" '{"results":[{"status":204},{"error":"field '"'"'consistentValue'"'"' (the key field) must have a value","status":400},{"status":204}]}' "$(cat "$WORK/body")"
expect_eq "is-alive" 200 "$(status_of "$URL/is-alive")"

# In the log: 6 events, encrypted; their non-PII values as sent.
stream_id=$("$STRM" get stream demo -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
seg=$(find "$STRM_HOME/log/events.$stream_id" -name '*.seg' | head -1)
expect_eq "6 events in the log" 6 "$(grep -ac '"eventContractRef":"strmprivacy/example/1.3.0"' <(tr '\0' '\n' <"$seg") || true)"
log_text=$(tr -c '[:print:]' '\n' <"$seg")
expect_contains "non-PII in clear" "$log_text" '"notSensitiveValue":"not-sensitive-39"'
for pii in unique-14 session-740 sensitive-1 unique-77 u-9; do
  expect_not_contains "PII $pii is encrypted" "$log_text" "$pii"
done
serve_log=$(cat "$WORK/serve.log")
expect_not_contains "no PII in the server's log" "$serve_log" session-740
expect_not_contains "events taken are counted, not logged one by one" "$serve_log" 'method=POST path=/event status=204'
expect_contains "refused events are logged" "$serve_log" 'method=POST path=/event status=401'
finish
