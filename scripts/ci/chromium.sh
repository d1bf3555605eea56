#!/usr/bin/env bash
# Debian's headless Chromium and its WebDriver, for the report's browser test
# (tests/workflows/test_report_browser.py opens report/index.html from disk through Selenium).
# Idempotent and non-interactive; .ci/run calls it after `apt-get update`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi
chromium --version
chromedriver --version
