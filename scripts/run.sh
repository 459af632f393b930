#!/usr/bin/env bash
# Starts the web server on http://127.0.0.1:5000 and, beside it, the scheduler
# process. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
FLASK=".venv/bin/flask --app kvalitet"
$FLASK demo-info
pids=()
if $FLASK --help 2>/dev/null | grep -q '^  scheduler'; then
  $FLASK scheduler &
  pids+=($!)
fi
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
$FLASK run --host 127.0.0.1 --port "${PORT:-5000}"
