#!/bin/sh
# Make sure headless Chromium is available for the report's browser test
# (tests/report/test_report_browser.py). Idempotent: does nothing when the browser
# is already installed. Installs the Debian package when run as root; otherwise
# prints what to do and exits non-zero, so `make test` stops with that reason
# instead of skipping the test.
set -eu

CHROMIUM="${PROTESTWATCH_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $CHROMIUM not found, installing the Debian 'chromium' package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
    if [ -x "$CHROMIUM" ]; then
        exit 0
    fi
    echo "ensure-chromium: installed the 'chromium' package but $CHROMIUM is still missing" >&2
    exit 1
fi

echo "ensure-chromium: $CHROMIUM not found. The report's browser test needs headless" >&2
echo "Chromium: run 'sudo apt-get install -y --no-install-recommends chromium'" >&2
echo "(or set PROTESTWATCH_CHROMIUM to a Chromium binary) and run 'make test' again." >&2
exit 1
