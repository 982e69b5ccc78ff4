"""Writes docs/BENCHMARKS-compare.md from the wrk outputs bench/compare/run.sh collected.

Everything above the `<!-- notes -->` marker is generated; the hand-written notes below it are
kept. Reads its inputs from the COMPARE_* environment variables run.sh sets.
"""
import datetime
import os
import re
import statistics
import subprocess

E = os.environ
TMP = E["COMPARE_TMP"]
MARKER = "<!-- notes -->"
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
ENDPOINTS = ["list page 1", "list page 50", "detail"]
LABELS = {
    "hancup": "hancup (cache on, default)",
    "hancup-nocache": "hancup (cache off)",
    "django": "Django + DRF",
    "flask": "Flask",
    "express": "Express",
}
PEERS = ["django", "flask", "express"]


def parse_wrk(text):
    r = {"rps": None, "p50": None, "p99": None, "errors": 0, "requests": None, "cpu": None}
    m = re.search(r"^\s*(\d+) requests in", text, re.M)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"^# cpu: (.*)$", text, re.M)
    if m:
        r["cpu"] = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        r["rps"] = float(m.group(1))
    dist = text.split("Latency Distribution", 1)
    if len(dist) == 2:
        for pct, value, unit in re.findall(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", dist[1], re.M):
            if pct in ("50", "99"):
                r["p" + pct] = float(value) * UNIT_MS[unit]
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        r["errors"] += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["socket"] = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    return r


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_ms(v):
    if v is None:
        return "n/a"
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"


def fmt_rps(v):
    return "n/a" if v is None else f"{v:,.0f}"


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


# --- collect -------------------------------------------------------------------------
runs = {}  # (server, endpoint index) -> list of parsed runs
for line in open(os.path.join(TMP, "runs.tsv"), encoding="utf-8"):
    server, idx, run, load, path = line.rstrip("\n").split("\t")
    r = parse_wrk(open(path, encoding="utf-8", errors="replace").read())
    r["load"] = load.split()[0]
    cpu = r["cpu"]
    if cpu:
        capacity = cpu["elapsed"] * cpu["cores"]
        r["other_pct"] = max(0.0, 100 * (cpu["busy"] - cpu["server"] - cpu["wrk"]) / capacity)
        r["server_pct"] = 100 * cpu["server"] / capacity
        r["us_per_req"] = 1e6 * cpu["server"] / r["requests"] if r["requests"] else None
    else:
        r["other_pct"] = r["server_pct"] = r["us_per_req"] = None
    runs.setdefault((server, int(idx)), []).append(r)

servers = E["COMPARE_SERVERS"].split()
memory = {}  # peaks over the rounds
for name in os.listdir(TMP):
    m = re.match(r"rss-(.+)-\d+\.txt$", name)
    if m:
        rss, pss, procs = map(int, open(os.path.join(TMP, name)).read().split())
        old = memory.get(m.group(1), (0, 0, 0))
        memory[m.group(1)] = (max(old[0], rss / 1024), max(old[1], pss / 1024), max(old[2], procs))

result = {}
for (server, idx), rs in runs.items():
    socket = {}
    for r in rs:
        for k, v in r.get("socket", {}).items():
            socket[k] = socket.get(k, 0) + v
    result[(server, idx)] = {
        "rps": median(r["rps"] for r in rs),
        "p50": median(r["p50"] for r in rs),
        "p99": median(r["p99"] for r in rs),
        "non2xx": sum(r["errors"] for r in rs),
        "socket": {k: v for k, v in socket.items() if v},
        "loads": " / ".join(r["load"] for r in rs),
        "others": " / ".join("n/a" if r["other_pct"] is None else f"{r['other_pct']:.0f}" for r in rs),
        "max_other": max((r["other_pct"] or 0) for r in rs),
        "us_per_req": median(r["us_per_req"] for r in rs),
        "server_pct": median(r["server_pct"] for r in rs),
        "all_rps": [r["rps"] for r in rs],
    }

# --- tables --------------------------------------------------------------------------
main_rows = []
for server in servers:
    for idx, endpoint in enumerate(ENDPOINTS):
        r = result.get((server, idx))
        if not r:
            continue
        spread = ", ".join(fmt_rps(v) for v in r["all_rps"])
        errors = str(r["non2xx"]) if r["non2xx"] else "0"
        if r["socket"]:
            errors += " (socket: " + ", ".join(f"{k} {v}" for k, v in r["socket"].items()) + ")"
        us = "n/a" if r["us_per_req"] is None else f"{r['us_per_req']:,.0f} µs"
        main_rows.append(f"| {LABELS.get(server, server)} | {endpoint} | **{fmt_rps(r['rps'])}** | {spread} | "
                         f"{fmt_ms(r['p50'])} | {fmt_ms(r['p99'])} | {errors} | {us} | "
                         f"{r['loads']} | {r['others']} |")
main_table = "\n".join([
    "| server | endpoint | req/s (median) | req/s of each round | p50 | p99 | non-2xx | server CPU per request | "
    "load (1 min) before each run | other work during each run (% of the CPU) |",
    "|---|---|---:|---|---:|---:|---|---:|---|---|",
] + main_rows)


def ratio(a, b):
    ra, rb = result.get((a, b[1])), result.get((b[0], b[1]))
    if not ra or not rb or not ra["rps"] or not rb["rps"]:
        return "n/a"
    cell = f"{ra['rps'] / rb['rps']:.1f}×"
    if ra["us_per_req"] and rb["us_per_req"]:
        cell += f" ({rb['us_per_req'] / ra['us_per_req']:.1f}×)"
    return cell


present_peers = [p for p in PEERS if p in servers]
ratio_rows = []
for base in ("hancup", "hancup-nocache"):
    if base not in servers:
        continue
    for idx, endpoint in enumerate(ENDPOINTS):
        cells = [ratio(base, (peer, idx)) for peer in present_peers]
        ratio_rows.append(f"| {LABELS[base]} | {endpoint} | " + " | ".join(cells) + " |")
ratio_table = "\n".join([
    "| hancup configuration | endpoint | " + " | ".join(f"÷ {LABELS[p]}" for p in present_peers) + " |",
    "|---|---|" + "---:|" * len(present_peers),
] + ratio_rows)

mem_rows = []
for server in servers:
    rss, pss, procs = memory[server]
    mem_rows.append(f"| {LABELS.get(server, server)} | {procs} | {rss:.1f} MB | {pss:.1f} MB |")
mem_table = "\n".join([
    "| server | processes | peak RSS, summed | peak PSS, summed |",
    "|---|---:|---:|---:|",
] + mem_rows)

other_by_server = {s: max((r["max_other"] for (srv, _), r in result.items() if srv == s), default=0)
                   for s in servers}
busiest = max(other_by_server.values(), default=0)
if busiest >= 10:
    load_verdict = (f"**The machine was not idle**: other work took up to {busiest:.0f} % of the CPU "
                    "during a run (last column of the results), so absolute req/s are low and vary "
                    "from round to round; the rounds spread that disturbance over every server, and "
                    "the server-CPU-per-request column is less sensitive to it than req/s. Re-run on "
                    "an idle machine for reference numbers.")
else:
    load_verdict = (f"The machine was close to idle: other work took at most {busiest:.0f} % of the "
                    "CPU during any run.")

# --- setup facts -------------------------------------------------------------------------
cpu = "unknown CPU"
for line in open("/proc/cpuinfo", encoding="utf-8", errors="replace"):
    if line.lower().startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
mem_gib = "?"
for line in open("/proc/meminfo"):
    if line.startswith("MemTotal:"):
        mem_gib = f"{int(line.split()[1]) / 1024 / 1024:.1f}"
versions = [line.rstrip("\n").split("\t") for line in open(os.path.join(TMP, "versions.tsv"), encoding="utf-8")]
version_text = ", ".join(f"{k} {v}" for k, v in versions if k not in ("wrk",))
wrk_version = dict(versions).get("wrk", "wrk")
db_mb = os.path.getsize(E["COMPARE_DB"]) / 1024 / 1024
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
cores = os.cpu_count()
duration, runs_n = E["COMPARE_DURATION"], E["COMPARE_RUNS"]
smoke = "" if (duration == "10s" and runs_n == "3") else (
    f"\n> **Smoke run** (`COMPARE_DURATION={duration}`, `COMPARE_RUNS={runs_n}`): not the reference numbers.\n")

generated = f"""# hancup side by side with Django, Flask and Express

<!-- Generated by bench/compare/run.sh: everything above the notes marker is overwritten on each run. -->

Generated {now} by `bench/compare/run.sh`. The same two read endpoints of the catalog API,
written for each framework the way its own documentation deploys it, reading the same SQLite
file; each server alone on the machine in turn, driven by the same wrk command.
{smoke}
## Setup

- **Machine:** {cores} cores (`nproc`), {cpu}, {mem_gib} GiB memory. wrk runs on the same machine
  and takes part of the CPU from every server alike.
- **Versions:** {version_text}.
- **Data:** `hancup seed {E['COMPARE_SEED_ARGS']}` (5,000 courses in Korean and English, ~20 lessons each); database {db_mb:.1f} MB, in WAL mode.
- **Load:** {wrk_version}, `wrk -t{E['COMPARE_THREADS']} -c{E['COMPARE_CONNECTIONS']} -d{duration} --latency`, after a {E['COMPARE_WARMUP']} warm-up run per endpoint; {runs_n} rounds, each starting every server in turn, medians reported.
- **Endpoints:** list page 1 `/api/v1/courses`, list page 50 `/api/v1/courses?page=50` (page size 20 on both),
  detail `{E['COMPARE_DETAIL_PATH']}` (the first course of page 1). Before its runs, each peer's three
  answers were checked equal to hancup's: every field and key order, except `description_html`
  (rendered by another markdown library) and the host in `next`/`previous`.
- **Servers:** hancup `serve` (one process, tokio over all cores) twice: default configuration (response
  cache on) and `HANCUP_CACHE__TTL_MS=0`. Django + DRF and Flask under gunicorn with
  {E['COMPARE_SYNC_WORKERS']} sync workers (2 × cores + 1, gunicorn's recommendation). Express on Node with
  `node:cluster`, one worker per core.

### Load on the machine

{load_verdict} The load average before each run (in the results table) also counts the
warm-up and the runs just before it, so it mostly shows the benchmark itself; "other work" is
measured during each run: the machine's busy CPU time less that of the server's processes and
of wrk, as a share of all cores over the run.

## Results

Median of {runs_n} rounds; in each round every server ran alone, one after another, each
endpoint after a {E['COMPARE_WARMUP']} warm-up. Server CPU per request is the CPU time (user +
system) of all the server's processes during the run divided by the requests wrk completed.
Socket errors (timeouts past wrk's 2 s) are listed beside the non-2xx count.

{main_table}

### hancup's advantage: req/s of hancup ÷ req/s of the peer (in brackets: the peer's server CPU per request ÷ hancup's)

Like for like is **hancup with the cache off** against the peers, none of which caches answers
(all of them, hancup included, memoise rendered markdown — see the notes). hancup with the cache
on is the configuration it ships with; a peer could add a cache of its own (for example Django's
`cache_page`), which was not done here.

{ratio_table}

### Memory

Sampled every 0.25 s during the server's runs and summed over all its processes (gunicorn
master and workers, the Node primary and workers). RSS counts the pages forked workers share
with their parent once per process and so overstates prefork servers; PSS divides shared pages
among the processes that share them and is the fairer figure.

{mem_table}

"""

report = E["COMPARE_REPORT"]
notes = f"{MARKER}\n\n## Notes\n\nHand-written notes go below the marker line above; bench/compare/run.sh keeps them.\n"
if os.path.exists(report):
    old = open(report, encoding="utf-8").read()
    if MARKER in old:
        notes = old[old.index(MARKER):]
with open(report, "w", encoding="utf-8") as f:
    f.write(generated + notes)

print(main_table)
print()
print(ratio_table)
print()
print(mem_table)
print(f"\nReport written to {report}.")
bad = [f"{s} {ENDPOINTS[i]}" for (s, i), r in result.items() if r["non2xx"]]
if bad:
    print("WARNING: non-2xx answers during the runs of: " + ", ".join(bad))
