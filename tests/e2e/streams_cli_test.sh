#!/usr/bin/env bash
# Streams and key streams through the CLI (SPEC §3), on the embedded catalog and then against
# a server: credentials shown once on create and masked after, derived streams' default
# names, masked fields checked against their contract, deletes, and each error's sentence.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

json_field() {  # JSON PATH...: the value at a path of keys (python3's json)
  python3 -c 'import json,sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]: v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v))' "$@"
}

check_streams() {  # WHERE: the same checks, locally or through a server
  local where=$1
  strm_ok create stream example --description "demo events" --tags web,demo -o json
  local secret
  secret=$(json_field "$OUT" credentials 0 clientSecret)
  expect_eq "$where: a secret of 32 bytes, base64url" 43 "${#secret}"
  expect_eq "$where: tags" '["web", "demo"]' "$(json_field "$OUT" tags)"
  strm_ok get stream example -o json
  expect_eq "$where: get masks the secret" '****' "$(json_field "$OUT" credentials 0 clientSecret)"
  expect_not_contains "$where: get holds no secret" "$OUT" "$secret"

  strm_ok create stream --derived-from example --purposes 2,1 -o plain
  expect_eq "$where: default name" example-1-2 "$(cut -f1 <<<"$OUT")"
  strm_ok create stream --derived-from example --levels 3 \
    --masked-fields strmprivacy/example/1.3.0:uniqueIdentifier,someSensitiveValue \
    --mask-seed s33d-not-shown -o json
  expect_eq "$where: masked name" example-M3 "$(json_field "$OUT" name)"
  strm_ok get stream example-M3 -o json
  expect_eq "$where: seed masked" '****' "$(json_field "$OUT" masked_fields seed)"
  expect_eq "$where: masked fields" '["uniqueIdentifier", "someSensitiveValue"]' \
    "$(json_field "$OUT" masked_fields field_patterns strmprivacy/example/1.3.0 field_names)"

  strm_ok list streams -o plain
  expect_eq "$where: list" "example example-1-2 example-M3" "$(cut -f1 <<<"$OUT" | xargs)"
  strm_ok list key-streams -o plain
  expect_eq "$where: key streams of sources only" example "$(cut -f1 <<<"$OUT")"
  strm_ok get key-stream example -o json
  expect_eq "$where: key stream names its stream" "$(json_field "$OUT" stream_id)" \
    "$("$STRM" get stream example -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"

  expect_fail "$where: exists" 1 "stream example already exists" -- create stream example
  expect_fail "$where: typo in a masked field" 1 \
    "masked field 'uniqueIdentifer' is not a field of data contract strmprivacy/example/1.3.0" \
    -- create stream x-typo --derived-from example --purposes 1 \
    --masked-fields strmprivacy/example/1.3.0:uniqueIdentifer
  expect_fail "$where: purposes without a source" 1 "add --derived-from SOURCE" \
    -- create stream lone --purposes 1
  expect_fail "$where: bad purposes" 1 "purposes: 'x' is not a purpose level" \
    -- create stream --derived-from example --purposes 1,x
  expect_fail "$where: no source" 1 "stream nope does not exist" \
    -- create stream --derived-from nope --purposes 1
  expect_fail "$where: derived key stream" 1 "is derived and has no key stream" \
    -- get key-stream example-1-2
  expect_fail "$where: delete a source with derived streams" 1 \
    "stream example has derived streams (example-1-2, example-M3); delete them first" \
    -- delete stream example
  strm_ok delete stream example --recursive
  expect_eq "$where: recursive delete" "Deleted stream example" "$OUT"
  strm_ok list streams -o plain
  expect_eq "$where: nothing left" "" "$OUT"
}

check_streams embedded
# --include-credentials shows what create showed, on the embedded catalog.
strm_ok create stream clicks -o json
secret=$(json_field "$OUT" credentials 0 clientSecret)
strm_ok get stream clicks --include-credentials -o json
expect_eq "include credentials" "$secret" "$(json_field "$OUT" credentials 0 clientSecret)"
strm_ok delete stream clicks

start_strm_server "$WORK/serve.log"
check_streams server
expect_fail "server: credentials stay there" 1 "credentials never leave the server" \
  -- get stream example --include-credentials
expect_not_contains "the server's log holds no secret" "$(cat "$WORK/serve.log")" "$secret"
finish
