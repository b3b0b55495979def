#!/usr/bin/env bash
# The README demo, end to end: connector, contract, batch job, its listing, outputs, decrypt
# round trip, preview, and the delete rules for a connector that jobs use.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
cp "$DEMO/input.csv" "$DATA/input.csv"
chmod u+w "$DATA/input.csv"

# Setup: connector and contract.
strm_ok create data-connector local databert-demo "$DATA" -o plain
expect_eq "create data-connector prints the connector" \
  "databert-demo	LOCAL_DIRECTORY	$DATA" "$OUT"
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json" -o plain
expect_eq "create data-contract prints the contract" \
  "$CONTRACT	UserName	Email:1, PrivateFieldA:2, PrivateFieldB:2	1" "$OUT"

# The job runs in the foreground and prints the finished job.
strm_ok create batch-job -F "$DEMO/job.json" -o plain
job_line=$OUT
ID=$(cut -f1 <<<"$job_line")
expect_eq "job id is a UUID" 1 \
  "$(grep -cE '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$ID")"
expect_eq "job state" FINISHED "$(cut -f3 <<<"$job_line")"
expect_contains "job message" "$(cut -f4 <<<"$job_line")" "Processed 10 records in "

strm_ok list batch-jobs -o table
expect_eq "list batch-jobs table header" "| Batch Job id | Timestamp | State | Details |" \
  "$(sed -n 2p <<<"$OUT" | tr -s ' ')"
expect_contains "list batch-jobs table row" "$(sed -n 4p <<<"$OUT")" "| $ID | "
strm_ok list batch-jobs -o plain
expect_eq "list batch-jobs plain has one job" "$ID" "$(cut -f1 <<<"$OUT")"

strm_ok get batch-job "$ID" -o json
expect_contains "get batch-job json state" "$OUT" '"state": "FINISHED"'
expect_contains "get batch-job json id" "$OUT" "\"id\": \"$ID\""
expect_contains "get batch-job json masks the seed" "$OUT" '"seed": "****"'
expect_not_contains "get batch-job json never shows the seed" "$OUT" "hi-there"
strm_ok get batch-job "$ID" -o table
expect_not_contains "get batch-job table never shows the seed" "$OUT" "hi-there"

strm_ok list data-connectors -o table
expect_eq "list data-connectors table header" "| Name | Type | Target Name |" \
  "$(sed -n 2p <<<"$OUT" | tr -s ' ')"
strm_ok list data-connectors -r -o plain
expect_eq "list data-connectors -r counts the dependent job" \
  "databert-demo	LOCAL_DIRECTORY	$DATA	1" "$OUT"
strm_ok list data-connectors -r -o table
expect_eq "list data-connectors -r table header" "| Name | Type | Target Name | Batch Jobs |" \
  "$(sed -n 2p <<<"$OUT" | tr -s ' ')"

# Outputs.
out=$DATA/out
expect_eq "encrypted.csv lines" 11 "$(wc -l <"$out/encrypted.csv")"
expect_eq "keys.csv lines" 4 "$(wc -l <"$out/keys.csv")"
expect_eq "derived-2.csv lines" 4 "$(wc -l <"$out/derived-2.csv")"
header="SessionId,UserName,Email,PublicFieldA,PublicFieldB,PrivateFieldA,PrivateFieldB,PrivacyPlane"
header+=",strmMeta.eventContractRef,strmMeta.nonce,strmMeta.timestamp,strmMeta.keyLink"
header+=",strmMeta.billingId,strmMeta.consentLevels"
expect_eq "encrypted.csv header" "$header" "$(head -1 "$out/encrypted.csv")"
expect_eq "derived-2.csv header" "$header" "$(head -1 "$out/derived-2.csv")"
expect_eq "keys.csv header" "keyLink,encryptionKey,policyId,expiresAt" \
  "$(head -1 "$out/keys.csv")"
expect_eq "encrypted.csv holds no plaintext e-mail" 0 "$(grep -c '@' "$out/encrypted.csv" || true)"
expect_eq "derived UserName is the murmur mask on every row" "e07e42089c9396d6bda4cd480b2a80bd" \
  "$(awk -F, 'NR > 1 { print $2 }' "$out/derived-2.csv" | sort -u)"
expect_eq "derived rows are the consent-2 rows" "session_1 session_1 session_5" \
  "$(awk -F, 'NR > 1 { print $1 }' "$out/derived-2.csv" | paste -sd' ')"

# Re-identification gives back the input, less the Timestamp column the schema drops.
strm_ok decrypt -F "$out/encrypted.csv" --keys "$out/keys.csv" --contract "$CONTRACT"
expect_eq "decrypt restores the input columns" "$(cut -d, -f1-2,4-9 "$DEMO/input.csv")" \
  "$(cut -d, -f1-8 <<<"$OUT")"
expect_eq "decrypt keeps every row" 11 "$(wc -l <<<"$OUT")"

# Preview: input and every output, titled.
strm_ok get batch-job "$ID" --preview
expect_line "preview input title" "$OUT" "input (input.csv)"
expect_line "preview encrypted title" "$OUT" "encrypted_data (out/encrypted.csv)"
expect_line "preview derived title" "$OUT" "derived_data[0] (out/derived-2.csv)"
expect_line "preview keys title" "$OUT" "encryption_keys_data (out/keys.csv)"

# A connector that a job uses is only deleted with --recursive, which deletes the job too.
expect_fail "delete a used data connector" 1 \
  "data connector 'databert-demo' is used by 1 batch job ($ID)" "--recursive" \
  -- delete data-connector databert-demo
strm_ok list batch-jobs -o plain
expect_eq "the job survives a refused delete" "$ID" "$(cut -f1 <<<"$OUT")"
strm_ok delete data-connector databert-demo --recursive
expect_eq "delete --recursive output" "Deleted data connector databert-demo" "$OUT"
strm_ok list batch-jobs -o plain
expect_eq "list batch-jobs after delete --recursive" "" "$OUT"
strm_ok list data-connectors -o plain
expect_eq "list data-connectors after delete" "" "$OUT"
expect_fail "get the deleted job" 1 "$ID" -- get batch-job "$ID"

# The built-in contract (SPEC §3): listed, shown, and not deletable.
strm_ok list data-contracts -o plain
expect_contains "the built-in contract is listed" "$OUT" "strmprivacy/example/1.3.0"
strm_ok get data-contract strmprivacy/example/1.3.0 -o json
expect_contains "its key field" "$OUT" '"key_field": "consistentValue"'
expect_fail "the built-in contract cannot be deleted" 1 \
  "data contract strmprivacy/example/1.3.0 is built in; it cannot be deleted" -- \
  delete data-contract strmprivacy/example/1.3.0
finish
