//! API v1 catalog: shapes, filters, ordering, search, pagination, bad input, statement counts,
//! cache invalidation and the OpenAPI document.

use serde_json::Value;

use crate::helpers::{small_catalog, spawn_app, spawn_with, Fixture};

pub fn slugs(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_has_drf_shape_and_only_published_courses_newest_first() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let (status, body) = app.get_json("/api/v1/courses").await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 3);
    assert_eq!(body["next"], Value::Null);
    assert_eq!(body["previous"], Value::Null);
    assert_eq!(
        slugs(&body),
        ["pitch-deck", "startup-finance", "growth-marketing"]
    );
    let growth = &body["results"][2];
    assert_eq!(growth["id"], ids.growth);
    assert_eq!(growth["title"], "그로스 마케팅 입문");
    assert_eq!(
        growth["category"],
        serde_json::json!({"slug": "marketing", "name": "마케팅"})
    );
    assert_eq!(
        growth["instructor"],
        serde_json::json!({"id": ids.kim, "display_name": "김민지"})
    );
    assert_eq!(growth["level"], "beginner");
    assert_eq!(growth["lesson_count"], 2);
    assert_eq!(growth["enrollment_count"], 1);
    assert_eq!(growth["published_at"], "2026-03-01T00:00:00Z");
    let keys: Vec<&String> = growth.as_object().unwrap().keys().collect();
    let expected = [
        "id",
        "slug",
        "title",
        "summary",
        "category",
        "level",
        "instructor",
        "lesson_count",
        "enrollment_count",
        "published_at",
        "rating_average",
        "rating_count",
    ];
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn public_url_from_config_builds_the_links() {
    let app = spawn_with(|c| c.server.public_url = "https://hancup.example".into()).await;
    app.seed(10, 10, 10);
    let (_, body) = app.get_json("/api/v1/courses?page_size=2").await;
    assert!(body["next"]
        .as_str()
        .unwrap()
        .starts_with("https://hancup.example/api/v1/courses?"));
}

#[tokio::test]
async fn filters_by_category_level_and_instructor() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let (_, body) = app.get_json("/api/v1/courses?category=finance").await;
    assert_eq!(slugs(&body), ["startup-finance"]);
    let (_, body) = app.get_json("/api/v1/courses?level=advanced").await;
    assert_eq!(slugs(&body), ["pitch-deck"]);
    let (_, body) = app
        .get_json(&format!("/api/v1/courses?instructor={}", ids.kim))
        .await;
    assert_eq!(slugs(&body), ["startup-finance", "growth-marketing"]);
    let (_, body) = app
        .get_json(&format!(
            "/api/v1/courses?instructor={}&category=marketing&level=beginner",
            ids.kim
        ))
        .await;
    assert_eq!(slugs(&body), ["growth-marketing"]);
}

#[tokio::test]
async fn orders_by_each_whitelisted_field() {
    let app = spawn_app().await;
    small_catalog(&app);
    let cases = [
        (
            "published_at",
            vec!["growth-marketing", "startup-finance", "pitch-deck"],
        ),
        (
            "-published_at",
            vec!["pitch-deck", "startup-finance", "growth-marketing"],
        ),
        // Binary collation puts Latin before Hangul, and Hangul in 가나다 order.
        (
            "title",
            vec!["pitch-deck", "growth-marketing", "startup-finance"],
        ),
        (
            "-title",
            vec!["startup-finance", "growth-marketing", "pitch-deck"],
        ),
        (
            "-enrollment_count",
            vec!["pitch-deck", "growth-marketing", "startup-finance"],
        ),
        (
            "enrollment_count",
            vec!["startup-finance", "growth-marketing", "pitch-deck"],
        ),
    ];
    for (ordering, expected) in cases {
        let (status, body) = app
            .get_json(&format!("/api/v1/courses?ordering={ordering}"))
            .await;
        assert_eq!(status, 200, "{ordering}");
        assert_eq!(slugs(&body), expected, "{ordering}");
    }
}

#[tokio::test]
async fn default_order_breaks_ties_by_id_descending() {
    let app = spawn_app().await;
    app.exec(|tx| {
        let f = Fixture { tx };
        let cat = f.category("ideation", "아이디어");
        let u = f.user("t@example.com", "강사");
        for slug in ["a", "b", "c"] {
            f.course(
                slug,
                slug,
                "",
                cat,
                "beginner",
                u,
                "published",
                "2026-01-01T00:00:00Z",
            );
        }
        Ok(())
    });
    let (_, body) = app.get_json("/api/v1/courses").await;
    assert_eq!(slugs(&body), ["c", "b", "a"]);
}

#[tokio::test]
async fn search_finds_korean_words_inside_compounds_and_with_particles() {
    let app = spawn_app().await;
    small_catalog(&app);
    // "창업" appears in the growth description ("창업을") and in the finance title and text.
    let (status, body) = app.get_json("/api/v1/courses?search=창업").await;
    assert_eq!(status, 200);
    let found = slugs(&body);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0], "startup-finance", "a title match ranks first");
    // Partial Korean word and English prefix.
    let (_, body) = app.get_json("/api/v1/courses?search=마케").await;
    assert_eq!(slugs(&body), ["growth-marketing"]);
    let (_, body) = app.get_json("/api/v1/courses?search=pitc").await;
    assert_eq!(slugs(&body), ["pitch-deck"]);
    let (_, body) = app.get_json("/api/v1/courses?search=INVESTORS").await;
    assert_eq!(slugs(&body), ["pitch-deck"]);
    // Drafts never match; nonsense matches nothing; FTS syntax is not interpreted.
    let (_, body) = app.get_json("/api/v1/courses?search=비공개").await;
    assert_eq!(body["count"], 0);
    let (status, body) = app
        .get_json("/api/v1/courses?search=%22%20OR%20*%20NEAR(")
        .await;
    assert_eq!((status, body["count"].as_i64()), (200, Some(0)));
}

#[tokio::test]
async fn search_accepts_decomposed_hangul_as_some_keyboards_send_it() {
    use unicode_normalization::UnicodeNormalization;
    let app = spawn_app().await;
    small_catalog(&app);
    let decomposed: String = "회계".nfd().collect();
    let encoded: String = url::form_urlencoded::byte_serialize(decomposed.as_bytes()).collect();
    let (_, body) = app
        .get_json(&format!("/api/v1/courses?search={encoded}"))
        .await;
    assert_eq!(slugs(&body), ["startup-finance"]);
}

#[tokio::test]
async fn bad_parameters_get_field_errors_never_a_500() {
    let app = spawn_app().await;
    small_catalog(&app);
    let cases: &[(&str, &str)] = &[
        ("page_size=0", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=abc", "page_size"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page=99999999999999999999", "page"),
        ("page=1000001", "page"),
        ("ordering=password_hash", "ordering"),
        ("ordering=-", "ordering"),
        ("level=expert", "level"),
        ("category=nope", "category"),
        ("category=DROP%20TABLE", "category"),
        ("instructor=0", "instructor"),
        ("instructor=999999", "instructor"),
        ("instructor=1.5", "instructor"),
    ];
    for (query, field) in cases {
        let (status, body) = app.get_json(&format!("/api/v1/courses?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let messages = body[field]
            .as_array()
            .unwrap_or_else(|| panic!("{query}: {body}"));
        assert!(
            !messages.is_empty() && messages[0].is_string(),
            "{query}: {body}"
        );
    }
    let long = "가".repeat(201);
    let (status, body) = app
        .get_json(&format!("/api/v1/courses?search={long}"))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["search"][0].as_str().unwrap().contains("200"),
        "names the limit: {body}"
    );
    let (status, _) = app
        .get_json(&format!("/api/v1/courses?search={}", "가".repeat(200)))
        .await;
    assert_eq!(status, 200, "200 characters is allowed");
}

#[tokio::test]
async fn every_bad_field_is_reported_together() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/courses?page=0&page_size=x&level=y&ordering=z")
        .await;
    assert_eq!(status, 400);
    for field in ["page", "page_size", "level", "ordering"] {
        assert!(body[field].is_array(), "{field} missing in {body}");
    }
}

#[tokio::test]
async fn hostile_query_strings_never_cause_a_server_error() {
    let app = spawn_app().await;
    app.seed(5, 5, 5);
    let payloads = [
        "search=%00",
        "search=%FF%FE",
        "search=%",
        "search=' OR 1=1 --",
        "search=<script>alert(1)</script>",
        "page=1&page=2",
        "page_size=%00",
        "level=%E0%A4",
        "ordering=title;DROP TABLE courses",
        "instructor=-9223372036854775808",
        "page=9223372036854775807",
        "category=%2e%2e%2f",
        "search=\"",
        "search=*",
        "search=NEAR(a b)",
        "search=a:b",
        "search=^x",
    ];
    for p in payloads {
        for path in ["/api/v1/courses", "/courses"] {
            let resp = app.get(&format!("{path}?{p}")).await;
            assert!(
                resp.status().as_u16() < 500,
                "{path}?{p} → {}",
                resp.status()
            );
        }
    }
    for path in [
        "/api/v1/courses/%00",
        "/api/v1/courses/'%20OR%201=1",
        "/api/v1/courses/a%2Fb",
        "/courses/%FF",
        "/courses/%00",
    ] {
        let status = app.get(path).await.status().as_u16();
        assert_eq!(status, 404, "{path}");
    }
    let (status, body) = app.get_json("/api/v1/courses/%FF").await;
    assert_eq!(status, 404, "a slug that is not UTF-8 names no course");
    assert!(body["detail"].is_string(), "{body}");
}

#[tokio::test]
async fn detail_has_description_html_sanitised_and_lessons_by_position() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute(
            "UPDATE courses SET description = ?1 WHERE id = ?2",
            rusqlite::params!["## 목표\n\n<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>", ids.growth],
        )?;
        Ok(())
    });
    let (status, body) = app.get_json("/api/v1/courses/growth-marketing").await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], ids.growth);
    assert!(
        body["description"].as_str().unwrap().contains("<script>"),
        "source is kept as written"
    );
    let html = body["description_html"].as_str().unwrap();
    assert!(html.contains("<h2>목표</h2>"), "{html}");
    for bad in ["<script", "href=\"javascript:", "onerror"] {
        assert!(!html.to_lowercase().contains(bad), "{bad} survived: {html}");
    }
    let lessons = body["lessons"].as_array().unwrap();
    assert_eq!(lessons.len(), 2);
    assert_eq!(lessons[0]["position"], 1);
    assert_eq!(lessons[0]["title"], "첫 번째: 오리엔테이션");
    assert_eq!(lessons[0]["is_preview"], true);
    assert_eq!(lessons[0]["duration_seconds"], 300);
    assert_eq!(lessons[1]["position"], 2);
    assert_eq!(body["lesson_count"], 2);
}

#[tokio::test]
async fn unknown_draft_and_archived_courses_are_404() {
    let app = spawn_app().await;
    small_catalog(&app);
    for slug in ["nope", "secret-draft", "old-course"] {
        let (status, body) = app.get_json(&format!("/api/v1/courses/{slug}")).await;
        assert_eq!(status, 404, "{slug}");
        assert_eq!(body["detail"], "Not found.");
    }
}

#[tokio::test]
async fn categories_carry_published_course_counts() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (status, body) = app.get_json("/api/v1/categories").await;
    assert_eq!(status, 200);
    let counts: Vec<(String, i64)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["slug"].as_str().unwrap().to_owned(),
                c["course_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("marketing".to_owned(), 2), ("finance".to_owned(), 1)]
    );
}

#[tokio::test]
async fn list_costs_the_same_statements_whatever_the_page_size() {
    let app = spawn_app().await;
    app.seed(150, 50, 300);
    let n1 = app.statements_for("/api/v1/courses?page_size=1").await;
    let n20 = app.statements_for("/api/v1/courses?page_size=20").await;
    let n100 = app.statements_for("/api/v1/courses?page_size=100").await;
    assert!(n1 > 0, "the list was not served from cache");
    assert_eq!((n1, n20), (n20, n100));
    assert!(n100 <= 2, "one COUNT and one page query, got {n100}");
    let f1 = app
        .statements_for("/api/v1/courses?page_size=1&category=marketing&instructor=1&search=창업")
        .await;
    let f100 = app
        .statements_for("/api/v1/courses?page_size=100&category=marketing&instructor=1&search=창업")
        .await;
    assert_eq!(f1, f100);
    assert!(f100 <= 4, "{f100}");
    let (_, page) = app.get_json("/api/v1/courses?page_size=1").await;
    let slug = page["results"][0]["slug"].as_str().unwrap().to_owned();
    assert_eq!(
        app.statements_for(&format!("/api/v1/courses/{slug}")).await,
        2,
        "course and its lessons"
    );
}

#[tokio::test]
async fn a_write_is_visible_in_the_next_response() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let (_, before) = app.get_json("/api/v1/courses").await;
    let (_, again) = app.get_json("/api/v1/courses").await;
    assert_eq!(before, again);
    let cached = app.statements_for("/api/v1/courses").await;
    assert_eq!(cached, 0, "the second read is answered from the cache");
    app.exec(|tx| {
        tx.execute(
            "UPDATE courses SET title = '새 제목' WHERE id = ?1",
            [ids.pitch],
        )?;
        tx.execute(
            "INSERT INTO enrollments (user_id, course_id) VALUES (?1, ?2)",
            [ids.lee, ids.finance_course],
        )?;
        Ok(())
    });
    let (_, after) = app.get_json("/api/v1/courses").await;
    assert_eq!(after["results"][0]["title"], "새 제목");
    assert_eq!(after["results"][1]["enrollment_count"], 1);
    let (_, detail) = app.get_json("/api/v1/courses/pitch-deck").await;
    assert_eq!(detail["title"], "새 제목");
}

#[tokio::test]
async fn unknown_api_paths_and_methods_answer_json() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/nothing").await;
    assert_eq!((status, body["detail"].as_str()), (404, Some("Not found.")));
    let resp = app
        .client
        .put(format!("{}/api/v1/courses", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let body: Value = resp.json().await.unwrap();
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn openapi_document_describes_the_catalog() {
    let app = spawn_app().await;
    let (status, spec) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let list = &spec["paths"]["/api/v1/courses"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "page",
        "page_size",
        "category",
        "level",
        "instructor",
        "search",
        "ordering",
    ] {
        assert!(params.contains(&p), "{p} undocumented: {params:?}");
    }
    for status in ["200", "400", "404"] {
        assert!(list["responses"][status].is_object(), "list lacks {status}");
    }
    assert!(spec["paths"]["/api/v1/courses/{slug}"]["get"]["responses"]["404"].is_object());
    assert!(spec["paths"]["/api/v1/categories"]["get"].is_object());
    assert!(
        spec["paths"]["/api/v1/courses"]["post"].is_object(),
        "authoring shares the path"
    );
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("CourseSummary") && schemas.contains_key("CoursePage"));
}

#[tokio::test]
async fn api_docs_are_served_from_the_binary_without_a_cdn() {
    let app = spawn_app().await;
    let (status, html) = app.get_text("/api/docs").await;
    assert_eq!(status, 200);
    assert!(html.contains("swagger"), "interactive docs page");
    for cdn in ["unpkg.com", "cdn.jsdelivr", "cdnjs", "googleapis"] {
        assert!(!html.contains(cdn), "docs load from {cdn}");
    }
    assert!(!html.contains("src=\"http"), "no external script");
}

#[tokio::test]
async fn logins_and_sessions_do_not_empty_the_catalog_cache() {
    let app = spawn_app().await;
    small_catalog(&app);
    app.register("cache@example.kr", "캐시", "창업은 한 컵의 커피에서")
        .await;
    app.get_json("/api/v1/courses").await;
    assert_eq!(app.statements_for("/api/v1/courses").await, 0, "cached");
    let (status, _, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "cache@example.kr", "password": "창업은 한 컵의 커피에서"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.statements_for("/api/v1/courses").await,
        0,
        "a new token changes no public answer, so the cache survives it"
    );
}
