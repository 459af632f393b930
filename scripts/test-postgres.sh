#!/usr/bin/env bash
# Run a command (the test suite) against a throwaway PostgreSQL server of its own:
#   scripts/test-postgres.sh make test
# Debian's PostgreSQL binaries (installed if missing), a new cluster in memory (/dev/shm)
# on a free port, durability off (fsync, synchronous_commit, full_page_writes: the data
# lives as long as the run, and a crash of the machine loses nothing worth keeping), then
# KVALITET_TEST_DATABASE_URL points at it while the command runs; the cluster is stopped
# and removed afterwards, whatever the command's outcome. On a disk-backed server each
# test's CREATE DATABASE and every commit wait for the disk: the suite took 1.5-2x as long.
# The server is real PostgreSQL all the same: the same planner, locks and SQL.
set -euo pipefail
cd "$(dirname "$0")/.."
KVALITET_EXTRA_APT="postgresql ${KVALITET_EXTRA_APT:-}" bash scripts/system-deps.sh test
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
dir=$(mktemp -d "$base/kvalitet-test-pg.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner() {
  # initdb and the server refuse to run as root: as root, run them as the postgres user.
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}
stop() {
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 \
  --locale=C.UTF-8 >/dev/null
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
   -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB -c jit=off" \
  start >/dev/null
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') for the tests: 127.0.0.1:$port (in $dir)"
KVALITET_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres" "$@"
