#!/usr/bin/env bash
# Start the local DaCHS TAP server on 127.0.0.1 for xrbvo's tests.
#
#   scripts/dachs/start.sh [PORT]        (default 8089; env XRBVO_DACHS_STATE, PYTHON)
#
# Starts PostgreSQL if it is down (and remembers that it did), loads the
# simulated-sky tables if they are missing or stale (load.py), points
# [web] serverURL/bindAddress/serverPort of /etc/gavo.rc at 127.0.0.1:PORT, and
# runs `dachs serve start -f` under setsid so that its PID is known (written
# to $XRBVO_DACHS_STATE/dachs.pid).  Prints the TAP URL on its last line.
# If a server this script started is still up on PORT, only prints the URL.
# stop.sh stops only what this script started.
set -euo pipefail
PORT="${1:-8089}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${XRBVO_DACHS_STATE:-/var/tmp/xrbvo-dachs}"
PYTHON="${PYTHON:-python3}"
URL="http://127.0.0.1:$PORT"
mkdir -p "$STATE"
command -v dachs >/dev/null || { echo "start.sh: dachs not found; run scripts/dachs/install.sh" >&2; exit 3; }

if [ -f "$STATE/dachs.pid" ] && kill -0 "$(cat "$STATE/dachs.pid")" 2>/dev/null \
   && [ "$(cat "$STATE/port" 2>/dev/null)" = "$PORT" ] && curl -sf -o /dev/null "$URL/tap/availability"; then
    echo "$URL/tap"; exit 0
fi

if [ "$(bash "$HERE/postgres.sh" start)" = started ]; then
    touch "$STATE/postgres.started"
fi

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" "$HERE/load.py"

"$PYTHON" - "$PORT" <<'PY'
import configparser, pathlib, sys
port = sys.argv[1]
p = pathlib.Path("/etc/gavo.rc")
cp = configparser.ConfigParser(interpolation=None)
cp.optionxform = str
cp.read(p)
if not cp.has_section("web"):
    cp.add_section("web")
cp.set("web", "bindAddress", "127.0.0.1")
cp.set("web", "serverPort", port)
cp.set("web", "serverURL", f"http://127.0.0.1:{port}")
tmp = p.with_suffix(".rc.tmp")
with tmp.open("w") as f:
    cp.write(f)
tmp.replace(p)
PY

# No job control here, so the background child is no process-group leader and
# setsid execs dachs in place: $! is the server's PID.
setsid dachs serve start -f >"$STATE/dachs.log" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$STATE/dachs.pid"
echo "$PORT" >"$STATE/port"
for _ in $(seq 1 240); do
    if curl -sf -o /dev/null "$URL/tap/availability"; then
        echo "$URL/tap"; exit 0
    fi
    if ! kill -0 "$PID" 2>/dev/null; then
        echo "start.sh: dachs exited; see $STATE/dachs.log:" >&2; tail -20 "$STATE/dachs.log" >&2
        rm -f "$STATE/dachs.pid"; exit 1
    fi
    sleep 0.5
done
echo "start.sh: dachs did not answer on $URL within 120 s; see $STATE/dachs.log" >&2
exit 1
