#!/usr/bin/env bash
# Size the local PostgreSQL server for Kvalitet's working set (docs/deployment.md §2):
# Debian's defaults (shared_buffers 128 MB, work_mem 4 MB) hold a small part of a big city's
# item table and its indexes (650 MB for 1,000,000 items), so lists and statistics read from
# the operating system's cache page by page, and grouped statistics sort on disk.
#   scripts/pg-tune.sh [shared_buffers]   # default: a quarter of the RAM, at most 8 GB
# JIT off: compiling cost Kvalitet's statistics and big lists 100-1,000 ms a statement (the
# app also turns it off for its own connections, kvalitet/core/db_setup.py).
# Applies ALTER SYSTEM settings and restarts the server. Run as root or with sudo rights.
set -euo pipefail
ram_mb=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
quarter=$(( ram_mb / 4 )); (( quarter > 8192 )) && quarter=8192
shared=${1:-${quarter}MB}
cache=$(( ram_mb * 3 / 4 ))MB
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
psql_as_postgres() {
  if [ -n "${PGPASSWORD:-}" ] || [ "$(id -u)" != 0 ]; then
    PGPASSWORD=${PGPASSWORD:-postgres} psql -h 127.0.0.1 -U postgres -qAt "$@"
  else
    su postgres -c "psql -qAt $(printf '%q ' "$@")"
  fi
}
for setting in "shared_buffers = '$shared'" "effective_cache_size = '$cache'" \
               "work_mem = '32MB'" "maintenance_work_mem = '512MB'" "random_page_cost = 1.1" \
               "jit = off"; do
  psql_as_postgres -c "ALTER SYSTEM SET $setting"
done
$SUDO service postgresql restart
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
echo "PostgreSQL: shared_buffers $(psql_as_postgres -c 'show shared_buffers'), work_mem $(psql_as_postgres -c 'show work_mem'), effective_cache_size $(psql_as_postgres -c 'show effective_cache_size')"
