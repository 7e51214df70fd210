#!/bin/bash
# Start to healthy of the built image, as tests/container/test_container.py measures it (podman run
# until `podman healthcheck run` passes), on a fresh volume; prints the seconds and the load average.
#   scripts/container_start_time.sh IMAGE [RUNS] [ENTRYPOINT_FILE]
# ENTRYPOINT_FILE, when given, is mounted over container/start.py (to compare entrypoints on one image).
# Needs root and podman (runc, as the test).
set -eu
img=$1; runs=${2:-3}; entry=${3:-}
pm() { podman --runtime runc "$@"; }
for run in $(seq 1 "$runs"); do
  name=idv-start-time-$$-$run
  data=$(mktemp -d /tmp/idv-start-data.XXXXXX); chown 10001:10001 "$data"; chmod 700 "$data"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mount=(); [ -n "$entry" ] && mount=(-v "$(realpath "$entry")":/app/container/start.py:ro)
  t0=$(date +%s.%N)
  pm run -d --ulimit nofile=16384:16384 --ulimit nproc=8192:8192 --name "$name" -p "127.0.0.1:$port:3000" \
    -v "$data:/data" "${mount[@]}" -e IDV_SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    -e IDV_PUBLIC_BASE_URL="http://127.0.0.1:$port" "$img" >/dev/null 2>&1
  while true; do
    state=$(pm inspect --format '{{.State.Status}}' "$name")
    if [ "$state" != running ]; then echo "run $run: the container is $state"; pm logs "$name" | tail -20; break; fi
    if pm healthcheck run "$name" >/dev/null 2>&1; then
      echo "run $run: start to healthy $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s, load average $(cut -d' ' -f1 /proc/loadavg)"
      break
    fi
    sleep 0.5
  done
  pm rm -f -t 10 "$name" >/dev/null 2>&1 || true
  rm -rf "$data"
done
