//! The admin login's second factor: a superuser (under the default `superusers` rule) sets up
//! TOTP from the QR code page and gets 10 recovery codes; later logins take a computed code,
//! refuse the same code twice, take a recovery code once, throttle wrong codes; a superuser's
//! reset (unticking the user's two-factor box) is written to the history and asks for a new
//! set-up. Until the code is accepted nobody is logged in.

use reqwest::Client;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::admin_support::{admin_login, post, user_with_password};
use crate::browser::{csrf_of, page};
use crate::helpers::{spawn_with, TestApp};

async fn mfa_app(rule: &str) -> TestApp {
    let rule = rule.to_owned();
    spawn_with(move |c| c.auth.require_mfa_for = rule).await
}

fn code_at(secret: &str, unix: u64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes)
        .unwrap()
        .generate(unix)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn send_code(client: &Client, app: &TestApp, code: &str) -> (u16, String) {
    let (_, html) = page(client, app, "/admin/login/mfa").await;
    let resp = client
        .post(app.url("/admin/login/mfa"))
        .form(&[("code", code), ("csrf_token", &csrf_of(&html))])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Password step for `email`; asserts it goes on to the code step.
async fn password_step(app: &TestApp, email: &str) -> Client {
    let (client, resp) = admin_login(app, email).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/admin/login/mfa");
    // Not logged in yet.
    let admin = client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(admin.status(), 303, "the admin is closed until the code");
    client
}

/// Enrols `email` (a staff user with the test password): answers the secret and the codes.
async fn enrol(app: &TestApp, email: &str) -> (String, Vec<String>) {
    let client = password_step(app, email).await;
    let (status, html) = page(&client, app, "/admin/login/mfa").await;
    assert_eq!(status, 200);
    assert!(html.contains("<svg"), "the QR code is an inline SVG");
    let secret = html
        .split("class=\"mfa-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let (status, html) = send_code(&client, app, &code_at(&secret, unix_now())).await;
    assert_eq!(status, 200, "{html}");
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(page(&client, app, "/admin").await.0, 200, "logged in");
    (secret, codes)
}

#[tokio::test]
async fn a_superuser_sets_up_totp_then_a_computed_code_works_once() {
    let app = mfa_app("superusers").await;
    user_with_password(&app, "root@hancup.kr", true, true);
    let (secret, _) = enrol(&app, "root@hancup.kr").await;
    // The code just used is refused the next time: same step.
    let client = password_step(&app, "root@hancup.kr").await;
    let (status, _) = send_code(&client, &app, &code_at(&secret, unix_now())).await;
    assert_eq!(status, 400, "a code is never accepted twice");
    assert_eq!(page(&client, &app, "/admin").await.0, 303);
    // The next step's code (within the allowed skew) is accepted.
    let (status, _) = send_code(&client, &app, &code_at(&secret, unix_now() + 30)).await;
    assert_eq!(status, 303);
    assert_eq!(page(&client, &app, "/admin").await.0, 200);
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = mfa_app("superusers").await;
    user_with_password(&app, "root@hancup.kr", true, true);
    let (_, codes) = enrol(&app, "root@hancup.kr").await;
    let client = password_step(&app, "root@hancup.kr").await;
    assert_eq!(
        send_code(&client, &app, &codes[3].to_uppercase()).await.0,
        303
    );
    let again = password_step(&app, "root@hancup.kr").await;
    assert_eq!(send_code(&again, &app, &codes[3]).await.0, 400, "used up");
    assert_eq!(
        send_code(&again, &app, &codes[4]).await.0,
        303,
        "another one works"
    );
    let stored: i64 = crate::admin_support::scalar(
        &app,
        "SELECT count(*) FROM mfa_recovery_codes WHERE code_hash LIKE '%-%'",
    );
    assert_eq!(stored, 0, "codes are stored hashed");
}

#[tokio::test]
async fn wrong_codes_are_throttled() {
    let app = spawn_with(|c| {
        c.auth.require_mfa_for = "superusers".into();
        c.auth.account_failure_limit = 3;
    })
    .await;
    user_with_password(&app, "root@hancup.kr", true, true);
    let (secret, _) = enrol(&app, "root@hancup.kr").await;
    let client = password_step(&app, "root@hancup.kr").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(send_code(&client, &app, "000000").await.0);
    }
    assert_eq!(statuses, [400, 400, 400, 429]);
    // Even the right code waits out the lock.
    let (status, _) = send_code(&client, &app, &code_at(&secret, unix_now() + 30)).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn the_rule_decides_who_needs_a_second_factor() {
    let app = mfa_app("superusers").await;
    user_with_password(&app, "staff@hancup.kr", true, false);
    let (_, resp) = admin_login(&app, "staff@hancup.kr").await;
    assert_eq!(
        resp.headers()["location"],
        "/admin",
        "plain staff go straight in"
    );
    let strict = mfa_app("staff").await;
    user_with_password(&strict, "staff@hancup.kr", true, false);
    password_step(&strict, "staff@hancup.kr").await;
    let relaxed = mfa_app("none").await;
    user_with_password(&relaxed, "root@hancup.kr", true, true);
    let (_, resp) = admin_login(&relaxed, "root@hancup.kr").await;
    assert_eq!(resp.headers()["location"], "/admin");
}

#[tokio::test]
async fn a_superusers_reset_is_in_the_history_and_asks_for_a_new_set_up() {
    let app = mfa_app("staff").await;
    let staff = user_with_password(&app, "staff@hancup.kr", true, false);
    enrol(&app, "staff@hancup.kr").await;
    user_with_password(&app, "root@hancup.kr", true, true);
    let (secret, _) = enrol(&app, "root@hancup.kr").await;
    let root = password_step(&app, "root@hancup.kr").await;
    // The superuser logs in with the next step's code.
    let stored: String = app
        .state
        .db
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row(
                "SELECT secret FROM mfa_totp t JOIN users u ON u.id = t.user_id WHERE u.email = 'root@hancup.kr'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(stored, secret);
    assert_eq!(
        send_code(&root, &app, &code_at(&secret, unix_now() + 30))
            .await
            .0,
        303
    );
    let change = format!("/admin/user/{staff}");
    let (_, form) = page(&root, &app, &change).await;
    assert!(
        form.contains("name=\"mfa_enabled\""),
        "the superuser sees the box"
    );
    let (status, body, _) = post(
        &root,
        &app,
        &change,
        &change,
        &[
            ("email", "staff@hancup.kr"),
            ("display_name", "운영자"),
            ("is_active", "on"),
            ("is_staff", "on"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let left: i64 = crate::admin_support::scalar(
        &app,
        &format!("SELECT count(*) FROM mfa_totp WHERE user_id = {staff}"),
    );
    assert_eq!(left, 0, "the secret is gone");
    let logged: i64 = crate::admin_support::scalar(
        &app,
        &format!(
            "SELECT count(*) FROM admin_log WHERE model = 'user' AND object_id = {staff} AND changes LIKE '%mfa_enabled%'"
        ),
    );
    assert_eq!(logged, 1, "the reset is in the history");
    // The staff member sets up a new authenticator at the next login.
    let client = password_step(&app, "staff@hancup.kr").await;
    let (_, html) = page(&client, &app, "/admin/login/mfa").await;
    assert!(html.contains("<svg"));
}
