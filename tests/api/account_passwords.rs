//! Passwords and the life of sessions: change ends other sessions and tokens, the reset link
//! works once, deactivation needs the password, expired sessions are refused and purged.

use crate::browser::{login, page, signup, submit, PW, PW2};
use crate::helpers::{spawn_app, without_toolbar, TestApp};

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = spawn_app().await;
    let phone = app.browser();
    signup(&phone, &app, "multi@example.kr").await;
    let laptop = app.browser();
    assert_eq!(
        login(&laptop, &app, "multi@example.kr", PW).await.status(),
        303
    );
    let token = app.register("other@example.kr", "다른", PW).await;
    let _ = token;
    let api_token = {
        let (_, _, b) = app
            .post_json(
                "/api/v1/auth/login",
                None,
                serde_json::json!({"email": "multi@example.kr", "password": PW}),
            )
            .await;
        b["token"].as_str().unwrap().to_owned()
    };
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
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let (_, phone_page) = page(&phone, &app, "/accounts/me").await;
    assert!(
        phone_page.contains("multi@example.kr"),
        "the changer stays logged in"
    );
    let resp = laptop.get(app.url("/accounts/me")).send().await.unwrap();
    assert_eq!(resp.status(), 303, "the other session ended");
    let (status, _, _) = app
        .get_auth("/api/v1/auth/me", &format!("Bearer {api_token}"))
        .await;
    assert_eq!(status, 401, "API tokens end too");
    assert_eq!(
        login(&app.browser(), &app, "multi@example.kr", PW2)
            .await
            .status(),
        303
    );
    let resp = submit(
        &phone,
        &app,
        "/accounts/password",
        "/accounts/password",
        &[
            ("old_password", "not it at all"),
            ("new_password1", PW),
            ("new_password2", PW),
        ],
    )
    .await;
    assert_eq!(resp.status(), 400, "a wrong old password is a field error");
}

fn reset_link(app: &TestApp) -> String {
    let mail = app
        .state
        .mailer
        .outbox()
        .pop()
        .expect("a reset mail was sent");
    let start = mail
        .body
        .find(&app.base)
        .expect("the mail has an absolute link");
    mail.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches(&app.base)
        .to_owned()
}

#[tokio::test]
async fn the_reset_link_works_once_and_ends_sessions() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "reset@example.kr").await;
    let anon = app.browser();
    let resp = submit(
        &anon,
        &app,
        "/accounts/password-reset",
        "/accounts/password-reset",
        &[("email", "reset@example.kr")],
    )
    .await;
    assert_eq!(resp.status(), 200);
    let sent_page = resp.text().await.unwrap();
    let link = reset_link(&app);
    assert!(link.starts_with("/accounts/password-reset/"), "{link}");
    let (status, _) = page(&anon, &app, &link).await;
    assert_eq!(status, 200);
    let resp = submit(
        &anon,
        &app,
        &link,
        &link,
        &[("new_password1", PW2), ("new_password2", PW2)],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/accounts/login");
    let (status, html) = page(&anon, &app, &link).await;
    assert_eq!(status, 404, "used once");
    assert!(!html.contains("new_password1"));
    assert_eq!(
        browser
            .get(app.url("/accounts/me"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "old sessions ended"
    );
    assert_eq!(
        login(&app.browser(), &app, "reset@example.kr", PW2)
            .await
            .status(),
        303
    );

    // An unknown address gets the same page and no mail.
    let before = app.state.mailer.outbox().len();
    let resp = submit(
        &anon,
        &app,
        "/accounts/password-reset",
        "/accounts/password-reset",
        &[("email", "ghost@example.kr")],
    )
    .await;
    assert_eq!(resp.status(), 200);
    // Same page, byte for byte, apart from the debug toolbar's timings.
    assert_eq!(
        without_toolbar(&resp.text().await.unwrap()),
        without_toolbar(&sent_page).replace("reset@example.kr", "ghost@example.kr")
    );
    assert_eq!(app.state.mailer.outbox().len(), before);
    let (status, _) = page(
        &anon,
        &app,
        "/accounts/password-reset/1/9999999999-deadbeef",
    )
    .await;
    assert_eq!(status, 404, "a forged link");
}

#[tokio::test]
async fn deactivation_needs_the_password_and_ends_everything() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "bye@example.kr").await;
    let resp = submit(
        &browser,
        &app,
        "/accounts/me",
        "/accounts/deactivate",
        &[("password", "not my password")],
    )
    .await;
    assert_eq!(resp.status(), 400);
    let resp = submit(
        &browser,
        &app,
        "/accounts/me",
        "/accounts/deactivate",
        &[("password", PW)],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        browser
            .get(app.url("/accounts/me"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let resp = login(&app.browser(), &app, "bye@example.kr", PW).await;
    assert_eq!(resp.status(), 403);
    let sessions: i64 = app
        .db()
        .read(|c| -> Result<i64, hancup::db::DbError> {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn expired_sessions_are_refused_and_purged() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "old@example.kr").await;
    app.exec(|tx| {
        tx.execute("UPDATE sessions SET expires_at = 1", [])?;
        Ok(())
    });
    assert_eq!(
        browser
            .get(app.url("/accounts/me"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "absolute expiry"
    );
    let (purged, _) = app.state.accounts.purge_expired().await.unwrap();
    assert!(purged >= 1);
    let browser = app.browser();
    assert_eq!(
        login(&browser, &app, "old@example.kr", PW).await.status(),
        303
    );
    let idle = app.state.config.session.idle_minutes as i64 * 60;
    app.exec(|tx| {
        tx.execute(
            "UPDATE sessions SET last_seen_at = last_seen_at - ?1 - 1",
            [idle],
        )?;
        Ok(())
    });
    assert_eq!(
        browser
            .get(app.url("/accounts/me"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "idle expiry"
    );
}
