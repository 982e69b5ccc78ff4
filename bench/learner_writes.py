#!/usr/bin/env python3
"""Learners writing at a steady rate, for bench/logged_in.sh: 50 progress marks/s (PUT, then
DELETE, of a lesson's progress, each a write transaction) and 20 enrolments/s (a new
(learner, course) pair each) through the API with the learners' tokens, until SIGINT. Prints
`marks_per_s=`, `enrolments_per_s=` and `errors=` lines.

    learner_writes.py BASE TMPDIR   (TMPDIR holds tokens.txt, slugs.txt, positions.txt)
"""
import http.client
import random
import signal
import sys
import threading
import time
from urllib.parse import urlparse

base, tmp = sys.argv[1], sys.argv[2]
MARKS_PER_S, ENROLMENTS_PER_S = 50, 20
url = urlparse(base)
tokens = open(f"{tmp}/tokens.txt").read().split()[1:]  # the first learner is the measured one
slugs = open(f"{tmp}/slugs.txt").read().split()
positions = open(f"{tmp}/positions.txt").read().split()
stop = threading.Event()
counts = {"marks": 0, "enrolments": 0, "errors": 0}
lock = threading.Lock()


def paced(rate, make):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    n, start = 0, time.monotonic()
    while not stop.is_set():
        method, path, token, kind = make(n)
        try:
            conn.request(method, path, headers={"Authorization": "Token " + token, "Content-Length": "0"})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status < 300
        except (OSError, http.client.HTTPException):
            ok = False
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        with lock:
            counts[kind if ok else "errors"] += 1
        n += 1
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            stop.wait(delay)


def mark(n):
    token = tokens[n // 2 % len(tokens)]
    position = positions[n // (2 * len(tokens)) % len(positions)]
    method = "PUT" if n % 2 == 0 else "DELETE"
    return method, f"/api/v1/courses/{slugs[0]}/lessons/{position}/progress", token, "marks"


pairs = random.Random(time.time_ns()).sample(
    [(t, s) for t in tokens for s in slugs[1:]], k=min(20000, len(tokens) * (len(slugs) - 1))
)


def enrol(n):
    token, slug = pairs[n % len(pairs)]
    return "POST", f"/api/v1/courses/{slug}/enrollment", token, "enrolments"


signal.signal(signal.SIGINT, lambda *_: stop.set())
signal.signal(signal.SIGTERM, lambda *_: stop.set())
started = time.monotonic()
threads = [
    threading.Thread(target=paced, args=(MARKS_PER_S / 2, lambda n: mark(2 * n))),
    threading.Thread(target=paced, args=(MARKS_PER_S / 2, lambda n: mark(2 * n + 1))),
    threading.Thread(target=paced, args=(ENROLMENTS_PER_S, enrol)),
]
for t in threads:
    t.start()
while not stop.is_set():
    stop.wait(0.2)
for t in threads:
    t.join()
elapsed = time.monotonic() - started
print(f"marks_per_s={counts['marks'] / elapsed:.1f}")
print(f"enrolments_per_s={counts['enrolments'] / elapsed:.1f}")
print(f"errors={counts['errors']}")
