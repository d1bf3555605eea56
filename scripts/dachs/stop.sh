#!/usr/bin/env bash
# Stop what start.sh started, by PID: the DaCHS server, and PostgreSQL only if
# start.sh had to start it.
#   scripts/dachs/stop.sh [--keep-postgres]
set -uo pipefail
STATE="${XRBVO_DACHS_STATE:-/var/tmp/xrbvo-dachs}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$STATE/dachs.pid" ]; then
    PID="$(cat "$STATE/dachs.pid")"
    if kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID"
        for _ in $(seq 1 40); do kill -0 "$PID" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
    fi
    rm -f "$STATE/dachs.pid"
fi
if [ "${1:-}" != "--keep-postgres" ] && [ -f "$STATE/postgres.started" ]; then
    bash "$HERE/postgres.sh" stop
    rm -f "$STATE/postgres.started"
fi
exit 0
