//! CORS: only `/api/` answers it, only for the origins in `server.cors_origins`, always with the
//! origin itself (never `*`) and `Vary: Origin`; pages and the admin never answer CORS.

use crate::helpers::{spawn_app, spawn_with};

const SPA: &str = "https://app.example.kr";

async fn spa_app() -> crate::helpers::TestApp {
    spawn_with(|c| c.server.cors_origins = format!("{SPA}, http://localhost:5173")).await
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

fn varies_on_origin(resp: &reqwest::Response) -> bool {
    resp.headers()
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap_or("").contains("Origin"))
}

async fn preflight(app: &crate::helpers::TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", app.base))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn preflight_from_a_listed_origin_is_answered_with_that_origin_and_credentials() {
    let app = spa_app().await;
    let resp = preflight(&app, "/api/v1/auth/login", SPA).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "access-control-allow-origin"), Some(SPA));
    assert_eq!(
        header(&resp, "access-control-allow-credentials"),
        Some("true")
    );
    let methods = header(&resp, "access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let headers = header(&resp, "access-control-allow-headers").unwrap();
    assert!(headers.contains("Authorization") && headers.contains("Content-Type"));
    assert!(varies_on_origin(&resp));
    // The second listed origin, port included, is matched exactly too.
    let resp = preflight(&app, "/api/v1/courses", "http://localhost:5173").await;
    assert_eq!(
        header(&resp, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
}

#[tokio::test]
async fn preflight_from_an_unlisted_origin_is_refused_without_cors_headers() {
    let app = spa_app().await;
    for origin in [
        "https://evil.example",
        "https://app.example.kr.evil.example",
        "http://app.example.kr",
        "https://app.example.kr:8443",
        "null",
    ] {
        let resp = preflight(&app, "/api/v1/auth/login", origin).await;
        assert_eq!(resp.status(), 403, "{origin}");
        assert_eq!(
            header(&resp, "access-control-allow-origin"),
            None,
            "{origin}"
        );
        assert_eq!(header(&resp, "access-control-allow-credentials"), None);
    }
}

#[tokio::test]
async fn simple_requests_get_the_origin_back_only_when_listed() {
    let app = spa_app().await;
    let listed = app
        .client
        .get(format!("{}/api/v1/courses", app.base))
        .header("Origin", SPA)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert_eq!(header(&listed, "access-control-allow-origin"), Some(SPA));
    assert_eq!(
        header(&listed, "access-control-allow-credentials"),
        Some("true")
    );
    assert!(header(&listed, "access-control-expose-headers")
        .unwrap()
        .contains("Retry-After"));
    assert!(varies_on_origin(&listed));
    let other = app
        .client
        .get(format!("{}/api/v1/courses", app.base))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "the answer itself is not refused");
    assert_eq!(header(&other, "access-control-allow-origin"), None);
    assert!(
        varies_on_origin(&other),
        "a shared cache must key on Origin"
    );
    // An error answer from a listed origin is readable by its script too.
    let unauth = app
        .client
        .get(format!("{}/api/v1/auth/me", app.base))
        .header("Origin", SPA)
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
    assert_eq!(header(&unauth, "access-control-allow-origin"), Some(SPA));
}

#[tokio::test]
async fn pages_and_the_admin_never_answer_cors() {
    let app = spa_app().await;
    for path in [
        "/",
        "/accounts/login/",
        "/admin/",
        "/admin/login/",
        "/healthz",
    ] {
        let resp = app
            .client
            .get(format!("{}{path}", app.base))
            .header("Origin", SPA)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&resp, "access-control-allow-origin"), None, "{path}");
        assert_eq!(header(&resp, "access-control-allow-credentials"), None);
        let pre = preflight(&app, path, SPA).await;
        assert_eq!(header(&pre, "access-control-allow-origin"), None, "{path}");
        assert_ne!(pre.status(), 204, "{path}");
    }
}

#[tokio::test]
async fn without_listed_origins_there_is_no_cors_at_all() {
    let app = spawn_app().await;
    let resp = preflight(&app, "/api/v1/auth/login", SPA).await;
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
    let resp = app
        .client
        .get(format!("{}/api/v1/courses", app.base))
        .header("Origin", SPA)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&resp, "access-control-allow-origin"), None);
}

#[test]
fn a_wildcard_or_a_path_is_refused_naming_the_key() {
    for bad in ["*", "https://app.example.kr/spa"] {
        let env = vec![("HANCUP_SERVER__CORS_ORIGINS".to_owned(), bad.to_owned())];
        let err = hancup::config::load(None, &env).unwrap_err().to_string();
        assert!(err.contains("server.cors_origins"), "{err}");
    }
}
