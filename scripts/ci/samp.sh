#!/usr/bin/env bash
# TOPCAT, Aladin and Xvfb for the SAMP integration tests.
set -euo pipefail
bash "$(dirname "$0")/../samp/install.sh"
