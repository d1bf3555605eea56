#!/usr/bin/env bash
# GAVO DaCHS on PostgreSQL 15 with pgsphere, for the TAP integration tests.
set -euo pipefail
bash "$(dirname "$0")/../dachs/install.sh"
