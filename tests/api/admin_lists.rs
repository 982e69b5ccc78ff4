//! The change list over HTTP: search (FTS for courses, LIKE elsewhere), filters, multi-column
//! sort, pagination that keeps the filters, "show all", CSV export with a BOM, and a constant
//! number of SQL statements whatever the page holds.

use crate::admin_support::{statements, superuser};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app};

#[tokio::test]
async fn search_filters_and_sorting_narrow_the_course_list() {
    let app = spawn_app().await;
    small_catalog(&app);
    let client = superuser(&app).await;
    let (_, body) = page(&client, &app, "/admin/course?q=창업").await;
    assert!(
        body.contains("창업자를 위한 회계 기초"),
        "FTS finds Korean inside words"
    );
    assert!(!body.contains("Pitch Deck Masterclass"));
    let (_, body) = page(&client, &app, "/admin/course?status=draft").await;
    assert!(body.contains("비공개 마케팅 초안"));
    assert!(!body.contains("그로스 마케팅 입문"));
    assert!(body.contains("1건"));
    let (_, body) = page(&client, &app, "/admin/course?status=published&o=-title").await;
    let a = body.find("그로스 마케팅 입문").unwrap();
    let b = body.find("Pitch Deck Masterclass").unwrap();
    assert!(a < b, "descending title: Hangul sorts after Latin");
    // Links keep the filter and the order.
    assert!(
        body.contains("?status=published&amp;o=title"),
        "header link flips the order and keeps the filter"
    );
    // Unknown sort columns, filters and values are ignored, never passed to SQL.
    let (status, _) = page(
        &client,
        &app,
        "/admin/course?o=password_hash&status=x%27--&nope=1&p=999",
    )
    .await;
    assert_eq!(status, 200);
    let (_, body) = page(&client, &app, "/admin/user?q=kim%40").await;
    assert!(body.contains("kim@example.com") && !body.contains("lee@example.com"));
}

#[tokio::test]
async fn pagination_keeps_filters_and_show_all_lists_everything() {
    let app = spawn_app().await;
    app.seed(10, 60, 0);
    let client = superuser(&app).await;
    let (_, body) = page(&client, &app, "/admin/user?staff=0").await;
    assert!(body.contains("60건"), "{}", &body[..200.min(body.len())]);
    assert!(
        body.contains("href=\"?staff=0&amp;p=2\""),
        "the next page keeps the filter"
    );
    assert!(body.contains("?staff=0&amp;all=1"));
    let (_, page2) = page(&client, &app, "/admin/user?staff=0&p=2").await;
    assert_eq!(page2.matches("name=\"_selected\"").count(), 10);
    let (_, all) = page(&client, &app, "/admin/user?staff=0&all=1").await;
    assert_eq!(all.matches("name=\"_selected\"").count(), 60);
    let (_, today) = page(&client, &app, "/admin/user?created=today").await;
    assert!(
        today.contains("root@hancup.kr"),
        "the superuser joined today"
    );
    let (_, year) = page(&client, &app, "/admin/user?created=year&staff=1").await;
    assert!(year.contains(">1건<"), "filters combine");
}

#[tokio::test]
async fn related_columns_cost_no_query_per_row() {
    let app = spawn_app().await;
    app.seed(20, 100, 400);
    let client = superuser(&app).await;
    let few = statements(&client, &app, "/admin/enrollment?q=zzzz-nobody").await;
    let many = statements(&client, &app, "/admin/enrollment").await;
    let filtered = statements(
        &client,
        &app,
        "/admin/enrollment?course=1&created=year&q=user&p=2",
    )
    .await;
    assert_eq!(
        few, many,
        "50 rows with learner and course joined cost what 0 rows cost"
    );
    assert!(
        filtered <= many + 1,
        "the course filter lists its choices in one query: {filtered} vs {many}"
    );
    let courses = statements(&client, &app, "/admin/course").await;
    assert!(courses <= many + 2, "{courses}");
}

#[tokio::test]
async fn csv_export_has_a_bom_and_the_filtered_rows() {
    let app = spawn_app().await;
    small_catalog(&app);
    let client = superuser(&app).await;
    let resp = client
        .get(app.url("/admin/course/export.csv?status=published&o=title"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "header and three published courses: {text}");
    assert!(lines[0].starts_with("id,제목,분야"));
    assert!(lines[1].contains("Pitch Deck Masterclass"));
    assert!(
        lines[1].contains(",공개,"),
        "choices are exported by their label"
    );
    assert!(!text.contains("비공개 마케팅 초안"));
}
