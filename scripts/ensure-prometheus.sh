#!/usr/bin/env bash
# Prometheus for the monitoring tests (deploy/monitoring/): Debian's prometheus package,
# which brings `promtool` (check and unit-test the alert rules) and `prometheus` (the real
# scrape of a running `shre serve`). Installs it with apt-get when promtool is missing and
# this runs as root; otherwise says what to do. With CI=true a missing promtool fails the
# run (outside CI the monitoring tests are skipped instead).
#
# The package would start its own server on :9090 where an init system lets it; the tests
# start theirs on a free port, so one started by the installation is stopped again (by
# its PID: never any other prometheus on the machine).
set -uo pipefail
source "$(dirname "$0")/apt-package.sh"
PROMTOOL=${SHRE_PROMTOOL:-promtool}

version() { "$PROMTOOL" --version 2>&1 | head -n 1; }

# PIDs of running /usr/bin/prometheus processes, one a line.
server_pids() {
  local pid
  for pid in $(pgrep -x prometheus 2>/dev/null); do
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/bin/prometheus ] && echo "$pid"
  done
  return 0
}

if command -v "$PROMTOOL" >/dev/null; then
  echo "prometheus: $(version)"
  exit 0
fi

echo "prometheus: promtool not installed; installing Debian's prometheus (apt-get)"
before=$(server_pids)
if apt_package prometheus prometheus; then
  # A server the package's maintainer scripts started (no policy-rc.d, a live init).
  for pid in $(server_pids); do
    if ! grep -qx "$pid" <<<"$before"; then
      echo "prometheus: stopping the server the package started (pid $pid)"
      kill "$pid" 2>/dev/null || true
    fi
  done
  echo "prometheus: $(version)"
  exit 0
fi
missing_tool prometheus "promtool is missing (apt-get install prometheus)"
