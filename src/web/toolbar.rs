//! The debug toolbar (Django debug toolbar's idea, without script): with `server.debug = true`
//! every HTML page gets a `<details>` panel listing the request's SQL statements with durations
//! and duplicates marked, template render time, total time and the session user, and every
//! response a `Server-Timing` header (db, render, total). With debug off nothing here runs: the
//! request scope is never entered, so no statement text is kept and no render time measured.
//! The panel (statement text, who is logged in) is added only for an active staff member's
//! session: with debug on behind a loopback-bound proxy every visitor is "local", so locality
//! cannot be the test. The headers carry counts and timings only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use minijinja::context;
use parking_lot::Mutex;
use poem::http::{header, HeaderValue};
use poem::Response;

use crate::db::stats::RequestStats;
use crate::web::auth::Auth;
use crate::web::templates::Templates;

/// What the toolbar learns during one request besides SQL (which `db::stats` records).
#[derive(Debug, Default)]
pub struct DebugRecord {
    render_nanos: AtomicU64,
    user: Mutex<Option<String>>,
    /// An active staff member's session: the only requests that get the panel.
    staff: AtomicBool,
}

tokio::task_local! {
    /// Entered by the request middleware in debug mode only.
    pub static DEBUG: Arc<DebugRecord>;
}

/// Whether the current request is being recorded for the toolbar.
pub fn active() -> bool {
    DEBUG.try_with(|_| ()).is_ok()
}

/// Adds template render time to the current request (debug mode only).
pub fn note_render(took: Duration) {
    let _ = DEBUG.try_with(|d| {
        d.render_nanos
            .fetch_add(took.as_nanos() as u64, Ordering::Relaxed)
    });
}

/// Records who made the request (debug mode only).
pub fn note_user(auth: &Auth) {
    let _ = DEBUG.try_with(|d| {
        if let Auth::Session(u) = auth {
            d.staff.store(u.is_staff && u.is_active, Ordering::Relaxed);
        }
        let who = match auth {
            Auth::Session(u) => Some(format!("{} (id {}, session)", u.email, u.id)),
            Auth::Token { user, token_id } => {
                Some(format!("{} (id {}, token {token_id})", user.email, user.id))
            }
            Auth::BadToken => Some("invalid token".to_owned()),
            Auth::Anonymous => None,
        };
        *d.user.lock() = who;
    });
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// Adds `Server-Timing` and `X-Sql-Statements`, and the panel to an HTML body.
pub async fn finish(
    mut resp: Response,
    stats: &RequestStats,
    record: &DebugRecord,
    total: Duration,
    templates: Option<&Templates>,
) -> Response {
    let render = Duration::from_nanos(record.render_nanos.load(Ordering::Relaxed));
    let timing = format!(
        "db;desc=\"{} statements\";dur={}, render;dur={}, total;dur={}",
        stats.statements(),
        ms(stats.sql_time()),
        ms(render),
        ms(total)
    );
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&timing) {
        headers.insert("server-timing", v);
    }
    headers.insert("x-sql-statements", HeaderValue::from(stats.statements()));
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let staff = record.staff.load(Ordering::Relaxed);
    let Some(templates) = templates.filter(|_| is_html && staff) else {
        return resp;
    };
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = body.into_bytes().await else {
        return Response::from_parts(parts, poem::Body::empty());
    };
    let page = String::from_utf8_lossy(&bytes);
    let panel = panel(templates, &page, stats, record, render, total);
    let body = match page.rfind("</body>") {
        Some(at) => format!("{}{panel}{}", &page[..at], &page[at..]),
        None => format!("{page}{panel}"),
    };
    let mut resp = Response::from_parts(parts, poem::Body::from(body));
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp
}

fn panel(
    templates: &Templates,
    page: &str,
    stats: &RequestStats,
    record: &DebugRecord,
    render: Duration,
    total: Duration,
) -> String {
    let run = stats.statements_run();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for s in &run {
        *seen.entry(s.sql.as_str()).or_default() += 1;
    }
    let statements: Vec<_> = run
        .iter()
        .map(
            |s| context! { sql => s.sql.trim(), ms => ms(s.duration), dup => seen[s.sql.as_str()] },
        )
        .collect();
    // The panel speaks the page's language.
    let lang = page
        .find("<html lang=\"")
        .and_then(|i| page.get(i + 12..i + 14))
        .unwrap_or("ko");
    let ctx = context! {
        lang,
        statements,
        count => stats.statements().to_string(),
        sql_ms => ms(stats.sql_time()),
        render_ms => ms(render),
        total_ms => ms(total),
        user => record.user.lock().clone(),
    };
    templates
        .render_plain("_debug_toolbar.html", ctx)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "debug toolbar failed to render");
            String::new()
        })
}
