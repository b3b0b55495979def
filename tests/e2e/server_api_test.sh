#!/usr/bin/env bash
# The CLI against a server (STRM_API_URL): the demo job runs through the server and its
# outputs are byte for byte those of the embedded run (same key group and seed); create
# batch-job returns PENDING at once and --wait follows it; the same listings as locally; API
# tokens (the first start writes one to $STRM_HOME/api-token, never to the log; create,
# list, revoke); 401s; /metrics read by Prometheus's own parser; no secret in any log line.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
cp "$DEMO/input.csv" "$DATA/input.csv"
chmod u+w "$DATA/input.csv"
GROUP=e2e-server-group
sed "s/\"batch_job_group_id\": null/\"batch_job_group_id\": \"$GROUP\"/" "$DEMO/job.json" \
  >"$WORK/job.json"

# Embedded first: the reference outputs.
strm_ok create data-connector local databert-demo "$DATA" -o plain
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json" -o plain
strm_ok create batch-job -F "$WORK/job.json" -o plain
mv "$DATA/out" "$WORK/embedded-out"
strm_ok list data-connectors -o plain
local_connectors=$OUT
strm_ok get data-contract "$CONTRACT" -o json
local_contract=$OUT

start_service "$WORK/serve.log" 'ready .*url=http://127.0.0.1:[0-9]+' \
  "$STRM" serve --listen 127.0.0.1:0 --log-format text
SERVER=$SERVICE_PID
export STRM_API_URL=http://127.0.0.1:$PORT
[[ -f $STRM_HOME/api-token ]] || fail "the first start writes \$STRM_HOME/api-token"
expect_eq "api-token is 0600" 600 "$(stat -c %a "$STRM_HOME/api-token")"
ADMIN=$(cat "$STRM_HOME/api-token")
expect_eq "the token's form" 1 "$(grep -cE '^strm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$' <<<"$ADMIN")"

expect_fail "no token" 1 "no API token for the server: set STRM_API_TOKEN or --api-token-file" \
  -- list batch-jobs
export STRM_API_TOKEN=$ADMIN
strm_ok list data-connectors -o plain
expect_eq "connectors listed through the server as locally" "$local_connectors" "$OUT"
strm_ok get data-contract "$CONTRACT" -o json
expect_eq "a contract through the server as locally" "$local_contract" "$OUT"
expect_fail "an unknown connector through the server" 1 \
  "data connector 'no-such-thing' does not exist" -- get data-connector no-such-thing
expect_fail "credentials never leave the server" 1 "credentials never leave the server" \
  -- get data-connector databert-demo --include-credentials

# create batch-job: PENDING at once; --wait follows it to FINISHED.
strm_ok create batch-job -F "$WORK/job.json" -o plain
expect_eq "a server's job is PENDING at once" PENDING "$(cut -f3 <<<"$OUT")"
first=$(cut -f1 <<<"$OUT")
strm_ok create batch-job -F "$WORK/job.json" --wait -o plain
expect_eq "--wait follows it to its end" FINISHED "$(cut -f3 <<<"$OUT")"
for f in encrypted.csv derived-2.csv keys.csv; do
  expect_eq "$f: the same bytes through the server as embedded" \
    "$(sha256sum <"$WORK/embedded-out/$f")" "$(sha256sum <"$DATA/out/$f")"
done
for _ in $(seq 100); do
  state=$("$STRM" get batch-job "$first" -o plain | cut -f3)
  [[ $state == FINISHED ]] && break
  sleep 0.1
done
expect_eq "the first job finished too" FINISHED "$state"
strm_ok list batch-jobs -o plain
expect_eq "three jobs listed" 3 "$(wc -l <<<"$OUT")"
strm_ok get batch-job "$first" --preview
expect_contains "a preview through the server" "$OUT" "encrypted_data (out/encrypted.csv)"
expect_fail "a job file with an error, named as locally" 1 "schema.json line 2: unknown key 'name'" \
  -- create batch-job -F "$DEMO/schema.json" --wait

# Tokens.
unset STRM_API_TOKEN
run "$STRM" serve token create ci-pipeline
[[ $RC -eq 0 ]] || fail "token create" "$ERR"
CI=$OUT
run "$STRM" serve token list -o plain
expect_eq "two tokens listed, no secret" 2 "$(wc -l <<<"$OUT")"
expect_not_contains "token list shows no token text" "$OUT" "$CI"
echo "$CI" >"$WORK/ci-token"
strm_ok list batch-jobs -o plain --api-token-file "$WORK/ci-token"
run "$STRM" serve token revoke ci-pipeline
[[ $RC -eq 0 ]] || fail "token revoke" "$ERR"
STRM_API_TOKEN=$CI expect_fail "a revoked token" 1 "refused the API token: API token 'ci-pipeline'" \
  "was revoked" -- list batch-jobs
STRM_API_TOKEN=strm_000000000000_nope expect_fail "a wrong token" 1 \
  "refused the API token: invalid API token" -- list batch-jobs
run curl -s -o /dev/null -w '%{http_code}' "$STRM_API_URL/api/v1/batch-jobs"
expect_eq "no token: 401" 401 "$OUT"

# Metrics, parsed by Prometheus's client library.
run curl -s "$STRM_API_URL/metrics"
echo "$OUT" >"$WORK/metrics.txt"
py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3  # Debian's, where its package installs
if "$py" -c 'import prometheus_client' 2>/dev/null; then
  parsed=$("$py" - "$WORK/metrics.txt" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
found = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        found[(s.name, tuple(sorted(s.labels.items())))] = s.value
print(int(found[("strm_batch_jobs", (("state", "FINISHED"),))]))
print(int(found[("strm_batch_job_rows_total", ())]))
ok = [v for (n, l), v in found.items() if n == "strm_http_requests_total" and dict(l).get("status") == "401"]
print(int(sum(ok)))
PY
  )
  expect_eq "metrics: 3 FINISHED jobs, 20 rows run by the server, 401s counted" \
    $'3\n20\n3' "$parsed"
else
  echo "note: python3-prometheus-client is missing (scripts/setup.sh installs it)" >&2
  expect_contains "metrics text" "$OUT" 'strm_batch_jobs{state="FINISHED"} 3'
fi

kill -TERM "$SERVER"
wait "$SERVER" || true
log=$(cat "$WORK/serve.log")
expect_not_contains "the log holds no admin token" "$log" "$ADMIN"
expect_not_contains "the log holds no other token" "$log" "$CI"
expect_not_contains "the log holds no seed" "$log" "hi-there"
expect_contains "the log has job transitions" "$log" "batch-job id=$first state=FINISHED"
finish
