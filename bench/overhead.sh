#!/usr/bin/env bash
# The cost of request observation (request id and span, log line, metrics) on the list endpoint:
# runs the same wrk load against a baseline binary (built from a commit before observation, e.g.
# main before issue 7) and the current one, alternating, and prints the median req/s of each and
# the loss. Both servers run with the response cache on (the default), like production.
#
#   BENCH_BASE_BIN=/path/to/old/hancup BENCH_BIN=target/release/hancup bench/overhead.sh
#
# Settings: BENCH_DURATION (5s), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32), BENCH_PATH
# (/api/v1/courses). Short by default: run it on a quiet machine (`uptime` load < 1).
set -euo pipefail
BASE=${BENCH_BASE_BIN:?set BENCH_BASE_BIN to the baseline hancup binary}
NEW=${BENCH_BIN:-target/release/hancup}
DURATION=${BENCH_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
CONN=${BENCH_CONNECTIONS:-32}
URL_PATH=${BENCH_PATH:-/api/v1/courses}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
WORK=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
(cd "$WORK" && "$NEW" seed --courses 500 --users 2000 --enrollments 20000 >/dev/null)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

run() { # binary → req/s
  (cd "$WORK" && HANCUP_SERVER__BIND=127.0.0.1:$PORT HANCUP_LOG__LEVEL=info exec "$1" serve 2>/dev/null) &
  SERVER=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  wrk -t2 -c"$CONN" -d1s "http://127.0.0.1:$PORT$URL_PATH" >/dev/null
  wrk -t2 -c"$CONN" -d"$DURATION" "http://127.0.0.1:$PORT$URL_PATH" | awk '/Requests\/sec/ {print $2}'
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$WORK/base"; : > "$WORK/new"
for _ in $(seq "$ROUNDS"); do
  run "$BASE" >> "$WORK/base"
  run "$NEW" >> "$WORK/new"
done
B=$(median < "$WORK/base"); N=$(median < "$WORK/new")
echo "baseline $B req/s, current $N req/s ($URL_PATH, median of $ROUNDS × $DURATION)"
python3 -c "b,n=$B,$N; print(f'loss {100*(b-n)/b:.1f}% (target ≤ 5%)')"
