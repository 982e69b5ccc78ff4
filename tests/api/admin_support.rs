//! Helpers for the admin tests: staff accounts with a real password, a logged-in admin
//! browser, and posting admin forms with their CSRF token.

use reqwest::Client;
use rusqlite::params;

use crate::browser::{csrf_of, page, PW};
use crate::helpers::TestApp;

/// Makes `user_id` staff (optionally superuser) with the test password `PW`.
pub fn make_staff(app: &TestApp, user_id: i64, superuser: bool) {
    let hash = app.state.accounts.hashes.params().hash(PW);
    app.exec(|tx| {
        tx.execute(
            "UPDATE users SET is_staff = 1, is_superuser = ?2, password_hash = ?3 WHERE id = ?1",
            params![user_id, superuser, hash],
        )?;
        Ok(())
    });
}

/// A new user with the test password; returns the id.
pub fn user_with_password(app: &TestApp, email: &str, staff: bool, superuser: bool) -> i64 {
    let hash = app.state.accounts.hashes.params().hash(PW);
    let mut id = 0;
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO users (email, display_name, password_hash, is_staff, is_superuser) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![email, "운영자", hash, staff, superuser],
        )?;
        id = tx.last_insert_rowid();
        Ok(())
    });
    id
}

pub fn grant(app: &TestApp, user_id: i64, codenames: &[&str]) {
    for c in codenames {
        app.db()
            .write(|tx| hancup::accounts::perms::grant(tx, user_id, c))
            .unwrap();
    }
}

/// Logs `email` in through the admin login page; returns the response and the client.
pub async fn admin_login(app: &TestApp, email: &str) -> (Client, reqwest::Response) {
    let client = app.browser();
    let (_, html) = page(&client, app, "/admin/login").await;
    let token = csrf_of(&html);
    let resp = client
        .post(app.url("/admin/login"))
        .form(&[
            ("email", email),
            ("password", PW),
            ("next", "/admin"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (client, resp)
}

/// A logged-in superuser's browser.
pub async fn superuser(app: &TestApp) -> Client {
    user_with_password(app, "root@hancup.kr", true, true);
    let (client, resp) = admin_login(app, "root@hancup.kr").await;
    assert_eq!(resp.status(), 303);
    client
}

/// GETs `form_path` for its CSRF token, then POSTs `fields` (repeats allowed) to `post_path`.
pub async fn post(
    client: &Client,
    app: &TestApp,
    form_path: &str,
    post_path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let (status, html) = page(client, app, form_path).await;
    assert_eq!(status, 200, "{form_path}: {html}");
    let token = csrf_of(&html);
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("csrf_token", &token));
    let resp = client
        .post(app.url(post_path))
        .form(&all)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, resp.text().await.unwrap(), location)
}

/// SQL statements the server ran for one request of this browser (debug header): the least of
/// three, because the session store writes its activity stamp now and then.
pub async fn statements(client: &Client, app: &TestApp, path: &str) -> u64 {
    let mut least = u64::MAX;
    for _ in 0..3 {
        let resp = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let n = resp.headers()["x-sql-statements"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        least = least.min(n);
    }
    least
}

pub fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.db()
        .read(|c| -> Result<i64, hancup::db::DbError> { Ok(c.query_row(sql, [], |r| r.get(0))?) })
        .unwrap()
}

pub fn text(app: &TestApp, sql: &str) -> String {
    app.db()
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row(sql, [], |r| r.get(0))?)
        })
        .unwrap()
}
