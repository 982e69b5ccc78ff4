//! What operators see of a running server: `/metrics` moving with traffic (by route pattern,
//! never a raw slug) and its protection, the request id, the debug toolbar and `Server-Timing`
//! only in debug mode, and the overload bound answering 503 at once.

use std::time::{Duration, Instant};

use crate::helpers::{small_catalog, spawn_app, spawn_with, TestApp};

/// The value of the first metric line whose name and labels contain every `part`.
fn metric(text: &str, name: &str, parts: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let (status, text) = app.get_text("/metrics").await;
    assert_eq!(status, 200, "{text}");
    text
}

#[tokio::test]
async fn metrics_move_with_traffic_by_route_pattern() {
    let app = spawn_app().await;
    small_catalog(&app);
    for _ in 0..2 {
        assert_eq!(app.get("/courses/growth-marketing").await.status(), 200);
    }
    assert_eq!(app.get("/api/v1/courses").await.status(), 200);
    assert_eq!(app.get("/no/such/page").await.status(), 404);
    app.register("metrics@example.kr", "지표", "충분히 긴 비밀번호 2026")
        .await;
    let (status, _, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "metrics@example.kr", "password": "wrong password!!"}),
        )
        .await;
    assert_eq!(status, 400);

    let text = scrape(&app).await;
    let detail = [
        "route=\"/courses/:slug\"",
        "method=\"GET\"",
        "status=\"200\"",
    ];
    assert_eq!(
        metric(&text, "hancup_http_requests_total", &detail),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "hancup_http_requests_total",
            &["route=\"unmatched\"", "status=\"404\""]
        ),
        Some(1.0)
    );
    assert!(
        metric(
            &text,
            "hancup_http_requests_total",
            &["route=\"/api/v1/courses\""]
        )
        .is_some(),
        "API routes are labelled by their pattern: {text}"
    );
    assert!(!text.contains("growth-marketing"), "no raw slug in labels");
    assert!(!text.contains("/no/such/page"), "no raw path in labels");
    assert!(
        metric(
            &text,
            "hancup_http_request_duration_seconds_count",
            &["route=\"/courses/:slug\""]
        ) == Some(2.0)
    );
    assert!(metric(&text, "hancup_sql_statements_total", &[]).unwrap() > 0.0);
    assert!(metric(&text, "hancup_sql_seconds_total", &[]).unwrap() > 0.0);
    assert_eq!(metric(&text, "hancup_signups_total", &[]), Some(1.0));
    assert_eq!(
        metric(&text, "hancup_logins_total", &["result=\"failed\""]),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "hancup_logins_total", &["result=\"ok\""]),
        Some(0.0)
    );
    assert_eq!(
        metric(&text, "hancup_http_requests_in_flight", &[]),
        Some(1.0),
        "the scrape itself"
    );
    assert!(metric(&text, "hancup_db_pool_connections", &[]).unwrap() >= 1.0);
    assert_eq!(
        metric(&text, "hancup_backup_age_seconds", &[]),
        Some(f64::INFINITY),
        "no backup: +Inf, so an age alert fires"
    );
    assert_eq!(
        metric(&text, "hancup_enrollments", &[]),
        Some(3.0),
        "the small catalog's three enrollments"
    );
    assert_eq!(
        metric(&text, "hancup_build_info", &[env!("CARGO_PKG_VERSION")]),
        Some(1.0)
    );

    // Counters only grow, and account events are not counted twice across scrapes.
    app.get("/courses/growth-marketing").await;
    let again = scrape(&app).await;
    assert_eq!(
        metric(&again, "hancup_http_requests_total", &detail),
        Some(3.0)
    );
    assert_eq!(metric(&again, "hancup_signups_total", &[]), Some(1.0));
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set_and_refuse_proxied_requests_without() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "a local proxy must not expose metrics");

    let token = "metrics-token-0123456789";
    let app = spawn_with(|c| c.metrics.token = token.into()).await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let (status, _, _) = app
        .get_auth("/metrics", "Bearer wrong-token-0123456789")
        .await;
    assert_eq!(status, 401);
    let resp = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("hancup_http_requests_total"));
}

#[tokio::test]
async fn request_ids_are_kept_when_valid_and_generated_otherwise() {
    let app = spawn_app().await;
    let id = |resp: &reqwest::Response| resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-7f3a-42")
        .send()
        .await
        .unwrap();
    assert_eq!(id(&resp), "lb-7f3a-42");
    let long = "x".repeat(129);
    for bad in ["two words", long.as_str()] {
        let resp = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let got = id(&resp);
        assert_eq!(got.len(), 32, "{bad:?} replaced by a generated id");
    }
    let (a, b) = (app.get("/healthz").await, app.get("/healthz").await);
    assert_ne!(id(&a), id(&b));
}

#[tokio::test]
async fn debug_mode_adds_the_toolbar_and_server_timing() {
    let app = spawn_app().await; // test apps run with server.debug = true
    small_catalog(&app);
    let token = app
        .register("debug@example.kr", "디버그", "충분히 긴 비밀번호 2026")
        .await;
    let resp = app
        .client
        .get(app.url("/courses"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let timing = resp.headers()["server-timing"].to_str().unwrap().to_owned();
    for part in ["db;", "render;dur=", "total;dur="] {
        assert!(timing.contains(part), "{timing}");
    }
    let html = resp.text().await.unwrap();
    assert!(html.contains("<details class=\"debug-toolbar\""), "{html}");
    let panel = &html[html.find("debug-toolbar").unwrap()..];
    assert!(panel.contains("SELECT"), "statements listed: {panel}");
    assert!(panel.contains("debug@example.kr"), "the request's user");
    assert!(panel.find("</details>").unwrap() < panel.find("</body>").unwrap());
    assert!(!html.contains("style=\""), "no inline style (CSP)");

    // JSON stays JSON; only the headers carry the timing.
    let resp = app.get("/api/v1/courses").await;
    assert!(resp.headers().contains_key("server-timing"));
    let body = resp.text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
    assert!(!body.contains("debug-toolbar"));
}

#[tokio::test]
async fn without_debug_nothing_of_the_toolbar_is_sent() {
    let app = spawn_with(|c| c.server.debug = false).await;
    small_catalog(&app);
    for path in [
        "/",
        "/courses",
        "/courses/growth-marketing",
        "/api/v1/courses",
    ] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert!(!resp.headers().contains_key("server-timing"), "{path}");
        assert!(!resp.headers().contains_key("x-sql-statements"), "{path}");
        assert!(resp.headers().contains_key("x-request-id"), "{path}");
        let body = resp.text().await.unwrap();
        assert!(!body.contains("debug-toolbar"), "{path}");
    }
}

#[tokio::test]
async fn past_the_concurrency_bound_requests_get_503_at_once() {
    let app = spawn_with(|c| c.server.max_concurrent_requests = 1).await;
    let slow = app.hold_a_request_slot().await;

    let started = Instant::now();
    let resp = app.get("/api/v1/courses").await;
    assert_eq!(resp.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once, not queued"
    );
    assert_eq!(resp.headers()["retry-after"], "1");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("busy"));
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "health stays visible"
    );
    let text = scrape(&app).await;
    assert_eq!(
        metric(&text, "hancup_http_requests_overloaded_total", &[]),
        Some(1.0)
    );

    drop(slow);
    // The held request (a registration) finishes once the writer lock is free.
    let freed = Instant::now();
    while app.get("/api/v1/courses").await.status() != 200 {
        assert!(
            freed.elapsed() < Duration::from_secs(10),
            "the slot came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
