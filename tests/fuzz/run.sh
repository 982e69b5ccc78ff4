#!/usr/bin/env bash
# Fuzzes the JSON API against its own OpenAPI document with schemathesis (PyPI), the way an
# outside client would: the real binary on a free loopback port, a seeded temporary database, a
# learner token, a staff token, no token and a bogus token, with stateful chains (an object made by
# one operation fed to the next). Checks: no 5xx, every response matches the documented schema,
# status code and content type — and then, from the server's own /metrics, that every status the
# document promises for an operation was answered by it (reachable.py; the few a fuzzer cannot
# provoke are listed with the cargo test that does in reached-elsewhere.tsv). Exits non-zero on
# any finding.
#
#   tests/fuzz/run.sh                      # CI budget (~3–5 minutes on 2 cores)
#   FUZZ_EXAMPLES=200 tests/fuzz/run.sh    # longer run
#
# Needs python3 with venv (Debian: python3-venv) and cargo. The venv lives in .venv-fuzz/
# (gitignored) and is reused when it already holds the pinned version.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
EXAMPLES="${FUZZ_EXAMPLES:-60}"
SEED="${FUZZ_SEED:-20261126}"
VENV=.venv-fuzz
TARGET="${CARGO_TARGET_DIR:-target}"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        # A fresh Debian has python3 without venv/ensurepip (and maybe no curl).
        rm -rf "$VENV"
        apt-get update -qq && apt-get install -y -qq python3 python3-venv curl >/dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
ST="$VENV/bin/schemathesis"

# The debug build: CI has just built it for `cargo test`, and the fuzzer is bound by Python.
echo "== building the binary"
cargo build --locked --quiet
BIN="$TARGET/debug/hancup"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
# Every HANCUP_* of the caller's environment is dropped: the fuzzed server runs on defaults.
run_hancup() {
    env $(env | sed -n 's/^\(HANCUP_[A-Z_]*\)=.*/-u \1/p') $EXTRA_ENV \
        HANCUP_DATABASE__PATH="$WORK/fuzz.db" HANCUP_SERVER__BIND="127.0.0.1:$PORT" \
        HANCUP_LOG__LEVEL=warn HANCUP_BACKUP__DIR="$WORK/backups" "$BIN" "$@"
}
# The same, replacing the calling (sub)shell, so `$!` of a backgrounded call is the server itself
# and the cleanup's kill reaches it (a backgrounded function would leave the server orphaned).
exec_hancup() {
    exec env $(env | sed -n 's/^\(HANCUP_[A-Z_]*\)=.*/-u \1/p') \
        HANCUP_DATABASE__PATH="$WORK/fuzz.db" HANCUP_SERVER__BIND="127.0.0.1:$PORT" \
        HANCUP_LOG__LEVEL=warn HANCUP_BACKUP__DIR="$WORK/backups" "$BIN" "$@"
}

EXTRA_ENV=
echo "== seeding $WORK/fuzz.db"
run_hancup seed --courses 30 --users 60 --enrollments 300 >/dev/null
EXTRA_ENV=HANCUP_SUPERUSER_PASSWORD=gwangjang-market-noodles-26 run_hancup createsuperuser \
    --email staff@fuzz.test --display-name 'Fuzz Staff' --no-input >/dev/null

(exec_hancup serve) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$BASE/readyz" >/dev/null

token_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
post() { curl -fsS -H 'content-type: application/json' -d "$2" "$BASE$1"; }
LEARNER="$(post /api/v1/auth/register \
    '{"email":"learner@fuzz.test","display_name":"Fuzz Learner","password":"namsan-tower-lantern-88","accept_terms":true,"accept_privacy":true,"age_14_or_older":true}' | token_of)"
STAFF="$(post /api/v1/auth/login \
    '{"email":"staff@fuzz.test","password":"gwangjang-market-noodles-26"}' | token_of)"
# The learner studies something, so progress, Q&A and reviews have real objects to hit.
SLUG="$(curl -fsS "$BASE/api/v1/courses?page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["slug"])')"
curl -fsS -X POST -H "Authorization: Bearer $LEARNER" "$BASE/api/v1/courses/$SLUG/enrollment" >/dev/null

CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
# Ending the token under test would turn the rest of the run into 401s: the session-ending
# operations get their own run with a throwaway token at the end.
ENDS_SESSION='^(auth_logout|auth_logoutall|auth_tokens_destroy)$'
fuzz() { # label, extra args…
    local label="$1"
    shift
    echo "== schemathesis $SCHEMATHESIS_VERSION as $label (max $EXAMPLES examples per operation, seed $SEED)"
    "$ST" run "$BASE/api/openapi.json" \
        --checks "$CHECKS" \
        --max-examples "$EXAMPLES" \
        --seed "$SEED" \
        --generation-database none \
        --phases "${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}" \
        --request-timeout 10 \
        --no-color \
        --suppress-health-check all \
        --report junit --report-dir "$WORK/report-$label" \
        "$@"
}

status=0
fuzz learner -H "Authorization: Bearer $LEARNER" --exclude-operation-id-regex "$ENDS_SESSION" || status=1
fuzz staff -H "Authorization: Bearer $STAFF" --exclude-operation-id-regex "$ENDS_SESSION" || status=1
fuzz anonymous || status=1
# A token the server does not know: every operation must refuse it with 401 before its handler.
FUZZ_PHASES=coverage fuzz bad-token -H "Authorization: Bearer 0000000000000000000000000000000000000000" || status=1
# Each session-ender gets a fresh token, so one ending the session does not hide the next.
for op in auth_logout auth_logoutall auth_tokens_destroy; do
    THROWAWAY="$(post /api/v1/auth/login \
        '{"email":"learner@fuzz.test","password":"namsan-tower-lantern-88"}' | token_of)"
    fuzz "$op" -H "Authorization: Bearer $THROWAWAY" --include-operation-id-regex "^$op\$" || status=1
done

curl -fsS "$BASE/metrics" >"$WORK/metrics.txt"
curl -fsS "$BASE/api/openapi.json" >"$WORK/openapi.json"
[ -n "${FUZZ_KEEP:-}" ] && cp "$WORK/metrics.txt" "$FUZZ_KEEP"
python3 tests/fuzz/reachable.py "$WORK/openapi.json" "$WORK/metrics.txt" tests/fuzz/reached-elsewhere.tsv || status=1
if grep -q 'panicked' "$WORK/server.log"; then
    echo "server log holds a panic:"
    grep -A5 'panicked' "$WORK/server.log"
    status=1
fi
tests=0
failures=0
for xml in "$WORK"/report-*/junit*.xml; do
    [ -f "$xml" ] || continue
    t=$(grep -o '<testsuite [^>]*' "$xml" | grep -o 'tests="[0-9]*"' | head -1 | tr -dc 0-9)
    f=$(grep -o '<testsuite [^>]*' "$xml" | grep -o 'failures="[0-9]*"' | head -1 | tr -dc 0-9)
    tests=$((tests + ${t:-0}))
    failures=$((failures + ${f:-0}))
done
echo "== schemathesis $SCHEMATHESIS_VERSION: $tests operation runs over 5 callers, $failures failing"
if [ "$status" -ne 0 ]; then
    echo "== API fuzzing FAILED"
    exit 1
fi
echo "== API fuzzing passed"
