#!/usr/bin/env bash
# The browser of the end-to-end tests: Debian's chromium (Playwright's own download is not
# reachable from the build machines). Installs it with apt-get when it is missing and this
# runs as root; otherwise says what to do. With CI=true a missing browser fails the run
# (outside CI the browser tests are skipped instead).
set -uo pipefail
BROWSER=${SHRE_CHROMIUM:-/usr/bin/chromium}
in_ci() { [[ "${CI:-}" =~ ^(1|true|yes)$ ]]; }

if [ -x "$BROWSER" ]; then
  echo "chromium: $("$BROWSER" --version 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "chromium: not installed; installing Debian's chromium (apt-get)"
  if apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; then
    echo "chromium: $("$BROWSER" --version 2>/dev/null | head -n 1)"
    exit 0
  fi
fi
if in_ci; then
  echo "chromium: ERROR: $BROWSER is missing and could not be installed (CI=true: failing)" >&2
  exit 1
fi
echo "chromium: WARNING: $BROWSER is missing (apt-get install chromium); browser tests will be skipped" >&2
exit 0
