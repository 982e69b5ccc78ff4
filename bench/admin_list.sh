#!/usr/bin/env bash
# The admin's heaviest list: the enrollments change list over 100,000 rows, filtered by a
# course, searched by learner, page 50, as a logged-in superuser. Target: p99 <= 20 ms.
#
#   bench/admin_list.sh              # needs target/release/hancup (cargo build --release)
#   BENCH_DURATION=5s bench/admin_list.sh
#
# It refuses to run while the machine is busy (1-minute load >= 1.0): numbers taken next to
# a compiler say nothing. BENCH_FORCE=1 runs anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
bin="${BENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/hancup}"
load="$(cut -d' ' -f1 /proc/loadavg)"
if [ "${BENCH_FORCE:-0}" != 1 ] && awk -v l="$load" 'BEGIN { exit !(l >= 1.0) }'; then
    echo "load average is $load (>= 1.0); not benchmarking. BENCH_FORCE=1 overrides." >&2
    exit 3
fi
[ -x "$bin" ] || { echo "no $bin; run cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }

dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export HANCUP_DATABASE__PATH="$dir/hancup.db" HANCUP_SERVER__BIND="127.0.0.1:$port" HANCUP_LOG__LEVEL=warn
export HANCUP_SUPERUSER_PASSWORD="스타트업 창업 벤치마크 비밀번호 2026"
# The benchmark logs in with a password only (a superuser's second factor is on by default).
export HANCUP_AUTH__REQUIRE_MFA_FOR=none
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

"$bin" seed --courses 500 --users 10000 --enrollments 100000 >/dev/null
"$bin" createsuperuser --email operator@hancup.kr --display-name 운영자 --no-input >/dev/null
"$bin" serve & server=$!
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

jar="$dir/cookies"
token="$(curl -s -c "$jar" "$base/admin/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')"
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=operator@hancup.kr" --data-urlencode "password=$HANCUP_SUPERUSER_PASSWORD" \
    --data-urlencode "next=/admin" "$base/admin/login"
cookie="$(awk '$6 ~ /session|csrftoken/ { printf "%s=%s; ", $6, $7 }' "$jar")"
# The most enrolled course (the seed's popularity is long-tailed: thousands of rows).
course="$(curl -s -H "Cookie: $cookie" "$base/admin/course?o=-enrollments" | grep -o 'href="/admin/course/[0-9]*"' | head -1 | grep -o '[0-9]*')"
path="/admin/enrollment?course=$course&q=example&p=50"
status="$(curl -s -o "$dir/page.html" -w '%{http_code}' -H "Cookie: $cookie" "$base$path")"
[ "$status" = 200 ] || { echo "GET $path answered $status" >&2; exit 1; }
grep -o '[0-9,]*건' "$dir/page.html" | head -1 | sed 's/^/rows matching: /'
echo "GET $path for $duration (wrk -t2 -c8)"
wrk -t2 -c8 -d"$duration" --latency -H "Cookie: $cookie" "$base$path" | grep -E "Latency|50%|99%|Requests/sec|Non-2xx"
