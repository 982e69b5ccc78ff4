"""measure.py PGID OUTFILE WRK_ARGS...: runs wrk and accounts for the machine's CPU meanwhile.

Writes wrk's output to OUTFILE, then one line
    # cpu: elapsed=S cores=N busy=S server=S wrk=S
with the CPU seconds, during the run, of the whole machine (busy), of the server's process
group and of wrk. What is left (busy - server - wrk) is other work on the machine: on a shared
machine that share says how much the run was disturbed, and server CPU per request compares the
servers even when their runs were disturbed unequally.
"""
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def machine_busy():
    fields = list(map(int, open("/proc/stat").readline().split()[1:9]))
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / TICK


def group_cpu(pgid):
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if int(fields[2]) == pgid:                    # field 5: process group
            total += int(fields[11]) + int(fields[12])  # fields 14, 15: utime, stime
    return total / TICK


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    pgid, outfile, wrk = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    b0, s0, w0, t0 = machine_busy(), group_cpu(pgid), children_cpu(), time.monotonic()
    done = subprocess.run(wrk, capture_output=True, text=True)
    b1, s1, w1, t1 = machine_busy(), group_cpu(pgid), children_cpu(), time.monotonic()
    with open(outfile, "w", encoding="utf-8") as f:
        f.write(done.stdout + done.stderr)
        f.write(f"# cpu: elapsed={t1 - t0:.3f} cores={os.cpu_count()} busy={b1 - b0:.2f} "
                f"server={s1 - s0:.2f} wrk={w1 - w0:.2f}\n")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
