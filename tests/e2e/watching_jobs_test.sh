#!/usr/bin/env bash
# Watching jobs (SPEC §5): a server watches a local directory (in/*.csv) and an S3 prefix
# (s3rver, every .csv under in/). 20 files are dropped one by one into each while the server is
# killed with SIGKILL twice and started again. In the end every file is listed DONE once, in
# the order it was dropped, the servers' logs show it done exactly once, and its outputs are
# byte for byte those of a one-file job of the same key group run afterwards (which reuses
# every key, so any difference is a row done wrong, twice or not at all). Deleting the job
# stops it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
FILES=20
start_s3rver
cat >"$WORK/s3.json" <<EOF
{"url": "$S3", "accessKey": "S3RVER", "secretKey": "S3RVER", "api": "s3v4", "path": "on"}
EOF
mkdir -p "$DATA/in"
strm_ok create data-connector local watch-local "$DATA" -o plain
strm_ok create data-connector s3 watch-s3 demo-bucket --credentials-file "$WORK/s3.json" -o plain
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json" -o plain

py=python3
[[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
# job CONNECTOR FILE_NAME OUT_NAME_OF_ENCRYPTED GROUP: the demo job on CONNECTOR reading
# in/FILE_NAME (no file name: every .csv under in/), its outputs named after the pattern
# OUT/{input}-<what>.csv, its keys in GROUP, its masking seed fixed.
job() {
  "$py" - "$DEMO/job.json" "$@" <<'EOF'
import json, sys
path, connector, file_name, out, group = sys.argv[1:]
j = json.load(open(path))
for loc in [j["source_data"], j["encrypted_data"]["target"],
            j["encryption_keys_data"]["target"]] + [d["target"] for d in j["derived_data"]]:
    loc["data_connector_ref"]["name"] = connector
j["source_data"]["path_prefix"] = "in"
if file_name:
    j["source_data"]["file_name"] = file_name
else:
    del j["source_data"]["file_name"]
j["encrypted_data"]["target"]["file_name"] = out + "-encrypted.csv"
j["encryption_keys_data"]["target"]["file_name"] = out + "-keys.csv"
for d in j["derived_data"]:
    d["target"]["file_name"] = out + "-derived-2.csv"
    d.setdefault("masked_fields", {})["seed"] = "watching-test-seed"
j["encryption"]["batch_job_group_id"] = group
print(json.dumps(j, indent=1))
EOF
}
job watch-local '*.csv' 'out/{input}' group-local >"$WORK/local-job.json"
job watch-s3 '' 'out/{input}' group-s3 >"$WORK/s3-job.json"

SERVES=0
serve() {
  SERVES=$((SERVES + 1))
  start_strm_server "$WORK/serve$SERVES.log" --watch-interval 0.1
}
# files ID: the job's files, one "name state" a line, in order of appearance.
files() {
  "$STRM" get batch-job "$1" -o json | "$py" -c '
import json, sys
for f in json.load(sys.stdin).get("files", []): print(f["name"], f["state"])'
}

serve
strm_ok create batch-job -F "$WORK/local-job.json" -o plain
LOCAL_JOB=$(cut -f1 <<<"$OUT")
expect_eq "a watching job starts PENDING" PENDING "$(cut -f3 <<<"$OUT")"
strm_ok create batch-job -F "$WORK/s3-job.json" -o plain
S3_JOB=$(cut -f1 <<<"$OUT")

# The inputs: 2,000 rows of 400 users over 3 days each, different in every file.
for i in $(seq -w 1 $FILES); do
  "$STRM" simulate batch-data --rows 2000 --users 400 --days 3 --seed "1$i" >"$WORK/local-$i.csv"
  "$STRM" simulate batch-data --rows 2000 --users 400 --days 3 --seed "2$i" >"$WORK/s3-$i.csv"
done
for i in $(seq -w 1 $FILES); do
  cp "$WORK/local-$i.csv" "$DATA/in/.day-$i.tmp"  # dropped whole, by a rename
  mv "$DATA/in/.day-$i.tmp" "$DATA/in/day-$i.csv"
  s3 PUT "in/day-$i.csv" "$WORK/s3-$i.csv" >/dev/null
  sleep 0.25
  if [[ $i == 07 || $i == 14 ]]; then
    kill -KILL "$SERVER"
    wait "$SERVER" || true
    serve
  fi
done

# Every file of both jobs DONE (60 s at most).
for _ in $(seq 600); do
  done_local=$(files "$LOCAL_JOB" | grep -c ' DONE$' || true)
  done_s3=$(files "$S3_JOB" | grep -c ' DONE$' || true)
  [[ $done_local == "$FILES" && $done_s3 == "$FILES" ]] && break
  sleep 0.1
done
expected=$(for i in $(seq -w 1 $FILES); do echo "day-$i.csv DONE"; done)
expect_eq "local: every file DONE, in the order dropped" "$expected" "$(files "$LOCAL_JOB")"
expect_eq "S3: every file DONE, in the order dropped" "$expected" "$(files "$S3_JOB")"
strm_ok get batch-job "$LOCAL_JOB" -o json
expect_contains "still watching" "$OUT" '"state": "RUNNING"'
expect_contains "its attempt counts the kills" "$OUT" '"attempt": 3'
expect_contains "the message counts the files" "$OUT" "$FILES files done, 0 failed, 0 waiting"
expect_contains "the rows of every file" "$OUT" "\"rows\": $((FILES * 2000))"

# Exactly once: each file's DONE is in the logs of the three servers once.
for id in "$LOCAL_JOB" "$S3_JOB"; do
  done_lines=$(cat "$WORK"/serve*.log | grep -E "batch-job-file id=$id .*state=DONE" |
    grep -oE 'file=[^ ]+' | sort)
  expect_eq "job $id: each file done once" \
    "$(for i in $(seq -w 1 $FILES); do echo "file=day-$i.csv"; done)" "$done_lines"
done
expect_contains "the second server took the job over" "$(cat "$WORK/serve2.log")" \
  "batch-job id=$LOCAL_JOB state=RUNNING attempt=2"
expect_contains "and the third" "$(cat "$WORK/serve3.log")" \
  "batch-job id=$LOCAL_JOB state=RUNNING attempt=3"

# Deleting the job stops it: a file dropped afterwards is not processed.
strm_ok delete batch-job "$LOCAL_JOB"
cp "$WORK/local-01.csv" "$DATA/in/day-99.csv"
sleep 0.5
expect_eq "a deleted job processes nothing more" "" "$(find "$DATA/out" -name 'day-99*')"
kill -TERM "$SERVER"
wait "$SERVER" || true
unset STRM_API_URL STRM_API_TOKEN
rm "$DATA/in/day-99.csv"

# Correct outputs: the same job for one file, in the same key group, after the fact.
mkdir -p "$WORK/got"
for i in $(seq -w 1 $FILES); do
  job watch-local "day-$i.csv" "ref/day-$i" group-local >"$WORK/ref.json"
  strm_ok create batch-job -F "$WORK/ref.json" -o plain
  job watch-s3 "day-$i.csv" "ref/day-$i" group-s3 >"$WORK/ref.json"
  strm_ok create batch-job -F "$WORK/ref.json" -o plain
  for what in encrypted keys derived-2; do
    cmp -s "$DATA/out/day-$i-$what.csv" "$DATA/ref/day-$i-$what.csv" ||
      fail "local day-$i: $what differs from a one-file job's"
    s3 GET "out/day-$i-$what.csv" >"$WORK/got/$what.csv"
    s3 GET "ref/day-$i-$what.csv" >"$WORK/got/ref-$what.csv"
    cmp -s "$WORK/got/$what.csv" "$WORK/got/ref-$what.csv" ||
      fail "S3 day-$i: $what differs from a one-file job's"
  done
  pass
done
expect_eq "every row of a file, once" 2001 "$(wc -l <"$DATA/out/day-13-encrypted.csv")"
strm_ok decrypt -F "$DATA/out/day-13-encrypted.csv" --keys "$DATA/out/day-13-keys.csv" \
  --contract "$CONTRACT"
expect_eq "decrypt gives back the input" "$(cut -d, -f1-2,4-9 "$WORK/local-13.csv")" \
  "$(cut -d, -f1-8 <<<"$OUT")"
finish
