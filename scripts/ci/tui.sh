#!/usr/bin/env bash
# Debian packages for the terminal-UI acceptance test (tests/tui/test_tui_tmux.py): tmux.
# Idempotent and non-interactive; .ci/run calls it after `apt-get update`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v tmux >/dev/null 2>&1; then
  apt-get install -y -qq tmux
fi
tmux -V
