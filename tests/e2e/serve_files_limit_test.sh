#!/usr/bin/env bash
# A server out of file descriptors (a hard limit of 64, held by 80 idle connections) neither
# spins nor falls over: it waits for connections to close, then takes new ones and answers.
# Without the pause the accept loop would retry at once forever (a core at 100%).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

# Not under the sanitizers: their own checks need free descriptors (UBSan probes memory
# through a pipe, and reports any object as invalid when it cannot make one), so a sanitized
# server out of descriptors stops on the first check. The plain build runs this test.
if grep -qa __asan_report "$STRM"; then
  echo "skipped: $STRM is built with the sanitizers"
  finish
  exit 0
fi

# The server alone gets the limit (soft and hard); the client below needs more.
start_service "$WORK/serve.log" 'ready .*url=http://127.0.0.1:[0-9]+' \
  bash -c 'ulimit -n 64 && exec "$0" serve --listen 127.0.0.1:0' "$STRM"
SERVER=$SERVICE_PID
expect_contains "the ready line says how many files it may open" "$(cat "$WORK/serve.log")" "open_files=64"

python3 - "$PORT" "$SERVER" <<'PY' >"$WORK/report"
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
held = []
for _ in range(80):  # more than the server can accept
    held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
before = cpu_seconds()
time.sleep(2)
print(f"cpu_while_full={cpu_seconds() - before:.2f}")
for s in held:
    s.close()
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /is-alive HTTP/1.1\r\nHost: t\r\n\r\n")
answer = b""
while not answer.endswith(b"ok"):
    chunk = s.recv(4096)
    if not chunk:
        break
    answer += chunk
print("after=" + answer.split(b"\r\n", 1)[0].decode())
PY
report=$(cat "$WORK/report")
cpu=$(sed -n 's/^cpu_while_full=//p' <<<"$report")
awk -v c="$cpu" 'BEGIN {exit !(c < 0.5)}' ||
  fail "the server spun while out of file descriptors" "$report"
pass
expect_line "it answers once connections close" "$report" "after=HTTP/1.1 200 OK"
kill -TERM "$SERVER"
wait "$SERVER" || true
finish
