//! Account pages in a cookie-keeping client: CSRF on every form, session fixation, sessions
//! redirects that never leave the site, form errors, the session on the API, cookie attributes.

use crate::browser::{csrf_of, login, page, session_cookie, signup, submit, PW, PW2};
use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn signup_logs_in_and_the_header_shows_the_user() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "minji@example.kr").await;
    let (_, home) = page(&browser, &app, "/").await;
    assert!(home.contains("김민지"), "logged in after sign-up");
    assert!(
        home.contains("회원가입이 완료되었습니다"),
        "a welcome message"
    );
    let (_, again) = page(&browser, &app, "/").await;
    assert!(
        again.contains("김민지") && !again.contains("회원가입이 완료되었습니다"),
        "the message shows once"
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_with_403() {
    let app = spawn_app().await;
    let browser = app.browser();
    let (_, _) = page(&browser, &app, "/accounts/login").await;
    for (path, fields) in [
        (
            "/accounts/login",
            vec![("email", "a@b.kr"), ("password", PW)],
        ),
        ("/accounts/signup", vec![("email", "a@b.kr")]),
        ("/accounts/logout", vec![]),
        ("/accounts/password-reset", vec![("email", "a@b.kr")]),
    ] {
        let resp = browser
            .post(app.url(path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{path}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("보안 토큰"), "{path}: a clear page");
        let mut with_wrong = fields.clone();
        with_wrong.push(("csrf_token", "x".repeat(43).leak()));
        let resp = browser
            .post(app.url(path))
            .form(&with_wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{path} with a wrong token");
    }
    // A right token from another site (Origin) is refused too.
    let (_, html) = page(&browser, &app, "/accounts/login").await;
    let token = csrf_of(&html);
    let resp = browser
        .post(app.url("/accounts/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("email", "a@b.kr"),
            ("password", PW),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn login_rotates_the_session_id() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "fix@example.kr").await;
    let out = submit(&browser, &app, "/", "/accounts/logout", &[]).await;
    assert_eq!(out.status(), 303);
    let before = session_cookie(&out).expect("an anonymous session carries the flash");
    let resp = login(&browser, &app, "fix@example.kr", PW).await;
    assert_eq!(resp.status(), 303);
    let after = session_cookie(&resp).expect("login sets a new session cookie");
    assert_ne!(
        before.split(';').next(),
        after.split(';').next(),
        "session id changed at login"
    );
    assert!(
        after.contains("HttpOnly") && after.contains("SameSite=Lax"),
        "{after}"
    );
}

#[tokio::test]
async fn wrong_login_rerenders_with_the_email_kept_and_one_message() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "keep@example.kr").await;
    let anon = app.browser();
    let resp = login(&anon, &app, "keep@example.kr", "wrong password!").await;
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(html.contains("이메일 또는 비밀번호가 올바르지 않습니다"));
    assert!(html.contains("value=\"keep@example.kr\""));
    assert!(
        !html.contains("wrong password!"),
        "the password is never echoed"
    );
    let resp = login(&anon, &app, "nobody@example.kr", "wrong password!").await;
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("이메일 또는 비밀번호가 올바르지 않습니다"),
        "same message for unknown e-mail"
    );
}

#[tokio::test]
async fn login_returns_to_next_but_never_off_site() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "next@example.kr").await;
    let resp = browser.get(app.url("/accounts/me")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let anon = app.browser();
    let resp = anon.get(app.url("/accounts/me")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/accounts/login?next=%2Faccounts%2Fme&reason=login_required"
    );
    for (next, expected) in [
        ("/accounts/me", "/accounts/me"),
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
    ] {
        let anon = app.browser();
        let resp = submit(
            &anon,
            &app,
            "/accounts/login",
            "/accounts/login",
            &[
                ("email", "next@example.kr"),
                ("password", PW),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(resp.headers()["location"], expected, "{next}");
    }
}

#[tokio::test]
async fn signup_errors_keep_the_input_and_name_each_field() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&app.browser(), &app, "taken@example.kr").await;
    let resp = submit(
        &browser,
        &app,
        "/accounts/signup",
        "/accounts/signup",
        &[
            ("email", "taken@example.kr"),
            ("display_name", "이서준"),
            ("password", "12345"),
            ("password2", "12345"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(html.contains("value=\"이서준\""), "input kept");
    assert!(html.contains("10자"), "the limit is named in Korean");
    let resp = submit(
        &browser,
        &app,
        "/accounts/signup",
        "/accounts/signup",
        &[
            ("email", "taken@example.kr"),
            ("display_name", "이서준"),
            ("password", PW),
            ("password2", PW),
            ("accept_terms", "1"),
            ("accept_privacy", "1"),
            ("age_14_or_older", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text().await.unwrap().contains("이미"),
        "duplicate e-mail is a form error"
    );
    let resp = submit(
        &browser,
        &app,
        "/accounts/signup",
        "/accounts/signup",
        &[
            ("email", "new@example.kr"),
            ("display_name", "이서준"),
            ("password", PW),
            ("password2", PW2),
        ],
    )
    .await;
    assert_eq!(resp.status(), 400, "confirmation must match");
}

#[tokio::test]
async fn display_name_changes_from_my_account() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "name@example.kr").await;
    let resp = submit(
        &browser,
        &app,
        "/accounts/me",
        "/accounts/me",
        &[("display_name", "새 이름")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let (_, html) = page(&browser, &app, "/accounts/me").await;
    assert!(html.contains("새 이름"));
    let resp = submit(
        &browser,
        &app,
        "/accounts/me",
        "/accounts/me",
        &[("display_name", &"가".repeat(101))],
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text().await.unwrap().contains("100"),
        "names the limit"
    );
}

#[tokio::test]
async fn the_browser_session_works_for_the_api_with_csrf_on_writes() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "spa@example.kr").await;
    let resp = browser
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = browser
        .patch(app.url("/api/v1/auth/me"))
        .json(&serde_json::json!({"display_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "no X-CSRFToken");
    assert!(resp.text().await.unwrap().contains("CSRF"));
    let (_, html) = page(&browser, &app, "/accounts/me").await;
    let token = csrf_of(&html);
    let resp = browser
        .patch(app.url("/api/v1/auth/me"))
        .header("x-csrftoken", token)
        .json(&serde_json::json!({"display_name": "세션"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn under_https_cookies_are_secure_with_the_host_prefix_and_hsts_is_sent() {
    let app = spawn_with(|c| c.server.public_url = "https://hancup.example".into()).await;
    let resp = app
        .client
        .get(app.url("/accounts/login"))
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-csrftoken=") && cookie.contains("Secure"),
        "{cookie}"
    );
    let plain = spawn_app().await;
    let resp = plain.client.get(plain.url("/")).send().await.unwrap();
    assert!(!resp.headers().contains_key("strict-transport-security"));
}
