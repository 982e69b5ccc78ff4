//! API v1 catalog pagination: DRF's `next`/`previous` links keeping the filters, the page-size
//! clamp, the 404 past the last page, and pages cut from every ordering, filter and search that
//! add up to the whole list.

use crate::catalog_api::slugs;
use crate::helpers::{small_catalog, spawn_app, spawn_with};

#[tokio::test]
async fn next_and_previous_are_absolute_links_that_keep_the_filters() {
    let app = spawn_app().await;
    app.seed(30, 40, 50);
    let (_, first) = app
        .get_json("/api/v1/courses?page_size=5&level=beginner")
        .await;
    let count = first["count"].as_i64().unwrap();
    assert!(count > 5, "seed gives enough beginner courses ({count})");
    let next = first["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/api/v1/courses?", app.base)),
        "{next}"
    );
    assert!(
        next.contains("level=beginner") && next.contains("page=2") && next.contains("page_size=5")
    );
    let (_, second) = app.get_json(next.trim_start_matches(&app.base)).await;
    let previous = second["previous"].as_str().unwrap();
    assert!(
        !previous.contains("page="),
        "page 1 link drops the page parameter: {previous}"
    );
    let mut seen = slugs(&first);
    seen.extend(slugs(&second));
    seen.dedup();
    assert_eq!(seen.len(), 10, "pages do not overlap");
}

#[tokio::test]
async fn page_size_is_clamped_to_100() {
    let app = spawn_app().await;
    app.seed(120, 20, 0);
    let (status, body) = app.get_json("/api/v1/courses?page_size=1000").await;
    assert_eq!(status, 200);
    assert_eq!(body["results"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn page_past_the_last_is_404_invalid_page() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (status, body) = app.get_json("/api/v1/courses?page=2").await;
    assert_eq!(
        (status, body),
        (404, serde_json::json!({"detail": "Invalid page."}))
    );
    let (status, _) = app
        .get_json("/api/v1/courses?page=1&category=finance&level=advanced")
        .await;
    assert_eq!(status, 200, "page 1 of an empty list is fine");
}

/// Pages are cut from the ordering's index and joined afterwards: walking every page of every
/// ordering, filter and search gives exactly the one-page answer, in the same order.
#[tokio::test]
async fn every_page_of_every_ordering_is_a_slice_of_the_whole() {
    let app = spawn_with(|c| c.cache.ttl_ms = 0).await;
    app.seed(95, 30, 200);
    let category = app.get_json("/api/v1/categories").await.1[0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut queries: Vec<String> = [
        "",
        "ordering=published_at",
        "ordering=-published_at",
        "ordering=title",
        "ordering=-title",
        "ordering=enrollment_count",
        "ordering=-enrollment_count",
        "level=beginner",
        "search=%EC%B0%BD%EC%97%85",
        "search=startup&ordering=title",
    ]
    .iter()
    .map(|q| q.to_string())
    .collect();
    queries.push(format!("category={category}&ordering=-enrollment_count"));
    for q in queries {
        let (status, whole) = app
            .get_json(&format!("/api/v1/courses?{q}&page_size=100"))
            .await;
        assert_eq!(status, 200, "{q}");
        let whole = slugs(&whole);
        let mut walked = Vec::new();
        for page in 1.. {
            let (status, body) = app
                .get_json(&format!("/api/v1/courses?{q}&page_size=7&page={page}"))
                .await;
            assert_eq!(status, 200, "{q} page {page}");
            walked.extend(slugs(&body));
            if body["next"].is_null() {
                break;
            }
        }
        assert!(!whole.is_empty(), "{q} finds courses");
        assert_eq!(walked, whole, "{q}");
    }
}
