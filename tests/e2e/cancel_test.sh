#!/usr/bin/env bash
# Ctrl-C (SIGINT) during `strm create batch-job`: the job stops, its state is ERROR with a
# clear message, the process exits 1, and no output, partial or temporary, is left behind.
# A job whose process is killed outright is shown as ERROR instead of RUNNING forever.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
"$STRM" simulate batch-data --rows 400000 --users 50000 --days 7 >"$DATA/input.csv"
strm_ok create data-connector local databert-demo "$DATA" -o plain
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json" -o plain

"$STRM" create batch-job -F "$DEMO/job.json" --threads 1 -o plain \
  >"$WORK/job.out" 2>"$WORK/job.err" &
pid=$!
# Interrupt once the job is running (its signal handler is in place by then).
state=""
for _ in $(seq 1 300); do
  state=$("$STRM" list batch-jobs -o plain | cut -f3)
  [[ $state == RUNNING || $state == FINISHED ]] && break
  sleep 0.1
done
expect_eq "the job reached RUNNING before the interrupt" RUNNING "$state"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
expect_eq "an interrupted job exits with 1" 1 "$rc"
expect_contains "stderr says the job was cancelled" "$(cat "$WORK/job.err")" \
  "failed: the job was cancelled."
expect_eq "nothing on stdout" "" "$(cat "$WORK/job.out")"
strm_ok list batch-jobs -o plain
expect_eq "the job is ERROR with the reason" "ERROR	the job was cancelled" \
  "$(cut -f3,4 <<<"$OUT")"
expect_eq "no output and no temporary file is left" "" \
  "$(find "$DATA" -type f -not -name input.csv)"

# kill -9: nothing can clean up, but the job must not stay RUNNING.
"$STRM" create batch-job -F "$DEMO/job.json" --threads 1 -o plain >/dev/null 2>&1 &
pid=$!
state=""
for _ in $(seq 1 300); do
  state=$("$STRM" list batch-jobs -o plain | sed -n 2p | cut -f3)
  [[ $state == RUNNING || $state == FINISHED ]] && break
  sleep 0.1
done
expect_eq "the second job reached RUNNING" RUNNING "$state"
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null || true
strm_ok list batch-jobs -o plain
expect_eq "a killed job is shown as ERROR, naming its process" \
  "ERROR	the strm process that ran this job (pid $pid) ended before the job finished" \
  "$(sed -n 2p <<<"$OUT" | cut -f3,4)"
expect_eq "no output is left under its final name" "" \
  "$(find "$DATA" -type f -not -name input.csv -not -name '.*.strm-tmp-*')"
finish
