# Sourced by the run and test scripts: keeps Reflex and bun offline-friendly
# and their caches inside the project folder.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export REFLEX_BUN_PATH="$ROOT/.tools/bun/bin/bun"
export BUN_INSTALL_CACHE_DIR="$ROOT/.tools/bun-cache"
export REFLEX_DIR="$ROOT/.tools/reflex"
export OMP_THREAD_LIMIT=1
export PATH="$ROOT/.venv/bin:$ROOT/.tools/bun/bin:$PATH"
