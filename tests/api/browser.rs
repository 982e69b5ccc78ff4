//! A browser-like client for page tests: read a form's CSRF token, submit forms, sign up and
//! log in through the real pages.

use reqwest::Client;

use crate::helpers::TestApp;

pub const PW: &str = "창업은 한 컵의 커피에서";
pub const PW2: &str = "두 번째 비밀번호 2026";

/// The CSRF token in a page's form.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("the page has a CSRF field");
    html[at + 25..].split('"').next().unwrap().to_owned()
}

pub async fn page(client: &Client, app: &TestApp, path: &str) -> (u16, String) {
    let resp = client.get(app.url(path)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// GETs `form_path` for its token, then POSTs `fields` with it.
pub async fn submit(
    client: &Client,
    app: &TestApp,
    form_path: &str,
    post_path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(client, app, form_path).await;
    let token = csrf_of(&html);
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("csrf_token", &token));
    client
        .post(app.url(post_path))
        .form(&all)
        .send()
        .await
        .unwrap()
}

pub fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("hancup_session="))
}

pub async fn signup(client: &Client, app: &TestApp, email: &str) {
    signup_named(client, app, email, "김민지").await;
}

pub async fn signup_named(client: &Client, app: &TestApp, email: &str, name: &str) {
    let resp = submit(
        client,
        app,
        "/accounts/signup",
        "/accounts/signup",
        &[
            ("email", email),
            ("display_name", name),
            ("password", PW),
            ("password2", PW),
            ("accept_terms", "1"),
            ("accept_privacy", "1"),
            ("age_14_or_older", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
}

pub async fn login(
    client: &Client,
    app: &TestApp,
    email: &str,
    password: &str,
) -> reqwest::Response {
    submit(
        client,
        app,
        "/accounts/login",
        "/accounts/login",
        &[("email", email), ("password", password)],
    )
    .await
}
