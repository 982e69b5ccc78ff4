//! Request middleware shared by all surfaces: the request id and its log span, the request body
//! (read whole, within its size limit and deadline, *before* the request takes a slot, so a slow
//! upload cannot hold one), the bound on concurrent requests, per-request SQL statistics, one log line per request (a `warn` line when
//! slower than `log.slow_request_ms`), the metrics, the security headers, and in debug mode the
//! debug toolbar with its `Server-Timing` header.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::http::{header, HeaderValue, StatusCode};
use poem::PathPattern;
use poem::{Endpoint, IntoResponse, Request, Response, Result};
use tracing::Instrument;

use crate::db::stats::{RequestStats, CURRENT};
use crate::web::overload::{self, Limiter};
use crate::web::toolbar::{self, DebugRecord, DEBUG};
use crate::web::{request_id, AppState};

/// Page CSP: no inline script anywhere. The API docs page (Swagger UI, served from the binary)
/// loads its scripts from files too, but Swagger UI sets inline styles.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CSP_DOCS: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        script-src 'self'; object-src 'none'; frame-ancestors 'none'";

/// The page CSP plus `frame-src` naming exactly `origins`: for the one page that embeds video
/// players (the lesson page). Every other page frames nothing beyond `default-src 'self'`.
pub fn csp_framing(origins: &[String]) -> String {
    format!("{CSP}; frame-src {}", origins.join(" "))
}

/// The page CSP with `form-action` also allowing `origins`: for pages whose forms redirect to a
/// sign-in provider (Chromium checks a form's redirects against the page's `form-action`).
pub fn csp_form_targets(origins: &[String]) -> String {
    CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {}", origins.join(" ")),
    )
}

/// Paths that answer even when the server is at its concurrency bound, so operators can still
/// see what is happening.
fn exempt_from_bound(path: &str) -> bool {
    path == "/healthz" || path == "/readyz" || path == "/metrics"
}

/// How request bodies are read: the size limits (admin uploads may be larger) and the deadline
/// for the whole body (`server.body_timeout_seconds`).
#[derive(Clone, Copy, Debug)]
pub struct BodyRules {
    pub max: usize,
    pub max_admin: usize,
    pub deadline: Option<Duration>,
}

pub async fn observe<E: Endpoint>(
    next: E,
    req: Request,
    state: AppState,
    limiter: Limiter,
    bodies: BodyRules,
) -> Result<Response> {
    let started = Instant::now();
    let id = request_id::of(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", id = %id);
    let debug = state.config.server.debug;
    let _in_flight = state.metrics.in_flight();
    let limit = if path.starts_with("/admin/") {
        bodies.max_admin
    } else {
        bodies.max
    };
    let read = read_body(req, limit, bodies.deadline).await;
    let permit = match &read {
        Ok(_) if !exempt_from_bound(&path) => limiter.admit(),
        _ => Ok(None),
    };
    let stats = Arc::new(if debug {
        RequestStats::capturing()
    } else {
        RequestStats::default()
    });
    let mut record = None;
    let mut resp = match (read, permit) {
        (Err(mut refused), _) => {
            refused.set_data(PathPattern("refused_body".into()));
            refused
        }
        (Ok(_), Err(overload::Full)) => {
            state.metrics.overloaded();
            let mut busy = overload::busy();
            busy.set_data(PathPattern("overloaded".into()));
            busy
        }
        (Ok(req), Ok(_permit)) => {
            let call = CURRENT.scope(stats.clone(), next.call(req));
            let result = if debug {
                let r = Arc::new(DebugRecord::default());
                record = Some(r.clone());
                DEBUG.scope(r, call).instrument(span.clone()).await
            } else {
                call.instrument(span.clone()).await
            };
            match result {
                Ok(r) => r.into_response(),
                Err(e) => {
                    let pattern = e.data::<PathPattern>().cloned();
                    let mut r = e.into_response();
                    if let Some(p) = pattern {
                        r.set_data(p);
                    }
                    r
                }
            }
        }
    };
    let elapsed = started.elapsed();
    let status = resp.status();
    let route = resp
        .data::<PathPattern>()
        .map(|p| p.0.clone())
        .unwrap_or_else(|| "unmatched".into());
    state.metrics.request(
        &route,
        &method,
        status,
        elapsed,
        stats.statements(),
        stats.sql_time(),
    );
    log_request(
        &state,
        &span,
        &method,
        &crate::web::routes::redact(&path),
        status.as_u16(),
        elapsed,
        &stats,
    );
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(request_id::HEADER, v);
    }
    security_headers(headers, &path, state.config.server.is_https());
    if let Some(record) = record {
        resp = toolbar::finish(resp, &stats, &record, elapsed, Some(&state.templates)).await;
    }
    Ok(resp)
}

fn log_request(
    state: &AppState,
    span: &tracing::Span,
    method: &poem::http::Method,
    path: &str,
    status: u16,
    elapsed: Duration,
    stats: &RequestStats,
) {
    let ms = elapsed.as_secs_f64() * 1000.0;
    let sql_ms = stats.sql_time().as_secs_f64() * 1000.0;
    let slow_ms = state.config.log.slow_request_ms;
    span.in_scope(|| {
        if slow_ms > 0 && elapsed >= Duration::from_millis(slow_ms) {
            tracing::warn!(method = %method, path, status, ms, sql = stats.statements(), sql_ms, "slow request");
        } else {
            tracing::info!(method = %method, path, status, ms, sql = stats.statements(), "request");
        }
    });
}

fn security_headers(headers: &mut poem::http::HeaderMap, path: &str, https: bool) {
    let csp = if path == "/api/docs" || path.starts_with("/api/docs/") {
        CSP_DOCS
    } else {
        CSP
    };
    // A handler that chose its own policy (`csp_framing`) keeps it.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(csp));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

/// Reads the whole request body into memory, refusing it with 413 over `max` bytes (by
/// `Content-Length` before reading, else while reading) and with 408 when it has not arrived
/// within `deadline`; the connection is closed after a refusal, since the rest of the body
/// may still be on its way.
pub async fn read_body(
    mut req: Request,
    max: usize,
    deadline: Option<Duration>,
) -> std::result::Result<Request, Response> {
    let refuse = |status: StatusCode, detail: String| {
        Response::builder()
            .status(status)
            .header(header::CONNECTION, "close")
            .content_type("application/json; charset=utf-8")
            .body(serde_json::json!({ "detail": detail }).to_string())
    };
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body is larger than {max} bytes."),
        )
    };
    let declared = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(len) if len > max as u64 => return Err(too_large()),
        Some(0) => return Ok(req),
        Some(_) => {}
        None if req.header(header::TRANSFER_ENCODING).is_some() => {}
        None => return Ok(req),
    }
    let read = req.take_body().into_bytes_limit(max);
    let read = match deadline {
        Some(d) => match tokio::time::timeout(d, read).await {
            Ok(r) => r,
            Err(_) => {
                return Err(refuse(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "The request body did not arrive within {} seconds.",
                        d.as_secs()
                    ),
                ))
            }
        },
        None => read.await,
    };
    match read {
        Ok(bytes) => {
            req.set_body(bytes);
            Ok(req)
        }
        Err(poem::error::ReadBodyError::PayloadTooLarge) => Err(too_large()),
        Err(e) => Err(refuse(
            StatusCode::BAD_REQUEST,
            format!("The request body could not be read: {e}."),
        )),
    }
}
