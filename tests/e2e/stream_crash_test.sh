#!/usr/bin/env bash
# The server killed with SIGKILL at random moments while clients send events (SPEC §3: the
# event is durable before its 204). Four keep-alive clients send events that each carry a
# unique id; the server is killed 6 times and started again on the same port. Afterwards the
# log is read back on its own (tests/tools/log_dump.cc, not the server's bookkeeping): every
# event answered 204 is there exactly once, every event answered otherwise (503 while the
# server starts, plain text) is not there, and every event left without an answer is there at most once.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
DUMP=$(dirname "$STRM")/strm_log_dump
[[ -x $DUMP ]] || fail "strm_log_dump is missing next to $STRM (cmake --build builds it)" ""

start_strm_server "$WORK/serve0.log"
port=$PORT
strm_ok create stream crash -o json
creds=$OUT
client_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientId"])' "$creds")
client_secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["credentials"][0]["clientSecret"])' "$creds")
stream_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$creds")
token=$(curl -sS -d "grant_type=client_credentials&client_id=$client_id&client_secret=$client_secret" \
  "$STRM_API_URL/auth/realms/streams/protocol/openid-connect/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# The clients: each event's id and what became of it (204, another status, or no answer).
cat >"$WORK/clients.py" <<'PY'
import http.client, json, os, sys, threading, time
port, token, stop_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
outcomes, lock = {}, threading.Lock()
def client(n):
    conn, i = None, 0
    while not os.path.exists(stop_file):
        eid = f"c{n}-{i}"
        i += 1
        body = json.dumps({"strmMeta": {"eventContractRef": "strmprivacy/example/1.3.0",
                                        "consentLevels": [0]},
                           "consistentValue": f"session-{i % 50}", "notSensitiveValue": eid})
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/event", body, {"Authorization": "Bearer " + token,
                         "Strm-Serialization-Type": "application/json",
                         "Strm-Schema-Ref": "strmprivacy/example/1.3.0"})
            answer = conn.getresponse()
            body = answer.read().decode().strip()
            outcome = str(answer.status) if answer.status == 204 else f"{answer.status} {body}"
        except (OSError, http.client.HTTPException):
            outcome = "none"
            conn = None
            time.sleep(0.02)
        with lock:
            outcomes[eid] = outcome
threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
for t in threads: t.start()
for t in threads: t.join()
with open(out, "w") as f:
    json.dump(outcomes, f)
PY
python3 "$WORK/clients.py" "$port" "$token" "$WORK/stop" "$WORK/outcomes.json" &
clients=$!

for round in 1 2 3 4 5 6; do
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 1.2), 2))')"
  kill -KILL "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  start_service "$WORK/serve$round.log" 'ready .*url=http://127.0.0.1:[0-9]+' \
    "$STRM" serve --listen "127.0.0.1:$port"
  SERVER=$SERVICE_PID
done
sleep 0.5
touch "$WORK/stop"
wait "$clients"
kill -TERM "$SERVER"
wait "$SERVER" || true

"$DUMP" "$STRM_HOME/log" "events.$stream_id" >"$WORK/log.jsonl"
report=$(python3 - "$WORK/outcomes.json" "$WORK/log.jsonl" <<'PY'
import collections, json, sys
outcomes = json.load(open(sys.argv[1]))
seen = collections.Counter(json.loads(line)["notSensitiveValue"] for line in open(sys.argv[2]))
acked = [e for e, o in outcomes.items() if o == "204"]
refused = [e for e, o in outcomes.items() if o not in ("204", "none")]
unanswered = [e for e, o in outcomes.items() if o == "none"]
print(f"acked={len(acked)} refused={len(refused)} unanswered={len(unanswered)}")
print("acked_not_once=" + ",".join(f"{e}:{seen[e]}" for e in acked if seen[e] != 1)[:300])
print("refused_in_log=" + ",".join(e for e in refused if seen[e])[:300])
print("unanswered_twice=" + ",".join(e for e in unanswered if seen[e] > 1)[:300])
print("unknown_in_log=" + ",".join(e for e in seen if e not in outcomes)[:300])
print(f"unanswered_in_log={sum(1 for e in unanswered if seen[e])}")
print("refusals=" + "|".join(sorted(set(outcomes[e] for e in refused))))
PY
)
echo "$report"
acked=$(sed -n 's/^acked=\([0-9]*\).*/\1/p' <<<"$report")
unanswered=$(sed -n 's/.*unanswered=\([0-9]*\)$/\1/p' <<<"$report")
((acked > 1000)) || fail "the clients got too few 204s to prove anything" "$report"
((unanswered >= 6)) || fail "the kills left no request unanswered: the test did not kill mid-stream" "$report"
expect_line "every 204'd event is in the log exactly once" "$report" "acked_not_once="
expect_line "no refused event is in the log" "$report" "refused_in_log="
expect_line "no unanswered event is in the log twice" "$report" "unanswered_twice="
expect_line "the log holds only events that were sent" "$report" "unknown_in_log="
refusals=$(sed -n 's/^refusals=//p' <<<"$report")
[[ -z $refusals ]] || expect_eq "refusals: 503 while starting, in plain text" "503 the server is starting" "$refusals"
finish
