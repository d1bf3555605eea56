#!/usr/bin/env bash
# Install GAVO DaCHS (gavodachs2-server) on PostgreSQL 15 with pgsphere, for
# xrbvo's TAP integration tests.  Idempotent, non-interactive, Debian 12, root.
#
#   bash scripts/dachs/install.sh
#
# Facts this script encodes: PostgreSQL must run before gavodachs2-server is
# installed (its postinst runs `dachs init`); a half-configured package recovers
# with `dpkg --configure -a`; `dachs pub` needs `[ivoa] authority` in
# /etc/gavo.rc.  The server's host and port are written by start.sh.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
APT=(flock /tmp/apt.lock apt-get -o DPkg::Lock::Timeout=900 -y -q)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }

if ! dpkg -s gavodachs2-server >/dev/null 2>&1 || ! dpkg -s postgresql-15-pgsphere >/dev/null 2>&1; then
    "${APT[@]}" update
    "${APT[@]}" install --no-install-recommends postgresql postgresql-15-pgsphere postgresql-15-q3c \
        curl procps
fi

# PostgreSQL must be running before the DaCHS postinst.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/postgres.sh" start

if ! dpkg -s gavodachs2-server 2>/dev/null | grep -q '^Status: install ok installed'; then
    "${APT[@]}" install --no-install-recommends gavodachs2-server || true
    flock /tmp/apt.lock dpkg --configure -a
    dpkg -s gavodachs2-server | grep -q '^Status: install ok installed' \
        || { echo "install.sh: gavodachs2-server failed to configure" >&2; exit 1; }
fi

# Minimal /etc/gavo.rc: an authority for `dachs pub`; [web] is set by start.sh.
python3 - <<'PY'
import configparser, pathlib
p = pathlib.Path("/etc/gavo.rc")
cp = configparser.ConfigParser(interpolation=None)
cp.optionxform = str
if p.exists():
    cp.read(p)
for sec, key, val in [("ivoa", "authority", "xrbvo.test"),
                      ("web", "sitename", "xrbvo test TAP"),
                      ("async", "defaultExecTime", "3600"),
                      ("async", "maxTAPRunning", "4")]:
    if not cp.has_section(sec):
        cp.add_section(sec)
    if not cp.has_option(sec, key):
        cp.set(sec, key, val)
with p.open("w") as f:
    cp.write(f)
PY
echo "install.sh: DaCHS installed ($(dpkg-query -W -f '${Version}' gavodachs2-server))"
