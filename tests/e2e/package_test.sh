#!/usr/bin/env bash
# The .deb (CPack, `cmake --build build --target package`): made from the build tree of the
# strm under test, unpacked with dpkg-deb -x, and its binary run from there; it holds the
# systemd unit (its own user, /var/lib/strm, the master key from /etc/strm/master.key), its
# defaults as a conffile, a postinst that makes the user and the key, completion and the docs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

build_dir=$(dirname "$STRM")
[[ -f $build_dir/CPackConfig.cmake ]] || fail "no CPackConfig.cmake in $build_dir"
run cpack --config "$build_dir/CPackConfig.cmake" -B "$WORK/pkg"
[[ $RC -eq 0 ]] || fail "cpack failed" "$OUT" "$ERR"
deb=$(ls "$WORK"/pkg/strm_*.deb)
version=$(sed -n 's/^project(strm VERSION \([0-9.]*\) .*/\1/p' "$SRC/CMakeLists.txt")
expect_eq "the package is named by version and architecture" \
  "strm_${version}_$(dpkg --print-architecture).deb" "$(basename "$deb")"

run dpkg-deb -f "$deb" Package Version Depends
expect_contains "control: the package" "$OUT" "Package: strm"
expect_contains "control: the version" "$OUT" "Version: $version"
expect_contains "control: shared-library dependencies found" "$OUT" "libsqlite3-0"

root=$WORK/root
dpkg-deb -x "$deb" "$root"
run "$root/usr/bin/strm" --version
expect_eq "the packaged binary runs" "strm $version" "$OUT"
unit=$root/lib/systemd/system/strm.service
[[ -f $unit ]] || fail "no systemd unit in the package"
expect_line "the service runs strm serve" "$(cat "$unit")" \
  'ExecStart=/usr/bin/strm serve --listen ${STRM_LISTEN} --log-format json $STRM_SERVE_FLAGS'
expect_line "as its own user" "$(cat "$unit")" "User=strm"
expect_line "with its state in /var/lib/strm" "$(cat "$unit")" "Environment=STRM_HOME=/var/lib/strm"
expect_line "private to it" "$(cat "$unit")" "StateDirectoryMode=0700"
expect_line "the master key from a file" "$(cat "$unit")" \
  "Environment=STRM_MASTER_KEY_FILE=/etc/strm/master.key"
[[ -f $root/etc/default/strm ]] || fail "no /etc/default/strm"
[[ -f $root/usr/share/bash-completion/completions/strm ]] || fail "no bash completion"
expect_contains "completion is strm's" "$(cat "$root/usr/share/bash-completion/completions/strm")" \
  "complete -F _strm strm"
for doc in README.md docs/operations.md examples/demo/job.json; do
  [[ -f $root/usr/share/doc/strm/$doc ]] || fail "no $doc in /usr/share/doc/strm"
done
pass

dpkg-deb -e "$deb" "$WORK/control"
expect_eq "/etc/default/strm is a conffile" "/etc/default/strm" "$(cat "$WORK/control/conffiles")"
postinst=$(cat "$WORK/control/postinst")
expect_contains "postinst makes the strm user" "$postinst" "adduser --system --group"
expect_contains "postinst makes the master key, 0400" "$postinst" "chmod 0400 /etc/strm/master.key"

# The packaged binary serves, with its key in a file as the service gives it.
key=$WORK/master.key
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$key")
STRM_MASTER_KEY_FILE=$key start_service "$WORK/serve.log" 'ready .*url=http://127.0.0.1:[0-9]+' \
  "$root/usr/bin/strm" serve --listen 127.0.0.1:0 --log-format text
run curl -s "http://127.0.0.1:$PORT/healthz"
expect_eq "the packaged server answers" '{"status":"ok"}' "$OUT"
[[ ! -e $STRM_HOME/master.key ]] || fail "a key file was made in STRM_HOME though STRM_MASTER_KEY_FILE is set"
pass
finish
