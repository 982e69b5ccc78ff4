//! Another process holding the database's write lock (a CLI `loaddata`, a restore tool, a
//! backup program) past `database.busy_timeout_ms` makes a write unavailable, not broken: the
//! API, the pages and the admin answer 503 with `Retry-After` (never 500), nothing is written,
//! and the same request succeeds once the lock is gone.

use crate::admin_support::superuser;
use crate::browser::{csrf_of, page, signup};
use crate::helpers::{small_catalog, spawn_with};

/// Holds SQLite's write lock from a separate connection, as another process would.
fn lock_the_database(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

#[tokio::test]
async fn a_write_lock_held_elsewhere_is_a_503_with_retry_after_on_every_surface() {
    let app = spawn_with(|c| c.database.busy_timeout_ms = 200).await;
    small_catalog(&app);
    let (_, token) = app.user_with_token("busy@example.kr", "바쁜 학습자");
    let learner = app.browser();
    signup(&learner, &app, "busy-page@example.kr").await;
    let admin = superuser(&app).await;
    let (_, course_html) = page(&learner, &app, "/courses/pitch-deck").await;
    let page_csrf = csrf_of(&course_html);
    let (_, add_html) = page(&admin, &app, "/admin/category/add").await;
    let admin_csrf = csrf_of(&add_html);
    let db_path = app.state.config.database.path.clone();
    let enrollments = || {
        app.db()
            .read(|c| {
                c.query_row("SELECT count(*) FROM enrollments", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(hancup::db::DbError::from)
            })
            .unwrap()
    };
    let before = enrollments();

    let lock = lock_the_database(&db_path);
    // API: enrol.
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/courses/pitch-deck/enrollment"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "2");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("busy"), "{body}");
    // Pages: the enrol form.
    let resp = learner
        .post(app.url("/courses/pitch-deck/enroll"))
        .form(&[("csrf_token", page_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "2");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("잠시 후 다시 시도해 주세요"),
        "the styled page says what to do"
    );
    // Admin: add a category.
    let resp = admin
        .post(app.url("/admin/category/add"))
        .form(&[
            ("name", "잠긴 분야"),
            ("name_en", "Locked"),
            ("slug", "locked"),
            ("position", "9"),
            ("csrf_token", admin_csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "2");
    drop(lock);

    assert_eq!(enrollments(), before, "nothing was written");
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/courses/pitch-deck/enrollment"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "the same request works once the lock is gone"
    );
    assert_eq!(enrollments(), before + 1);
}
