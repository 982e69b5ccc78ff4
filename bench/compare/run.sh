#!/usr/bin/env bash
# bench/compare/run.sh — hancup side by side with the same catalog API on Django + DRF, Flask
# and Express, on the same SQLite file, on this machine.
#
# What it does:
#   1. installs what it needs: wrk (apt) when missing; a Python venv in bench/compare/.venv
#      from requirements.txt (Django + DRF, Flask, gunicorn, markdown-it-py, nh3); `npm ci` in
#      bench/compare/express (better-sqlite3 is compiled from source against the installed
#      Node's headers: its prebuilt binaries are downloaded from outside the npm registry);
#   2. builds hancup (cargo build --release; honours CARGO_TARGET_DIR) unless --no-build;
#   3. seeds one database: `hancup seed --courses 5000 --users 2000 --enrollments 100000`;
#   4. starts each server in turn on a free loopback port, alone on the machine:
#        hancup         default configuration (response cache on)
#        hancup-nocache HANCUP_CACHE__TTL_MS=0 (every request runs its SQL and serialises)
#        django         Django + DRF under gunicorn, 2 x cores + 1 sync workers
#        flask          Flask under gunicorn, 2 x cores + 1 sync workers
#        express        Express on Node, node:cluster with one worker per core;
#   5. before timing a peer, checks its answers equal hancup's (page 1, page 50, the detail:
#      every field except description_html, which another markdown renderer writes
#      differently; next/previous compared without the host) and stops with a diff otherwise;
#   6. in COMPARE_RUNS rounds, each starting every server in turn: per endpoint (list page 1,
#      list page 50, one detail) a warm-up run and one timed wrk run, with the load average
#      before it and the CPU used meanwhile by the server, by wrk and by everything else
#      (measure.py); medians over the rounds; the peak of the summed RSS and PSS of the
#      server's processes is sampled during its runs;
#   7. writes docs/BENCHMARKS-compare.md above its `<!-- notes -->` marker (the hand-written
#      notes below it are kept) and prints the table.
#
# Run from anywhere:
#   bench/compare/run.sh                                # full run (~10 min of load)
#   COMPARE_DURATION=2s COMPARE_RUNS=1 bench/compare/run.sh --no-build   # smoke run
#
# Environment: COMPARE_DURATION (10s), COMPARE_WARMUP (3s), COMPARE_RUNS (3),
# COMPARE_THREADS (2), COMPARE_CONNECTIONS (64), COMPARE_SERVERS (all five, space-separated),
# COMPARE_BIN (default ${CARGO_TARGET_DIR:-target}/release/hancup), COMPARE_BIN_COMMIT (the
# commit that binary was built from, for the report; default: this checkout's HEAD),
# COMPARE_REPORT (docs/BENCHMARKS-compare.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

DURATION=${COMPARE_DURATION:-10s}
WARMUP=${COMPARE_WARMUP:-3s}
RUNS=${COMPARE_RUNS:-3}
THREADS=${COMPARE_THREADS:-2}
CONNECTIONS=${COMPARE_CONNECTIONS:-64}
SERVERS=${COMPARE_SERVERS:-hancup hancup-nocache django flask express}
BIN=${COMPARE_BIN:-${CARGO_TARGET_DIR:-target}/release/hancup}
REPORT=${COMPARE_REPORT:-docs/BENCHMARKS-compare.md}
SEED_ARGS=(--courses 5000 --users 2000 --enrollments 100000)
CORES=$(nproc)
SYNC_WORKERS=$((2 * CORES + 1))
VENV=$HERE/.venv

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'compare: error: %s\n' "$*" >&2; exit 1; }

# --- 1. tools and peers' dependencies -----------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk (Debian package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in wrk curl python3 node npm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# The venv is rebuilt when requirements.txt changes (its hash is kept in the venv).
req_hash=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
if [[ ! -x $VENV/bin/gunicorn || $(cat "$VENV/.requirements.sha256" 2>/dev/null) != "$req_hash" ]]; then
  log "creating the Python venv ($VENV) from requirements.txt"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
  echo "$req_hash" >"$VENV/.requirements.sha256"
fi

lock_hash=$(sha256sum "$HERE/express/package-lock.json" | cut -d' ' -f1)
if [[ $(cat "$HERE/express/node_modules/.lock.sha256" 2>/dev/null) != "$lock_hash" ]]; then
  log "npm ci in bench/compare/express (compiles better-sqlite3: about a minute)"
  # better-sqlite3's install script would first try to download a prebuilt binary from outside
  # the npm registry; build from source instead, against the headers installed with Node.
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  nodedir_env=()
  [[ -f $node_prefix/include/node/common.gypi ]] && nodedir_env=(npm_config_nodedir="$node_prefix")
  (cd "$HERE/express" && env npm_config_build_from_source=true "${nodedir_env[@]}" \
     npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in bench/compare/express"
  echo "$lock_hash" >"$HERE/express/node_modules/.lock.sha256"
fi

# --- 2. hancup ------------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
  log "cargo build --release"
  cargo build --release
fi
[[ -x $BIN ]] || die "$BIN not found (build it, or drop --no-build)"

# --- temp dir, servers, cleanup ---------------------------------------------------
tmp=$(mktemp -d -t hancup-compare.XXXXXX)
server_pgid=""   # process group of the server currently running
sampler_pid=""

stop_sampler() {
  [[ -n $sampler_pid ]] || return 0
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
}

# Every server runs in its own process group (setsid), so its workers stop with it.
stop_server() {
  local pgid=$server_pgid
  [[ -n $pgid ]] || return 0
  server_pgid=""
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 100); do
    pgrep -g "$pgid" >/dev/null 2>&1 || break
    sleep 0.1
  done
  if pgrep -g "$pgid" >/dev/null 2>&1; then
    log "server group $pgid did not stop on SIGTERM; killing it"
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  wait "$pgid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_sampler
  stop_server
  if [[ $rc -ne 0 ]]; then
    for f in "$tmp"/server-*.log; do
      [[ -s $f ]] || continue
      echo "--- last lines of $(basename "$f") ---" >&2
      tail -n 20 "$f" >&2
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 3. seed -----------------------------------------------------------------------
DB=$tmp/compare.db
log "seeding: ${SEED_ARGS[*]}"
HANCUP_DATABASE__PATH=$DB "$BIN" seed "${SEED_ARGS[@]}" >"$tmp/seed.log" 2>&1 \
  || { tail -n 20 "$tmp/seed.log" >&2; die "seed failed"; }
# Fold the WAL into the main file, so every server starts from the same file state.
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$DB"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME: starts it on a free port in its own process group, sets BASE and
# server_pgid, waits until the course list answers 200.
start_server() {
  local name=$1 port code="" ready=0 cmd=()
  port=$(free_port)
  BASE=http://127.0.0.1:$port
  local envs=(HANCUP_COMPARE_DB="$DB" PORT="$port")
  case "$name" in
    hancup)         cmd=(env HANCUP_DATABASE__PATH="$DB" HANCUP_SERVER__BIND="127.0.0.1:$port" HANCUP_LOG__LEVEL=warn "$BIN" serve) ;;
    hancup-nocache) cmd=(env HANCUP_DATABASE__PATH="$DB" HANCUP_SERVER__BIND="127.0.0.1:$port" HANCUP_LOG__LEVEL=warn HANCUP_CACHE__TTL_MS=0 "$BIN" serve) ;;
    django)         cmd=(env "${envs[@]}" DJANGO_SETTINGS_MODULE=peer.settings "$VENV/bin/gunicorn" --chdir "$HERE/django"
                         --workers "$SYNC_WORKERS" --worker-class sync --bind "127.0.0.1:$port" --log-level warning peer.wsgi) ;;
    flask)          cmd=(env "${envs[@]}" "$VENV/bin/gunicorn" --chdir "$HERE/flask"
                         --workers "$SYNC_WORKERS" --worker-class sync --bind "127.0.0.1:$port" --log-level warning app:app) ;;
    express)        cmd=(env "${envs[@]}" NODE_ENV=production node "$HERE/express/server.js") ;;
    *) die "unknown server: $name" ;;
  esac
  log "starting $name on $BASE"
  setsid "${cmd[@]}" >"$tmp/server-$name.log" 2>&1 &
  server_pgid=$!
  for _ in $(seq 300); do   # 30 s
    kill -0 "$server_pgid" 2>/dev/null || die "$name exited during startup"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/api/v1/courses" || true)
    if [[ $code == 200 ]]; then ready=1; break; fi
    sleep 0.1
  done
  [[ $ready == 1 ]] || die "$name: GET /api/v1/courses did not answer 200 within 30 s (last: ${code:-none})"
}

# Sums VmRSS and PSS (kB) over the server's processes every 0.25 s; keeps the peaks in FILE.
start_sampler() {
  local file=$1 pgid=$server_pgid
  (
    peak_rss=0 peak_pss=0
    while :; do
      rss=0 pss=0
      for pid in $(pgrep -g "$pgid" 2>/dev/null); do
        r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
        rss=$((rss + ${r:-0})); pss=$((pss + ${p:-0}))
      done
      (( rss > peak_rss )) && peak_rss=$rss
      (( pss > peak_pss )) && peak_pss=$pss
      printf '%s %s %s\n' "$peak_rss" "$peak_pss" "$(pgrep -g "$pgid" | wc -l)" >"$file.tmp" && mv "$file.tmp" "$file"
      sleep 0.25
    done
  ) &
  sampler_pid=$!
}

fetch() {  # fetch URL FILE: GET, fail on anything but 200
  local code
  code=$(curl -sS --max-time 10 -o "$2" -w '%{http_code}' "$1") || die "GET $1 failed"
  [[ $code == 200 ]] || die "GET $1 answered $code: $(head -c 300 "$2")"
}

# --- 4. reference answers from hancup, and the detail slug ---------------------------
PATHS=("/api/v1/courses" "/api/v1/courses?page=50")
start_server hancup
fetch "$BASE/api/v1/courses" "$tmp/ref-list1.json"
DETAIL_SLUG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["slug"])' "$tmp/ref-list1.json")
DETAIL_PATH="/api/v1/courses/$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$DETAIL_SLUG")"
PATHS+=("$DETAIL_PATH")
for i in "${!PATHS[@]}"; do fetch "$BASE${PATHS[$i]}" "$tmp/ref-$i.json"; done
curl -sS -D "$tmp/ref-headers.txt" -o /dev/null "$BASE/api/v1/courses"
stop_server
log "detail endpoint: $DETAIL_PATH"

# check_answers NAME: the peer's three answers must equal hancup's (see the header).
check_answers() {
  local name=$1 i
  for i in "${!PATHS[@]}"; do
    fetch "$BASE${PATHS[$i]}" "$tmp/$name-$i.json"
    python3 "$HERE/check_answers.py" "$tmp/ref-$i.json" "$tmp/$name-$i.json" "$name" "${PATHS[$i]}" \
      || die "$name answers differ from hancup's (see above)"
  done
}

# --- 5. the runs ----------------------------------------------------------------------
# Rounds: each round starts every server in turn, alone, and times each endpoint once; a
# server's runs are thus spread over the whole benchmark, so a busy spell of other work on a
# shared machine hits every server alike instead of the one that happened to be running.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
: >"$tmp/runs.tsv"
for round in $(seq "$RUNS"); do
  for name in $SERVERS; do
    start_server "$name"
    check_answers "$name"
    start_sampler "$tmp/rss-$name-$round.txt"
    for i in "${!PATHS[@]}"; do
      path=${PATHS[$i]}
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$BASE$path" >/dev/null 2>&1 || true
      load=$(loadavg)
      out=$tmp/wrk-$name-$i-$round.txt
      log "round $round/$RUNS: $name $path (load $load)"
      python3 "$HERE/measure.py" "$server_pgid" "$out" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE$path" \
        || die "wrk failed: $(tail -n 5 "$out")"
      printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$i" "$round" "$load" "$out" >>"$tmp/runs.tsv"
    done
    sleep 0.5   # one more RSS sample after the last run
    stop_sampler
    [[ -s $tmp/rss-$name-$round.txt ]] || die "no RSS sample for $name"
    stop_server
  done
done

# --- 6. versions and the report ---------------------------------------------------------
{
  if [[ -n ${COMPARE_BIN_COMMIT:-} ]]; then
    echo "hancup	$COMPARE_BIN_COMMIT"
  else
    echo "hancup	$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" status --porcelain --untracked-files=no -- src Cargo.toml Cargo.lock schema.sql | grep -q . && echo ' (with uncommitted changes in src/)')"
  fi
  echo "rustc	$(rustc --version 2>/dev/null | cut -d' ' -f2 || echo '?')"
  echo "hancup SQLite	$( (HANCUP_DATABASE__PATH=$DB "$BIN" check 2>&1 || true) | grep -o -m1 'SQLite [0-9.]*' | cut -d' ' -f2)"
  echo "python	$("$VENV/bin/python" -c 'import platform,sqlite3; print(platform.python_version(), "(SQLite", sqlite3.sqlite_version + ")")')"
  "$VENV/bin/python" - <<'PY'
from importlib.metadata import version
for p in ("Django", "djangorestframework", "Flask", "gunicorn", "markdown-it-py", "nh3"):
    print(f"{p}\t{version(p)}")
PY
  echo "node	$(node --version)"
  (cd "$HERE/express" && node -e '
    for (const p of ["express", "better-sqlite3", "markdown-it", "sanitize-html"]) console.log(p + "\t" + require(p + "/package.json").version);
    const D = require("better-sqlite3"); console.log("better-sqlite3 SQLite\t" + new D(":memory:").prepare("select sqlite_version() v").get().v);')
  echo "wrk	$(wrk -v 2>&1 | head -n1 | sed 's/ Copyright.*//')"
} >"$tmp/versions.tsv"

env COMPARE_TMP="$tmp" COMPARE_REPORT="$REPORT" COMPARE_DURATION="$DURATION" COMPARE_WARMUP="$WARMUP" \
    COMPARE_RUNS="$RUNS" COMPARE_THREADS="$THREADS" COMPARE_CONNECTIONS="$CONNECTIONS" \
    COMPARE_SERVERS="$SERVERS" COMPARE_SYNC_WORKERS="$SYNC_WORKERS" COMPARE_DB="$DB" \
    COMPARE_SEED_ARGS="${SEED_ARGS[*]}" COMPARE_DETAIL_PATH="$DETAIL_PATH" \
    python3 "$HERE/report.py"
