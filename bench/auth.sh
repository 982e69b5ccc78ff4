#!/usr/bin/env bash
# bench/auth.sh — benchmark of the hancup account API: token lookups, password
# logins, and catalog reads while logins are hashing.
#
# What it measures: seeds a fresh SQLite database (500 courses, 10,000 users,
# 100,000 enrollments), starts one `hancup serve` on a free loopback port,
# registers one bench user (POST /api/v1/auth/register) and then, in order:
#
#   1. GET /api/v1/auth/me with `Authorization: Bearer <token>`
#      (wrk -t2 -c32): the token lookup (keyed hash + one SQLite query).
#      Target: >= 20,000 req/s.
#   2. POST /api/v1/auth/login, successful logins of that one user
#      (wrk -t2 -c8, bench/login.lua): logins/s, logins/s per core, p50/p99
#      and the responses counted by status (503 = no hashing slot within
#      auth.hash_wait_ms). Only failed logins count towards lockouts, so
#      successful logins of one account are not throttled.
#   3. GET /api/v1/courses (wrk -t1 -c8): first alone (baseline), then while
#      a second wrk hammers the login (-t1 -c16) in the background. The storm
#      starts 1 s before the catalog run and ends about 1 s after it, so it
#      covers the whole catalog run. Reports both rows and the p99 ratio.
#   4. The server's peak RSS (VmHWM) after all runs (each argon2id hash holds
#      auth.argon2_memory_kib, 19 MiB by default; at most N at once).
#
# N (hashes at once) is auth.hash_concurrency: the CPU cores unless
# HANCUP_AUTH__HASH_CONCURRENCY is set in the environment (the server
# inherits it, like any other HANCUP_* variable).
#
# It prints the tables and writes the generated part of
# docs/BENCHMARKS-auth.md (the hand-written part below the `<!-- notes -->`
# line is kept).
#
# wrk runs on the same machine as the server, so the numbers are what the
# server does while sharing the CPU with its load generator.
#
# Run from the repo root:
#   bench/auth.sh                              # full run: release build, 10 s per run (~50 s of load)
#   BENCH_DURATION=2s bench/auth.sh --no-build # quick smoke run with the existing binary
#
# Environment: BENCH_DURATION (default 10s), BENCH_PORT (default: a free
# port), BENCH_BIN (target/release/hancup), BENCH_REPORT
# (docs/BENCHMARKS-auth.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

DURATION=${BENCH_DURATION:-10s}
SEED_COURSES=500
SEED_USERS=10000
SEED_ENROLLMENTS=100000
BIN=${BENCH_BIN:-target/release/hancup}
REPORT=${BENCH_REPORT:-docs/BENCHMARKS-auth.md}
# wrk shapes (threads, connections) of each run.
ME_T=2 ME_C=32
LOGIN_T=2 LOGIN_C=8
CATALOG_T=1 CATALOG_C=8
STORM_T=1 STORM_C=16
# The bench account. The password is >= 10 characters and not a common one.
BENCH_EMAIL="bench-auth-$(date +%s)-$$@example.com"
BENCH_NAME="Bench Auth"
BENCH_PASSWORD="창업은 한 컵의 커피에서"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# --- 1. load tool ------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk (Debian package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in wrk curl python3 nproc; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# Duration in whole seconds (wrk accepts 10, 10s, 2m, 1h), for the storm.
duration_s=$(python3 - "$DURATION" <<'PY'
import math, re, sys
m = re.fullmatch(r"\s*([\d.]+)\s*(s|m|h)?\s*", sys.argv[1])
if not m:
    sys.exit(f"bench: error: BENCH_DURATION={sys.argv[1]!r}: use e.g. 10s, 2m")
print(math.ceil(float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]))
PY
) || exit 2
(( duration_s >= 1 )) || die "BENCH_DURATION must be at least 1 s"
STORM_LEAD_S=1                                    # storm starts this much before the catalog run
STORM_DURATION_S=$(( duration_s + 2 * STORM_LEAD_S ))

# --- 2. build ----------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
  log "cargo build --release"
  cargo build --release
fi
[[ -x $BIN ]] || die "$BIN not found (build it, or drop --no-build)"

# --- temp dir, server lifecycle, cleanup -------------------------------------
tmp=$(mktemp -d -t hancup-bench-auth.XXXXXX)
server_pid=""   # the server, while it runs
server_log=""
storm_pid=""    # the background login wrk, while it runs

# stop_server [timeout in tenths of a second]: SIGTERM, wait, then SIGKILL.
stop_server() {
  local tenths=${1:-150} pid=$server_pid
  [[ -n $pid ]] || return 0
  server_pid=""
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "server $pid did not stop on SIGTERM; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $storm_pid ]]; then
    kill "$storm_pid" 2>/dev/null || true
    wait "$storm_pid" 2>/dev/null || true
  fi
  stop_server 50 || true
  if [[ $rc -ne 0 && -n $server_log && -s $server_log ]]; then
    echo "--- last lines of the server log ($(basename "$server_log")) ---" >&2
    tail -n 40 "$server_log" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DB=$tmp/bench.db

# --- 3. seed -----------------------------------------------------------------
log "seeding: $SEED_COURSES courses, $SEED_USERS users, $SEED_ENROLLMENTS enrollments"
seed_start=$(date +%s%N)
if ! HANCUP_DATABASE__PATH=$DB "$BIN" seed --courses "$SEED_COURSES" --users "$SEED_USERS" \
     --enrollments "$SEED_ENROLLMENTS" >"$tmp/seed.log" 2>&1; then
  tail -n 40 "$tmp/seed.log" >&2
  die "seed failed"
fi
seed_ms=$(( ($(date +%s%N) - seed_start) / 1000000 ))
log "seeded in $seed_ms ms"

# --- 4. server ---------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PORT=${BENCH_PORT:-$(free_port)}
BASE=http://127.0.0.1:$PORT
server_log=$tmp/server.log
log "starting server on $BASE"
env HANCUP_DATABASE__PATH="$DB" HANCUP_SERVER__BIND="127.0.0.1:$PORT" HANCUP_LOG__LEVEL=warn \
  "$BIN" serve >"$server_log" 2>&1 &
server_pid=$!
ready=0 code=""
for _ in $(seq 300); do   # 300 x 0.1 s = 30 s
  kill -0 "$server_pid" 2>/dev/null || die "server exited during startup"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/healthz" || true)
  if [[ $code == 200 ]]; then ready=1; break; fi
  sleep 0.1
done
[[ $ready == 1 ]] || die "GET /healthz did not answer 200 within 30 s (last status: ${code:-none})"
rss_idle_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")

# VmHWM (peak resident set) of the running server, in kB.
server_peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status"; }
server_alive() { kill -0 "$server_pid" 2>/dev/null || die "server died $*"; }

# --- 5. bench account ----------------------------------------------------------
# JSON bodies are written by python3 (UTF-8, escaped properly).
python3 - "$tmp" "$BENCH_EMAIL" "$BENCH_NAME" "$BENCH_PASSWORD" <<'PY'
import json, os, sys
tmp, email, name, password = sys.argv[1:]
with open(os.path.join(tmp, "register.json"), "w", encoding="utf-8") as f:
    json.dump({"email": email, "display_name": name, "password": password,
               "accept_terms": True, "accept_privacy": True, "age_14_or_older": True}, f, ensure_ascii=False)
with open(os.path.join(tmp, "login.json"), "w", encoding="utf-8") as f:
    json.dump({"email": email, "password": password}, f, ensure_ascii=False)
PY

# post_json <path> <body file> <output file>: prints the HTTP status.
post_json() {
  curl -s --max-time 30 -o "$3" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary "@$2" "$BASE$1" || echo "000"
}
# json_field <file> <key>: prints the top-level string field, or nothing.
json_field() {
  python3 -c 'import json, sys
try: print(json.load(open(sys.argv[1], encoding="utf-8")).get(sys.argv[2]) or "")
except Exception: print("")' "$1" "$2"
}

log "registering $BENCH_EMAIL"
code=$(post_json /api/v1/auth/register "$tmp/register.json" "$tmp/register.out")
[[ $code == 201 ]] || die "POST /api/v1/auth/register answered $code: $(head -c 300 "$tmp/register.out")"
TOKEN=$(json_field "$tmp/register.out" token)
[[ -n $TOKEN ]] || die "no token in the register answer: $(head -c 300 "$tmp/register.out")"

code=$(curl -s --max-time 10 -o "$tmp/me.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  "$BASE/api/v1/auth/me" || echo "000")
[[ $code == 200 ]] || die "GET /api/v1/auth/me answered $code: $(head -c 300 "$tmp/me.out")"

code=$(post_json /api/v1/auth/login "$tmp/login.json" "$tmp/login.out")
[[ $code == 200 ]] || die "POST /api/v1/auth/login answered $code: $(head -c 300 "$tmp/login.out")"
[[ -n $(json_field "$tmp/login.out" token) ]] || die "no token in the login answer: $(head -c 300 "$tmp/login.out")"

code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$BASE/api/v1/courses" || echo "000")
[[ $code == 200 ]] || die "GET /api/v1/courses answered $code"
log "account checks passed (register 201, me 200, login 200, courses 200)"

# --- 6. load runs --------------------------------------------------------------
# run_wrk <name> <label> <threads> <connections> <duration> [wrk arguments...]
run_wrk() {
  local name=$1 label=$2 t=$3 c=$4 d=$5; shift 5
  local out=$tmp/wrk-$name.txt
  log "wrk $label ($d, $t threads, $c connections)"
  wrk -t"$t" -c"$c" -d"$d" --latency "$@" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed for $label"; }
  sed 's/^/    /' "$out" >&2
  server_alive "during the $label run"
}

# 1. token lookup
run_wrk me "GET /api/v1/auth/me (Bearer)" "$ME_T" "$ME_C" "$DURATION" \
  -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/auth/me"
rss_after_me_kb=$(server_peak_rss_kb)

# 2. login throughput
run_wrk login "POST /api/v1/auth/login" "$LOGIN_T" "$LOGIN_C" "$DURATION" \
  -s bench/login.lua "$BASE/api/v1/auth/login" -- "$tmp/login.json"
rss_after_login_kb=$(server_peak_rss_kb)

# 3a. catalog baseline. Let the login run's last hashes and writes settle first.
sleep 1
run_wrk catalog-base "GET /api/v1/courses (baseline)" "$CATALOG_T" "$CATALOG_C" "$DURATION" \
  "$BASE/api/v1/courses"

# 3b. catalog during a login storm.
log "login storm in the background (${STORM_DURATION_S}s, $STORM_T thread, $STORM_C connections)"
wrk -t"$STORM_T" -c"$STORM_C" -d"${STORM_DURATION_S}s" --latency -s bench/login.lua \
  "$BASE/api/v1/auth/login" -- "$tmp/login.json" >"$tmp/wrk-storm.txt" 2>&1 &
storm_pid=$!
sleep "$STORM_LEAD_S"
kill -0 "$storm_pid" 2>/dev/null || { cat "$tmp/wrk-storm.txt" >&2; die "the background login wrk exited early"; }
run_wrk catalog-storm "GET /api/v1/courses (during login storm)" "$CATALOG_T" "$CATALOG_C" "$DURATION" \
  "$BASE/api/v1/courses"
if ! wait "$storm_pid"; then
  storm_pid=""
  cat "$tmp/wrk-storm.txt" >&2
  die "the background login wrk failed"
fi
storm_pid=""
log "login storm output:"
sed 's/^/    /' "$tmp/wrk-storm.txt" >&2
server_alive "during the login storm"

# --- 7. peak RSS ---------------------------------------------------------------
rss_peak_kb=$(server_peak_rss_kb)
# The hashing bound the server runs with.
hash_n=${HANCUP_AUTH__HASH_CONCURRENCY:-0}
[[ $hash_n =~ ^[0-9]+$ && $hash_n != 0 ]] || hash_n=$(nproc)
stop_server

# --- 8. report -------------------------------------------------------------------
mkdir -p "$(dirname "$REPORT")"
BENCH_TMP=$tmp BENCH_REPORT=$REPORT BENCH_DURATION=$DURATION BENCH_SEED_MS=$seed_ms \
BENCH_SEED_ARGS="--courses $SEED_COURSES --users $SEED_USERS --enrollments $SEED_ENROLLMENTS" \
BENCH_RSS_IDLE_KB=$rss_idle_kb BENCH_RSS_AFTER_ME_KB=$rss_after_me_kb \
BENCH_RSS_AFTER_LOGIN_KB=$rss_after_login_kb BENCH_RSS_PEAK_KB=$rss_peak_kb \
BENCH_HASH_N=$hash_n BENCH_DB=$DB BENCH_BIN=$BIN \
BENCH_SHAPES="me=$ME_T/$ME_C login=$LOGIN_T/$LOGIN_C catalog=$CATALOG_T/$CATALOG_C storm=$STORM_T/$STORM_C" \
BENCH_STORM_S=$STORM_DURATION_S BENCH_STORM_LEAD_S=$STORM_LEAD_S \
python3 - <<'PY'
import datetime, os, re, subprocess

E = os.environ
tmp = E["BENCH_TMP"]
MARKER = "<!-- notes -->"
ME_TARGET = 20_000
ARGON2_MIB = 19   # 19456 KiB per hash (auth.argon2_memory_kib default)
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
SHAPES = dict(kv.split("=") for kv in E["BENCH_SHAPES"].split())


def to_ms(value, unit):
    return float(value) * UNIT_MS[unit]


def parse_wrk(text):
    r = {"rps": None, "p50": None, "p99": None, "requests": None, "non2xx": 0,
         "socket": {"connect": 0, "read": 0, "write": 0, "timeout": 0}, "statuses": {}}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"^\s*(\d+) requests in", text, re.M)
    if m:
        r["requests"] = int(m.group(1))
    dist = text.split("Latency Distribution", 1)
    if len(dist) == 2:
        for pct, value, unit in re.findall(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", dist[1], re.M):
            if pct in ("50", "99"):
                r["p" + pct] = to_ms(value, unit)
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["socket"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    for status, n in re.findall(r"^Status (\d+): (\d+)$", text, re.M):   # from bench/login.lua
        r["statuses"][int(status)] = int(n)
    return r


def load(name):
    return parse_wrk(open(os.path.join(tmp, f"wrk-{name}.txt"), encoding="utf-8", errors="replace").read())


def sh(*cmd, check=True):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=check)
        return (out.stdout or out.stderr).strip()
    except Exception:
        return ""


def fmt_ms(v):
    if v is None:
        return "n/a"
    return f"{v:.3f} ms" if v < 1 else f"{v:.2f} ms"


def fmt_num(v, digits=0):
    return "n/a" if v is None else f"{v:,.{digits}f}"


def errors_cell(r):
    sock = {k: v for k, v in r["socket"].items() if v}
    parts = ([f"non-2xx {r['non2xx']}"] if r["non2xx"] else []) + [f"{k} {v}" for k, v in sock.items()]
    return str(r["non2xx"] + sum(sock.values())) + (f" ({', '.join(parts)})" if parts else "")


def statuses_cell(r):
    if not r["statuses"]:
        return "n/a"
    return ", ".join(f"{s}: {n:,}" for s, n in sorted(r["statuses"].items()))


def non2xx_by_status(r):
    bad = {s: n for s, n in r["statuses"].items() if not 200 <= s < 300}
    total = sum(bad.values())
    return f"{total:,}" + (" (" + ", ".join(f"{s}: {n:,}" for s, n in sorted(bad.items())) + ")" if bad else "")


def table(header, align, rows):
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
                     + ["| " + " | ".join(row) + " |" for row in rows])


def shape(key):
    t, c = SHAPES[key].split("/")
    return f"-t{t} -c{c}"


cores = len(os.sched_getaffinity(0))
me, login, base, storm_cat, storm = (load(n) for n in ("me", "login", "catalog-base", "catalog-storm", "storm"))

# 1. token lookup
me_missed = []
if me["rps"] is None or me["rps"] < ME_TARGET:
    me_missed.append("req/s")
if me["non2xx"] or any(me["socket"].values()):
    me_missed.append("errors")
me_verdict = "met" if not me_missed else f"**missed** ({', '.join(me_missed)})"
table_me = table(
    ["endpoint", "wrk", "req/s", "p50", "p99", "errors", "target"],
    ["---", "---", "---:", "---:", "---:", "---", "---"],
    [["`GET /api/v1/auth/me` (Bearer token)", f"`{shape('me')}`", fmt_num(me["rps"]), fmt_ms(me["p50"]),
      fmt_ms(me["p99"]), errors_cell(me), f"≥ {ME_TARGET:,} req/s: {me_verdict}"]])

# 2. login throughput
n_hash = int(E["BENCH_HASH_N"])


def login_row(label, r, wrk_shape):
    per_core = r["rps"] / cores if r["rps"] is not None else None
    return [label, f"`{wrk_shape}`", fmt_num(r["rps"], 1), fmt_num(per_core, 1), fmt_ms(r["p50"]), fmt_ms(r["p99"]),
            statuses_cell(r), non2xx_by_status(r) if r["statuses"] else str(r["non2xx"]),
            errors_cell(r) if any(r["socket"].values()) else "0"]


table_login = table(
    ["run", "wrk", "logins/s", f"logins/s per core (÷ {cores})", "p50", "p99", "responses by status",
     "non-2xx", "socket errors"],
    ["---", "---", "---:", "---:", "---:", "---:", "---", "---", "---"],
    [login_row("`POST /api/v1/auth/login` alone", login, shape("login")),
     login_row(f"same, as the background storm of run 3 ({E['BENCH_STORM_S']} s)", storm, shape("storm"))])

# 3. catalog during the storm
def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "n/a"


table_catalog = table(
    ["`GET /api/v1/courses`", "wrk", "req/s", "p50", "p99", "errors"],
    ["---", "---", "---:", "---:", "---:", "---"],
    [["baseline (alone)", f"`{shape('catalog')}`", fmt_num(base["rps"]), fmt_ms(base["p50"]), fmt_ms(base["p99"]),
      errors_cell(base)],
     [f"during the login storm (`{shape('storm')}` on login)", f"`{shape('catalog')}`", fmt_num(storm_cat["rps"]),
      fmt_ms(storm_cat["p50"]), fmt_ms(storm_cat["p99"]), errors_cell(storm_cat)],
     ["storm ÷ baseline", "", ratio(storm_cat["rps"], base["rps"]), ratio(storm_cat["p50"], base["p50"]),
      ratio(storm_cat["p99"], base["p99"]), ""]])
p99_ratio = ratio(storm_cat["p99"], base["p99"])

# 4. memory
def mb(var):
    return int(E[var]) / 1024


rss_idle, rss_peak = mb("BENCH_RSS_IDLE_KB"), mb("BENCH_RSS_PEAK_KB")
rss_line = (f"Peak RSS of the server (VmHWM after all runs): **{rss_peak:.1f} MB**; "
            f"{rss_idle:.1f} MB right after startup, {mb('BENCH_RSS_AFTER_ME_KB'):.1f} MB peak after the token run, "
            f"{mb('BENCH_RSS_AFTER_LOGIN_KB'):.1f} MB peak after the login run. "
            f"N = {n_hash} hashes at once × {ARGON2_MIB} MiB = {n_hash * ARGON2_MIB} MiB of argon2 memory at most.")

# Machine and build facts.
cpu = "unknown CPU"
for line in open("/proc/cpuinfo", encoding="utf-8", errors="replace"):
    if line.lower().startswith(("model name", "hardware", "cpu model")):
        cpu = line.split(":", 1)[1].strip()
        break
mem_gib = "?"
for line in open("/proc/meminfo"):
    if line.startswith("MemTotal:"):
        mem_gib = f"{int(line.split()[1]) / 1024 / 1024:.1f}"
commit = sh("git", "rev-parse", "--short", "HEAD") or "no commit yet"
if sh("git", "status", "--porcelain", "--untracked-files=no"):
    commit += " (with uncommitted changes)"
wrk_version = (sh("wrk", "-v", check=False) or "wrk").splitlines()[0].split(" Copyright")[0].strip()
db_mb = os.path.getsize(E["BENCH_DB"]) / 1024 / 1024
bin_mb = os.path.getsize(E["BENCH_BIN"]) / 1024 / 1024
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
duration = E["BENCH_DURATION"]
smoke = "" if duration == "10s" else (
    f"\n> **Smoke run** (`BENCH_DURATION={duration}`): short runs, not the reference numbers.\n")

generated = f"""# Benchmarks: accounts

<!-- Generated by bench/auth.sh: everything above the notes marker is overwritten on each run. -->

Generated {now} by `bench/auth.sh`.
{smoke}
## Setup

- **Machine:** {cores} cores, {cpu}, {mem_gib} GiB memory.
- **Commit:** `{commit}`; release binary {bin_mb:.1f} MB.
- **Data:** `hancup seed {E['BENCH_SEED_ARGS']}` took {int(E['BENCH_SEED_MS']) / 1000:.1f} s; database {db_mb:.1f} MB before the runs. One bench account is registered through `POST /api/v1/auth/register`; every login is a successful login of that account.
- **Server:** one `hancup serve` process for all runs, default configuration: argon2id m=19456 KiB t=2 p=1, at most **N = {n_hash}** hashes at once (`auth.hash_concurrency`), a login waits at most `auth.hash_wait_ms` (2,000 ms) for a slot before 503.
- **Load:** {wrk_version}, `--latency`, {duration} per run, runs one after another (except the storm).
- **Note:** wrk runs on the same {cores}-core machine as the server, so the two compete for the CPU.

## 1. Token lookup

{table_me}

## 2. Login throughput

Successful logins of one account (`bench/login.lua` posts the JSON body and counts the responses by status). Each login verifies the password (one argon2id hash on a blocking thread) and writes a new API token.

{table_login}

## 3. Catalog reads during a login storm

`GET /api/v1/courses` alone, then the same run while a second wrk posts logins in the background; the storm starts {E['BENCH_STORM_LEAD_S']} s before the catalog run and ends about {E['BENCH_STORM_LEAD_S']} s after it (its own numbers are the second row of the login table). p99 ratio (storm ÷ baseline): **{p99_ratio}**.

{table_catalog}

Every login commits writes (a new token), and every committed write invalidates the server's response cache, so during the storm part of the catalog reads run their SQL instead of being answered from the cache.

## 4. Memory

{rss_line}

"""

report = E["BENCH_REPORT"]
notes = f"{MARKER}\n\n## Notes\n\nHand-written notes go below the marker line above; bench/auth.sh keeps them.\n"
if os.path.exists(report):
    old = open(report, encoding="utf-8").read()
    if MARKER in old:
        notes = old[old.index(MARKER):]
    elif old.strip():
        notes = f"{MARKER}\n\n{old}"   # no marker yet: keep the old text as notes
with open(report, "w", encoding="utf-8") as f:
    f.write(generated + notes)

print()
print(f"Machine: {cores} cores, {cpu}; commit {commit}.")
print()
print("1. Token lookup:")
print(table_me)
print()
print("2. Login throughput:")
print(table_login)
print()
print(f"3. Catalog during a login storm (p99 ratio {p99_ratio}):")
print(table_catalog)
print()
print("4. " + rss_line.replace("**", ""))
print()
print(f"Seed: {int(E['BENCH_SEED_MS']) / 1000:.1f} s. Report written to {report}.")
bad = [name for name, r in (("me", me), ("login", login), ("catalog baseline", base),
                            ("catalog during storm", storm_cat), ("login storm", storm))
       if r["non2xx"] or any(r["socket"].values())
       or any(not 200 <= s < 300 for s in r["statuses"])]
if bad:
    print("WARNING: errors or non-2xx responses during the runs of: " + ", ".join(bad))
PY
