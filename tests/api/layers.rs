//! What the layers in front of the handlers answer, on *every* operation of the OpenAPI
//! document (read from the document itself, so a new operation is covered without listing it):
//! 401 for an unknown token, 403 for a session write without its CSRF header, 413 and 415 for
//! a body too large or not JSON, 503 when the server is full — each with the documented JSON
//! shape, and each counted in `/metrics` under the operation's route. These are the statuses
//! `tests/fuzz/reached-elsewhere.tsv` points to: the fuzzer cannot provoke them all.

use reqwest::Method;
use serde_json::{json, Value};

use crate::browser::{page, signup};
use crate::helpers::{small_catalog, spawn_app, spawn_with};

struct Operation {
    method: Method,
    /// The document's path, `/api/v1/questions/{id}`.
    route: String,
    /// A concrete path: slugs, ids and positions of the small catalog.
    path: String,
    /// A body the operation can read (its required properties filled), if it takes one.
    body: Option<Value>,
    protected: bool,
}

/// The smallest JSON the request schema accepts: each required property with a value of its type.
fn readable_body(spec: &Value, op: &Value) -> Option<Value> {
    let schema = &op["requestBody"]["content"]["application/json; charset=utf-8"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    };
    let mut body = serde_json::Map::new();
    for name in schema["required"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap();
        let value = match schema["properties"][name]["type"].as_str() {
            Some("integer") | Some("number") => json!(1),
            Some("array") => json!([]),
            Some("boolean") => json!(false),
            _ => json!("x"),
        };
        body.insert(name.to_owned(), value);
    }
    op.get("requestBody").map(|_| Value::Object(body))
}

fn operations() -> Vec<Operation> {
    let spec: Value = serde_json::from_str(&hancup::api::spec_json()).unwrap();
    let mut ops = Vec::new();
    for (route, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let path = route
                .replace("{slug}", "growth-marketing")
                .replace("{provider}", "kakao")
                .replace("{code}", "0123456789abcdef0123456789abcdef")
                .replace(['{', '}'], "")
                .replace("position", "1")
                .replace("/id", "/1");
            assert!(
                !path.contains('{'),
                "a parameter this test cannot fill: {route}"
            );
            ops.push(Operation {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                route: route.clone(),
                path,
                body: readable_body(&spec, op),
                protected: op.get("security").is_some(),
            });
        }
    }
    assert!(ops.len() >= 40, "the document lists the operations");
    ops
}

async fn detail_of(resp: reqwest::Response) -> String {
    let body: Value = resp.json().await.expect("a JSON answer");
    body["detail"].as_str().expect("{\"detail\": …}").to_owned()
}

#[tokio::test]
async fn every_operation_refuses_an_unknown_token_under_its_own_route() {
    let app = spawn_app().await;
    small_catalog(&app);
    let ops = operations();
    for op in &ops {
        let mut req = app
            .client
            .request(op.method.clone(), app.url(&op.path))
            .bearer_auth("0123456789abcdef0123456789abcdef01234567");
        if let Some(body) = &op.body {
            req = req.json(body);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{} {}", op.method, op.route);
        assert!(resp.headers().contains_key("www-authenticate"));
        assert_eq!(detail_of(resp).await, "Invalid token.");
    }
    let (_, metrics) = app.get_text("/metrics").await;
    for op in &ops {
        let labels = format!(
            "method=\"{}\",route=\"{}\",status=\"401\"",
            op.method, op.route
        );
        assert!(
            metrics.contains(&labels),
            "the refusal is counted under the operation's route: {labels}"
        );
    }
}

#[tokio::test]
async fn unreadable_input_is_answered_and_counted_under_its_route() {
    let app = spawn_app().await;
    let resp = app.get("/api/v1/questions/not-a-number").await;
    assert_eq!(resp.status(), 400);
    assert!(detail_of(resp).await.starts_with("Invalid path parameter"));
    let (status, body) = app.get_json("/api/v1/courses?page=two").await;
    assert_eq!(status, 400);
    assert!(
        body["page"].is_array(),
        "a field error names the parameter: {body}"
    );
    let (_, metrics) = app.get_text("/metrics").await;
    for labels in [
        "method=\"GET\",route=\"/api/v1/questions/{id}\",status=\"400\"",
        "method=\"GET\",route=\"/api/v1/courses\",status=\"400\"",
    ] {
        assert!(metrics.contains(labels), "{labels} in {metrics}");
    }
}

#[tokio::test]
async fn every_operation_with_a_body_answers_413_over_the_limit_and_415_for_other_media() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (_, token) = app.user_with_token("body@example.kr", "본문");
    let limit = app.state.config.server.max_body_bytes as usize;
    let mut checked = 0;
    for op in operations().iter().filter(|op| op.body.is_some()) {
        let send = |content_type: &'static str, body: Vec<u8>| {
            app.client
                .request(op.method.clone(), app.url(&op.path))
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(body)
                .send()
        };
        let resp = send("application/json", vec![b' '; limit + 1])
            .await
            .unwrap();
        assert_eq!(resp.status(), 413, "{} {}", op.method, op.route);
        assert!(detail_of(resp).await.contains("large"));
        let resp = send("text/plain", b"{}".to_vec()).await.unwrap();
        assert_eq!(resp.status(), 415, "{} {}", op.method, op.route);
        detail_of(resp).await;
        checked += 1;
    }
    assert!(checked >= 15, "{checked} operations with a body");
}

#[tokio::test]
async fn every_session_write_without_its_csrf_header_is_refused() {
    let app = spawn_app().await;
    small_catalog(&app);
    let browser = app.browser();
    signup(&browser, &app, "session@example.kr").await;
    let (status, _) = page(&browser, &app, "/accounts/me").await;
    assert_eq!(status, 200, "logged in");
    let mut checked = 0;
    for op in operations()
        .iter()
        .filter(|op| op.protected && op.method != Method::GET)
    {
        let mut req = browser.request(op.method.clone(), app.url(&op.path));
        if let Some(body) = &op.body {
            req = req.json(body);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 403, "{} {}", op.method, op.route);
        assert!(detail_of(resp).await.starts_with("CSRF Failed"));
        checked += 1;
    }
    assert!(checked >= 25, "{checked} protected writes");
    let (status, _) = page(&browser, &app, "/accounts/me").await;
    assert_eq!(status, 200, "nothing above ended the session");
}

#[tokio::test]
async fn every_operation_answers_503_when_the_server_is_full() {
    let app = spawn_with(|c| c.server.max_concurrent_requests = 1).await;
    let slow = app.hold_a_request_slot().await;
    for op in operations() {
        let resp = app
            .client
            .request(op.method.clone(), app.url(&op.path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 503, "{} {}", op.method, op.route);
        assert_eq!(resp.headers()["retry-after"], "1");
        assert!(detail_of(resp).await.contains("busy"));
    }
    drop(slow);
}
