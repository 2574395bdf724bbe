#!/usr/bin/env bash
# Runs a command with a local S3-compatible server (moto) for the file-storage tests:
#
#   bash tests/with-s3.sh cargo test --workspace
#
# Installs moto into tests/s3/.venv on first use (PyPI), starts it on 127.0.0.1, exports
# CONCLAVE_TEST_S3_URL for the command, and stops it afterwards. A server that cannot start
# fails the run: S3 tests never skip.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/s3/.venv"
if [[ ! -x "$VENV/bin/moto_server" ]] || ! cmp -s "$HERE/s3/requirements.txt" "$VENV/.requirements"; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/s3/requirements.txt"
    cp "$HERE/s3/requirements.txt" "$VENV/.requirements"
fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
LOG="$(mktemp -t conclave-moto.XXXXXX.log)"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then cat "$LOG" >&2; echo "moto failed to start" >&2; exit 1; fi
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/" >/dev/null || { cat "$LOG" >&2; echo "moto is not answering" >&2; exit 1; }
export CONCLAVE_TEST_S3_URL="http://127.0.0.1:$PORT"
"$@"
