//! The admin when something gives way: a busy password-hashing pool is a 503 with
//! `Retry-After` (it was a 500), and an upload whose body breaks off stores nothing (the body
//! is read whole, within `server.body_timeout_seconds`, before any handler sees it).

use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::admin_support::{text, user_with_password};
use crate::browser::{csrf_of, page, PW};
use crate::helpers::{small_catalog, spawn_with, TestApp};

/// A logged-in superuser whose cookies the test can read (for hand-written requests).
async fn superuser_with_jar(app: &TestApp) -> (reqwest::Client, Arc<Jar>) {
    user_with_password(app, "root@hancup.kr", true, true);
    let jar = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_, html) = page(&client, app, "/admin/login").await;
    let token = csrf_of(&html);
    let resp = client
        .post(app.url("/admin/login"))
        .form(&[
            ("email", "root@hancup.kr"),
            ("password", PW),
            ("next", "/admin"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    (client, jar)
}

#[tokio::test]
async fn a_busy_hashing_pool_is_a_503_with_retry_after_never_a_500() {
    let app = spawn_with(|c| {
        c.auth.hash_concurrency = 1;
        c.auth.hash_wait_ms = 1;
    })
    .await;
    let (client, _) = superuser_with_jar(&app).await;
    let target = user_with_password(&app, "member@hancup.kr", false, false);
    let path = format!("/admin/user/{target}/password");
    let (_, html) = page(&client, &app, &path).await;
    let token = csrf_of(&html);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, url, token) = (client.clone(), app.url(&path), token.clone());
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .form(&[
                    ("password1", "새 비밀번호는 길게 씁니다"),
                    ("password2", "새 비밀번호는 길게 씁니다"),
                    ("csrf_token", token.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (
                resp.status().as_u16(),
                resp.headers().contains_key("retry-after"),
            )
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(
        answers.iter().all(|(s, _)| *s == 303 || *s == 503),
        "{answers:?}"
    );
    assert!(answers.iter().any(|(s, _)| *s == 503), "{answers:?}");
    assert!(
        answers.iter().all(|(s, retry)| *s != 503 || *retry),
        "every 503 says when to retry"
    );
}

fn multipart_head(boundary: &str, token: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(t) = token {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cover.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    ));
    body
}

/// Sends a request by hand: `declared` body bytes promised, `sent` of them written; with
/// `close`, the write half is shut at once. Returns the status line the server answered
/// within ten seconds, or "" when it answered nothing.
async fn raw_upload(
    app: &TestApp,
    jar: &Jar,
    path: &str,
    body: &[u8],
    declared: usize,
    close: bool,
) -> String {
    let base = reqwest::Url::parse(&app.base).unwrap();
    let cookies = jar.cookies(&base).unwrap();
    let addr = format!(
        "{}:{}",
        base.host_str().unwrap(),
        base.port_or_known_default().unwrap()
    );
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nOrigin: {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {declared}\r\n\r\n",
        cookies.to_str().unwrap(),
        app.base,
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    if close {
        stream.shutdown().await.unwrap();
    }
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer)).await;
    match read {
        Ok(Ok(n)) => String::from_utf8_lossy(&answer[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_owned(),
        _ => String::new(),
    }
}

const PNG_START: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01";

fn media_files(app: &TestApp) -> usize {
    let dir = app.state.config.media.dir.join("thumbnail");
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[tokio::test]
async fn an_upload_that_breaks_off_stores_nothing() {
    let app = spawn_with(|_| {}).await;
    let ids = small_catalog(&app);
    let (client, jar) = superuser_with_jar(&app).await;
    let change = format!("/admin/course/{}", ids.growth);
    let (_, html) = page(&client, &app, &change).await;
    let token = csrf_of(&html);
    let mut body = multipart_head("XyZ", Some(&token)).into_bytes();
    body.extend_from_slice(PNG_START);
    body.extend_from_slice(&[7u8; 2000]);
    // 2 kB of a promised 50 kB, then the client goes away.
    let status = raw_upload(
        &app,
        &jar,
        &format!("{change}/upload/thumbnail"),
        &body,
        50_000,
        true,
    )
    .await;
    assert!(status.contains(" 400"), "{status}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(media_files(&app), 0, "no truncated image on disk");
    assert_eq!(
        text(
            &app,
            &format!("SELECT thumbnail FROM courses WHERE id = {}", ids.growth)
        ),
        "",
        "nothing recorded"
    );
    // The same session still uploads a whole image.
    let mut whole = multipart_head("XyZ", Some(&token)).into_bytes();
    whole.extend_from_slice(PNG_START);
    whole.extend_from_slice(b"\r\n--XyZ--\r\n");
    let status = raw_upload(
        &app,
        &jar,
        &format!("{change}/upload/thumbnail"),
        &whole,
        whole.len(),
        false,
    )
    .await;
    assert!(status.contains(" 303"), "{status}");
    assert_eq!(media_files(&app), 1);
}
