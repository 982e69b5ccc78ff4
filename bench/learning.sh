#!/usr/bin/env bash
# Learning benchmarks (issue 5): the lesson page for an enrolled, logged-in learner (target
# >= 15,000 req/s on 2 cores) and enrolment writes through the API by 100 distinct users
# (target >= 3,000 writes/s with zero errors, i.e. no SQLITE_BUSY surfacing as a 5xx).
# Writes its section to docs/BENCHMARKS-learning.md.
#
#   bench/learning.sh            build the release binary, then measure
#   BENCH_DURATION=3s bench/learning.sh --no-build
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10s}
BIN=${BENCH_BIN:-target/release/hancup}
REPORT=docs/BENCHMARKS-learning.md
[[ ${1:-} == --no-build ]] || cargo build --release --quiet
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

tmp=$(mktemp -d)
server_pid=""
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

export HANCUP_DATABASE__PATH=$tmp/bench.db HANCUP_LOG__LEVEL=warn
"$BIN" seed --courses 500 --users 1000 --enrollments 10000 >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
HANCUP_SERVER__BIND=127.0.0.1:$PORT HANCUP_AUTH__ADDRESS_FAILURE_LIMIT=100000 "$BIN" serve >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

# 100 learners with tokens (register hashes a password each: about a second per 20).
python3 - "$BASE" "$tmp" <<'PY'
import json, sys, urllib.request
base, tmp = sys.argv[1], sys.argv[2]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")
tokens = [call("POST", "/api/v1/auth/register", {"email": f"bench{i}@example.kr", "display_name": f"벤치{i}", "password": "창업은 한 컵의 커피에서", "accept_terms": True, "accept_privacy": True, "age_14_or_older": True})["token"] for i in range(100)]
slugs = [c["slug"] for page in range(1, 5) for c in call("GET", f"/api/v1/courses?page_size=100&page={page}")["results"]]
with open(f"{tmp}/enroll.txt", "w") as f:
    for i, t in enumerate(tokens):
        f.write(t + "\n")
with open(f"{tmp}/slugs.txt", "w") as f:
    f.write("\n".join(slugs) + "\n")
# The first learner enrolls in the first course and studies it in the browser-like run.
call("POST", f"/api/v1/courses/{slugs[0]}/enrollment", token=tokens[0])
detail = call("GET", f"/api/v1/courses/{slugs[0]}")
with open(f"{tmp}/lessons.txt", "w") as f:
    for l in detail["lessons"]:
        f.write(f"/courses/{slugs[0]}/lessons/{l['position']}\n")
PY

# A session cookie for the first learner, through the real login form.
jar=$tmp/jar
csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/accounts/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -c "$jar" -b "$jar" -o /dev/null "$BASE/accounts/login" --data-urlencode "email=bench0@example.kr" \
  --data-urlencode "password=창업은 한 컵의 커피에서" --data-urlencode "csrf_token=$csrf"
cookie=$(awk '$6 ~ /hancup_session/ {print $6"="$7}' "$jar")
first=$(head -1 "$tmp/lessons.txt")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$BASE$first")
[[ $code == 200 ]] || { echo "lesson page answered $code" >&2; exit 1; }

cat >"$tmp/lesson.lua" <<LUA
local paths, i = {}, 0
for line in io.lines("$tmp/lessons.txt") do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Cookie"] = "$cookie" })
end
LUA
cat >"$tmp/enroll.lua" <<LUA
local tokens, slugs, n = {}, {}, 0
for line in io.lines("$tmp/enroll.txt") do tokens[#tokens + 1] = line end
for line in io.lines("$tmp/slugs.txt") do slugs[#slugs + 1] = line end
local threads = 0
-- Each wrk thread walks its own half of the (user, course) pairs, so every request is a new
-- enrollment until the pairs run out.
setup = function(thread) thread:set("offset", threads * 25000); threads = threads + 1 end
init = function() n = offset or 0 end
request = function()
  n = n + 1
  local t = tokens[(n % #tokens) + 1]
  local s = slugs[(math.floor(n / #tokens) % #slugs) + 1]
  return wrk.format("POST", "/api/v1/courses/" .. s .. "/enrollment", { ["Authorization"] = "Bearer " .. t })
end
LUA

wrk -t2 -c32 -d"$DURATION" --latency -s "$tmp/lesson.lua" "$BASE" >"$tmp/lesson.txt"
wrk -t2 -c32 -d"$DURATION" --latency -s "$tmp/enroll.lua" "$BASE" >"$tmp/enroll.out"
rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
new_enrollments=$(python3 -c "import sqlite3; print(sqlite3.connect('$tmp/bench.db').execute(\"SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.email LIKE 'bench%'\").fetchone()[0])")

python3 - "$tmp" "$REPORT" "$DURATION" "$rss" "$new_enrollments" <<'PY'
import re, subprocess, sys, datetime
tmp, report, duration, rss, created = sys.argv[1:6]
def parse(path):
    t = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    unit = {"us": 1e-3, "ms": 1, "s": 1e3}
    lat = {p: float(v) * unit[u] for p, v, u in re.findall(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)}
    non2xx = int((re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t) or [0, 0])[1])
    statuses = dict((int(a), int(b)) for a, b in re.findall(r"status (\d+): (\d+)", t))
    return rps, lat.get("50"), lat.get("99"), non2xx, statuses
l = parse(f"{tmp}/lesson.txt")
e = parse(f"{tmp}/enroll.out")
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
cpu = next((x.split(":", 1)[1].strip() for x in open("/proc/cpuinfo") if x.startswith("model name")), "?")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = [
    "# Learning benchmarks", "",
    f"Generated {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC by `bench/learning.sh` on {cores} cores ({cpu}), commit `{commit}`;",
    f"wrk `-t2 -c32 -d{duration}` on the same machine. Seed: 500 courses, 1,000 users, 10,000 enrollments; 100 learners registered through the API.", "",
    "| run | req/s | p50 | p99 | errors | target |", "|---|---:|---:|---:|---|---|",
    f"| lesson page, enrolled learner (session cookie, not cached) | {l[0]:,.0f} | {l[1]:.2f} ms | {l[2]:.2f} ms | {l[3]} | ≥ 15,000 req/s |",
    f"| `POST /api/v1/courses/{{slug}}/enrollment`, 100 users | {e[0]:,.0f} | {e[1]:.2f} ms | {e[2]:.2f} ms | {e[3]} | ≥ 3,000 writes/s, 0 errors |",
    "", f"Enrollments by the 100 benchmark learners after the run: {int(created):,} (each request is a new (user, course) pair until the 40,000 pairs run out, then an idempotent re-enrollment, still a write transaction; errors = non-2xx answers).",
    f"Peak RSS: {int(rss)/1024:.1f} MB.", "",
]
# Hand-written notes below the marker (before/after comparisons, what bounds a page) survive a rerun.
marker = "<!-- notes: kept by bench/learning.sh -->"
try:
    old = open(report).read()
except FileNotFoundError:
    old = ""
notes = old[old.index(marker):] if marker in old else ""
open(report, "w").write("\n".join(lines) + "\n" + notes)
print("\n".join(lines))
PY
