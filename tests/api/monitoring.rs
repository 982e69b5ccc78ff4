//! What operators alert on (issue 14 defect 4): every `hancup_*` metric named in the shipped
//! Prometheus rules (`deploy/alerts.yml`) and Grafana dashboard (`deploy/grafana-dashboard.json`)
//! exists in `/metrics`; overload 503s have their own route label; API routes carry their
//! OpenAPI template; with no backup the backup age is +Inf, so the age alert fires.

use std::collections::BTreeSet;

use crate::helpers::{spawn_app, spawn_with};

const ALERTS: &str = include_str!("../../deploy/alerts.yml");
const DASHBOARD: &str = include_str!("../../deploy/grafana-dashboard.json");

/// Every `hancup_…` identifier in `text`.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("hancup_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if !tail[..end].ends_with('_') {
            names.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}

/// Metric names in the text format, histogram series (`_bucket`, `_sum`, `_count`) included.
fn exported(metrics: &str) -> BTreeSet<String> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_metric_in_the_shipped_rules_and_dashboard_is_exported() {
    let app = spawn_app().await;
    app.get("/courses").await;
    app.get("/courses").await;
    let (_, metrics) = app.get_text("/metrics").await;
    let have = exported(&metrics);
    let dashboard: serde_json::Value = serde_json::from_str(DASHBOARD).expect("dashboard JSON");
    assert!(dashboard["panels"].as_array().unwrap().len() >= 10);
    let mut wanted = metric_names(ALERTS);
    wanted.extend(metric_names(DASHBOARD));
    assert!(wanted.len() >= 15, "{wanted:?}");
    let missing: Vec<_> = wanted.iter().filter(|n| !have.contains(*n)).collect();
    assert!(missing.is_empty(), "named but not exported: {missing:?}");
    // Without any backup the age is +Inf, so `hancup_backup_age_seconds > …` fires.
    let age = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hancup_backup_age_seconds "))
        .and_then(|v| v.parse::<f64>().ok());
    assert_eq!(age, Some(f64::INFINITY), "{metrics}");
}

#[tokio::test]
async fn overload_refusals_and_api_routes_are_labelled_by_what_they_are() {
    let app = spawn_with(|c| c.server.max_concurrent_requests = 1).await;
    let held = app.hold_a_request_slot().await;
    assert_eq!(app.get("/api/v1/questions/7").await.status(), 503);
    drop(held);
    let freed = std::time::Instant::now();
    while app.get("/api/v1/questions/7").await.status() == 503 {
        assert!(freed.elapsed() < std::time::Duration::from_secs(10));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (_, metrics) = app.get_text("/metrics").await;
    assert!(
        metrics.contains("route=\"overloaded\",status=\"503\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/api/v1/questions/{id}\""),
        "{metrics}"
    );
    assert!(!metrics.contains(":param0"), "{metrics}");
    for name in [
        "hancup_db_writer_lock_wait_seconds_count",
        "hancup_hash_pool_refused_total",
        "hancup_process_open_fds",
    ] {
        assert!(exported(&metrics).contains(name), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_errors_are_counted_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hancup"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    let server = cmd
        .current_dir(dir.path())
        .arg("serve")
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_DATABASE__BUSY_TIMEOUT_MS", "200")
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    /// Stops the server however the test ends.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
            let _ = self.0.wait();
        }
    }
    let _server = Stop(server);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Another process (an operator's sqlite3 shell) holds the write lock past the busy timeout.
    let other = rusqlite::Connection::open(dir.path().join("data/hancup.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let resp = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({
            "email": "busy@example.kr",
            "display_name": "바쁨",
            "password": "창업은 한 컵의 커피에서",
            "accept_terms": true,
            "accept_privacy": true,
            "age_14_or_older": true,
        }))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), 201, "the write met a locked database");
    other.execute_batch("ROLLBACK").unwrap();
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let busy = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hancup_db_errors_total{kind=\"busy\"} "))
        .and_then(|v| v.parse::<f64>().ok());
    assert!(busy.is_some_and(|n| n >= 1.0), "{metrics}");
}
