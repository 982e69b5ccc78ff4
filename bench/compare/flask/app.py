"""Flask peer of hancup's catalog read API (bench/compare): plain sqlite3 and hand-written SQL,
the same statements hancup runs (one COUNT + one page query; course + lessons for the detail).

One connection per gunicorn worker, opened on its first request (sync workers serve one
request at a time, so no pool is needed). The database is HANCUP_COMPARE_DB, opened read-only.
"""
import os
import sqlite3
from functools import lru_cache
from urllib.parse import urlencode

import nh3
from flask import Flask, jsonify, request
from markdown_it import MarkdownIt

DB_PATH = os.environ["HANCUP_COMPARE_DB"]
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100

app = Flask(__name__)
app.json.sort_keys = False     # keep hancup's field order
app.json.ensure_ascii = False  # UTF-8 Korean, not \uXXXX escapes (as hancup and DRF answer)

SUMMARY_SQL = """
SELECT c.id, c.slug, c.title, c.summary, cat.slug, cat.name, c.level, u.id, u.display_name,
       c.lesson_count, c.enrollment_count, c.published_at, c.rating_sum, c.rating_count{extra}
FROM courses c
JOIN categories cat ON cat.id = c.category_id
JOIN users u ON u.id = c.instructor_id
"""
LIST_SQL = SUMMARY_SQL.format(extra="") + """
WHERE c.status = 'published' ORDER BY c.published_at DESC, c.id DESC LIMIT ? OFFSET ?"""
DETAIL_SQL = SUMMARY_SQL.format(extra=", c.description") + """
WHERE c.slug = ? AND c.status = 'published'"""
LESSONS_SQL = """SELECT id, position, title, duration_seconds, is_preview FROM lessons
WHERE course_id = ? ORDER BY position"""

_conn = None


def db():
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(f"file:{DB_PATH}?mode=ro", uri=True)
    return _conn


def summary(r):
    rating = None if r[13] <= 0 else int(r[12] / r[13] * 100.0 + 0.5) / 100.0
    return {"id": r[0], "slug": r[1], "title": r[2], "summary": r[3],
            "category": {"slug": r[4], "name": r[5]}, "level": r[6],
            "instructor": {"id": r[7], "display_name": r[8]},
            "lesson_count": r[9], "enrollment_count": r[10], "published_at": r[11] or "",
            "rating_average": rating, "rating_count": r[13]}


_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


@lru_cache(maxsize=4096)  # hancup memoises rendered descriptions the same way
def to_safe_html(source):
    return nh3.clean(_md.render(source), url_schemes={"http", "https", "mailto"})


def positive_int(name, default):
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        return None
    return int(raw)


def page_url(page):
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    if page > 1:
        args.append(("page", str(page)))
    base = request.host_url.rstrip("/") + request.path
    return base + ("?" + urlencode(args) if args else "")


@app.get("/api/v1/courses")
def course_list():
    page = positive_int("page", 1)
    size = positive_int("page_size", PAGE_SIZE)
    if page is None or size is None:
        return jsonify({"page" if page is None else "page_size": ["A valid integer is required."]}), 400
    size = min(size, MAX_PAGE_SIZE)
    conn = db()
    count = conn.execute("SELECT COUNT(*) FROM courses c WHERE c.status = 'published'").fetchone()[0]
    if page > max(1, -(-count // size)):
        return jsonify({"detail": "Invalid page."}), 404
    rows = conn.execute(LIST_SQL, (size, (page - 1) * size)).fetchall()
    return jsonify({
        "count": count,
        "next": page_url(page + 1) if page * size < count else None,
        "previous": page_url(page - 1) if page > 1 else None,
        "results": [summary(r) for r in rows],
    })


@app.get("/api/v1/courses/<slug>")
def course_detail(slug):
    conn = db()
    r = conn.execute(DETAIL_SQL, (slug,)).fetchone()
    if r is None:
        return jsonify({"detail": "Not found."}), 404
    body = summary(r)
    body["description"] = r[14]
    body["description_html"] = to_safe_html(r[14])
    body["lessons"] = [
        {"id": l[0], "position": l[1], "title": l[2], "duration_seconds": l[3], "is_preview": bool(l[4])}
        for l in conn.execute(LESSONS_SQL, (r[0],))
    ]
    return jsonify(body)
