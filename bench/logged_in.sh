#!/usr/bin/env bash
# Logged-in speed (issue 15): a learner's pages against the anonymous cached list, measured side
# by side in ONE server process, in alternating sittings, reported as same-run ratios.
# Writes the "Logged in" section of docs/BENCHMARKS.md (between its logged-in markers).
#
#   bench/logged_in.sh                                   build the release binary, then measure
#   BENCH_DURATION=3s BENCH_SITTINGS=3 bench/logged_in.sh --no-build
#
# Cases, each `wrk -t1 -c32 --latency` for BENCH_DURATION, all cases once per sitting:
#   anonymous list (cached)           GET /api/v1/courses
#   list with Token                   the same with `Authorization: Token <t>`
#   lesson page (session)             an enrolled learner cycling the course's lessons
#   home, logged in                   GET /
#   My courses                        GET /me/courses
#   Q&A list                          GET /courses/<slug>/questions
#   account page                      GET /accounts/me
#   anonymous list while learners write: the first case again while bench/learner_writes.py
#                                     marks 50 lessons/s and enrols 20 times/s through the API
# Each case's ratio is its req/s over the anonymous list's req/s of the same sitting; the table
# shows the median over the sittings (req/s, p50, p99 and ratio each the median of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-5s}
SITTINGS=${BENCH_SITTINGS:-3}
BIN=${BENCH_BIN:-target/release/hancup}
REPORT=${BENCH_REPORT:-docs/BENCHMARKS.md}
SEED=${BENCH_SEED:---courses 500 --users 10000 --enrollments 100000}
[[ ${1:-} == --no-build ]] || cargo build --release --quiet
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

tmp=$(mktemp -d)
server_pid=""
writer_pid=""
cleanup() {
  [[ -n $writer_pid ]] && kill "$writer_pid" 2>/dev/null
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

export HANCUP_DATABASE__PATH=$tmp/bench.db HANCUP_LOG__LEVEL=warn
# shellcheck disable=SC2086
"$BIN" seed $SEED >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
HANCUP_SERVER__BIND=127.0.0.1:$PORT HANCUP_AUTH__ADDRESS_FAILURE_LIMIT=100000 \
  HANCUP_SERVER__MAX_CONCURRENT_REQUESTS=100000 "$BIN" serve >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

# 40 learners registered through the API (tokens); the first one enrols in the first course,
# asks two questions there and is the one whose pages are measured.
python3 - "$BASE" "$tmp" <<'PY'
import json, sys, urllib.request
base, tmp = sys.argv[1], sys.argv[2]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json", **({"Authorization": "Token " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")
tokens = [call("POST", "/api/v1/auth/register", {"email": f"bench{i}@example.kr", "display_name": f"벤치{i}", "password": "창업은 한 컵의 커피에서", "accept_terms": True, "accept_privacy": True, "age_14_or_older": True})["token"] for i in range(40)]
slugs = [c["slug"] for page in range(1, 5) for c in call("GET", f"/api/v1/courses?page_size=100&page={page}")["results"]]
for t in tokens:
    call("POST", f"/api/v1/courses/{slugs[0]}/enrollment", token=t)
for n in range(2):
    call("POST", f"/api/v1/courses/{slugs[0]}/questions", {"title": f"벤치 질문 {n}", "body": "린 캔버스의 고객 세그먼트는 어떻게 나누나요?"}, token=tokens[0])
detail = call("GET", f"/api/v1/courses/{slugs[0]}")
open(f"{tmp}/tokens.txt", "w").write("\n".join(tokens) + "\n")
open(f"{tmp}/slugs.txt", "w").write("\n".join(slugs) + "\n")
open(f"{tmp}/positions.txt", "w").write("\n".join(str(l["position"]) for l in detail["lessons"]) + "\n")
open(f"{tmp}/lessons.txt", "w").write("".join(f"/courses/{slugs[0]}/lessons/{l['position']}\n" for l in detail["lessons"]))
PY

# A session cookie for the first learner, through the real login form.
jar=$tmp/jar
csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/accounts/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -c "$jar" -b "$jar" -o /dev/null "$BASE/accounts/login" --data-urlencode "email=bench0@example.kr" \
  --data-urlencode "password=창업은 한 컵의 커피에서" --data-urlencode "csrf_token=$csrf"
cookie=$(awk '$6 ~ /hancup_session/ {print $6"="$7}' "$jar")
token=$(head -1 "$tmp/tokens.txt")
slug=$(head -1 "$tmp/slugs.txt")
for path in "$(head -1 "$tmp/lessons.txt")" / /me/courses "/courses/$slug/questions" /accounts/me; do
  code=$(curl -s -o "$tmp/page.html" -w '%{http_code}' -H "Cookie: $cookie" "$BASE$path")
  [[ $code == 200 ]] || { echo "$path answered $code" >&2; exit 1; }
  grep -q 'user-menu__logout' "$tmp/page.html" || { echo "$path is not a logged-in page" >&2; exit 1; }
done

cat >"$tmp/lesson.lua" <<LUA
local paths, i = {}, 0
for line in io.lines("$tmp/lessons.txt") do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Cookie"] = "$cookie" })
end
LUA

run() { # name, then wrk arguments after the common ones
  local name=$1 sitting=$2; shift 2
  wrk -t1 -c32 -d"$DURATION" --latency "$@" >"$tmp/$name.$sitting.txt"
}

for s in $(seq "$SITTINGS"); do
  echo "sitting $s/$SITTINGS" >&2
  run anon "$s" "$BASE/api/v1/courses"
  run token "$s" -H "Authorization: Token $token" "$BASE/api/v1/courses"
  run lesson "$s" -s "$tmp/lesson.lua" "$BASE"
  run home "$s" -H "Cookie: $cookie" "$BASE/"
  run my_courses "$s" -H "Cookie: $cookie" "$BASE/me/courses"
  run qa "$s" -H "Cookie: $cookie" "$BASE/courses/$slug/questions"
  run account "$s" -H "Cookie: $cookie" "$BASE/accounts/me"
  python3 bench/learner_writes.py "$BASE" "$tmp" >"$tmp/writes.$s.txt" &
  writer_pid=$!
  sleep 1
  run anon_writes "$s" "$BASE/api/v1/courses"
  kill -INT "$writer_pid"; wait "$writer_pid" || true; writer_pid=""
done

# Peak RSS, and the part of it that is the memory-mapped database (file pages the kernel can
# drop at any time): the issue's budget counts the process without them.
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
mapped=$(awk -v db="$tmp/bench.db" '$0 ~ /^[0-9a-f]+-[0-9a-f]+ / {keep = ($6 == db)} keep && /^Rss:/ {s += $2} END {print s + 0}' "/proc/$server_pid/smaps")

python3 - "$tmp" "$REPORT" "$DURATION" "$SITTINGS" "$hwm" "$mapped" "$SEED" <<'PY'
import datetime, re, statistics, subprocess, sys
tmp, report, duration, sittings, hwm, mapped, seed = sys.argv[1:8]
sittings, hwm, mapped = int(sittings), int(hwm), int(mapped)
def parse(path):
    t = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    unit = {"us": 1e-3, "ms": 1, "s": 1e3}
    lat = {p: float(v) * unit[u] for p, v, u in re.findall(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)}
    bad = int((re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t) or [0, 0])[1])
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
    return rps, lat["50"], lat["99"], bad + errors
cases = [
    ("anon", "anonymous list `/api/v1/courses` (cached)", None),
    ("token", "list with `Authorization: Token`", None),
    ("lesson", "lesson page, enrolled learner (session)", 0.5),
    ("home", "home page `/`, logged in", 0.5),
    ("my_courses", "My courses `/me/courses`", 0.3),
    ("qa", "Q&A list `/courses/{slug}/questions`", 0.3),
    ("account", "account page `/accounts/me`", 0.3),
    ("anon_writes", "anonymous list while learners write (50 marks/s + 20 enrolments/s)", 0.8),
]
runs = {k: [parse(f"{tmp}/{k}.{s}.txt") for s in range(1, sittings + 1)] for k, _, _ in cases}
med = statistics.median
rows = []
for key, label, target in cases:
    r = runs[key]
    ratios = [x[0] / a[0] for x, a in zip(r, runs["anon"])]
    ratio = med(ratios)
    verdict = "—" if target is None else (f"≥ {target:.1f}×: " + ("met" if ratio >= target else "missed"))
    rows.append(f"| {label} | {med(x[0] for x in r):,.0f} | {med(x[1] for x in r):.2f} ms | {med(x[2] for x in r):.2f} ms | {sum(x[3] for x in r)} | {ratio:.2f} ({' · '.join(f'{q:.2f}' for q in ratios)}) | {verdict} |")
writes = []
for s in range(1, sittings + 1):
    m = dict(re.findall(r"^(\w+)=([\d.]+)$", open(f"{tmp}/writes.{s}.txt").read(), re.M))
    writes.append(m)
def wmed(k): return med(float(w.get(k, 0)) for w in writes)
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
cpu = next((x.split(":", 1)[1].strip() for x in open("/proc/cpuinfo") if x.startswith("model name")), "?")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
load = open("/proc/loadavg").read().split()[0]
lines = [
    "## Logged in (generated by `bench/logged_in.sh`)", "",
    f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on **{cores} cores** ({cpu}), commit `{commit}`, release binary;",
    f"`hancup seed {seed}`, 40 learners registered through the API, the measured one enrolled in the first course;",
    f"each case `wrk -t1 -c32 -d{duration} --latency` against ONE server process, all cases once per sitting, **{sittings} sittings** alternating.",
    "The machine is shared (wrk runs on it, and other build jobs may): read the **ratio** to the anonymous list of the same sitting, not the absolute req/s.",
    f"Figures are medians over the sittings; the ratio column lists each sitting's ratio. 1-minute load after the run: {load}.", "",
    "| case | req/s | p50 | p99 | errors | ratio to the anonymous list (per sitting) | target |",
    "|---|---:|---:|---:|---:|---|---|",
    *rows, "",
    f"Writers during the last case (`bench/learner_writes.py`, medians): {wmed('marks_per_s'):.1f} progress marks/s, {wmed('enrolments_per_s'):.1f} enrolments/s, {int(sum(float(w.get('errors', 0)) for w in writes))} errors.",
    f"Peak RSS (VmHWM) after every run: {hwm/1024:.1f} MB; of which memory-mapped database pages resident at the end: {mapped/1024:.1f} MB; **without them: {(hwm-mapped)/1024:.1f} MB** (target ≤ 64 MB).", "",
]
start, end = "<!-- logged-in: generated by bench/logged_in.sh -->", "<!-- /logged-in -->"
old = open(report).read()
block = start + "\n" + "\n".join(lines) + end
if start in old and end in old:
    new = old[:old.index(start)] + block + old[old.index(end) + len(end):]
else:
    new = old.rstrip("\n") + "\n\n" + block + "\n"
open(report, "w").write(new)
print("\n".join(lines))
PY
