#!/usr/bin/env bash
# Every user mistake: a non-zero exit code, nothing on stdout, and one sentence on stderr that
# starts with "Error: " and says what is wrong (see expect_fail in lib.sh).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
JOB=$DEMO/job.json
put_input() {  # replaces the connector's input.csv with stdin
  rm -f "$DATA/input.csv"
  cat >"$DATA/input.csv"
}
job_count() { "$STRM" list batch-jobs -o plain | wc -l; }

# Usage errors: exit 2.
expect_fail "unknown subcommand" 2 "bogus" -- bogus
expect_fail "missing subcommand" 2 "A subcommand is required" -- create
expect_fail "unknown nested subcommand" 2 "frobnicate" -- create frobnicate
expect_fail "missing required flag" 2 "--file" "required" -- create batch-job
expect_fail "missing required argument" 2 "path" "required" -- create data-connector local abcd
expect_fail "--threads out of range" 2 "--threads" -- create batch-job -F "$JOB" --threads 999
expect_fail "unknown output format" 1 "unknown output format 'yaml'" "json, table or plain" \
  -- list batch-jobs -o yaml

# Job files.
expect_fail "missing job file" 1 "cannot read batch job file '$WORK/nope.json'" \
  -- create batch-job -F "$WORK/nope.json"
sed '1a\  "bogus_key": 1,' "$JOB" >"$WORK/badkey.json"
expect_fail "job file with an unknown key" 1 "badkey.json" "line 2" "'bogus_key'" \
  -- create batch-job -F "$WORK/badkey.json"
sed 's/"timestamp_config"/"timestamp_confg"/' "$JOB" >"$WORK/nested.json"
expect_fail "job file with an unknown nested key" 1 "nested.json" "line 19" "'timestamp_confg'" \
  "encryption" -- create batch-job -F "$WORK/nested.json"
printf '{\n  "ref": {},\n  oops\n}\n' >"$WORK/notjson.json"
expect_fail "job file that is not JSON" 1 "notjson.json" "line 3, column 3" \
  -- create batch-job -F "$WORK/notjson.json"

# Entities that do not exist, or may not be created.
expect_fail "job with a missing contract" 1 "data contract $CONTRACT does not exist" \
  -- create batch-job -F "$JOB"
expect_fail "bad contract ref" 1 "invalid contract ref 'a/b'" "handle/name/version" \
  -- create data-contract a/b --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json"
sed 's/"FLOAT"/"BLOB"/' "$DEMO/schema.json" >"$WORK/badschema.json"
expect_fail "schema with an unknown type" 1 "'PublicFieldB'" "unknown type 'BLOB'" \
  -- create data-contract "$CONTRACT" --schema-definition "$WORK/badschema.json" \
  --contract-definition "$DEMO/contract.json"
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json"
expect_fail "job with a missing connector" 1 "job.json" "data connector 'databert-demo' does not exist" \
  -- create batch-job -F "$JOB"
expect_eq "failed job creations list no job" 0 "$(job_count)"
expect_fail "connector name of 3 characters" 1 "data connector name 'abc'" "4 to 100 characters" \
  -- create data-connector local abc "$DATA"
strm_ok create data-connector local databert-demo "$DATA"
expect_fail "duplicate connector" 1 "data connector 'databert-demo' already exists" \
  -- create data-connector local databert-demo "$DATA"
expect_fail "get a missing batch job" 1 \
  "batch job 00000000-0000-4000-8000-000000000000 does not exist" \
  -- get batch-job 00000000-0000-4000-8000-000000000000

# Bad rows fail the job, name the row, and leave no output behind.
awk -F, -v OFS=, 'NR == 4 { NF = NF - 1 } 1' "$DEMO/input.csv" | put_input
expect_fail "ragged row" 1 "Wrong number of fields in row 3 of input.csv: 8 instead of 9" \
  -- create batch-job -F "$JOB"
strm_ok list batch-jobs -o plain
expect_eq "the ragged job is listed as ERROR" \
  "ERROR	Wrong number of fields in row 3 of input.csv: 8 instead of 9" "$(cut -f3,4 <<<"$OUT")"
expect_eq "the ragged job wrote no file" "" "$(find "$DATA/out" -type f 2>/dev/null)"

sed '6s/2022-02-07 02.43.10.174305:+0100/2022-02-07T02:43/' "$DEMO/input.csv" | put_input
expect_fail "bad timestamp" 1 \
  "Invalid timestamp '2022-02-07T02:43' in row 5 of input.csv: expected yyyy-MM-dd HH.mm.ss.nnnnnn:Z" \
  -- create batch-job -F "$JOB"
strm_ok list batch-jobs -o plain
expect_eq "the bad-timestamp job is listed as ERROR" "ERROR" "$(sed -n 2p <<<"$OUT" | cut -f3)"
expect_eq "the bad-timestamp job wrote no file" "" "$(find "$DATA/out" -type f 2>/dev/null)"

sed 's/HH.mm.ss.nnnnnn:Z/HH.mm.ss.qqqqqq:Z/' "$JOB" >"$WORK/badformat.json"
expect_fail "timestamp format with an unknown letter" 1 "badformat.json" \
  "unsupported pattern letter 'q'" -- create batch-job -F "$WORK/badformat.json"
expect_eq "a job refused at create is not listed" 2 "$(job_count)"

# A record over max_record_bytes (16 MiB by default), here 20 MB without a newline: the job
# fails naming the row and the limit, and leaves nothing behind.
{ head -1 "$DEMO/input.csv"; head -c 20000000 /dev/zero | tr '\0' x; } | put_input
expect_fail "a record over the limit" 1 \
  "Record longer than max_record_bytes (16777216 bytes) in row 1 of input.csv" \
  -- create batch-job -F "$JOB"
expect_eq "the long record left no file" "" "$(find "$DATA" -type f -not -name input.csv)"

# Decrypt with a keys file that lacks a key: the row that needs it is named.
put_input <"$DEMO/input.csv"
strm_ok create batch-job -F "$JOB" -o plain
out=$DATA/out
last_link=$(tail -1 "$out/encrypted.csv" | awk -F, '{ print $(NF - 2) }')
grep -v "^$last_link," "$out/keys.csv" >"$WORK/keys-short.csv"
expect_eq "the short keys file lacks one key" 3 "$(wc -l <"$WORK/keys-short.csv")"
expect_fail "decrypt without the key" 1 \
  "keyLink $last_link is not in the keys file in row 10 of encrypted.csv" \
  -- decrypt -F "$out/encrypted.csv" --keys "$WORK/keys-short.csv" --contract "$CONTRACT"
expect_fail "decrypt with a missing keys file" 1 "cannot read keys file '$WORK/none.csv'" \
  -- decrypt -F "$out/encrypted.csv" --keys "$WORK/none.csv" --contract "$CONTRACT"

# A wrong master key is refused before anything is written: the catalog and the outputs stay as
# they were, and the right key still reads every job.
jobs_before=$(job_count)
catalog_sum=$(sha256sum <"$STRM_HOME/catalog.db")
outputs_sum=$(cat "$out"/* | sha256sum)
STRM_MASTER_KEY=$(printf 'b%.0s' $(seq 64)) expect_fail "a wrong master key" 1 \
  "the master key is not the one the catalog in $STRM_HOME was made with" \
  "nothing was read or written" -- create batch-job -F "$JOB"
expect_eq "the wrong key wrote nothing to the catalog" "$catalog_sum" \
  "$(sha256sum <"$STRM_HOME/catalog.db")"
expect_eq "the wrong key wrote no output" "$outputs_sum" "$(cat "$out"/* | sha256sum)"
STRM_MASTER_KEY=$(printf 'b%.0s' $(seq 64)) expect_fail "a wrong master key lists nothing" 1 \
  "the master key is not the one" -- list batch-jobs
expect_eq "the right key lists every job" "$jobs_before" "$(job_count)"
mv "$STRM_HOME/master.key" "$WORK/master.key"
expect_fail "a lost key file" 1 "the master key of the catalog in $STRM_HOME is missing" \
  -- list batch-jobs
expect_eq "no new key file was made" "" "$(ls "$STRM_HOME"/master.key 2>/dev/null || true)"
mv "$WORK/master.key" "$STRM_HOME/master.key"

# STRM_API_URL set: the server is used, never the embedded catalog behind its back.
export STRM_API_URL=http://localhost:1
expect_fail "STRM_API_URL without a token" 1 "no API token for the server" -- list batch-jobs
STRM_API_TOKEN=strm_x expect_fail "STRM_API_URL of no server" 1 \
  "cannot reach the strm server at http://localhost:1: " -- list batch-jobs
STRM_API_URL=ftp://x STRM_API_TOKEN=strm_x expect_fail "a URL that is not HTTP" 1 \
  "the API URL must start with http:// or https://, got 'ftp://x'" -- list batch-jobs
unset STRM_API_URL

finish
