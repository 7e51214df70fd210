#!/usr/bin/env bash
# Install what is missing, migrate, and serve the app in production mode on one port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. scripts/env.sh
if [ -z "${IDV_SECRET_KEY:-}" ] && ! grep -qs '^IDV_SECRET_KEY=..' .env; then
  # First run on this machine: a random secret in .env (never committed).
  echo "IDV_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" >> .env
  chmod 600 .env
  echo "wrote a new IDV_SECRET_KEY to .env (keep it: it decrypts the stored media)"
fi
python -m identity_app.cli migrate
# The check worker (Huey consumer, 2 processes) runs beside the web server and
# stops with it; it first re-enqueues checks a previous run left unfinished.
python -m identity_app.worker &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null' EXIT INT TERM
reflex run --env prod --single-port --frontend-port "${IDV_PORT:-3000}"
