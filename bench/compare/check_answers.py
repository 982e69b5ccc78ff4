"""check_answers.py REF GOT NAME PATH: exits non-zero, naming the first difference, unless the
peer's answer GOT equals hancup's answer REF in every field and key order. description_html is
left out (another markdown library renders it) but must be non-empty and free of script; the
host of next/previous is left out (each server runs on its own port).
"""
import json, re, sys
ref, got = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
name, path = sys.argv[3:5]

def norm(v, key=None):
    if isinstance(v, dict):
        return {k: norm(x, k) for k, x in v.items() if k != "description_html"}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if key in ("next", "previous") and isinstance(v, str):
        return re.sub(r"^https?://[^/]+", "", v)
    return v

def first_difference(a, b, where="$"):
    if type(a) != type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return f"{where}: {type(a).__name__} {a!r:.80} vs {type(b).__name__} {b!r:.80}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{where}: keys {list(a)} vs {list(b)}"
        for k in a:
            d = first_difference(a[k], b[k], f"{where}.{k}")
            if d:
                return d
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
    elif a != b:
        return f"{where}: {a!r:.80} (hancup) vs {b!r:.80} ({name})"
    return None

d = first_difference(norm(ref), norm(got))
if d:
    sys.exit(f"compare: {name} {path}: {d}")
if "description_html" in ref:
    html = got.get("description_html") or ""
    if not html or "<script" in html.lower() or "javascript:" in html.lower():
        sys.exit(f"compare: {name} {path}: description_html empty or unsafe: {html[:200]!r}")
summary = (f"count {ref['count']}, first slug {ref['results'][0]['slug']}" if "count" in ref
           else f"slug {ref['slug']}, {len(ref['lessons'])} lessons, description_html "
           + ("identical" if got.get("description_html") == ref["description_html"] else "differs"))
print(f"==> {name} {path}: same answer as hancup ({summary})", file=sys.stderr)
