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
umask 077  # data files private to this account (the app also creates them 0600 / 0700 itself)
python -m identity_app.cli migrate
# The supervisor runs the web server and the check worker (Huey consumer, 2 processes; it
# first re-enqueues checks a previous run left unfinished), restarts either when it dies,
# and stops both on Ctrl-C or SIGTERM (identity_app/supervisor.py).
exec python -m identity_app.supervisor --port "${IDV_PORT:-3000}"
