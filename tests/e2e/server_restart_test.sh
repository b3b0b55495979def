#!/usr/bin/env bash
# A server killed with SIGKILL while a batch job runs: the next server on the home runs the job
# again from the start (attempt 2) to FINISHED, with every row, and says so; a drained server
# (SIGTERM) puts its running job back the same way.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
"$STRM" simulate batch-data --rows 300000 --users 50000 --days 7 >"$DATA/input.csv"
strm_ok create data-connector local databert-demo "$DATA" -o plain
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json" -o plain

serve() { start_strm_server "$WORK/serve$1.log" --job-slots 1; }
wait_state() {  # ID STATE...: waits (60 s at most) until the job is in one of STATEs
  local id=$1 state=""
  shift
  for _ in $(seq 600); do
    state=$("$STRM" get batch-job "$id" -o plain | cut -f3)
    for s in "$@"; do [[ $state == "$s" ]] && return 0; done
    sleep 0.1
  done
  fail "batch job $id never reached $*" "last state: $state"
}

for how in KILL TERM; do
  serve "$how"
  strm_ok create batch-job -F "$DEMO/job.json" --threads 1 -o plain
  id=$(cut -f1 <<<"$OUT")
  wait_state "$id" RUNNING
  kill "-$how" "$SERVER"
  wait "$SERVER" || true
  # SIGKILL may leave hidden temporaries (.NAME.strm-tmp-UUID, never listed); SIGTERM does not.
  expect_eq "no output after the $how" "" \
    "$(find "$DATA" -type f -not -name input.csv -not -name '.*.strm-tmp-*')"
  if [[ $how == TERM ]]; then
    expect_eq "no temporary after the TERM" "" "$(find "$DATA" -type f -not -name input.csv)"
  fi
  serve "$how-again"
  wait_state "$id" FINISHED ERROR CANCELLED
  strm_ok get batch-job "$id" -o json
  expect_contains "after SIG$how: FINISHED" "$OUT" '"state": "FINISHED"'
  expect_contains "after SIG$how: every row" "$OUT" '"rows": 300000'
  expect_contains "after SIG$how: attempt 2" "$OUT" '"attempt": 2'
  expect_contains "after SIG$how: the message says so" "$OUT" \
    "(attempt 2: run again from the start after the server that ran it stopped)"
  expect_eq "after SIG$how: 300,000 rows out" 300001 "$(wc -l <"$DATA/out/encrypted.csv")"
  kill -TERM "$SERVER"
  wait "$SERVER" || true
  rm -rf "$DATA/out"
done
finish
