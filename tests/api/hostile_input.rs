//! Hostile input, as a table: every JSON field of every API write and every query parameter of
//! every API list gets oversized, NUL, SQL, markup, out-of-range, wrongly typed and deeply
//! nested values; bodies come with wrong content types, broken encodings and over the size
//! limit. Every answer is a clear 4xx (or a 2xx where the value is legitimately allowed), never
//! a 5xx, and stored markup never comes back as live HTML. Also the findings of the schemathesis
//! run (`tests/fuzz/run.sh`) that the spec now documents.

use serde_json::{json, Value};

use crate::helpers::{people, small_catalog, spawn_app, TestApp};

const SCRIPT: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";

/// Values every JSON field is tried with.
fn hostile_values() -> Vec<Value> {
    let mut nested = json!("deep");
    for _ in 0..200 {
        nested = json!([nested]);
    }
    vec![
        json!("x".repeat(1_000_000)),
        json!("a\u{0}b"),
        json!("' OR '1'='1'; DROP TABLE courses; --"),
        json!("\" UNION SELECT password_hash FROM users --"),
        json!(SCRIPT),
        json!("javascript:alert(1)"),
        json!("%00%ff%fe"),
        json!(""),
        json!(-1),
        json!(0),
        json!(9_223_372_036_854_775_807_i64),
        json!(-9_223_372_036_854_775_808_i64),
        json!(1e300),
        json!(18_446_744_073_709_551_615_u64),
        json!(true),
        json!(null),
        json!([]),
        json!({"$gt": ""}),
        nested,
    ]
}

/// Statuses a hostile value may get: accepted, or a clear refusal.
const CLEAR: [u16; 9] = [200, 201, 204, 400, 403, 404, 409, 413, 429];

pub struct Write {
    pub method: &'static str,
    pub path: String,
    pub token: Option<String>,
    pub base: Value,
}

pub async fn writes(app: &TestApp) -> Vec<Write> {
    let ids = small_catalog(app);
    let p = people(app, &ids);
    // kim teaches; as a member of the instructors group kim may also create courses.
    app.exec(|tx| {
        hancup::accounts::perms::add_to_role(tx, ids.kim, hancup::accounts::perms::INSTRUCTORS)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
    });
    let (status, q) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/questions",
            Some(&p.asker),
            Some(json!({"title": "질문", "body": "본문"})),
        )
        .await;
    assert_eq!(status, 201);
    let qid = q["id"].as_i64().unwrap();
    let w = |method, path: &str, token: &str, base| Write {
        method,
        path: path.to_owned(),
        token: Some(token.to_owned()),
        base,
    };
    vec![
        Write {
            method: "POST",
            path: "/api/v1/auth/register".into(),
            token: None,
            base: json!({"email": "new@x.kr", "display_name": "새 사람", "password": "a-long-unusual-passphrase-77", "device": "phone", "accept_terms": true, "accept_privacy": true, "age_14_or_older": true}),
        },
        Write {
            method: "POST",
            path: "/api/v1/auth/login".into(),
            token: None,
            base: json!({"email": "asker@x.kr", "password": "wrong-password-123", "device": "phone"}),
        },
        w(
            "PATCH",
            "/api/v1/auth/me",
            &p.outsider,
            json!({"display_name": "외부인"}),
        ),
        w(
            "POST",
            "/api/v1/courses",
            &p.instructor,
            json!({"slug": "new-course", "title": "새 강의", "summary": "요약", "description": "설명", "category": "marketing", "level": "beginner"}),
        ),
        w(
            "PATCH",
            "/api/v1/courses/growth-marketing",
            &p.instructor,
            json!({"title": "제목", "summary": "요약", "description": "설명", "category": "finance", "level": "advanced", "status": "published"}),
        ),
        w(
            "POST",
            "/api/v1/courses/growth-marketing/lessons",
            &p.instructor,
            json!({"title": "강의", "body": "본문", "video_url": "https://youtu.be/abc", "duration_seconds": 60, "is_preview": false}),
        ),
        w(
            "PATCH",
            "/api/v1/courses/growth-marketing/lessons/1",
            &p.instructor,
            json!({"title": "강의", "body": "본문", "video_url": "https://youtu.be/abc", "duration_seconds": 60, "is_preview": true}),
        ),
        w(
            "POST",
            "/api/v1/courses/growth-marketing/lessons/reorder",
            &p.instructor,
            json!({"order": [1, 2]}),
        ),
        w(
            "POST",
            "/api/v1/courses/growth-marketing/questions",
            &p.helper,
            json!({"title": "질문", "body": "본문"}),
        ),
        w(
            "PATCH",
            &format!("/api/v1/questions/{qid}"),
            &p.asker,
            json!({"title": "질문", "body": "본문"}),
        ),
        w(
            "POST",
            &format!("/api/v1/questions/{qid}/answers"),
            &p.helper,
            json!({"body": "답변"}),
        ),
        w(
            "POST",
            &format!("/api/v1/questions/{qid}/accept"),
            &p.asker,
            json!({"answer_id": 1}),
        ),
        w(
            "POST",
            "/api/v1/notices",
            &p.staff,
            json!({"title": "공지", "body": "본문", "is_pinned": true}),
        ),
        w(
            "POST",
            "/api/v1/courses/growth-marketing/notices",
            &p.instructor,
            json!({"title": "공지", "body": "본문", "is_pinned": false}),
        ),
        w(
            "POST",
            "/api/v1/courses/growth-marketing/reviews",
            &p.helper,
            json!({"rating": 5, "body": "좋아요"}),
        ),
    ]
}

pub async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.client.request(method, app.url(path)).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// No `<script` or event handler outside JSON strings that are the stored source text: every
/// `*_html` value of an answer must be free of them.
fn live_markup(v: &Value) -> Option<String> {
    match v {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.ends_with("_html") {
                let html = v.as_str().unwrap_or("");
                (html.contains("<script")
                    || html.contains("onerror")
                    || html.contains("=\"javascript:"))
                .then(|| html.to_owned())
            } else {
                live_markup(v)
            }
        }),
        Value::Array(items) => items.iter().find_map(live_markup),
        _ => None,
    }
}

#[tokio::test]
async fn every_json_field_of_every_write_refuses_hostile_values_clearly() {
    let app = spawn_app().await;
    let mut wrong = Vec::new();
    let mut tried = 0;
    for w in writes(&app).await {
        let fields: Vec<String> = w.base.as_object().unwrap().keys().cloned().collect();
        for field in &fields {
            for value in hostile_values() {
                let mut body = w.base.clone();
                body[field] = value.clone();
                let bytes = serde_json::to_vec(&body).unwrap();
                let (status, text) = send(
                    &app,
                    w.method,
                    &w.path,
                    w.token.as_deref(),
                    Some("application/json"),
                    bytes,
                )
                .await;
                tried += 1;
                let shown = value.to_string().chars().take(40).collect::<String>();
                if !CLEAR.contains(&status) {
                    wrong.push(format!(
                        "{} {} {field}={shown}: {status} {text:.200}",
                        w.method, w.path
                    ));
                    continue;
                }
                let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if status >= 400 && parsed.is_null() && status != 413 {
                    wrong.push(format!(
                        "{} {} {field}={shown}: {status} not JSON",
                        w.method, w.path
                    ));
                }
                if let Some(html) = live_markup(&parsed) {
                    wrong.push(format!(
                        "{} {} {field}: live markup {html:.200}",
                        w.method, w.path
                    ));
                }
            }
        }
    }
    assert!(tried > 600, "{tried}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn bodies_that_are_not_json_get_clear_answers() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let path = "/api/v1/courses/growth-marketing/questions";
    let ask = |ct: Option<&'static str>, body: Vec<u8>| {
        let (app, token) = (&app, p.asker.clone());
        async move { send(app, "POST", path, Some(&token), ct, body).await }
    };
    let valid = br#"{"title": "t", "body": "b"}"#.to_vec();
    for (ct, body, expect) in [
        (Some("text/plain"), valid.clone(), 415),
        (
            Some("application/x-www-form-urlencoded"),
            b"title=t&body=b".to_vec(),
            415,
        ),
        (Some("multipart/form-data; boundary=x"), valid.clone(), 415),
        (None, valid.clone(), 415),
        (
            Some("application/json"),
            b"{\"title\": \"\xff\xfe\", \"body\": \"b\"}".to_vec(),
            400,
        ),
        (
            Some("application/json"),
            b"{\"title\": \"t\", ".to_vec(),
            400,
        ),
        (Some("application/json"), b"\x00".to_vec(), 400),
        (
            Some("application/json"),
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            400,
        ),
        (
            Some("application/json"),
            format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
            400,
        ),
        (
            Some("application/json"),
            br#"{"title": "a", "title": "b", "body": "c"}"#.to_vec(),
            201,
        ),
        (Some("application/json"), vec![b' '; 2 * 1024 * 1024], 413),
    ] {
        let (status, text) = ask(ct, body).await;
        assert_eq!(status, expect, "{ct:?}: {text:.300}");
        if status != 201 {
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text:.200}"));
            assert!(v["detail"].is_string(), "{v}");
        }
    }
}

#[tokio::test]
async fn every_query_parameter_refuses_hostile_values_clearly() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let lists: [(&str, &[&str], Option<&str>); 4] = [
        (
            "/api/v1/courses",
            &[
                "page",
                "page_size",
                "category",
                "level",
                "instructor",
                "search",
                "ordering",
            ],
            None,
        ),
        (
            "/api/v1/courses/growth-marketing/questions",
            &["page", "page_size", "search"],
            None,
        ),
        (
            "/api/v1/courses/growth-marketing/reviews",
            &["page", "page_size"],
            None,
        ),
        (
            "/api/v1/me/enrollments",
            &["page", "page_size"],
            Some(&p.asker),
        ),
    ];
    let long = "가".repeat(5_000);
    let raw_values: Vec<String> = vec![
        "%ff%fe%fd".into(),
        "%00".into(),
        "a%00b".into(),
        "%zz".into(),
        "%".into(),
        "'%20OR%20'1'='1".into(),
        "1;DROP%20TABLE%20courses".into(),
        "%3Cscript%3Ealert(1)%3C/script%3E".into(),
        "-1".into(),
        "0".into(),
        "99999999999999999999999".into(),
        "-9223372036854775809".into(),
        "1e9".into(),
        "NaN".into(),
        "".into(),
        "x".repeat(10_000),
        long,
    ];
    let mut wrong = Vec::new();
    for (path, params, token) in lists {
        for param in params {
            for value in &raw_values {
                for query in [
                    format!("{param}={value}"),
                    format!("{param}=1&{param}={value}"),
                ] {
                    let url = format!("{path}?{query}");
                    let (status, text) = send(&app, "GET", &url, token, None, vec![]).await;
                    if !matches!(status, 200 | 400 | 404 | 414 | 431) {
                        wrong.push(format!("GET {url:.120}: {status} {text:.200}"));
                    } else if status != 414
                        && status != 431
                        && serde_json::from_str::<Value>(&text).is_err()
                    {
                        wrong.push(format!("GET {url:.120}: {status} not JSON: {text:.120}"));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The precise answers the API documents.
    for (url, status) in [
        ("/api/v1/courses?page=-1", 400),
        ("/api/v1/courses?page_size=0", 400),
        ("/api/v1/courses?ordering=%27", 400),
        ("/api/v1/courses?level=%3Cscript%3E", 400),
        ("/api/v1/courses?instructor=-1", 400),
        ("/api/v1/courses?page=2000000", 400),
    ] {
        assert_eq!(app.get(url).await.status().as_u16(), status, "{url}");
    }
    let too_long = format!("/api/v1/courses?search={}", "a".repeat(201));
    assert_eq!(app.get(&too_long).await.status().as_u16(), 400);
}

#[tokio::test]
async fn ids_that_are_no_number_or_past_i64_get_a_json_400() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    for (path, expect) in [
        ("/api/v1/questions/9223372036854775808", 400),
        ("/api/v1/questions/-9223372036854775809", 400),
        ("/api/v1/questions/abc", 400),
        ("/api/v1/questions/1%00", 400),
        (
            "/api/v1/courses/growth-marketing/lessons/99999999999999999999",
            400,
        ),
        ("/api/v1/courses/growth-marketing/lessons/-1", 404),
        ("/api/v1/questions/-1", 404),
    ] {
        let (status, body) = app.call("GET", path, Some(&p.asker), None).await;
        assert_eq!(status, expect, "{path}: {body}");
        assert!(body["detail"].is_string(), "{path}: JSON, not text: {body}");
    }
}

#[tokio::test]
async fn patching_a_missing_answer_with_no_fields_is_not_found() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let (status, body) = app
        .call(
            "PATCH",
            "/api/v1/answers/999999",
            Some(&p.helper),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 404, "was a 500 found by schemathesis: {body}");
}

#[tokio::test]
async fn stored_markup_is_shown_as_text_on_the_pages() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let (status, q) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/questions",
            Some(&p.asker),
            Some(json!({"title": SCRIPT, "body": SCRIPT})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/reviews",
            Some(&p.asker),
            Some(json!({"rating": 3, "body": SCRIPT})),
        )
        .await;
    assert_eq!(status, 201);
    for page in [
        format!("/questions/{}", q["id"]),
        "/courses/growth-marketing/questions".to_owned(),
        "/courses/growth-marketing".to_owned(),
    ] {
        let (status, html) = app.get_text(&page).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x onerror"),
            "{page} renders stored markup"
        );
        // And the text is there, escaped — not silently dropped (the question title on the
        // question pages, the review body on the course page are plain text).
        assert!(
            html.contains("&lt;script&gt;alert(")
                && html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{page} shows the stored markup as text"
        );
    }
}

#[test]
fn the_spec_documents_what_the_framework_answers() {
    let spec: Value = serde_json::from_str(&hancup::api::spec_json()).unwrap();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (prop, s) in schema["properties"].as_object().into_iter().flatten() {
            if !required.contains(&prop.as_str()) {
                assert_eq!(
                    s["nullable"], true,
                    "{name}.{prop} is optional, so it may be null"
                );
            }
        }
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            if op.get("requestBody").is_some() {
                for status in ["413", "415"] {
                    assert!(responses.get(status).is_some(), "{method} {path} {status}");
                }
            }
            if let Some(bad) = responses.get("400") {
                let schema = &bad["content"]["application/json; charset=utf-8"]["schema"];
                assert!(schema["anyOf"].is_array(), "{method} {path}: {schema}");
            }
        }
    }
}
