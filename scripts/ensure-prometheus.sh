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
PROMTOOL=${SHRE_PROMTOOL:-promtool}
in_ci() { [[ "${CI:-}" =~ ^(1|true|yes)$ ]]; }

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

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "prometheus: promtool not installed; installing Debian's prometheus (apt-get)"
  before=$(server_pids)
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  apt_install() { apt-get install -y -qq --no-install-recommends prometheus >"$log" 2>&1; }
  if apt_install || { apt-get update -qq >/dev/null 2>&1 && apt_install; }; then
    rm -f "$log"
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
  if grep -qE "Unable to locate package|has no installation candidate|is not available" "$log"; then
    rm -f "$log"
    echo "prometheus: ERROR: apt has no 'prometheus' package here: add Debian's main" \
      "archive to the apt sources, or install Prometheus' promtool and prometheus by hand" >&2
    exit 1
  fi
  echo "prometheus: apt-get install prometheus failed:" >&2
  tail -n 5 "$log" >&2
  rm -f "$log"
fi
if in_ci; then
  echo "prometheus: ERROR: promtool is missing and could not be installed (CI=true: failing)" >&2
  exit 1
fi
echo "prometheus: WARNING: promtool is missing (apt-get install prometheus); the monitoring tests will be skipped" >&2
exit 0
