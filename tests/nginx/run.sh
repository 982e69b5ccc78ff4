#!/usr/bin/env bash
# Upgrades behind the real nginx (issue 14 defect 5): nginx (Debian package) runs the shipped
# deploy/nginx.conf — its upstream and `location /` blocks, with TLS swapped for a loopback port —
# in front of hancup; 8 keep-alive clients send GETs through it while hancup is upgraded twice
# the documented way (a second process on the same port with SO_REUSEPORT, then SIGTERM to the
# first). Every request must answer 200: exits non-zero on any failure.
#
#   tests/nginx/run.sh                  # ~40 s
#
# Needs nginx (installed with apt-get when missing), python3 and cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"

if ! command -v nginx >/dev/null 2>&1 && ! [ -x /usr/sbin/nginx ]; then
    echo "== installing nginx (Debian package)"
    SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
APP_PORT="$(free_port)"
WEB_PORT="$(free_port)"

# The shipped config, with TLS and the redirect server dropped and the ports made free ones.
python3 - deploy/nginx.conf "$WORK" "$APP_PORT" "$WEB_PORT" <<'EOF'
import re, sys
src, work, app, web = sys.argv[1:]
conf = open(src).read()
upstream = re.search(r"upstream hancup \{.*?\n\}", conf, re.S).group(0)
upstream = upstream.replace("127.0.0.1:8000", f"127.0.0.1:{app}")
tls = conf[conf.index("listen 443 ssl;"):]
body = tls[tls.index("client_max_body_size"):tls.rindex("}")]
out = f"""pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    types {{ text/html html; }}
{upstream}
    server {{
        listen 127.0.0.1:{web};
        {body}
    }}
}}
"""
open(f"{work}/nginx.conf", "w").write(out)
EOF
"$NGINX" -t -p "$WORK" -c "$WORK/nginx.conf" -q
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

export HANCUP_DATABASE__PATH="$WORK/hancup.db" HANCUP_LOG__LEVEL=info \
    HANCUP_SERVER__BIND="127.0.0.1:$APP_PORT" HANCUP_SERVER__SHUTDOWN_GRACE_SECONDS=5 \
    HANCUP_AUTH__TRUST_FORWARDED_FOR=true
(cd "$WORK" && "$HANCUP" seed --courses 20 --users 5 --enrollments 10 >/dev/null)

N=0
start_hancup() {
    N=$((N + 1))
    (cd "$WORK" && exec "$HANCUP" serve 2>"$WORK/hancup-$N.log") &
    CURRENT=$!
    PIDS+=("$CURRENT")
    for _ in $(seq 300); do
        grep -q "hancup is serving" "$WORK/hancup-$N.log" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$WORK/hancup-$N.log"; echo "hancup $N did not start"; exit 1
}

start_hancup
OLD=$CURRENT
python3 - "$WEB_PORT" "$WORK/load.txt" 30 <<'EOF' &
import http.client, sys, threading, time
port, out, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ok = failed = 0
errors = []
lock = threading.Lock()
stop_at = time.time() + seconds
def client(n):
    global ok, failed
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    paths = ["/courses", "/api/v1/courses", f"/courses?page=1&n={n}"]
    i = 0
    while time.time() < stop_at:
        i += 1
        try:
            conn.request("GET", paths[i % 3])
            resp = conn.getresponse()
            resp.read()
            good = resp.status == 200
            why = f"status {resp.status}"
        except Exception as e:  # the client's own keep-alive to nginx broke
            good, why = False, repr(e)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            if good: ok += 1
            else:
                failed += 1
                errors.append(why)
threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
open(out, "w").write(f"{ok} {failed} {errors[:5]}\n")
EOF
LOAD=$!
for round in 1 2; do
    sleep 8
    echo "== upgrade $round: a new process on the port, then SIGTERM to the old one"
    start_hancup
    kill -TERM "$OLD"
    wait "$OLD" || true
    OLD=$CURRENT
done
wait "$LOAD"
read -r OK FAILED REST <"$WORK/load.txt"
echo "nginx upgrade: $OK answered 200, $FAILED failed $REST"
[ "$OK" -gt 1000 ] || { echo "too little load to mean anything"; exit 1; }
[ "$FAILED" -eq 0 ]
