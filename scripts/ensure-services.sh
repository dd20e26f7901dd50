#!/usr/bin/env bash
# Make sure the servers the test suite talks to are up: PostgreSQL and Redis on their
# standard local ports. Starts a stopped one; with CI=true a server that cannot be
# reached fails the run (outside CI the tests that need it are skipped instead).
set -uo pipefail

PG_HOST=${TEST_PG_HOST:-127.0.0.1}
PG_PORT=${TEST_PG_PORT:-5432}
REDIS_HOST=${TEST_REDIS_HOST:-127.0.0.1}
REDIS_PORT=${TEST_REDIS_PORT:-6379}
in_ci() { [[ "${CI:-}" =~ ^(1|true|yes)$ ]]; }

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

wait_for() { # host port seconds
  for _ in $(seq 1 $(( $3 * 4 ))); do port_open "$1" "$2" && return 0; sleep 0.25; done
  return 1
}

start_postgres() {
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1 || true
  fi
}

start_redis() {
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log 2>&1 || true
  fi
}

status=0
check() { # name host port starter
  if port_open "$2" "$3"; then
    echo "services: $1 is up on $2:$3"
    return
  fi
  echo "services: $1 is not answering on $2:$3; starting it"
  "$4"
  if wait_for "$2" "$3" 20; then
    echo "services: $1 started"
  elif in_ci; then
    echo "services: ERROR: $1 is not reachable on $2:$3 (CI=true: failing)" >&2
    status=1
  else
    echo "services: WARNING: $1 is not reachable; its tests will be skipped" >&2
  fi
}

check PostgreSQL "$PG_HOST" "$PG_PORT" start_postgres
check Redis "$REDIS_HOST" "$REDIS_PORT" start_redis
exit $status
