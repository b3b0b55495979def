#!/usr/bin/env bash
# The demo job with its source and targets in Google Cloud Storage: the local JSON-API server
# of tests/integration/gcs_server.js on 127.0.0.1, which checks the RS256 signature of the
# service account's JWT with the key's public half, reached through STORAGE_EMULATOR_HOST,
# directly and through fault_proxy.js. The server keeps objects as files (--dir), so the test
# puts the input and reads the outputs there, without strm.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/sa.pem" 2> /dev/null
openssl pkey -in "$WORK/sa.pem" -pubout -out "$WORK/sa.pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/other.pem" 2> /dev/null
GCS=$WORK/gcs
mkdir -p "$GCS/demo-bucket"
cp "$DEMO/input.csv" "$GCS/demo-bucket/input.csv"
mkdir -p "$GCS/demo-bucket/in/2022"  # for the path_prefix job (the server loads --dir at start)
cp "$DEMO/input.csv" "$GCS/demo-bucket/in/2022/part-1.csv"
start_service "$WORK/gcs.log" 'gcs_server listening on' \
  node "$SRC/tests/integration/gcs_server.js" --public-key "$WORK/sa.pub.pem" --dir "$GCS" \
  --bucket demo-bucket --client-email strm@demo.iam.gserviceaccount.com
export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT

# A service-account key file as `gcloud iam service-accounts keys create` writes it.
key_file() {  # PEM -> JSON
  node -e '
    const fs = require("fs");
    console.log(JSON.stringify({type: "service_account", project_id: "demo",
      private_key_id: "k1", private_key: fs.readFileSync(process.argv[1], "utf8"),
      client_email: "strm@demo.iam.gserviceaccount.com", client_id: "1",
      token_uri: process.argv[2]}));' "$1" "http://127.0.0.1:$PORT/token"
}
key_file "$WORK/sa.pem" > "$WORK/sa.json"
key_file "$WORK/other.pem" > "$WORK/wrong.json"

strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json"

# A key whose signature the token endpoint refuses: no connector, a clear error.
expect_fail "wrong key" 1 "data connector 'gcs-demo'" "cannot write a test object" \
  "was refused" "invalid_grant" -- create data-connector gcs gcs-demo demo-bucket \
  --credentials-file "$WORK/wrong.json"
expect_not_contains "no key material in the error" "$ERR" "PRIVATE KEY"
echo '{"type": "service_account"}' > "$WORK/incomplete.json"
expect_fail "incomplete key file" 1 "incomplete.json" "client_email" -- \
  create data-connector gcs gcs-demo demo-bucket --credentials-file "$WORK/incomplete.json"

strm_ok create data-connector gcs gcs-demo demo-bucket --credentials-file "$WORK/sa.json" -o plain
expect_eq "create data-connector gcs" "gcs-demo	GOOGLE_CLOUD_STORAGE_BUCKET	demo-bucket" "$OUT"
expect_eq "the access check leaves nothing behind" "in input.csv" "$(ls -A "$GCS/demo-bucket" | paste -sd' ')"
strm_ok get data-connector gcs-demo -o json
expect_contains "get hides the private key" "$OUT" '"private_key": "****"'
expect_not_contains "get never shows the key" "$OUT" "PRIVATE KEY"

demo_job_for gcs-demo out > "$WORK/job.json"
strm_ok create batch-job -F "$WORK/job.json" -o plain
expect_eq "job state" FINISHED "$(cut -f3 <<<"$OUT")"
got=$GCS/demo-bucket/out
expect_eq "outputs in the bucket" "derived-2.csv encrypted.csv keys.csv" "$(ls "$got" | paste -sd' ')"
expect_eq "encrypted.csv lines" 11 "$(wc -l < "$got/encrypted.csv")"
expect_eq "derived rows are the consent-2 rows" "session_1 session_1 session_5" \
  "$(awk -F, 'NR > 1 { print $1 }' "$got/derived-2.csv" | paste -sd' ')"
expect_decrypts_demo "decrypt restores the input" "$got/encrypted.csv" "$got/keys.csv"
# path_prefix: the source as every object under a prefix (found with List), the targets under
# another prefix.
sed -e 's|"file_name": "input.csv"|"path_prefix": "in/2022"|' \
  -e 's|"file_name": "out/|"path_prefix": "prefixed", "file_name": "|' "$WORK/job.json" \
  > "$WORK/prefix-job.json"
strm_ok create batch-job -F "$WORK/prefix-job.json" -o plain
expect_eq "job with path prefixes" FINISHED "$(cut -f3 <<<"$OUT")"
expect_eq "outputs under the target prefix" "derived-2.csv encrypted.csv keys.csv" \
  "$(ls "$GCS/demo-bucket/prefixed" | paste -sd' ')"
expect_eq "every row of the prefixed source" 11 \
  "$(wc -l < "$GCS/demo-bucket/prefixed/encrypted.csv")"
expect_contains "the server checked JWTs" "$(curl -sS "http://127.0.0.1:$PORT/_stats")" \
  '"token_requests"'

# Through a store that answers 503, 500, 429 or resets every second request for a while
# (token requests included): the job replaces the outputs of the first one all the same, and
# leaves no temporary beside them.
GCS_URL=http://127.0.0.1:$PORT
start_service "$WORK/proxy.log" 'fault_proxy listening on' \
  node "$SRC/tests/integration/fault_proxy.js" --upstream "$GCS_URL" --dialect gcs --every 2 \
  --fail 8
export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT
key_file "$WORK/sa.pem" > "$WORK/flaky.json"  # token_uri through the proxy too
strm_ok create data-connector gcs gcs-flaky demo-bucket --credentials-file "$WORK/flaky.json"
before=$(cat "$got"/*.csv | sha256sum)
demo_job_for gcs-flaky out > "$WORK/flaky-job.json"
strm_ok create batch-job -F "$WORK/flaky-job.json" -o plain
expect_eq "job through faults" FINISHED "$(cut -f3 <<<"$OUT")"
expect_contains "faults were injected" "$(cat "$WORK/proxy.log")" "fault 8:"
expect_eq "the outputs and nothing else" "derived-2.csv encrypted.csv keys.csv" \
  "$(ls -A "$got" | paste -sd' ')"
expect_not_contains "the outputs were replaced" "$(cat "$got"/*.csv | sha256sum)" "$before"
expect_decrypts_demo "complete outputs through faults" "$got/encrypted.csv" "$got/keys.csv"

# A store down for good: the job fails, naming the store, the object and the cause, and
# changes nothing.
kill "$SERVICE_PID"
start_service "$WORK/down.log" 'fault_proxy listening on' \
  node "$SRC/tests/integration/fault_proxy.js" --upstream "$GCS_URL" --dialect gcs --down \
  --port "$PORT"
before=$(cat "$got"/*.csv | sha256sum)
run "$STRM" create batch-job -F "$WORK/flaky-job.json" -o plain
expect_down_failure gcs-flaky "GCS POST gs://demo-bucket/" "HTTP 503 backendError"
expect_eq "the outputs are as they were" "$before" "$(cat "$got"/*.csv | sha256sum)"
expect_eq "and nothing beside them" "derived-2.csv encrypted.csv keys.csv" \
  "$(ls -A "$got" | paste -sd' ')"
finish
