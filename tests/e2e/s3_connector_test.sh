#!/usr/bin/env bash
# The demo job with its source and targets in S3: s3rver (which checks SigV4 signatures) on
# 127.0.0.1 (start_s3rver), reached directly and through fault_proxy.js. Objects are put and
# fetched with curl's own SigV4 (lib.sh's s3).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
start_s3rver

s3 PUT input.csv "$DEMO/input.csv" > /dev/null
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json"

# A wrong secret: the access check fails, the error names the operation and S3's answer,
# and no connector is created.
cat > "$WORK/wrong.json" <<EOF
{"url": "$S3", "accessKey": "S3RVER", "secretKey": "not-the-secret", "api": "s3v4", "path": "on"}
EOF
expect_fail "wrong secret" 1 "data connector 's3-demo'" "cannot write a test object" \
  "403" "SignatureDoesNotMatch" -- create data-connector s3 s3-demo demo-bucket \
  --credentials-file "$WORK/wrong.json"
expect_not_contains "the secret is never in an error" "$ERR" "not-the-secret"
strm_ok list data-connectors -o plain
expect_eq "a connector that fails the check is not created" "" "$OUT"

# A credentials file that is not JSON names the file.
echo '{"url": ' > "$WORK/broken.json"
expect_fail "broken credentials file" 1 "broken.json" -- create data-connector s3 s3-demo \
  demo-bucket --credentials-file "$WORK/broken.json"

cat > "$WORK/s3.json" <<EOF
{"url": "$S3", "accessKey": "S3RVER", "secretKey": "S3RVER", "api": "s3v4", "path": "on"}
EOF
strm_ok create data-connector s3 s3-demo demo-bucket --credentials-file "$WORK/s3.json" -o plain
expect_eq "create data-connector s3" "s3-demo	S3_BUCKET	demo-bucket" "$OUT"
expect_eq "the access check leaves nothing behind" "input.csv" "$(s3_keys '')"
strm_ok get data-connector s3-demo -o json
expect_contains "get shows the bucket" "$OUT" '"bucket_name": "demo-bucket"'
expect_contains "get hides the secret" "$OUT" '"secret_access_key": "****"'
strm_ok get data-connector s3-demo -o json --include-credentials
expect_contains "--include-credentials shows it" "$OUT" '"secret_access_key": "S3RVER"'

# The demo job, source and targets in the bucket.
demo_job_for s3-demo out > "$WORK/job.json"
strm_ok create batch-job -F "$WORK/job.json" -o plain
expect_eq "job state" FINISHED "$(cut -f3 <<<"$OUT")"
expect_contains "job message" "$(cut -f4 <<<"$OUT")" "Processed 10 records in "
expect_eq "outputs in the bucket" "out/derived-2.csv out/encrypted.csv out/keys.csv" \
  "$(s3_keys out/ | paste -sd' ')"
mkdir -p "$WORK/got"
for f in encrypted keys derived-2; do s3 GET "out/$f.csv" > "$WORK/got/$f.csv"; done
expect_eq "encrypted.csv lines" 11 "$(wc -l < "$WORK/got/encrypted.csv")"
expect_eq "keys.csv lines" 4 "$(wc -l < "$WORK/got/keys.csv")"
expect_eq "derived rows are the consent-2 rows" "session_1 session_1 session_5" \
  "$(awk -F, 'NR > 1 { print $1 }' "$WORK/got/derived-2.csv" | paste -sd' ')"
expect_decrypts_demo "decrypt restores the input" "$WORK/got/encrypted.csv" "$WORK/got/keys.csv"
strm_ok list data-connectors -r -o plain
expect_eq "list -r counts the job" "s3-demo	S3_BUCKET	demo-bucket	1" "$OUT"

# Through a store that answers 503 SlowDown, 500, 429 or resets every second request for a
# while: the job still finishes, with complete outputs.
start_service "$WORK/proxy.log" 'fault_proxy listening on' \
  node "$SRC/tests/integration/fault_proxy.js" --upstream "$S3" --every 2 --fail 8
sed -e "s|$S3|http://127.0.0.1:$PORT|" "$WORK/s3.json" > "$WORK/flaky.json"
strm_ok create data-connector s3 s3-flaky demo-bucket --credentials-file "$WORK/flaky.json"
demo_job_for s3-flaky flaky > "$WORK/flaky-job.json"
strm_ok create batch-job -F "$WORK/flaky-job.json" -o plain
expect_eq "job through faults" FINISHED "$(cut -f3 <<<"$OUT")"
expect_contains "faults were injected" "$(cat "$WORK/proxy.log")" "fault 8:"
s3 GET flaky/encrypted.csv > "$WORK/got/flaky.csv"
expect_eq "complete output through faults" 11 "$(wc -l < "$WORK/got/flaky.csv")"
expect_eq "every output through faults" "flaky/derived-2.csv flaky/encrypted.csv flaky/keys.csv" \
  "$(s3_keys flaky/ | paste -sd' ')"

# A store down for good: the job fails with a clear error and leaves no partial objects.
kill "$SERVICE_PID"
start_service "$WORK/down.log" 'fault_proxy listening on' \
  node "$SRC/tests/integration/fault_proxy.js" --upstream "$S3" --down --port "$PORT"
demo_job_for s3-flaky down > "$WORK/down-job.json"
run "$STRM" create batch-job -F "$WORK/down-job.json" -o plain
expect_down_failure s3-flaky "S3 HEAD s3://demo-bucket (HeadBucket)" "HTTP 503"
# (The demo's outputs are smaller than one part: multipart uploads and their abort are
# covered by tests/unit/storage/s3_store_test.cc.)
expect_eq "no partial objects" "" "$(s3_keys down/)"
expect_eq "the bucket holds what it held" \
  "flaky/derived-2.csv flaky/encrypted.csv flaky/keys.csv input.csv out/derived-2.csv out/encrypted.csv out/keys.csv" \
  "$(s3_keys '' | paste -sd' ')"

# Delete: refused while the jobs depend on it, then with --recursive.
expect_fail "delete a connector in use" 1 "s3-demo" -- delete data-connector s3-demo
strm_ok delete data-connector s3-demo --recursive
strm_ok list data-connectors -o plain
expect_eq "only the flaky connector is left" "s3-flaky	S3_BUCKET	demo-bucket" "$OUT"
finish
