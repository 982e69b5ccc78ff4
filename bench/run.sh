#!/usr/bin/env bash
# bench/run.sh — HTTP throughput/latency benchmark of the hancup binary.
#
# What it measures: seeds a fresh SQLite database (500 courses, 10,000 users,
# 100,000 enrollments, plus lessons), starts `hancup serve` on a free loopback
# port and drives it with wrk (2 threads, 32 connections) in two passes.
#
# Pass 1, cached (default configuration), in order:
#   /healthz                       the ceiling of the stack on this machine
#   /api/v1/courses                course list
#   /api/v1/courses/{slug}         course detail, cycling through 100 slugs
#   /api/v1/courses?search=...     search, cycling 마케팅, 창업, 투자, startup, pitch
#   /                              home page (HTML)
# The server keeps public answers in memory (invalidated on every write), so
# pass 1 measures the cached path.
#
# Pass 2, no cache: the first server is stopped and a new one is started on the
# same database with HANCUP_CACHE__TTL_MS=0 (cache disabled), and list,
# detail, search and home are run again: every request runs its SQL and
# renders.
#
# It records req/s, p50/p99 latency, errors, the seed time and each server
# process's peak RSS, prints both tables and writes the generated part of
# docs/BENCHMARKS.md (the hand-written part below the `<!-- notes -->` line is
# kept). Targets apply to the cached table; in the no-cache table they are
# informational.
#
# wrk runs on the same machine as the server (2 cores here), so the numbers
# are what the server does while sharing the CPU with its load generator.
#
# Run from the repo root:
#   bench/run.sh                              # full run: release build, 10 s per endpoint and pass (~1.5 min of load)
#   BENCH_DURATION=2s bench/run.sh --no-build # quick smoke run with the existing binary
#
# Environment: BENCH_DURATION (default 10s), BENCH_THREADS (2),
# BENCH_CONNECTIONS (32), BENCH_PORT (default: a free port), BENCH_BIN
# (target/release/hancup), BENCH_REPORT (docs/BENCHMARKS.md).
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
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
SEED_COURSES=500
SEED_USERS=10000
SEED_ENROLLMENTS=100000
SEARCH_TERMS=(마케팅 창업 투자 startup pitch)
BIN=${BENCH_BIN:-target/release/hancup}
REPORT=${BENCH_REPORT:-docs/BENCHMARKS.md}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# --- 1. load tool ------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk (Debian package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# --- 2. build ----------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
  log "cargo build --release"
  cargo build --release
fi
[[ -x $BIN ]] || die "$BIN not found (build it, or drop --no-build)"

# --- temp dir, server lifecycle, cleanup -------------------------------------
tmp=$(mktemp -d -t hancup-bench.XXXXXX)
server_pid=""   # the server currently running, if any
server_log=""   # log of the most recent server

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

# start_server <name> [VAR=value ...]: starts `hancup serve` on the bench
# database (the extra variables are added to its environment), sets PORT, BASE,
# server_pid, server_log and rss_idle_kb, and waits for GET /healthz.
start_server() {
  local name=$1 code="" ready=0; shift
  PORT=${BENCH_PORT:-$(free_port)}
  BASE=http://127.0.0.1:$PORT
  server_log=$tmp/server-$name.log
  log "starting server ($name${*:+: $*}) on $BASE"
  env HANCUP_DATABASE__PATH="$DB" HANCUP_SERVER__BIND="127.0.0.1:$PORT" HANCUP_LOG__LEVEL=warn "$@" \
    "$BIN" serve >"$server_log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do   # 300 x 0.1 s = 30 s
    kill -0 "$server_pid" 2>/dev/null || die "server ($name) exited during startup"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/healthz" || true)
    if [[ $code == 200 ]]; then ready=1; break; fi
    sleep 0.1
  done
  [[ $ready == 1 ]] || die "GET /healthz ($name server) did not answer 200 within 30 s (last status: ${code:-none})"
  rss_idle_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
}

# VmHWM (peak resident set) of the running server, in kB.
server_peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status"; }

start_server cached
rss_idle_cached_kb=$rss_idle_kb

# --- 5. paths for the cycling runs --------------------------------------------
curl -sS --max-time 10 -o "$tmp/courses.json" -w '%{http_code}' \
  "$BASE/api/v1/courses?page_size=100" >"$tmp/courses.status" || die "GET /api/v1/courses failed"
[[ $(cat "$tmp/courses.status") == 200 ]] \
  || die "GET /api/v1/courses?page_size=100 answered $(cat "$tmp/courses.status"): $(head -c 300 "$tmp/courses.json")"

python3 - "$tmp/courses.json" "$tmp/detail-paths.txt" <<'PY'
import json, sys, urllib.parse
body = open(sys.argv[1], encoding="utf-8").read()
try:
    data = json.loads(body)
    slugs = [r["slug"] for r in data["results"]]
except (ValueError, KeyError, TypeError) as e:
    sys.exit(f"bench: error: unexpected /api/v1/courses JSON ({e!r}): {body[:300]}")
if not slugs:
    sys.exit("bench: error: /api/v1/courses returned no courses (did the seed work?)")
with open(sys.argv[2], "w") as f:
    for s in slugs:
        f.write("/api/v1/courses/" + urllib.parse.quote(s, safe="") + "\n")
print(f"==> {len(slugs)} course slugs for the detail run (count={data.get('count')})", file=sys.stderr)
PY

python3 - "$tmp/search-paths.txt" "${SEARCH_TERMS[@]}" <<'PY'
import sys, urllib.parse
with open(sys.argv[1], "w") as f:
    for term in sys.argv[2:]:
        f.write("/api/v1/courses?search=" + urllib.parse.quote(term, safe="") + "\n")
PY

# Hits per search term, so the report shows the search is not trivially empty.
: >"$tmp/search-hits.tsv"
i=0
while read -r path; do
  hits=$(curl -s --max-time 10 "$BASE$path" \
    | python3 -c 'import json, sys
try: print(json.load(sys.stdin).get("count", "?"))
except Exception: print("?")' || echo "?")
  printf '%s\t%s\n' "${SEARCH_TERMS[$i]}" "$hits" >>"$tmp/search-hits.tsv"
  i=$((i + 1))
done <"$tmp/search-paths.txt"

# --- 6. load runs --------------------------------------------------------------
# runs.tsv: pass | name | label | status of the first GET | wrk output file
: >"$tmp/runs.tsv"
# run_wrk <pass> <name> <label> <first URL path (checked before the run)> [wrk arguments...]
run_wrk() {
  local pass=$1 name=$2 label=$3 path=$4; shift 4
  local code out=$tmp/wrk-$pass-$name.txt
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE$path" || echo "000")
  [[ $code == 200 ]] || log "WARNING: GET $path answered $code before the run"
  log "wrk [$pass] $label ($DURATION, $THREADS threads, $CONNECTIONS connections)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed for $label ($pass)"; }
  sed 's/^/    /' "$out" >&2
  kill -0 "$server_pid" 2>/dev/null || die "server died during the $label run ($pass)"
  printf '%s\t%s\t%s\t%s\t%s\n' "$pass" "$name" "$label" "$code" "$out" >>"$tmp/runs.tsv"
}

n_slugs=$(wc -l <"$tmp/detail-paths.txt")
# run_endpoints <pass>: list, detail, search and home against the running server.
run_endpoints() {
  local pass=$1
  run_wrk "$pass" list "/api/v1/courses" /api/v1/courses "$BASE/api/v1/courses"
  run_wrk "$pass" detail "/api/v1/courses/{slug} ($n_slugs slugs)" "$(head -n1 "$tmp/detail-paths.txt")" \
    -s bench/cycle.lua "$BASE" -- "$tmp/detail-paths.txt"
  run_wrk "$pass" search "/api/v1/courses?search=… (${#SEARCH_TERMS[@]} terms)" "$(head -n1 "$tmp/search-paths.txt")" \
    -s bench/cycle.lua "$BASE" -- "$tmp/search-paths.txt"
  run_wrk "$pass" home "/ (home page HTML)" / "$BASE/"
}

# Pass 1: cached (default configuration).
log "pass 1: cached (default configuration)"
run_wrk cached healthz "/healthz" /healthz "$BASE/healthz"
run_endpoints cached
rss_peak_cached_kb=$(server_peak_rss_kb)
stop_server

# Pass 2: a fresh server on the same database with the response cache disabled.
log "pass 2: no cache (HANCUP_CACHE__TTL_MS=0)"
start_server nocache HANCUP_CACHE__TTL_MS=0
rss_idle_nocache_kb=$rss_idle_kb
run_endpoints nocache

# --- 7. peak RSS ---------------------------------------------------------------
rss_peak_nocache_kb=$(server_peak_rss_kb)
stop_server

# --- 8. report -------------------------------------------------------------------
mkdir -p "$(dirname "$REPORT")"
BENCH_TMP=$tmp BENCH_REPORT=$REPORT BENCH_DURATION=$DURATION BENCH_THREADS=$THREADS \
BENCH_CONNECTIONS=$CONNECTIONS BENCH_SEED_MS=$seed_ms BENCH_SEED_ARGS="--courses $SEED_COURSES --users $SEED_USERS --enrollments $SEED_ENROLLMENTS" \
BENCH_RSS_IDLE_CACHED_KB=$rss_idle_cached_kb BENCH_RSS_PEAK_CACHED_KB=$rss_peak_cached_kb \
BENCH_RSS_IDLE_NOCACHE_KB=$rss_idle_nocache_kb BENCH_RSS_PEAK_NOCACHE_KB=$rss_peak_nocache_kb \
BENCH_DB=$DB BENCH_BIN=$BIN \
python3 - <<'PY'
import datetime, os, re, subprocess

E = os.environ
tmp = E["BENCH_TMP"]
MARKER = "<!-- notes -->"
P99_TARGET_MS = 5.0
RPS_TARGETS = {"list": 25_000, "detail": 30_000, "search": 5_000, "home": 20_000}
RSS_TARGET_MB = 64
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def to_ms(value, unit):
    return float(value) * UNIT_MS[unit]


def parse_wrk(text):
    r = {"rps": None, "p50": None, "p99": None, "requests": None,
         "non2xx": 0, "socket": {"connect": 0, "read": 0, "write": 0, "timeout": 0}}
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
    return r


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


runs = []
with open(os.path.join(tmp, "runs.tsv"), encoding="utf-8") as f:
    for line in f:
        pass_, name, label, status, path = line.rstrip("\n").split("\t")
        r = parse_wrk(open(path, encoding="utf-8", errors="replace").read())
        r.update(pass_=pass_, name=name, label=label, status=status)
        runs.append(r)

# The ceiling is the /healthz run of pass 1; pass 2 is compared with the same number.
ceiling = next((r["rps"] for r in runs if r["pass_"] == "cached" and r["name"] == "healthz"), None)


def build_table(pass_runs, informational):
    """Markdown table of one pass. With informational=True the target column
    says whether the number would reach the target, without a verdict."""
    rows = []
    for r in pass_runs:
        sock = {k: v for k, v in r["socket"].items() if v}
        n_err = r["non2xx"] + sum(sock.values())
        parts = ([f"non-2xx {r['non2xx']}"] if r["non2xx"] else []) + [f"{k} {v}" for k, v in sock.items()]
        errors = str(n_err) + (f" ({', '.join(parts)})" if parts else "")
        if r["status"] != "200":
            errors += f"; first GET answered {r['status']}"
        share = f"{100 * r['rps'] / ceiling:.0f}" if r["rps"] and ceiling else "n/a"
        target = RPS_TARGETS.get(r["name"])
        if target is None:
            tcell = "— (ceiling)"
        else:
            missed = []
            if r["rps"] is None or r["rps"] < target:
                missed.append("req/s")
            if r["p99"] is None or r["p99"] > P99_TARGET_MS:
                missed.append("p99")
            if n_err or r["status"] != "200":
                missed.append("errors")
            goal = f"≥ {target:,} req/s, p99 ≤ {P99_TARGET_MS:g} ms"
            if informational:
                verdict = "would be met" if not missed else f"would not be met ({', '.join(missed)})"
                tcell = f"informational: {goal}, {verdict}"
            else:
                verdict = "met" if not missed else f"**missed** ({', '.join(missed)})"
                tcell = f"{goal}: {verdict}"
        rps = f"{r['rps']:,.0f}" if r["rps"] is not None else "n/a"
        rows.append([f"`{r['label']}`", rps, fmt_ms(r["p50"]), fmt_ms(r["p99"]), errors, share, tcell])
    header = ["endpoint", "req/s", "p50", "p99", "errors", "share of /healthz ceiling (%)",
              "target (informational)" if informational else "target"]
    return "\n".join(["| " + " | ".join(header) + " |",
                      "|" + "|".join(["---", "---:", "---:", "---:", "---", "---:", "---"]) + "|"]
                     + ["| " + " | ".join(row) + " |" for row in rows])


table_cached = build_table([r for r in runs if r["pass_"] == "cached"], informational=False)
table_nocache = build_table([r for r in runs if r["pass_"] == "nocache"], informational=True)


def mb(var):
    return int(E[var]) / 1024


rss_cached_mb, rss_nocache_mb = mb("BENCH_RSS_PEAK_CACHED_KB"), mb("BENCH_RSS_PEAK_NOCACHE_KB")
rss_cached_verdict = "met" if rss_cached_mb <= RSS_TARGET_MB else "**missed**"
rss_nocache_verdict = "would be met" if rss_nocache_mb <= RSS_TARGET_MB else "would not be met"
rss_line_cached = (f"Peak RSS of the cached server (VmHWM after its runs): **{rss_cached_mb:.1f} MB** "
                   f"(target ≤ {RSS_TARGET_MB} MB: {rss_cached_verdict}); "
                   f"{mb('BENCH_RSS_IDLE_CACHED_KB'):.1f} MB right after startup.")
rss_line_nocache = (f"Peak RSS of the no-cache server (a separate process; VmHWM after its runs): "
                    f"**{rss_nocache_mb:.1f} MB** (informational: ≤ {RSS_TARGET_MB} MB {rss_nocache_verdict}); "
                    f"{mb('BENCH_RSS_IDLE_NOCACHE_KB'):.1f} MB right after startup.")

# Machine and build facts.
cores = len(os.sched_getaffinity(0))
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
hits = [line.rstrip("\n").split("\t") for line in open(os.path.join(tmp, "search-hits.tsv"), encoding="utf-8")]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
duration = E["BENCH_DURATION"]
smoke = "" if duration == "10s" else (
    f"\n> **Smoke run** (`BENCH_DURATION={duration}`): short runs, not the reference numbers.\n")

generated = f"""# Benchmarks

<!-- Generated by bench/run.sh: everything above the notes marker is overwritten on each run. -->

Generated {now} by `bench/run.sh`.
{smoke}
## Setup

- **Machine:** {cores} cores, {cpu}, {mem_gib} GiB memory.
- **Commit:** `{commit}`; release binary {bin_mb:.1f} MB.
- **Data:** `hancup seed {E['BENCH_SEED_ARGS']}` (lessons included) took **{int(E['BENCH_SEED_MS']) / 1000:.1f} s**; database {db_mb:.1f} MB.
- **Load:** {wrk_version}, `-t{E['BENCH_THREADS']} -c{E['BENCH_CONNECTIONS']} -d{duration} --latency` per endpoint, one endpoint after another, in two passes against two server processes on the same database: first the default configuration, then a fresh server started with `HANCUP_CACHE__TTL_MS=0`.
- **Note:** wrk runs on the same {cores}-core machine as the server, so the two compete for the CPU: the numbers are what the server does while sharing the machine with its load generator. `/healthz` (no database work) shows the ceiling of the stack on this machine; it is measured once, in the first pass, and the share column of both tables compares each endpoint with it.
- The detail run cycles through the course slugs of the first page of `/api/v1/courses?page_size=100`; the search run cycles through {", ".join(f"{t} ({n} hits)" for t, n in hits)}.

## Results

### Cached (default configuration)

The server keeps finished public answers (API JSON, page HTML) in memory, invalidated on every write, so these runs measure the cached path: an answer is computed again only when its entry is missing or older than the cache TTL (`cache.ttl_ms`).

{table_cached}

{rss_line_cached}

Targets: list ≥ 25,000 req/s, detail ≥ 30,000 req/s, search ≥ 5,000 req/s, home ≥ 20,000 req/s, p99 ≤ {P99_TARGET_MS:g} ms on each, peak RSS ≤ {RSS_TARGET_MB} MB. They apply to this table.

### No cache (HANCUP_CACHE__TTL_MS=0): every request runs its SQL and renders

A second server process on the same database with the response cache disabled. The targets are shown for comparison only; they are not requirements for this configuration.

{table_nocache}

{rss_line_nocache}

"""

report = E["BENCH_REPORT"]
notes = f"{MARKER}\n\n## Notes\n\nHand-written notes go below the marker line above; bench/run.sh keeps them.\n"
if os.path.exists(report):
    old = open(report, encoding="utf-8").read()
    if MARKER in old:
        notes = old[old.index(MARKER):]
    elif old.strip():
        notes = f"{MARKER}\n\n{old}"   # no marker yet: keep the old text as notes
with open(report, "w", encoding="utf-8") as f:
    f.write(generated + notes)

print()
print("Cached (default configuration):")
print(table_cached)
print(rss_line_cached.replace("**", ""))
print()
print("No cache (HANCUP_CACHE__TTL_MS=0): every request runs its SQL and renders:")
print(table_nocache)
print(rss_line_nocache.replace("**", ""))
print()
print(f"Seed: {int(E['BENCH_SEED_MS']) / 1000:.1f} s. Report written to {report}.")
bad = [f"{r['label']} ({r['pass_']})" for r in runs
       if r["status"] != "200" or r["non2xx"] or any(r["socket"].values())]
if bad:
    print("WARNING: errors during the runs of: " + ", ".join(bad))
PY
