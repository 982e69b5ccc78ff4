#!/usr/bin/env bash
# The admin dashboard at 1,000,000 enrolments (500 courses, 100,000 learners, lessons completed
# spread over each enrolment): the numbers, the enrolments chart, the queues, the completion
# funnel and the most-enrolled course's drop-off, as a logged-in superuser; then the same page
# with another course's drop-off. Target (issue 18): p99 <= 50 ms.
#
#   bench/admin_dashboard.sh         # needs target/release/hancup (cargo build --release)
#   BENCH_ENROLLMENTS=100000 BENCH_DURATION=5s bench/admin_dashboard.sh
#
# It refuses to run while the machine is busy (1-minute load >= 1.0). BENCH_FORCE=1 overrides.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${BENCH_DURATION:-10s}"
enrollments="${BENCH_ENROLLMENTS:-1000000}"
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

start=$(date +%s)
"$bin" seed --courses 500 --users 100000 --enrollments "$enrollments" >/dev/null
# Progress without a million lesson_progress rows: each enrolment's counter set to a share of
# its course's lessons, skewed low as real courses are (most learners stop early).
python3 - "$dir/hancup.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("""UPDATE enrollments SET completed_lessons = (
    SELECT CAST(lesson_count * ((abs(random()) % 1000) / 1000.0) * ((abs(random()) % 1000) / 1000.0) + 0.4 AS INTEGER)
    FROM courses WHERE courses.id = enrollments.course_id)""")
c.commit()
PY
echo "seeded $enrollments enrolments in $(( $(date +%s) - start )) s"
"$bin" createsuperuser --email operator@hancup.kr --display-name 운영자 --no-input >/dev/null
"$bin" serve & server=$!
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

jar="$dir/cookies"
token="$(curl -s -c "$jar" "$base/admin/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')"
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=operator@hancup.kr" --data-urlencode "password=$HANCUP_SUPERUSER_PASSWORD" \
    --data-urlencode "next=/admin" "$base/admin/login"
cookie="$(awk '$6 ~ /session|csrftoken/ { printf "%s=%s; ", $6, $7 }' "$jar")"
status="$(curl -s -o "$dir/page.html" -w '%{http_code}' -H "Cookie: $cookie" "$base/admin")"
[ "$status" = 200 ] || { echo "GET /admin answered $status" >&2; exit 1; }
grep -q 'funnel-svg-desc' "$dir/page.html" || { echo "the dashboard has no funnel chart" >&2; exit 1; }
# The third course of the funnel, for the page with a chosen drop-off.
course="$(grep -o 'href="/admin?course=[0-9]*' "$dir/page.html" | sed -n 3p | cut -d= -f3)"
for path in "/admin" "/admin?course=$course"; do
    echo "GET $path for $duration (wrk -t1 -c4)"
    wrk -t1 -c4 -d"$duration" --latency -H "Cookie: $cookie" "$base$path" | grep -E "Latency|50%|99%|Requests/sec|Non-2xx"
done
