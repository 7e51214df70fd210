#!/usr/bin/env bash
# Installs whatever is missing, idempotently; a second call skips what is there.
#   scripts/install.sh         what the app needs
#   scripts/install.sh --dev   plus what the tests need (Chromium, test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

step() { printf '\n== %s\n' "$*"; }

# 1. Debian packages
APT_PKGS="tesseract-ocr tesseract-ocr-eng python3-venv"
[ "$DEV" = 1 ] && APT_PKGS="$APT_PKGS chromium chromium-driver fonts-ocr-b"
# podman, runc and debootstrap: the container test builds and runs the Containerfile (tests/container)
[ "$DEV" = 1 ] && APT_PKGS="$APT_PKGS podman runc debootstrap"
missing=""
for p in $APT_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  step "apt-get install$missing"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# 2. Python virtual environment with the pinned lock (no-deps: see requirements.txt)
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.11 python3; do command -v "$c" >/dev/null && { PY="$c"; break; }; done
fi
if [ ! -x .venv/bin/python ]; then
  step "python venv (.venv) with $PY"
  "$PY" -m venv .venv
fi
reqs="requirements.txt"
[ "$DEV" = 1 ] && reqs="$reqs requirements-dev.txt"
stamp=".venv/.installed-$(cat $reqs | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  step "pip install ($reqs)"
  .venv/bin/python -m pip install -q --upgrade pip
  args=""; for r in $reqs; do args="$args -r $r"; done
  .venv/bin/python -m pip install -q --no-deps $args
  # face_recognition quits with exit status 0 when its models are missing: check by output.
  .venv/bin/python -c "import face_recognition, mediapipe, cv2, passporteye, reflex; print('imports-ok')" 2>/dev/null \
    | grep -q imports-ok || { echo "the vision stack does not import; see requirements.txt" >&2; exit 1; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# 3. bun from the npm registry (Reflex cannot download it here)
if [ ! -x .tools/bun/bin/bun ]; then
  step "bun 1.4.4 from npm"
  npm install -g --silent --prefix .tools/bun bun@1.4.4
fi
