//! The in-memory session → user memo (`web::session`, `web::auth`): a warm logged-in request
//! reads neither its session nor its user, and every write that changes either shows on the very
//! next request — logout everywhere, password change, deactivation, lost staff rights, a new
//! display name, an expired session.

use crate::admin_support::{make_staff, superuser};
use crate::browser::{login, page, signup, submit, PW, PW2};
use crate::helpers::{spawn_app, TestApp};

/// Changes the database behind the server's back (another process would): no commit through
/// the server's `Db`, so nothing in the server learns of it.
fn outside(app: &TestApp, sql: &str) {
    let conn = rusqlite::Connection::open(&app.state.config.database.path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

async fn me(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    client.get(app.url("/accounts/me")).send().await.unwrap()
}

fn user_id(app: &TestApp, email: &str) -> i64 {
    app.db()
        .read(|c| {
            c.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .map_err(hancup::db::DbError::from)
        })
        .unwrap()
}

#[tokio::test]
async fn a_warm_session_is_remembered_until_the_next_commit() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "warm@example.kr").await;
    // The first page stores the session's CSRF token (a commit); the second is remembered.
    for _ in 0..2 {
        assert_eq!(me(&app, &browser).await.status(), 200);
    }
    // Behind the server's back the name changes and the session is deleted: the remembered
    // session and user still answer (within `cache.ttl_ms`, as cached pages do)...
    outside(
        &app,
        "UPDATE users SET display_name = '몰래바뀐이름' WHERE email = 'warm@example.kr'",
    );
    let (status, html) = page(&browser, &app, "/accounts/me").await;
    assert_eq!(status, 200);
    assert!(html.contains("김민지"), "served from the memo");
    outside(&app, "DELETE FROM sessions");
    assert_eq!(
        me(&app, &browser).await.status(),
        200,
        "served from the memo"
    );
    // ...until any commit through the server: then both are read again.
    app.exec(|tx| tx.execute_batch("UPDATE users SET updated_at = updated_at WHERE id = 0"));
    assert_eq!(
        me(&app, &browser).await.status(),
        303,
        "the session is gone"
    );
}

#[tokio::test]
async fn the_cache_off_server_remembers_nothing() {
    let app = crate::helpers::spawn_with(|c| c.cache.ttl_ms = 0).await;
    let browser = app.browser();
    signup(&browser, &app, "cold@example.kr").await;
    assert_eq!(me(&app, &browser).await.status(), 200);
    outside(
        &app,
        "UPDATE users SET display_name = '바로보임' WHERE email = 'cold@example.kr'",
    );
    let (_, html) = page(&browser, &app, "/accounts/me").await;
    assert!(html.contains("바로보임"), "every request reads its user");
    outside(&app, "DELETE FROM sessions");
    assert_eq!(me(&app, &browser).await.status(), 303, "and its session");
}

#[tokio::test]
async fn a_new_display_name_shows_on_the_next_page() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "name@example.kr").await;
    let (_, html) = page(&browser, &app, "/accounts/me").await;
    assert!(html.contains("김민지"));
    let (_, _, body) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "name@example.kr", "password": PW}),
        )
        .await;
    let token = body["token"].as_str().unwrap().to_owned();
    let resp = app
        .client
        .patch(app.url("/api/v1/auth/me"))
        .header("Authorization", format!("Token {token}"))
        .json(&serde_json::json!({"display_name": "박서준"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, html) = page(&browser, &app, "/accounts/me").await;
    assert!(html.contains("박서준") && !html.contains("김민지"));
}

#[tokio::test]
async fn logging_out_everywhere_ends_a_warm_session_on_its_next_request() {
    let app = spawn_app().await;
    let phone = app.browser();
    signup(&phone, &app, "everywhere@example.kr").await;
    let laptop = app.browser();
    assert_eq!(
        login(&laptop, &app, "everywhere@example.kr", PW)
            .await
            .status(),
        303
    );
    for _ in 0..2 {
        assert_eq!(me(&app, &laptop).await.status(), 200);
    }
    let resp = submit(&phone, &app, "/accounts/me", "/accounts/logout-all", &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        me(&app, &laptop).await.status(),
        303,
        "the laptop is logged out"
    );
}

#[tokio::test]
async fn a_password_change_ends_a_warm_session_on_its_next_request() {
    let app = spawn_app().await;
    let phone = app.browser();
    signup(&phone, &app, "pw@example.kr").await;
    let laptop = app.browser();
    assert_eq!(
        login(&laptop, &app, "pw@example.kr", PW).await.status(),
        303
    );
    for _ in 0..2 {
        assert_eq!(me(&app, &laptop).await.status(), 200);
    }
    let resp = submit(
        &phone,
        &app,
        "/accounts/password",
        "/accounts/password",
        &[
            ("old_password", PW),
            ("new_password1", PW2),
            ("new_password2", PW2),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(me(&app, &laptop).await.status(), 303);
    assert_eq!(me(&app, &phone).await.status(), 200, "the changer stays");
}

#[tokio::test]
async fn deactivation_and_expiry_end_a_warm_session_on_its_next_request() {
    let app = spawn_app().await;
    let one = app.browser();
    signup(&one, &app, "gone@example.kr").await;
    let two = app.browser();
    signup(&two, &app, "expired@example.kr").await;
    for _ in 0..2 {
        assert_eq!(me(&app, &one).await.status(), 200);
        assert_eq!(me(&app, &two).await.status(), 200);
    }
    let gone = user_id(&app, "gone@example.kr");
    app.exec(|tx| {
        tx.execute("UPDATE users SET is_active = 0 WHERE id = ?1", [gone])
            .map(|_| ())
    });
    assert_eq!(me(&app, &one).await.status(), 303, "deactivated");
    let expired = user_id(&app, "expired@example.kr");
    app.exec(|tx| {
        tx.execute(
            "UPDATE sessions SET expires_at = 0 WHERE user_id = ?1",
            [expired],
        )
        .map(|_| ())
    });
    assert_eq!(me(&app, &two).await.status(), 303, "expired");
}

#[tokio::test]
async fn lost_staff_rights_show_on_the_next_admin_request() {
    let app = spawn_app().await;
    let root = superuser(&app).await;
    let staff = app.browser();
    signup(&staff, &app, "staff@example.kr").await;
    let id = user_id(&app, "staff@example.kr");
    make_staff(&app, id, true);
    let (status, _) = page(&staff, &app, "/admin").await;
    assert_eq!(status, 200);
    let (status, _) = page(&staff, &app, "/admin").await;
    assert_eq!(status, 200);
    app.exec(|tx| {
        tx.execute(
            "UPDATE users SET is_staff = 0, is_superuser = 0 WHERE id = ?1",
            [id],
        )
        .map(|_| ())
    });
    let resp = staff.get(app.url("/admin")).send().await.unwrap();
    assert_ne!(resp.status(), 200, "no longer staff: no admin");
    let (status, _) = page(&root, &app, "/admin").await;
    assert_eq!(status, 200, "the other staff session is untouched");
}
