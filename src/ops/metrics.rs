//! Prometheus metrics at `/metrics` (text format): requests by route *pattern* (never a raw id
//! or slug), method and status; latency; requests in flight and refused for overload; SQL
//! statements and time; the pool; sign-ups and logins; the newest backup; the build. One
//! registry per application state, so tests running several apps in one process never mix
//! counts. The endpoint takes `Authorization: Bearer <metrics.token>`, or with no token set only
//! a direct loopback client (no proxy header).

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
    signups: IntCounter,
    logins: IntCounterVec,
    backup_timestamp: Gauge,
    backup_age: Gauge,
    backup_bytes: IntGauge,
    enrollments: IntGauge,
    /// Account totals already added to the counters (sign-ups, ok, failed).
    synced: Mutex<(u64, u64, u64)>,
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
                Gauge::new("backup_age_seconds", "Age of the newest backup (-1: none).").unwrap(),
            ),
            backup_bytes: gauge("backup_last_size_bytes", "Size of the newest backup."),
            enrollments: gauge(
                "enrollments",
                "Enrollments in all courses (the sum of the maintained per-course counters).",
            ),
            synced: Mutex::new((0, 0, 0)),
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

    /// Brings the gauges read from elsewhere up to date and renders the text format.
    pub fn render(&self, state: &AppState) -> String {
        let (connections, idle) = state.db.pool_state();
        self.pool_connections.set(connections as i64);
        self.pool_idle.set(idle as i64);
        self.pool_max.set(state.config.database.pool_size as i64);
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
        let enrolled = state.db.read(|c| -> Result<i64, crate::db::DbError> {
            Ok(c.query_row(
                "SELECT COALESCE(SUM(enrollment_count), 0) FROM courses",
                [],
                |r| r.get(0),
            )?)
        });
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
                self.backup_age.set(-1.0);
                self.backup_bytes.set(0);
            }
        }
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding of valid metrics");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
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
/// direct loopback client (a proxy on the same machine adds a forwarding header and is refused).
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
    let proxied = req.header("x-forwarded-for").is_some() || req.header("forwarded").is_some();
    loopback && !proxied
}

#[handler]
pub fn metrics(req: &Request, state: Data<&AppState>) -> Response {
    if !allowed(req, &state.config.metrics.token) {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")
            .content_type("text/plain; charset=utf-8")
            .body("metrics need Authorization: Bearer <metrics.token>, or a loopback client\n");
    }
    let body = state.metrics.render(&state);
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .into_response()
}
