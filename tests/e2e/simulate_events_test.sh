#!/usr/bin/env bash
# `strm simulate random-events` (SPEC §3) through a real server: random demo events as Avro
# binary with the stream's token, each answered 204 and stored encrypted; its flags' errors.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_strm_server "$WORK/serve.log"
strm_ok create stream demo -o plain
strm_ok create stream --derived-from demo --purposes 1 -o plain
run "$STRM" simulate random-events demo --interval 0 --count 25 --session-range 5 \
  --session-prefix user --purposes 0/1,2
expect_eq "simulate: exit 0" 0 "$RC"
expect_contains "simulate: starts" "$ERR" \
  "Starting to simulate random strmprivacy/example/1.3.0 events to stream demo. Sending one event every 0 ms."
expect_line "simulate: counts" "$ERR" "Sent 25 events"
stream_id=$("$STRM" get stream demo -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
events=$(tr '\0' '\n' <"$(find "$STRM_HOME/log/events.$stream_id" -name '*.seg')" | tr -c '[:print:]\n' '\n')
expect_eq "25 events stored" 25 "$(grep -o '"eventContractRef":"strmprivacy/example/1.3.0"' <<<"$events" | grep -c .)"
expect_eq "consent levels drawn from --purposes only" '"consentLevels":[0,1]
"consentLevels":[2]' "$(grep -o '"consentLevels":\[[0-9,]*\]' <<<"$events" | sort -u)"
expect_not_contains "session ids are encrypted" "$events" '"consistentValue":"user-'
expect_contains "non-PII as drawn" "$events" '"notSensitiveValue":"not-sensitive-'

expect_fail "a derived stream" 1 "stream demo-1 is derived: simulators send to source streams only" \
  -- simulate random-events demo-1 --count 1
expect_fail "an unknown schema" 1 "the schema acme/x/1.0.0 is not supported by the simulator" \
  -- simulate random-events demo --schema acme/x/1.0.0 --count 1
expect_fail "bad purposes" 1 "--purposes: '1/x' must be levels separated by '/'" \
  -- simulate random-events demo --purposes 1/x --count 1
expect_fail "a wrong secret" 1 "no access token for stream demo: invalid client credentials" \
  -- simulate random-events demo --client-id nobody --client-secret nope --count 1
unset STRM_API_URL
expect_fail "no server" 1 "streams are served by a strm server" -- simulate random-events demo --count 1
finish
