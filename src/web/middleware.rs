//! Request middleware shared by all surfaces: per-request SQL statistics, one log line per
//! request (method, path, status, duration, SQL count), the security headers, and in debug mode
//! a `Server-Timing` header browsers' dev tools show.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{header, HeaderValue};
use poem::{Endpoint, IntoResponse, Request, Response, Result};

use crate::db::stats::{RequestStats, CURRENT};

/// Page CSP: no inline script anywhere. The API docs page (Swagger UI, served from the binary)
/// needs its inline bootstrap script and styles.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CSP_DOCS: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        script-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'";

pub async fn observe<E: Endpoint>(
    next: E,
    req: Request,
    debug: bool,
    https: bool,
) -> Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let stats = Arc::new(RequestStats::default());
    let result = CURRENT.scope(stats.clone(), next.call(req)).await;
    let mut resp = match result {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let elapsed = started.elapsed();
    tracing::info!(
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        ms = elapsed.as_secs_f64() * 1000.0,
        sql = stats.statements(),
        "request"
    );
    let headers = resp.headers_mut();
    let csp = if path == "/api/docs" || path.starts_with("/api/docs/") {
        CSP_DOCS
    } else {
        CSP
    };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
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
    if debug {
        let timing = format!(
            "db;desc=\"{} statements\";dur={:.3}, total;dur={:.3}",
            stats.statements(),
            stats.sql_time().as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0
        );
        if let Ok(v) = HeaderValue::from_str(&timing) {
            headers.insert("server-timing", v);
        }
        if let Ok(v) = HeaderValue::from_str(&stats.statements().to_string()) {
            headers.insert("x-sql-statements", v);
        }
    }
    Ok(resp)
}

/// Refuses request bodies over `max` bytes with 413 before any handler reads them: by
/// `Content-Length` when sent, else by reading at most `max` bytes of a chunked body.
pub async fn limit_body<E: Endpoint>(next: E, mut req: Request, max: usize) -> Result<Response> {
    let too_large = || {
        Response::builder()
            .status(poem::http::StatusCode::PAYLOAD_TOO_LARGE)
            .content_type("application/json; charset=utf-8")
            .body(format!(
                "{{\"detail\": \"Request body is larger than {max} bytes.\"}}"
            ))
    };
    let declared = req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(len) if len > max as u64 => return Ok(too_large()),
        Some(_) => {}
        None if req.header(header::TRANSFER_ENCODING).is_some() => {
            match req.take_body().into_bytes_limit(max).await {
                Ok(bytes) => req.set_body(bytes),
                Err(_) => return Ok(too_large()),
            }
        }
        None => {}
    }
    next.call(req).await.map(IntoResponse::into_response)
}
