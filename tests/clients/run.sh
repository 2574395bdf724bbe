#!/usr/bin/env bash
# Client compatibility tests: drives a real Conclave server with the real third-party clients
# (Python mattermostdriver, JS @mattermost/client) on SQLite and on PostgreSQL.
#
#   bash tests/clients/run.sh            # from the repo root (or from anywhere)
#
# Environment:
#   CONCLAVE_BIN           server binary (default ${CARGO_TARGET_DIR:-<repo>/target}/debug/conclave)
#   CONCLAVE_TEST_PG_URL   PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
#   CLIENT_SUITES          which suites (default "python js")
#   CLIENT_DBS             which databases (default "sqlite postgres")
# Exits non-zero if any suite fails, or if PostgreSQL is unreachable (never skips).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
export CONCLAVE_BIN="${CONCLAVE_BIN:-${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/conclave}"
export CONCLAVE_TEST_PG_URL="${CONCLAVE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}"
export CONCLAVE_RATE_LIMIT_ENABLE=false
SUITES="${CLIENT_SUITES:-python js}"
DBS="${CLIENT_DBS:-sqlite postgres}"

LOG_DIR="$HERE/.logs/$(date +%Y%m%d-%H%M%S)-$$"
export CONCLAVE_TEST_PID_DIR="$LOG_DIR/pids"
mkdir -p "$CONCLAVE_TEST_PID_DIR"

RUNNER_PID=""
TAIL_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$RUNNER_PID" ]] && kill -0 "$RUNNER_PID" 2>/dev/null; then
        kill -TERM "$RUNNER_PID" 2>/dev/null
        sleep 1
        kill -KILL "$RUNNER_PID" 2>/dev/null
    fi
    if [[ -n "$TAIL_PID" ]]; then kill "$TAIL_PID" 2>/dev/null; fi
    # Servers (and their PostgreSQL databases) that a runner could not clean up itself.
    local f pid db
    for f in "$CONCLAVE_TEST_PID_DIR"/server-*; do
        [[ -e "$f" ]] || continue
        pid="$(sed -n 1p "$f")"
        db="$(sed -n 2p "$f")"
        if [[ -n "$pid" ]] && [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- 'serve --listen'; then
            echo "cleanup: stopping leftover server pid $pid" >&2
            kill -TERM "$pid" 2>/dev/null
            sleep 1
            kill -KILL "$pid" 2>/dev/null
        fi
        if [[ -n "$db" ]]; then
            pg_psql -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
        fi
        rm -f "$f"
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_psql() {
    # psql against the maintenance database of CONCLAVE_TEST_PG_URL.
    local url="$CONCLAVE_TEST_PG_URL"
    psql -X -q -v ON_ERROR_STOP=1 "${url%/}/postgres" "$@"
}

die() { echo "run.sh: $*" >&2; exit 1; }

# --- prerequisites -------------------------------------------------------------------------------
if [[ ! -x "$CONCLAVE_BIN" ]]; then
    die "server binary not found or not executable: $CONCLAVE_BIN (build it first, or set CONCLAVE_BIN)"
fi
echo "== server: $CONCLAVE_BIN ($("$CONCLAVE_BIN" --version 2>&1 | head -n1))"
command -v python3 >/dev/null || die "python3 not found"
command -v node >/dev/null || die "node not found"
command -v npm >/dev/null || die "npm not found"

if [[ " $SUITES " == *" python "* ]]; then
    echo "== installing Python deps (tests/clients/python/.venv)"
    if [[ ! -x "$HERE/python/.venv/bin/python" ]]; then
        python3 -m venv "$HERE/python/.venv" || die "python3 -m venv failed"
    fi
    "$HERE/python/.venv/bin/python" -m pip install -q --disable-pip-version-check \
        -r "$HERE/python/requirements.txt" || die "pip install failed"
fi
if [[ " $SUITES " == *" js "* ]]; then
    echo "== installing JS deps (tests/clients/js/node_modules)"
    (cd "$HERE/js" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi

# --- runs ----------------------------------------------------------------------------------------
declare -a RESULTS=()
TOTAL_PASS=0
TOTAL_FAIL=0
FAILED=0

record() { # name status summary pass fail
    RESULTS+=("$(printf '%-18s %-5s %s' "$1" "$2" "$3")")
    TOTAL_PASS=$((TOTAL_PASS + $4))
    TOTAL_FAIL=$((TOTAL_FAIL + $5))
    [[ "$2" == "ok" ]] || FAILED=1
}

start_runner() { # log dir db cmd... ; runs cmd in dir, streams its output, returns its exit code
    local log="$1" dir="$2" db="$3"
    shift 3
    (cd "$dir" && CONCLAVE_TEST_DB="$db" CONCLAVE_TEST_LOG_DIR="$LOG_DIR" exec "$@") >"$log" 2>&1 </dev/null &
    RUNNER_PID=$!
    tail -n +1 -f --pid="$RUNNER_PID" "$log" &
    TAIL_PID=$!
    wait "$RUNNER_PID"
    local rc=$?
    RUNNER_PID=""
    wait "$TAIL_PID" 2>/dev/null
    TAIL_PID=""
    return "$rc"
}

num() { # first integer captured by a regex in a file, or 0
    local n
    n="$(grep -Eo "$1" "$2" | tail -n1 | grep -Eo '[0-9]+' | head -n1)"
    echo "${n:-0}"
}

run_python() { # db
    local db="$1" log="$LOG_DIR/python-$1.out"
    echo
    echo "== python (mattermostdriver) on $db"
    start_runner "$log" "$HERE/python" "$db" .venv/bin/python -m pytest -p no:cacheprovider -q -ra
    local rc=$?
    local summary pass fail
    summary="$(grep -E '^(=+ )?[0-9]+ (passed|failed|error)|^(=+ )?(no tests ran|[0-9]+ (errors?|skipped))' "$log" | tail -n1)"
    pass=$(num '[0-9]+ passed' "$log")
    fail=$(( $(num '[0-9]+ failed' "$log") + $(num '[0-9]+ errors?' "$log") ))
    if [[ "$pass" -eq 0 && "$fail" -eq 0 ]]; then fail=1; fi
    if [[ "$rc" -eq 0 && "$fail" -eq 0 ]]; then record "python/$db" ok "$summary" "$pass" 0
    else record "python/$db" FAIL "${summary:-pytest exit $rc}" "$pass" "$fail"; fi
}

run_js() { # db
    local db="$1" log="$LOG_DIR/js-$1.out"
    echo
    echo "== js (@mattermost/client Client4) on $db"
    start_runner "$log" "$HERE/js" "$db" node --test --test-reporter=spec test/
    local rc=$?
    local pass fail cancelled summary
    pass=$(num 'ℹ pass [0-9]+' "$log")
    fail=$(num 'ℹ fail [0-9]+' "$log")
    cancelled=$(num 'ℹ cancelled [0-9]+' "$log")
    fail=$((fail + cancelled))
    summary="tests $(num 'ℹ tests [0-9]+' "$log"), pass $pass, fail $(num 'ℹ fail [0-9]+' "$log"), cancelled $cancelled"
    if [[ "$pass" -eq 0 && "$fail" -eq 0 ]]; then fail=1; fi
    if [[ "$rc" -eq 0 && "$fail" -eq 0 ]]; then record "js/$db" ok "$summary" "$pass" 0
    else record "js/$db" FAIL "$summary (exit $rc)" "$pass" "$fail"; fi
}


for db in $DBS; do
    if [[ "$db" == "postgres" ]]; then
        if ! command -v psql >/dev/null; then
            for s in $SUITES; do record "$s/postgres" FAIL "psql not installed" 0 1; done
            continue
        fi
        if ! pg_psql -c 'select 1' >/dev/null 2>"$LOG_DIR/pg-check.err"; then
            echo "PostgreSQL unreachable at $CONCLAVE_TEST_PG_URL: $(cat "$LOG_DIR/pg-check.err")" >&2
            for s in $SUITES; do record "$s/postgres" FAIL "PostgreSQL unreachable at $CONCLAVE_TEST_PG_URL" 0 1; done
            continue
        fi
    fi
    for s in $SUITES; do
        case "$s" in
            python) run_python "$db" ;;
            js) run_js "$db" ;;
            *) die "unknown suite $s" ;;
        esac
    done
done

echo
echo "== client compatibility summary (logs: $LOG_DIR)"
for r in "${RESULTS[@]}"; do echo "  $r"; done
echo "client-compat: $TOTAL_PASS passed, $TOTAL_FAIL failed"
[[ "$FAILED" -eq 0 ]]
