#!/usr/bin/env bash
# Start or stop the PostgreSQL 15 cluster DaCHS uses, without systemd.
#   postgres.sh start   -> starts it if it is down; prints "started" or "running"
#   postgres.sh stop    -> stops it
set -euo pipefail
VER=15; CL=main
case "${1:-start}" in
  start)
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' | grep -qx "$VER/$CL"; then
        pg_createcluster "$VER" "$CL" >/dev/null
    fi
    if pg_lsclusters -h | awk -v v="$VER" -v c="$CL" '$1==v && $2==c {print $4}' | grep -qx online; then
        echo running
    else
        pg_ctlcluster "$VER" "$CL" start
        echo started
    fi ;;
  stop)
    pg_ctlcluster "$VER" "$CL" stop || true ;;
  *) echo "usage: postgres.sh start|stop" >&2; exit 2 ;;
esac
