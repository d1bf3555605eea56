#!/usr/bin/env bash
# Install the desktop applications the SAMP integration tests talk to:
# TOPCAT, Aladin (each pulls in a Java runtime) and a virtual X server (Xvfb).
#
# Idempotent and non-interactive; works as root on a fresh Debian 12.
# Usage:  bash scripts/samp/install.sh
set -euo pipefail

PACKAGES=(topcat aladin xvfb)  # both applications depend on default-jre

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "samp/install.sh: all of ${PACKAGES[*]} already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=900 -y -q)
if command -v flock >/dev/null 2>&1; then
    APT=(flock /tmp/apt.lock "${APT[@]}")
fi

echo "samp/install.sh: installing ${missing[*]}"
$SUDO "${APT[@]}" update
$SUDO "${APT[@]}" install --no-install-recommends "${missing[@]}"

test -r /usr/share/java/starlink-topcat.jar || { echo "samp/install.sh: starlink-topcat.jar missing after install" >&2; exit 1; }
test -r /usr/share/java/aladin.jar || { echo "samp/install.sh: aladin.jar missing after install" >&2; exit 1; }
command -v Xvfb >/dev/null || { echo "samp/install.sh: Xvfb missing after install" >&2; exit 1; }
echo "samp/install.sh: done"
