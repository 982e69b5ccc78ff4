// Express peer of hancup's catalog read API (bench/compare).
//
// The primary process forks one worker per core with node:cluster (WORKERS overrides); each
// worker opens the SQLite file read-only with better-sqlite3 (synchronous, prepared statements,
// the usual fast driver) and runs the same SQL as hancup: one COUNT + one page query for the
// list, the course + its lessons for the detail. PORT and HANCUP_COMPARE_DB come from the
// environment.
'use strict';

const cluster = require('node:cluster');
const os = require('node:os');

const workers = Number(process.env.WORKERS) || (os.availableParallelism ? os.availableParallelism() : os.cpus().length);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (w, code, signal) => {
    if (!shuttingDown) {
      console.error(`worker ${w.process.pid} died (${signal || code}); stopping`);
      process.exit(1);
    }
  });
  let shuttingDown = false;
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      shuttingDown = true;
      for (const id in cluster.workers) cluster.workers[id].kill('SIGTERM');
      setTimeout(() => process.exit(0), 2000).unref();
      cluster.disconnect(() => process.exit(0));
    });
  }
} else {
  startWorker();
}

function startWorker() {
  const Database = require('better-sqlite3');
  const express = require('express');
  const MarkdownIt = require('markdown-it');
  const sanitizeHtml = require('sanitize-html');

  const db = new Database(process.env.HANCUP_COMPARE_DB, { readonly: true, fileMustExist: true });
  const SUMMARY = `SELECT c.id, c.slug, c.title, c.summary, cat.slug AS cat_slug, cat.name AS cat_name,
      c.level, u.id AS u_id, u.display_name, c.lesson_count, c.enrollment_count, c.published_at,
      c.rating_sum, c.rating_count`;
  const JOINS = `FROM courses c JOIN categories cat ON cat.id = c.category_id
      JOIN users u ON u.id = c.instructor_id`;
  const countStmt = db.prepare("SELECT COUNT(*) AS n FROM courses c WHERE c.status = 'published'");
  const listStmt = db.prepare(`${SUMMARY} ${JOINS} WHERE c.status = 'published'
      ORDER BY c.published_at DESC, c.id DESC LIMIT ? OFFSET ?`);
  const detailStmt = db.prepare(`${SUMMARY}, c.description ${JOINS}
      WHERE c.slug = ? AND c.status = 'published'`);
  const lessonsStmt = db.prepare(`SELECT id, position, title, duration_seconds, is_preview
      FROM lessons WHERE course_id = ? ORDER BY position`);

  const summary = (r) => ({
    id: r.id, slug: r.slug, title: r.title, summary: r.summary,
    category: { slug: r.cat_slug, name: r.cat_name }, level: r.level,
    instructor: { id: r.u_id, display_name: r.display_name },
    lesson_count: r.lesson_count, enrollment_count: r.enrollment_count,
    published_at: r.published_at || '',
    // Two decimals, half away from zero, as hancup rounds.
    rating_average: r.rating_count > 0 ? Math.round((r.rating_sum / r.rating_count) * 100) / 100 : null,
    rating_count: r.rating_count,
  });

  // markdown-it (CommonMark + tables + strikethrough) then sanitize-html with http/https/mailto
  // links only; memoised by source (4,096 entries) like hancup's src/markdown.rs.
  const md = new MarkdownIt('commonmark', { html: true }).enable(['table', 'strikethrough']);
  const sanitizeOptions = {
    allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img', 'del', 's', 'input']),
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title'], input: ['type', 'checked', 'disabled'] },
    allowedSchemes: ['http', 'https', 'mailto'],
  };
  const memo = new Map();
  const toSafeHtml = (source) => {
    let html = memo.get(source);
    if (html === undefined) {
      html = sanitizeHtml(md.render(source), sanitizeOptions);
      if (memo.size >= 4096) memo.clear();
      memo.set(source, html);
    }
    return html;
  };

  const positiveInt = (raw, fallback) => {
    if (raw === undefined) return fallback;
    return /^[0-9]+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : null;
  };
  const pageUrl = (req, page) => {
    const params = new URLSearchParams(req.originalUrl.split('?')[1] || '');
    params.delete('page');
    if (page > 1) params.append('page', String(page));
    const qs = params.toString();
    return `${req.protocol}://${req.get('host')}${req.path}${qs ? '?' + qs : ''}`;
  };

  const app = express();
  app.disable('x-powered-by');
  // hancup sends no ETag on these answers; Express would hash every body to make one.
  app.set('etag', false);

  app.get('/api/v1/courses', (req, res) => {
    const page = positiveInt(req.query.page, 1);
    let size = positiveInt(req.query.page_size, 20);
    if (page === null) return res.status(400).json({ page: ['A valid integer is required.'] });
    if (size === null) return res.status(400).json({ page_size: ['A valid integer is required.'] });
    size = Math.min(size, 100);
    const count = countStmt.get().n;
    if (page > Math.max(1, Math.ceil(count / size))) return res.status(404).json({ detail: 'Invalid page.' });
    res.json({
      count,
      next: page * size < count ? pageUrl(req, page + 1) : null,
      previous: page > 1 ? pageUrl(req, page - 1) : null,
      results: listStmt.all(size, (page - 1) * size).map(summary),
    });
  });

  app.get('/api/v1/courses/:slug', (req, res) => {
    const row = detailStmt.get(req.params.slug);
    if (!row) return res.status(404).json({ detail: 'Not found.' });
    const body = summary(row);
    body.description = row.description;
    body.description_html = toSafeHtml(row.description);
    body.lessons = lessonsStmt.all(row.id).map((l) => ({
      id: l.id, position: l.position, title: l.title,
      duration_seconds: l.duration_seconds, is_preview: l.is_preview === 1,
    }));
    res.json(body);
  });

  const port = Number(process.env.PORT) || 3000;
  app.listen(port, '127.0.0.1');
}
