//! Prometheus metrics at `/metrics` (text format): requests by route *pattern* (never a raw id
//! or slug; API operations by their OpenAPI path template; `overloaded` and `refused_body` for
//! the middleware's own refusals), method and status; latency; requests in flight and refused
//! for overload; SQL statements and time; the pool, the writer-lock wait and the WAL size; the
//! hashing pool; cache lookups; process memory, open files and the runtime's busy time; sign-ups
//! and logins; the newest backup; the build. One
//! registry per application state, so tests running several apps in one process never mix
//! counts. The endpoint takes `Authorization: Bearer <metrics.token>`, or with no token set only
//! a direct loopback client (no proxy header).

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use poem::http::{header, Method, StatusCode};
use poem::web::Data;
use poem::{handler, IntoResponse, Request, Response};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::web::AppState;

/// Every metric hancup exports.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    overloaded: IntCounter,
    sql_statements: IntCounter,
    sql_seconds: prometheus::Counter,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    heavy_reads: IntGauge,
    signups: IntCounter,
    logins: IntCounterVec,
    backup_timestamp: Gauge,
    backup_age: Gauge,
    backup_bytes: IntGauge,
    enrollments: IntGauge,
    wal_bytes: IntGauge,
    rss_bytes: IntGauge,
    open_fds: IntGauge,
    runtime_workers: IntGauge,
    runtime_busy: prometheus::Counter,
    hash_running: IntGauge,
    hash_waiting: IntGauge,
    hash_refused: IntCounter,
    cache_lookups: IntCounterVec,
    db_errors: IntCounterVec,
    /// API route patterns (`/api/v1/answers/:param0`) → their OpenAPI template (`{id}`).
    templates: parking_lot::RwLock<HashMap<String, String>>,
    /// Account totals already added to the counters (sign-ups, ok, failed).
    synced: Mutex<(u64, u64, u64)>,
    /// Totals already added: hashing refusals, cache hits, misses, runtime busy seconds.
    synced_more: Mutex<(u64, u64, u64, f64)>,
    pub started: SystemTime,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, metric: T) -> T {
    r.register(Box::new(metric.clone()))
        .expect("metric names are unique constants");
    metric
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new_custom(Some("hancup".into()), None).expect("valid prefix");
        let requests = register(
            &r,
            IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "HTTP requests by route pattern, method and status.",
                ),
                &["route", "method", "status"],
            )
            .unwrap(),
        );
        let latency = register(
            &r,
            HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time to answer, by route pattern.",
                )
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
                &["route"],
            )
            .unwrap(),
        );
        let gauge = |name: &str, help: &str| register(&r, IntGauge::new(name, help).unwrap());
        let counter = |name: &str, help: &str| register(&r, IntCounter::new(name, help).unwrap());
        let m = Metrics {
            requests,
            latency,
            in_flight: gauge("http_requests_in_flight", "Requests being answered now."),
            overloaded: counter(
                "http_requests_overloaded_total",
                "Requests refused with 503 because server.max_concurrent_requests were in flight.",
            ),
            sql_statements: counter("sql_statements_total", "SQL statements run for requests."),
            sql_seconds: register(
                &r,
                prometheus::Counter::new("sql_seconds_total", "Time spent in SQL for requests.")
                    .unwrap(),
            ),
            pool_connections: gauge("db_pool_connections", "Open pooled SQLite connections."),
            pool_idle: gauge("db_pool_idle_connections", "Pooled connections not in use."),
            pool_max: gauge("db_pool_max_connections", "database.pool_size."),
            heavy_reads: gauge(
                "db_heavy_reads_running",
                "Heavy reads (admin lists, exports, searches, scrapes) running now; at most database.heavy_reads.",
            ),
            signups: counter("signups_total", "Accounts created."),
            logins: register(
                &r,
                IntCounterVec::new(
                    Opts::new("logins_total", "Login attempts by result (ok, failed)."),
                    &["result"],
                )
                .unwrap(),
            ),
            backup_timestamp: register(
                &r,
                Gauge::new(
                    "backup_last_timestamp_seconds",
                    "Unix time of the newest backup in backup.dir (0: none).",
                )
                .unwrap(),
            ),
            backup_age: register(
                &r,
                Gauge::new(
                    "backup_age_seconds",
                    "Age of the newest backup (+Inf: none, so an age alert fires).",
                )
                .unwrap(),
            ),
            backup_bytes: gauge("backup_last_size_bytes", "Size of the newest backup."),
            enrollments: gauge(
                "enrollments",
                "Enrollments in all courses (the sum of the maintained per-course counters).",
            ),
            wal_bytes: gauge("db_wal_size_bytes", "Size of the database's -wal file."),
            rss_bytes: gauge(
                "process_resident_memory_bytes",
                "Resident memory of the process (includes mapped database pages).",
            ),
            open_fds: gauge("process_open_fds", "Open file descriptors."),
            runtime_workers: gauge("runtime_workers", "Async runtime worker threads."),
            runtime_busy: register(
                &r,
                prometheus::Counter::new(
                    "runtime_worker_busy_seconds_total",
                    "Time the async runtime's workers spent running tasks, summed over workers.",
                )
                .unwrap(),
            ),
            hash_running: gauge("hash_pool_running", "Password hashes running now."),
            hash_waiting: gauge(
                "hash_pool_waiting",
                "Logins and sign-ups waiting for a hashing thread now.",
            ),
            hash_refused: counter(
                "hash_pool_refused_total",
                "Hashing requests refused (503) after auth.hash_wait_ms without a free thread.",
            ),
            cache_lookups: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "cache_lookups_total",
                        "Response cache lookups by result (hit, miss).",
                    ),
                    &["result"],
                )
                .unwrap(),
            ),
            db_errors: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "db_errors_total",
                        "Errors SQLite reported, by kind (busy, locked, constraint, io, corrupt, \
                         full, readonly, other); counted for the whole process.",
                    ),
                    &["kind"],
                )
                .unwrap(),
            ),
            templates: parking_lot::RwLock::new(HashMap::new()),
            synced: Mutex::new((0, 0, 0)),
            synced_more: Mutex::new((0, 0, 0, 0.0)),
            started: SystemTime::now(),
            registry: r,
        };
        let build = register(
            &m.registry,
            IntGaugeVec::new(
                Opts::new("build_info", "The running build (value is always 1)."),
                &["version"],
            )
            .unwrap(),
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let start = register(
            &m.registry,
            Gauge::new(
                "process_start_time_seconds",
                "Unix time the process started.",
            )
            .unwrap(),
        );
        start.set(unix_seconds(m.started));
        m
    }

    /// Exports the database's writer-lock wait histogram.
    pub fn watch_writer_lock(&self, waits: prometheus::Histogram) {
        let _ = self.registry.register(Box::new(waits));
    }

    /// Learns the API's path templates from its OpenAPI document, so API routes are labelled
    /// `/api/v1/answers/{id}` rather than the router's `/api/v1/answers/:param0`.
    pub fn name_routes(&self, openapi: &str) {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(openapi) else {
            return;
        };
        let Some(paths) = doc["paths"].as_object() else {
            return;
        };
        let mut templates = self.templates.write();
        for template in paths.keys().filter(|p| p.contains('{')) {
            templates.insert(router_pattern(template), template.clone());
        }
    }

    /// Counts a request now in flight until the guard drops.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    pub fn overloaded(&self) {
        self.overloaded.inc();
    }

    /// Records one answered request. `route` is the matched pattern (`/courses/:slug`).
    pub fn request(
        &self,
        route: &str,
        method: &Method,
        status: StatusCode,
        took: Duration,
        statements: u64,
        sql: Duration,
    ) {
        let method = match *method {
            Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::OPTIONS => method.as_str(),
            _ => "OTHER",
        };
        let templates = self.templates.read();
        let route = templates.get(route).map_or(route, String::as_str);
        self.requests
            .with_label_values(&[route, method, status.as_str()])
            .inc();
        self.latency
            .with_label_values(&[route])
            .observe(took.as_secs_f64());
        if statements > 0 {
            self.sql_statements.inc_by(statements);
            self.sql_seconds.inc_by(sql.as_secs_f64());
        }
    }

    /// Brings the gauges read from elsewhere up to date and renders the text format; `conn`
    /// is the scrape's connection (a heavy read, `Db::read_heavy_blocking`).
    pub fn render(&self, state: &AppState, conn: &rusqlite::Connection) -> String {
        let (connections, idle) = state.db.pool_state();
        self.pool_connections.set(connections as i64);
        self.pool_idle.set(idle as i64);
        self.pool_max.set(state.config.database.pool_size as i64);
        self.heavy_reads.set(state.db.heavy_reads_running() as i64);
        {
            // Account events are plain atomics in the domain; add what is new since last time.
            let mut synced = self.synced.lock();
            let (signups, ok, failed) = state.accounts.events.totals();
            self.signups.inc_by(signups - synced.0);
            self.logins.with_label_values(&["ok"]).inc_by(ok - synced.1);
            self.logins
                .with_label_values(&["failed"])
                .inc_by(failed - synced.2);
            *synced = (signups, ok, failed);
        }
        let enrolled: rusqlite::Result<i64> = conn.query_row(
            "SELECT COALESCE(SUM(enrollment_count), 0) FROM courses",
            [],
            |r| r.get(0),
        );
        if let Ok(n) = enrolled {
            self.enrollments.set(n);
        }
        match crate::ops::backup::newest(&state.config.backup.dir) {
            Some(b) => {
                self.backup_timestamp.set(unix_seconds(b.modified));
                self.backup_age.set(
                    SystemTime::now()
                        .duration_since(b.modified)
                        .unwrap_or_default()
                        .as_secs_f64(),
                );
                self.backup_bytes.set(b.bytes as i64);
            }
            None => {
                self.backup_timestamp.set(0.0);
                self.backup_age.set(f64::INFINITY);
                self.backup_bytes.set(0);
            }
        }
        self.render_resources(state);
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding of valid metrics");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

impl Metrics {
    /// The gauges read from the process, the runtime, the hashing pool and the cache.
    fn render_resources(&self, state: &AppState) {
        let wal = crate::ops::backup::with_suffix(&state.config.database.path, "-wal");
        self.wal_bytes
            .set(std::fs::metadata(wal).map_or(0, |m| m.len() as i64));
        if let Some(rss) = resident_bytes() {
            self.rss_bytes.set(rss as i64);
        }
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(fds.count() as i64);
        }
        let (running, waiting, refused) = state.accounts.hashes.load();
        self.hash_running.set(running as i64);
        self.hash_waiting.set(waiting as i64);
        let (hits, misses) = state.cache.hits_and_misses();
        let busy = tokio::runtime::Handle::try_current().ok().map(|h| {
            let m = h.metrics();
            self.runtime_workers.set(m.num_workers() as i64);
            (0..m.num_workers())
                .map(|w| m.worker_total_busy_duration(w).as_secs_f64())
                .sum::<f64>()
        });
        for (kind, n) in crate::db::errors::counts() {
            // Process-wide totals: set the counter to them (they only grow).
            let counter = self.db_errors.with_label_values(&[kind]);
            counter.inc_by(n.saturating_sub(counter.get()));
        }
        let mut synced = self.synced_more.lock();
        self.hash_refused
            .inc_by((refused as u64).saturating_sub(synced.0));
        self.cache_lookups
            .with_label_values(&["hit"])
            .inc_by(hits.saturating_sub(synced.1));
        self.cache_lookups
            .with_label_values(&["miss"])
            .inc_by(misses.saturating_sub(synced.2));
        let busy = busy.unwrap_or(synced.3).max(synced.3);
        self.runtime_busy.inc_by(busy - synced.3);
        *synced = (refused as u64, hits, misses, busy);
    }
}

/// The router's form of an OpenAPI path: each `{name}` becomes `:param0`, `:param1`, …
fn router_pattern(template: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    for part in template.split_inclusive(['{', '}']) {
        if let Some(prefix) = part.strip_suffix('{') {
            out.push_str(prefix);
        } else if part.ends_with('}') {
            out.push_str(&format!(":param{n}"));
            n += 1;
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Resident set size from /proc (Linux), in bytes.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(4096) as u64)
}

/// Decrements the in-flight gauge when the request is answered (or dropped).
pub struct InFlight<'a>(&'a IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// Whether this request may read the metrics: the configured bearer token, or with none set, a
/// direct loopback client (a proxy on the same machine adds a forwarding header — `X-Forwarded-For`,
/// `Forwarded` or `X-Real-IP` — and is refused).
fn allowed(req: &Request, token: &str) -> bool {
    if !token.is_empty() {
        let sent = req
            .header(header::AUTHORIZATION)
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        return subtle::ConstantTimeEq::ct_eq(sent.trim().as_bytes(), token.as_bytes()).into();
    }
    let loopback = req
        .remote_addr()
        .as_socket_addr()
        .is_some_and(|a| a.ip().is_loopback());
    // Any forwarding header means a proxy relayed it, whatever the socket's address says.
    let proxied = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req.header(h).is_some());
    loopback && !proxied
}

#[handler]
pub async fn metrics(req: &Request, state: Data<&AppState>) -> Response {
    if !allowed(req, &state.config.metrics.token) {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")
            .content_type("text/plain; charset=utf-8")
            .body("metrics need Authorization: Bearer <metrics.token>, or a loopback client\n");
    }
    // A scrape reads the database, the WAL's size and the backups directory, and encodes every
    // series: a heavy read, off the async workers.
    let st = state.0.clone();
    let rendered = state
        .db
        .read_heavy_blocking(move |c| Ok::<_, crate::db::DbError>(st.metrics.render(&st, c)))
        .await;
    let body = match rendered {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "metrics scrape failed");
            return Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .finish();
        }
    };
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .into_response()
}
