#!/usr/bin/env bash
# Starts the scheduler process and the web server on http://127.0.0.1:5000.
# Ctrl-C stops both. The scheduler writes to instance/scheduler.log.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASK=".venv/bin/flask --app kvalitet"
instance="${KVALITET_INSTANCE_PATH:-instance}"
mkdir -p "$instance"
pids=()
if $FLASK --help 2>/dev/null | grep -q '^  scheduler'; then
  $FLASK scheduler >>"$instance/scheduler.log" 2>&1 &
  pids+=($!)
  echo "Schemaläggaren körs (logg: $instance/scheduler.log)."
fi
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
$FLASK demo-info
$FLASK run --host 127.0.0.1 --port "${PORT:-5000}"
