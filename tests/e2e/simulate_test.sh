#!/usr/bin/env bash
# `strm simulate batch-data`: the demo's columns, the requested size, reproducible by seed,
# timestamps inside the requested days; and the simulated file runs through the demo job.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
sim=$WORK/sim.csv

strm_ok simulate batch-data --rows 1000 --users 10 --days 3
printf '%s\n' "$OUT" >"$sim"
expect_eq "simulated lines" 1001 "$(wc -l <"$sim")"
expect_eq "simulated header is the demo header" "$(head -1 "$DEMO/input.csv")" "$(head -1 "$sim")"
expect_eq "every row has 9 fields" "" "$(awk -F, 'NF != 9 { print NR ": " $0 }' "$sim")"
users=$(awk -F, 'NR > 1 { print $2 }' "$sim" | sort -u | wc -l)
if ((users < 1 || users > 10)); then fail "at most 10 distinct users" "got: $users"; fi
pass
expect_eq "every timestamp is in +01:00" "" "$(awk -F, 'NR > 1 && $3 !~ /:\+0100$/' "$sim")"
times=$(awk -F, 'NR > 1 { print substr($3, 1, 19) }' "$sim")
expect_eq "timestamps rise" "$(sort <<<"$times")" "$times"
expect_eq "the first timestamp is on the first day" 2022-02-06 "$(head -1 <<<"$times" | cut -c1-10)"
last=$(tail -1 <<<"$times")
if [[ ! $last < "2022-02-09 00.00.00" ]]; then
  fail "timestamps stay within the 3 days from 2022-02-06 00:00+01:00" "last: $last"
fi
pass
expect_eq "PrivacyPlane is 0, 1 or 2" "0 1 2" \
  "$(awk -F, 'NR > 1 { print $9 }' "$sim" | sort -u | paste -sd' ')"

run "$STRM" simulate batch-data --rows 1000 --users 10 --days 3
expect_eq "the same seed gives the same file" "$(cat "$sim")" "$OUT"
run "$STRM" simulate batch-data --rows 1000 --users 10 --days 3 --seed 1
expect_eq "the default seed is 1" "$(cat "$sim")" "$OUT"
run "$STRM" simulate batch-data --rows 1000 --users 10 --days 3 --seed 2
expect_eq "another seed runs" 0 "$RC"
if [[ $OUT == "$(cat "$sim")" ]]; then fail "another seed gives another file"; fi
pass
expect_fail "--rows is required" 2 "--rows" -- simulate batch-data --users 10

# The simulated file through the demo job.
cp "$sim" "$DATA/input.csv"
strm_ok create data-connector local databert-demo "$DATA"
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json"
strm_ok create batch-job -F "$DEMO/job.json" -o plain
expect_eq "job state" FINISHED "$(cut -f3 <<<"$OUT")"
expect_contains "job message" "$(cut -f4 <<<"$OUT")" "Processed 1000 records in "
out=$DATA/out
expect_eq "encrypted lines" 1001 "$(wc -l <"$out/encrypted.csv")"
expect_eq "derived rows are the PrivacyPlane 2 rows" \
  "$(awk -F, 'NR > 1 && $9 == 2' "$sim" | wc -l)" "$(($(wc -l <"$out/derived-2.csv") - 1))"

# One key per (user, UTC day): a row before 01:00 local (+01:00) is on the previous UTC day.
pairs=$(awk -F, 'NR > 1 { split($3, t, " "); print $2, t[1], (substr(t[2], 1, 2) + 0 < 1) }' \
  "$sim" | sort -u | while read -r user day before_one; do
  if ((before_one)); then day=$(date -u -d "$day -1 day" +%F); fi
  echo "$user $day"
done | sort -u | wc -l)
keys=$(($(wc -l <"$out/keys.csv") - 1))
expect_eq "keys are the distinct (user, UTC day) pairs" "$pairs" "$keys"
if ((keys < users || keys > users * 4)); then
  fail "keys between users and users x (days + 1)" "users: $users, keys: $keys"
fi
pass
expect_eq "key links in the encrypted file are the keys" \
  "$(awk -F, 'NR > 1 { print $1 }' "$out/keys.csv" | sort)" \
  "$(awk -F, 'NR > 1 { print $(NF - 2) }' "$out/encrypted.csv" | sort -u)"

strm_ok decrypt -F "$out/encrypted.csv" --keys "$out/keys.csv" --contract "$CONTRACT"
expect_eq "decrypt restores the simulated input" "$(cut -d, -f1-2,4-9 "$sim")" \
  "$(cut -d, -f1-8 <<<"$OUT")"

# Counts are whole numbers in range: "-1" is not read as 2^64 - 1 (which ran without end).
expect_fail "negative rows" 2 "--rows: must be a whole number from 0 to 1000000000000, got '-1'" \
  -- simulate batch-data --rows -1
expect_fail "negative users" 2 "--users: must be a whole number from 1 to 1000000000, got '-5'" \
  -- simulate batch-data --rows 3 --users -5
expect_fail "no users" 2 "--users: must be a whole number from 1" -- simulate batch-data \
  --rows 3 --users 0
expect_fail "no days" 2 "--days: must be a whole number from 1 to 36500, got '0'" \
  -- simulate batch-data --rows 3 --days 0
expect_fail "a fraction" 2 "--rows: must be a whole number" "got '2.5'" \
  -- simulate batch-data --rows 2.5
expect_fail "an exponent" 2 "--rows: must be a whole number" "got '1e3'" \
  -- simulate batch-data --rows 1e3
expect_fail "a negative seed" 2 "--seed: must be a whole number" -- simulate batch-data \
  --rows 3 --seed -1
expect_fail "negative threads" 2 "--threads: must be a whole number from 0 to 256, got '-1'" \
  -- create batch-job -F "$DEMO/job.json" --threads -1
expect_fail "negative preview rows" 2 "--rows: must be a whole number from 1 to 1000, got '-5'" \
  -- get batch-job some-id --preview --rows -5
strm_ok simulate batch-data --rows 0
expect_eq "no rows: the header alone" 1 "$(wc -l <<<"$OUT")"

finish
