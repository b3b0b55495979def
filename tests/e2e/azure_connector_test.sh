#!/usr/bin/env bash
# The demo job with its source and targets in Azure Blob Storage: Azurite over HTTPS with
# `--oauth basic` on 127.0.0.1, a private CA (SSL_CERT_FILE), and the bearer token taken from
# the local token endpoint tests/integration/azure_token_server.js (AZURE_AUTHORITY_HOST);
# reached directly and through fault_proxy.js (over HTTPS too: Azurite's OAuth needs it).
# The input is put and the outputs fetched with curl, so strm is not checked against itself.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
SERVICES=$(services_dir)
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT=0d2b3f6c-2f5e-4b57-9a9a-2b6a3f0b1c11
SECRET=test-client-secret-$RANDOM

# A CA and a certificate for 127.0.0.1 that it signed.
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=strm test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign" 2> /dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" \
  2> /dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
  -days 2 -extfile ext.cnf 2> /dev/null
cd - > /dev/null

start_service "$WORK/azurite.log" 'successfully listens on' \
  "$SERVICES/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort 0 \
  --location "$WORK/azurite" --disableTelemetry --oauth basic \
  --cert "$WORK/server.pem" --key "$WORK/server.key"
AZURITE=https://127.0.0.1:$PORT
ACCOUNT=$AZURITE/devstoreaccount1
start_service "$WORK/token.log" 'azure_token_server listening on' \
  node "$SRC/tests/integration/azure_token_server.js" --cert "$WORK/server.pem" \
  --key "$WORK/server.key" --tenant "$TENANT" --client-id "$CLIENT" --client-secret "$SECRET"
export AZURE_AUTHORITY_HOST=https://127.0.0.1:$PORT
export SSL_CERT_FILE=$WORK/ca.pem
unset CURL_CA_BUNDLE  # it would win over SSL_CERT_FILE

# blob METHOD PATH [FILE] [HEADER...]: an authorised request to the account with curl.
TOKEN=$(curl -sS --fail-with-body --cacert "$WORK/ca.pem" \
  -d "grant_type=client_credentials&client_id=$CLIENT&client_secret=$SECRET" \
  --data-urlencode "scope=https://storage.azure.com/.default" \
  "$AZURE_AUTHORITY_HOST/$TENANT/oauth2/v2.0/token" | sed -E 's/.*"access_token":"([^"]*)".*/\1/')
blob() {
  local method=$1 path=$2 file=${3:-}
  shift 2
  (($#)) && shift
  local args=(-sS --fail-with-body --cacert "$WORK/ca.pem" -X "$method"
    -H "Authorization: Bearer $TOKEN" -H "x-ms-version: 2023-11-03" "$@")
  [[ -n $file ]] && args+=(-T "$file")
  curl "${args[@]}" "$ACCOUNT/$path"
}
blob_names() {  # the blob names under a prefix, one per line
  blob GET "demo?restype=container&comp=list&prefix=$1" | grep -oE '<Name>[^<]*</Name>' |
    sed -E 's/<\/?Name>//g' || true
}
blob PUT "demo?restype=container" "" -H "Content-Length: 0" > /dev/null
blob PUT demo/input.csv "$DEMO/input.csv" -H "x-ms-blob-type: BlockBlob" > /dev/null

strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json"

# A wrong client secret: the token endpoint refuses, no connector is created, and the error
# says so without the secret.
expect_fail "wrong client secret" 1 "data connector 'azure-demo'" "cannot write a test object" \
  "invalid_client" "$TENANT" -- create data-connector azure-blob-storage azure-demo demo \
  --storage-account-uri "$ACCOUNT" --tenant-id "$TENANT" --client-id "$CLIENT" \
  --client-secret not-the-secret
expect_not_contains "the secret is never in an error" "$ERR" "not-the-secret"
# A certificate strm does not trust (CURL_CA_BUNDLE wins over SSL_CERT_FILE): a TLS error.
CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt expect_fail "untrusted certificate" 1 \
  "data connector 'azure-demo'" "certificate" -- create data-connector azure-blob-storage \
  azure-demo demo --storage-account-uri "$ACCOUNT" --tenant-id "$TENANT" --client-id "$CLIENT" \
  --client-secret "$SECRET"
strm_ok list data-connectors -o plain
expect_eq "no connector was created" "" "$OUT"

strm_ok create data-connector azure-blob-storage azure-demo demo --storage-account-uri "$ACCOUNT" \
  --tenant-id "$TENANT" --client-id "$CLIENT" --client-secret "$SECRET" -o plain
expect_eq "create data-connector azure-blob-storage" \
  "azure-demo	AZURE_BLOB_STORAGE_CONTAINER	demo" "$OUT"
expect_eq "the access check leaves nothing behind" "input.csv" "$(blob_names '')"
strm_ok get data-connector azure-demo -o json
expect_contains "get shows the account" "$OUT" "\"storage_account_uri\": \"$ACCOUNT\""
expect_contains "get hides the secret" "$OUT" '"client_secret": "****"'
expect_not_contains "get never shows the secret" "$OUT" "$SECRET"
strm_ok get data-connector azure-demo -o json --include-credentials
expect_contains "--include-credentials shows it" "$OUT" "\"client_secret\": \"$SECRET\""

demo_job_for azure-demo out > "$WORK/job.json"
strm_ok create batch-job -F "$WORK/job.json" -o plain
expect_eq "job state" FINISHED "$(cut -f3 <<<"$OUT")"
expect_eq "outputs in the container" "out/derived-2.csv out/encrypted.csv out/keys.csv" \
  "$(blob_names out/ | paste -sd' ')"
mkdir -p "$WORK/got"
for f in encrypted keys derived-2; do blob GET "demo/out/$f.csv" > "$WORK/got/$f.csv"; done
expect_eq "encrypted.csv lines" 11 "$(wc -l < "$WORK/got/encrypted.csv")"
expect_eq "derived rows are the consent-2 rows" "session_1 session_1 session_5" \
  "$(awk -F, 'NR > 1 { print $1 }' "$WORK/got/derived-2.csv" | paste -sd' ')"
expect_decrypts_demo "decrypt restores the input" "$WORK/got/encrypted.csv" "$WORK/got/keys.csv"

# Through a store that answers 503, 500, 429 or resets every second request for a while: the
# job replaces the outputs of the first one all the same (their previous versions kept by
# Copy Blob From URL meanwhile), and leaves no temporary beside them.
outputs() {  # the bytes of the three outputs, as a checksum
  local f
  for f in encrypted keys derived-2; do blob GET "demo/out/$f.csv"; done | sha256sum
}
start_service "$WORK/proxy.log" 'fault_proxy listening on' \
  node "$SRC/tests/integration/fault_proxy.js" --upstream "$AZURITE" --dialect azure --every 2 \
  --fail 8 --cert "$WORK/server.pem" --key "$WORK/server.key" --ca "$WORK/ca.pem"
FLAKY=https://127.0.0.1:$PORT/devstoreaccount1
strm_ok create data-connector azure-blob-storage azure-flaky demo --storage-account-uri "$FLAKY" \
  --tenant-id "$TENANT" --client-id "$CLIENT" --client-secret "$SECRET"
before=$(outputs)
demo_job_for azure-flaky out > "$WORK/flaky-job.json"
strm_ok create batch-job -F "$WORK/flaky-job.json" -o plain
expect_eq "job through faults" FINISHED "$(cut -f3 <<<"$OUT")"
expect_contains "faults were injected" "$(cat "$WORK/proxy.log")" "fault 8:"
expect_eq "the outputs and nothing else" "out/derived-2.csv out/encrypted.csv out/keys.csv" \
  "$(blob_names out/ | paste -sd' ')"
expect_not_contains "the outputs were replaced" "$(outputs)" "$before"
for f in encrypted keys; do blob GET "demo/out/$f.csv" > "$WORK/got/$f.csv"; done
expect_decrypts_demo "complete outputs through faults" "$WORK/got/encrypted.csv" \
  "$WORK/got/keys.csv"

# A store down for good: the job fails, naming the store, the object and the cause, and
# changes nothing.
kill "$SERVICE_PID"
start_service "$WORK/down.log" 'fault_proxy listening on' \
  node "$SRC/tests/integration/fault_proxy.js" --upstream "$AZURITE" --dialect azure --down \
  --port "$PORT" --cert "$WORK/server.pem" --key "$WORK/server.key" --ca "$WORK/ca.pem"
before=$(outputs)
run "$STRM" create batch-job -F "$WORK/flaky-job.json" -o plain
expect_down_failure azure-flaky "Azure PUT azure://devstoreaccount1/demo/" "HTTP 503 ServerBusy"
expect_eq "the outputs are as they were" "$before" "$(outputs)"
expect_eq "and nothing beside them" "out/derived-2.csv out/encrypted.csv out/keys.csv" \
  "$(blob_names out/ | paste -sd' ')"
finish
