//! The limits the OpenAPI document declares on request fields (`maxLength`, `minimum`,
//! `maximum`) are the server's: for every write of the hostile-input table that its caller may
//! make, and every bounded field of its body, a value exactly at the limit is not refused for
//! that field, and one past it is refused with a 400 naming the field. Korean text counts by
//! characters, as JSON Schema does, not by bytes.

use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::hostile_input::{send, writes};

/// The request schema of the document's operation for `method path`, if it takes a body.
fn request_schema(spec: &Value, method: &str, path: &str) -> Option<Value> {
    let segments: Vec<&str> = path.split('/').collect();
    let (_, item) = spec["paths"].as_object()?.iter().find(|(template, item)| {
        let parts: Vec<&str> = template.split('/').collect();
        item.get(method.to_lowercase()).is_some()
            && parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| t.starts_with('{') || t == s)
    })?;
    let op = &item[method.to_lowercase()];
    let schema = &op["requestBody"]["content"]["application/json; charset=utf-8"]["schema"];
    let name = schema["$ref"].as_str()?.rsplit('/').next()?;
    Some(spec["components"]["schemas"][name].clone())
}

/// A string of exactly `chars` characters that is otherwise valid for `field`.
fn text_of(field: &str, chars: usize) -> String {
    match field {
        // A local part of at most 64 and domain labels of at most 63 characters.
        "email" => {
            let domain = chars - 65;
            let labels = ["b".repeat(63), "c".repeat(63), "d".repeat(domain - 128)];
            format!("{}@{}", "a".repeat(64), labels.join("."))
        }
        "video_url" => format!("https://youtu.be/{}", "a".repeat(chars - 17)),
        "slug" => "a".repeat(chars),
        _ => "가".repeat(chars),
    }
}

#[tokio::test]
async fn every_declared_limit_is_where_the_server_draws_it() {
    let app = spawn_app().await;
    let spec: Value = serde_json::from_str(&hancup::api::spec_json()).unwrap();
    let mut wrong = Vec::new();
    let mut checked = 0;
    let mut skipped = Vec::new();
    for w in writes(&app).await {
        let Some(schema) = request_schema(&spec, w.method, &w.path) else {
            continue;
        };
        let bytes = serde_json::to_vec(&w.base).unwrap();
        let json = Some("application/json");
        let (status, _) = send(&app, w.method, &w.path, w.token.as_deref(), json, bytes).await;
        if ![200, 201, 204, 409].contains(&status) {
            skipped.push(format!("{} {}: {status}", w.method, w.path));
            continue; // this caller is refused before any field is read
        }
        let sent = w.base.as_object().unwrap();
        let properties = schema["properties"].as_object().unwrap();
        for (field, prop) in properties.iter().filter(|(f, _)| sent.contains_key(*f)) {
            let mut cases = Vec::new(); // (value, allowed)
            if let Some(max) = prop["maxLength"].as_u64() {
                let max = max as usize;
                cases.push((json!(text_of(field, max)), true));
                cases.push((json!(text_of(field, max + 1)), false));
            }
            if let Some(max) = prop["maximum"].as_i64() {
                cases.push((json!(max), true));
                cases.push((json!(max + 1), false));
            }
            if let Some(min) = prop["minimum"].as_i64() {
                cases.push((json!(min), true));
                cases.push((json!(min - 1), false));
            }
            for (value, allowed) in cases {
                let mut body = w.base.clone();
                body[field] = value;
                let bytes = serde_json::to_vec(&body).unwrap();
                let (status, text) =
                    send(&app, w.method, &w.path, w.token.as_deref(), json, bytes).await;
                let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let refused = status == 400 && answer.get(field).is_some();
                checked += 1;
                if refused == allowed {
                    let verb = if allowed { "refused" } else { "accepted" };
                    wrong.push(format!(
                        "{} {} {field}: {verb} at {}: {status} {text:.200}",
                        w.method,
                        w.path,
                        if allowed { "the limit" } else { "one past it" },
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 50,
        "{checked} cases; writes refused outright: {skipped:?}"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
