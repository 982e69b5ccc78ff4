//! Issue 12, the low findings that are ours, replayed from outside (one test each): foreign-key
//! labels, reset rate limits, reset links dying at login and e-mail change, the unusable
//! password's timing, CSRF tokens bound to the session, the proxy's hop for throttling.

use serde_json::json;

use crate::admin_support::{admin_login, grant, make_staff, post, user_with_password};
use crate::browser::{csrf_of, login, page, signup, PW};
use crate::helpers::{small_catalog, spawn_app, spawn_with, TestApp};

#[tokio::test]
async fn a_rerendered_form_names_a_submitted_id_only_when_its_object_is_visible() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let root = user_with_password(&app, "root-secret@hancup.kr", true, true);

    // Staff who may change courses but not view users probe a user id through the course form.
    let staff = user_with_password(&app, "courses@hancup.kr", true, false);
    grant(
        &app,
        staff,
        &[
            "catalog.view_course",
            "catalog.add_course",
            "catalog.change_course",
        ],
    );
    let (client, _) = admin_login(&app, "courses@hancup.kr").await;
    let probe = |course_field: &'static str, id: i64| {
        vec![
            ("title".to_owned(), String::new()),
            ("slug".to_owned(), "probe".to_owned()),
            ("level".to_owned(), "beginner".to_owned()),
            ("status".to_owned(), "draft".to_owned()),
            ("category_id".to_owned(), ids.marketing.to_string()),
            (course_field.to_owned(), id.to_string()),
        ]
    };
    let form = probe("instructor_id", root);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body, _) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &fields,
    )
    .await;
    assert_eq!(status, 400, "re-rendered with the title error");
    assert!(!body.contains("root-secret@hancup.kr"), "{body}");

    // With view_user the same form names the user (the label is a convenience, not a secret).
    grant(&app, staff, &["accounts.view_user"]);
    let (status, body, _) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &fields,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("root-secret@hancup.kr"));

    // An instructor probes another instructor's draft through the lesson form.
    make_staff(&app, ids.lee, false);
    app.db()
        .write(|tx| hancup::accounts::perms::add_to_role(tx, ids.lee, "instructors"))
        .unwrap();
    let (lee, _) = admin_login(&app, "lee@example.com").await;
    for (course, visible) in [(ids.draft, false), (ids.pitch, true)] {
        let course = course.to_string();
        let (status, body, _) = post(
            &lee,
            &app,
            "/admin/lesson/add",
            "/admin/lesson/add",
            &[("course_id", &course), ("position", "1"), ("title", "")],
        )
        .await;
        assert_eq!(status, 400);
        assert!(!body.contains("비공개 마케팅 초안"), "kim's draft title");
        assert_eq!(
            body.contains("Pitch Deck Masterclass"),
            visible,
            "lee's own course is named"
        );
    }
}

/// A reset request for `email` from this test's client: (status, Retry-After, mails sent).
async fn ask_reset(app: &TestApp, email: &str) -> (u16, Option<String>, usize) {
    let before = app.state.mailer.outbox().len();
    let client = app.browser();
    let (_, html) = page(&client, app, "/accounts/password-reset").await;
    let token = csrf_of(&html);
    let resp = client
        .post(app.url("/accounts/password-reset"))
        .form(&[("email", email), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        resp.status().as_u16(),
        retry,
        app.state.mailer.outbox().len() - before,
    )
}

#[tokio::test]
async fn reset_requests_are_rate_limited_per_address_asked_and_per_client() {
    let app = spawn_app().await;
    signup(&app.browser(), &app, "victim@example.kr").await;
    // The same statuses for an account and for an address without one: no enumeration.
    for email in ["victim@example.kr", "ghost@example.kr"] {
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let (status, retry, _) = ask_reset(&app, email).await;
            statuses.push(status);
            if status == 429 {
                let secs: i64 = retry.expect("Retry-After").parse().unwrap();
                assert!((1..=3600).contains(&secs), "{secs}");
            }
        }
        assert_eq!(statuses, [200, 200, 200, 429], "{email}");
    }
    assert_eq!(
        app.state.mailer.outbox().len(),
        3,
        "three mails to the account, none to the ghost"
    );
    // Per client: ten addresses asked for, the eleventh refused (8 so far from this client).
    let mut last = 0;
    for i in 0..3 {
        last = ask_reset(&app, &format!("other{i}@example.kr")).await.0;
    }
    assert_eq!(last, 429, "the 11th request from one client");
}

fn reset_path(app: &TestApp) -> String {
    let mail = app.state.mailer.outbox().pop().expect("a reset mail");
    let start = mail.body.find(&app.base).expect("absolute link");
    mail.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches(&app.base)
        .to_owned()
}

#[tokio::test]
async fn reset_links_die_at_the_next_login_and_when_the_email_changes() {
    let app = spawn_app().await;
    signup(&app.browser(), &app, "owner@example.kr").await;
    // A login in the same second as the link would sign the same time: age it instead.
    let age = || {
        app.exec(|tx| {
            tx.execute(
                "UPDATE users SET last_login_at = '2026-01-01T00:00:00Z' WHERE email = 'owner@example.kr'",
                [],
            )?;
            Ok(())
        })
    };
    age();
    assert_eq!(ask_reset(&app, "owner@example.kr").await.0, 200);
    let link = reset_path(&app);
    assert_eq!(page(&app.browser(), &app, &link).await.0, 200, "valid");
    assert_eq!(
        login(&app.browser(), &app, "owner@example.kr", PW)
            .await
            .status(),
        303
    );
    assert_eq!(page(&app.browser(), &app, &link).await.0, 404, "login");

    age();
    assert_eq!(ask_reset(&app, "owner@example.kr").await.0, 200);
    let link = reset_path(&app);
    assert_eq!(page(&app.browser(), &app, &link).await.0, 200);
    let root = crate::admin_support::superuser(&app).await;
    let id = crate::admin_support::scalar(
        &app,
        "SELECT id FROM users WHERE email = 'owner@example.kr'",
    );
    let change = format!("/admin/user/{id}");
    let (status, body, _) = post(
        &root,
        &app,
        &change,
        &change,
        &[
            ("email", "moved@example.kr"),
            ("display_name", "김민지"),
            ("is_active", "on"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        page(&app.browser(), &app, &link).await.0,
        404,
        "e-mail changed"
    );
}

#[tokio::test]
async fn an_unusable_password_costs_the_same_hash_as_a_wrong_one() {
    let app = spawn_app().await;
    signup(&app.browser(), &app, "real@example.kr").await;
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO users (email, display_name, password_hash) VALUES ('sso@example.kr', '외부 로그인', '!unusable')",
            [],
        )?;
        Ok(())
    });
    // Counted, not timed (a shared machine makes timings noise): each refused login runs
    // exactly one argon2 verification, whether the password is wrong or cannot match at all.
    // Before, the unusable one answered without any, and its speed told the account apart.
    let hashes = &app.state.accounts.hashes;
    for email in ["real@example.kr", "sso@example.kr", "nobody@example.kr"] {
        let before = hashes.finished();
        let (status, _, _) = app
            .post_json(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": "wrong password!"}),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(hashes.finished() - before, 1, "{email}: one verification");
    }
}

#[tokio::test]
async fn a_csrf_token_from_one_session_is_refused_in_another() {
    let app = spawn_app().await;
    signup(&app.browser(), &app, "a@example.kr").await;
    signup(&app.browser(), &app, "b@example.kr").await;
    let a = app.browser();
    assert_eq!(login(&a, &app, "a@example.kr", PW).await.status(), 303);
    let (_, html) = page(&a, &app, "/accounts/me").await;
    let token_a = csrf_of(&html);
    // B's session, with A's token planted as B's CSRF cookie (a sibling-subdomain cookie).
    let b = app.browser();
    let resp = login(&b, &app, "b@example.kr", PW).await;
    let session_b = crate::browser::session_cookie(&resp)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let name_before = crate::admin_support::text(
        &app,
        "SELECT display_name FROM users WHERE email = 'b@example.kr'",
    );
    let resp = plain
        .post(app.url("/accounts/me"))
        .header("cookie", format!("{session_b}; csrftoken={token_a}"))
        .form(&[
            ("display_name", "빼앗긴 이름"),
            ("csrf_token", token_a.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        crate::admin_support::text(
            &app,
            "SELECT display_name FROM users WHERE email = 'b@example.kr'"
        ),
        name_before
    );
    // B's own token still works.
    let (_, html) = page(&b, &app, "/accounts/me").await;
    let token_b = csrf_of(&html);
    let resp = b
        .post(app.url("/accounts/me"))
        .form(&[
            ("display_name", "비의 이름"),
            ("csrf_token", token_b.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
}

#[tokio::test]
async fn behind_a_proxy_the_throttle_keys_on_the_hop_the_proxy_added() {
    let app = spawn_with(|c| {
        c.auth.trust_forwarded_for = true;
        c.auth.address_failure_limit = 3;
        c.auth.account_failure_limit = 1000;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        // The client varies the first hop; the proxy appends the real address last.
        let resp = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("10.0.0.{i}, 198.51.100.7"))
            .json(&json!({"email": format!("u{i}@example.kr"), "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [400, 400, 400, 429]);
}

#[tokio::test]
async fn look_alike_emails_and_names_are_refused_at_sign_up() {
    let app = spawn_app().await;
    // (e-mail, display name, field named in the 400)
    let cases = [
        ("admin\u{200B}@hancup.kr", "관리자", "email"),
        ("admin@h\u{0430}ncup.kr", "관리자", "email"),
        ("learner@hancup.kr", "김\u{202E}민지", "display_name"),
        ("learner@hancup.kr", "\u{3164}", "display_name"),
    ];
    for (email, name, field) in cases {
        let (status, _, body) = app
            .post_json(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "display_name": name, "password": PW,
                    "accept_terms": true, "accept_privacy": true, "age_14_or_older": true}),
            )
            .await;
        assert_eq!(status, 400, "{email:?} {name:?}: {body}");
        assert!(body[field].is_array(), "{field}: {body}");
    }
    assert_eq!(
        crate::admin_support::scalar(&app, "SELECT COUNT(*) FROM users"),
        0,
        "nobody created"
    );
    // A full-width address is the same account as the plain one.
    let (status, _, body) = app
        .post_json(
            "/api/v1/auth/register",
            None,
            json!({"email": "ｋｉｍ@ｈａｎｃｕｐ.ｋｒ", "display_name": "김민지", "password": PW,
                "accept_terms": true, "accept_privacy": true, "age_14_or_older": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        crate::admin_support::text(&app, "SELECT email FROM users"),
        "kim@hancup.kr"
    );
}

#[tokio::test]
async fn logged_in_answers_are_never_stored_by_a_cache() {
    let app = spawn_app().await;
    small_catalog(&app);
    signup(&app.browser(), &app, "cached@example.kr").await;
    let browser = app.browser();
    assert_eq!(
        login(&browser, &app, "cached@example.kr", PW)
            .await
            .status(),
        303
    );
    for path in ["/courses", "/accounts/me", "/api/v1/courses", "/nowhere"] {
        let resp = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            resp.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("private, no-store"),
            "{path}"
        );
        let anon = app.get(path).await;
        let cc = anon
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(!cc.contains("private"), "{path} anonymous: {cc}");
    }
    // The API docs' content-hashed Swagger files are the same for everyone: a logged-in
    // browser still caches them for good.
    let page = browser.get(app.url("/api/docs")).send().await.unwrap();
    let html = page.text().await.unwrap();
    let asset = html
        .split('"')
        .find(|s| s.starts_with("/api/docs/") && s.ends_with(".js"))
        .expect("a versioned docs script")
        .to_owned();
    let resp = browser.get(app.url(&asset)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{asset}");
    let cc = resp.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(
        cc.contains("immutable") && !cc.contains("no-store"),
        "{asset}: {cc}"
    );
}

#[test]
fn reset_tokens_never_reach_the_request_log() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hancup"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .current_dir(dir.path())
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_LOG__LEVEL", "info")
        .env("HANCUP_LOG__FORMAT", "json")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let secret = "1767225600-c2VjcmV0LXNpZ25hdHVyZS10aGF0LW11c3Qtbm90LWxlYWs";
    let mut answered = false;
    while started.elapsed() < std::time::Duration::from_secs(20) && !answered {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Write;
            write!(
                s,
                "GET /accounts/password-reset/1/{secret} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            answered = out.starts_with("HTTP/1.1");
        } else {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    assert!(answered, "the server answered");
    // The log line is written after the answer; give it a moment, then stop the server.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let mut text = String::new();
    std::fs::File::open(dir.path().join("log"))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(
        text.contains("/accounts/password-reset/1/[redacted]"),
        "{text}"
    );
    assert!(!text.contains(secret), "{text}");
}
