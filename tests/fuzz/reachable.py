#!/usr/bin/env python3
"""Proves every status code the OpenAPI document promises is one the server really answers.

    reachable.py SPEC.json METRICS.txt ELSEWHERE.tsv

SPEC.json is /api/openapi.json; METRICS.txt is /metrics scraped after the schemathesis passes
(`hancup_http_requests_total{route, method, status}` counts what the fuzzer reached, by route
pattern); ELSEWHERE.tsv lists the few statuses the fuzzer cannot provoke (overload, a body over
the size limit, a throttled login…) with the cargo test that provokes each. A documented status
that is neither observed nor listed fails the run, and so does a listed test that does not exist
or an entry for a status the document no longer promises (a stale proof).

ELSEWHERE.tsv: `operations  status  test_name  reason`, tab-separated. `operations` is an
operation id, or a group a layer in front of the handlers answers for: `*` (every operation),
`*body` (every operation with a request body), `*session-write` (every protected operation
that is not a GET: the CSRF check).
"""

import json
import pathlib
import re
import sys

METHODS = ("get", "put", "post", "patch", "delete")
# Route labels hold braces (`/api/v1/courses/{slug}`): the label set runs to the LAST `}`.
SAMPLE = re.compile(r'^hancup_http_requests_total\{(?P<labels>.*)\}\s+(?P<count>\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


GROUPS = {
    "*": lambda method, op: True,
    "*body": lambda method, op: "requestBody" in op,
    "*session-write": lambda method, op: "security" in op and method != "get",
}


def documented(spec):
    """{(method, metrics route): (operation_id, {status, …}, {group, …})} for every operation."""
    ops = {}
    for path, item in spec["paths"].items():
        # The server labels API requests with the OpenAPI path template itself.
        route = path
        for method in METHODS:
            if method in item:
                op = item[method]
                groups = {g for g, member in GROUPS.items() if member(method, op)}
                ops[(method.upper(), route)] = (op["operationId"], set(op["responses"]), groups)
    return ops


def observed(metrics_text):
    """{(method, route): {status, …}} of the requests the server counted."""
    seen = {}
    for line in metrics_text.splitlines():
        m = SAMPLE.match(line)
        if not m or float(m["count"]) <= 0:
            continue
        labels = dict(LABEL.findall(m["labels"]))
        key = (labels.get("method"), labels.get("route"))
        seen.setdefault(key, set()).add(labels.get("status"))
    return seen


def test_names(root):
    names = set()
    for source in root.glob("tests/**/*.rs"):
        names.update(re.findall(r"\bfn\s+(\w+)\s*\(", source.read_text(encoding="utf-8")))
    return names


def elsewhere(tsv_path):
    entries = []
    for number, line in enumerate(tsv_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            sys.exit(f"{tsv_path}:{number}: expected 4 tab-separated columns, got {len(parts)}")
        entries.append((number, *parts))
    return entries


def main():
    spec_path, metrics_path, tsv_path = map(pathlib.Path, sys.argv[1:4])
    root = pathlib.Path(__file__).resolve().parents[2]
    ops = documented(json.loads(spec_path.read_text(encoding="utf-8")))
    seen = observed(metrics_path.read_text(encoding="utf-8"))
    tests = test_names(root)
    problems = []

    proven = {}  # (operation_id, status) -> test name
    by_group = set()  # (group, status)
    ids = {op_id for op_id, _, _ in ops.values()}
    for number, op_id, status, test, _reason in elsewhere(tsv_path):
        if test not in tests:
            problems.append(f"{tsv_path.name}:{number}: no test named `{test}` under tests/")
        if op_id.startswith("*"):
            if op_id not in GROUPS:
                problems.append(f"{tsv_path.name}:{number}: no group `{op_id}`")
            by_group.add((op_id, status))
            continue
        if op_id not in ids:
            problems.append(f"{tsv_path.name}:{number}: no operation `{op_id}` in the document")
        proven[(op_id, status)] = test

    documented_pairs = {(op_id, s) for op_id, statuses, _ in ops.values() for s in statuses}
    for (op_id, status), test in proven.items():
        if op_id in ids and (op_id, status) not in documented_pairs:
            problems.append(f"stale proof: `{op_id}` does not document {status} ({test})")

    total = by_fuzz = by_test = 0
    for key, (op_id, statuses, groups) in sorted(ops.items(), key=lambda kv: kv[1][0]):
        for status in sorted(statuses):
            total += 1
            if status in seen.get(key, set()):
                by_fuzz += 1
            elif (op_id, status) in proven or any((g, status) in by_group for g in groups):
                by_test += 1
            else:
                problems.append(f"never reached: {op_id} ({key[0]} {key[1]}) documents {status}")
        undocumented = seen.get(key, set()) - statuses
        for status in sorted(undocumented):
            problems.append(f"answered but not documented: {op_id} answered {status}")

    print(
        f"== documented statuses: {total} over {len(ops)} operations; "
        f"{by_fuzz} reached by the fuzzer, {by_test} proven by named cargo tests, "
        f"{total - by_fuzz - by_test} unproven"
    )
    for problem in problems:
        print("   " + problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
