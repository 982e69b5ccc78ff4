//! `/api/v1/auth`: registration, knox-style tokens, throttling, the hashing bound, and every bad
//! input getting a specific answer with nothing half-written.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

const PW: &str = "창업은 한 컵의 커피에서";

fn user_count(app: &crate::helpers::TestApp) -> i64 {
    app.db()
        .read(|c| -> Result<i64, hancup::db::DbError> {
            Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
        })
        .unwrap()
}

#[tokio::test]
async fn register_logs_in_and_the_token_works_as_bearer_and_token() {
    let app = spawn_app().await;
    let (status, _, body) = app
        .post_json(
            "/api/v1/auth/register",
            None,
            json!({"email": "Minji@Example.KR", "display_name": "김민지", "password": PW, "accept_terms": true, "accept_privacy": true, "age_14_or_older": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 43, "at least 256 bits");
    assert!(body["expiry"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["user"]["email"], "Minji@example.kr");
    assert_eq!(body["user"]["display_name"], "김민지");
    for scheme in ["Bearer", "Token", "bearer"] {
        let (status, me, _) = app
            .get_auth("/api/v1/auth/me", &format!("{scheme} {token}"))
            .await;
        assert_eq!(status, 200, "{scheme}");
        assert_eq!(me["display_name"], "김민지");
    }
    let stored: String = app
        .db()
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row("SELECT token_hash FROM api_tokens", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_ne!(stored, token, "only a hash of the token is stored");
    assert!(!stored.contains(&token[8..]));
}

#[tokio::test]
async fn duplicate_registration_is_409_on_the_email_field() {
    let app = spawn_app().await;
    app.register("dup@example.kr", "하나", PW).await;
    let (status, _, body) = app
        .post_json(
            "/api/v1/auth/register",
            None,
            json!({"email": "DUP@example.kr", "display_name": "둘", "password": PW, "accept_terms": true, "accept_privacy": true, "age_14_or_older": true}),
        )
        .await;
    assert_eq!(status, 409);
    assert!(body["email"][0]
        .as_str()
        .unwrap()
        .contains("already exists"));
    assert_eq!(user_count(&app), 1);
}

#[tokio::test]
async fn bad_registrations_name_every_field_and_create_nobody() {
    let app = spawn_app().await;
    let long_email = format!("{}@example.kr", "a".repeat(250));
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({}), vec!["email", "display_name", "password"]),
        (
            json!({"email": "not-an-email", "display_name": "김", "password": PW}),
            vec!["email"],
        ),
        (
            json!({"email": long_email, "display_name": "김", "password": PW}),
            vec!["email"],
        ),
        (
            json!({"email": "a@x.kr", "display_name": "가".repeat(101), "password": PW}),
            vec!["display_name"],
        ),
        (
            json!({"email": "a@x.kr", "display_name": "김", "password": "x".repeat(1025)}),
            vec!["password"],
        ),
        (
            json!({"email": "a@x.kr", "display_name": "김", "password": "short"}),
            vec!["password"],
        ),
        (
            json!({"email": "a@x.kr", "display_name": "김", "password": "1234567890123"}),
            vec!["password"],
        ),
        (
            json!({"email": "a@x.kr", "display_name": "김", "password": "password1234"}),
            vec!["password"],
        ),
        (
            json!({"email": "minji.kim@x.kr", "display_name": "김", "password": "minji.kim2026"}),
            vec!["password"],
        ),
        (
            json!({"email": "a@x.kr", "display_name": "   ", "password": PW}),
            vec!["display_name"],
        ),
        (
            json!({"email": null, "display_name": "김", "password": PW}),
            vec!["email"],
        ),
    ];
    for (mut body, fields) in cases {
        // Consent given: each case is about its own fields.
        for f in ["accept_terms", "accept_privacy", "age_14_or_older"] {
            body[f] = json!(true);
        }
        let (status, _, answer) = app
            .post_json("/api/v1/auth/register", None, body.clone())
            .await;
        assert_eq!(status, 400, "{body} → {answer}");
        for f in &fields {
            assert!(answer[f][0].is_string(), "{f} missing for {body}: {answer}");
        }
        assert_eq!(answer.as_object().unwrap().len(), fields.len(), "{answer}");
    }
    let (_, _, answer) = app
        .post_json(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@x.kr", "display_name": "김", "password": "short"}),
        )
        .await;
    assert!(
        answer["password"][0]
            .as_str()
            .unwrap()
            .contains("10 characters"),
        "names the limit"
    );
    assert_eq!(user_count(&app), 0, "no half-created user");
}

#[tokio::test]
async fn malformed_bodies_get_clear_4xx_answers() {
    let app = spawn_app().await;
    let send = |body: &'static str, ctype: &'static str| {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        async move {
            let resp = client
                .post(url)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = send("{\"email\": ", "application/json").await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("JSON parse error"),
        "{body}"
    );
    let (status, body) = send("[1, 2]", "application/json").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = send("{\"email\": 5, \"password\": []}", "application/json").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = send("email=a", "text/plain").await;
    assert_eq!(status, 415, "{body}");
    assert!(body["detail"].is_string());
    let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.register("real@example.kr", "진짜", PW).await;
    let (s1, _, wrong) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "real@example.kr", "password": "not the password"}),
        )
        .await;
    let (s2, _, unknown) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "ghost@example.kr", "password": "not the password"}),
        )
        .await;
    assert_eq!((s1, s2), (400, 400));
    assert_eq!(wrong, unknown);
    assert_eq!(
        wrong["non_field_errors"][0],
        "Unable to log in with provided credentials."
    );
    let (status, _, missing) = app
        .post_json("/api/v1/auth/login", None, json!({"email": ""}))
        .await;
    assert_eq!(status, 400);
    assert!(
        missing["email"].is_array() && missing["password"].is_array(),
        "{missing}"
    );
}

#[tokio::test]
async fn logout_revokes_at_once_and_logoutall_revokes_every_device() {
    let app = spawn_app().await;
    let first = app.register("dev@example.kr", "기기", PW).await;
    let login = json!({"email": "dev@example.kr", "password": PW, "device": "노트북"});
    let (_, _, b) = app
        .post_json("/api/v1/auth/login", None, login.clone())
        .await;
    let second = b["token"].as_str().unwrap().to_owned();
    let (_, _, b) = app.post_json("/api/v1/auth/login", None, login).await;
    let third = b["token"].as_str().unwrap().to_owned();

    let (status, list, _) = app
        .get_auth("/api/v1/auth/tokens", &format!("Bearer {second}"))
        .await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().filter(|d| d["current"] == true).count(), 1);
    assert!(list.iter().any(|d| d["name"] == "노트북"));
    assert!(
        !list.iter().any(|d| d.to_string().contains(&second)),
        "tokens are never listed"
    );

    let (status, _, _) = app
        .post_json("/api/v1/auth/logout", Some(&first), json!({}))
        .await;
    assert_eq!(status, 204);
    let (status, body, headers) = app
        .get_auth("/api/v1/auth/me", &format!("Bearer {first}"))
        .await;
    assert_eq!(status, 401, "revoked immediately");
    assert_eq!(body["detail"], "Invalid token.");
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let (status, _, _) = app
        .get_auth("/api/v1/auth/me", &format!("Bearer {second}"))
        .await;
    assert_eq!(status, 200, "other devices unaffected");

    let (status, _, _) = app
        .post_json("/api/v1/auth/logoutall", Some(&second), json!({}))
        .await;
    assert_eq!(status, 204);
    for t in [&second, &third] {
        let (status, _, _) = app.get_auth("/api/v1/auth/me", &format!("Token {t}")).await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn devices_are_revoked_one_by_one_and_never_across_users() {
    let app = spawn_app().await;
    let mine = app.register("me@example.kr", "나", PW).await;
    let theirs = app.register("them@example.kr", "남", PW).await;
    let (_, their_list, _) = app
        .get_auth("/api/v1/auth/tokens", &format!("Bearer {theirs}"))
        .await;
    let their_id = their_list[0]["id"].as_i64().unwrap();
    let resp = app
        .client
        .delete(app.url(&format!("/api/v1/auth/tokens/{their_id}")))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "another user's token is not found");
    let (status, _, _) = app
        .get_auth("/api/v1/auth/me", &format!("Bearer {theirs}"))
        .await;
    assert_eq!(status, 200);
    let resp = app
        .client
        .delete(app.url(&format!("/api/v1/auth/tokens/{their_id}")))
        .bearer_auth(&theirs)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (status, _, _) = app
        .get_auth("/api/v1/auth/me", &format!("Bearer {theirs}"))
        .await;
    assert_eq!(status, 401);
    let resp = app
        .client
        .delete(app.url("/api/v1/auth/tokens/abc"))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn missing_bad_and_expired_tokens_get_401_with_www_authenticate() {
    let app = spawn_app().await;
    let token = app.register("exp@example.kr", "만료", PW).await;
    let (status, body) = app.get_json("/api/v1/auth/me").await;
    assert_eq!(status, 401);
    assert_eq!(
        body["detail"],
        "Authentication credentials were not provided."
    );
    let (status, _, headers) = app
        .get_auth("/api/v1/courses", "Bearer not-a-real-token")
        .await;
    assert_eq!(
        status, 401,
        "a bad token is refused even on public endpoints"
    );
    assert!(headers.contains_key("www-authenticate"));
    app.exec(|tx| {
        tx.execute("UPDATE api_tokens SET expires_at = 0", [])?;
        Ok(())
    });
    let (status, _, _) = app
        .get_auth("/api/v1/auth/me", &format!("Bearer {token}"))
        .await;
    assert_eq!(status, 401, "expired");
}

#[tokio::test]
async fn deactivated_accounts_get_a_specific_answer() {
    let app = spawn_app().await;
    app.register("gone@example.kr", "탈퇴", PW).await;
    app.exec(|tx| {
        tx.execute("UPDATE users SET is_active = 0", [])?;
        Ok(())
    });
    let (status, _, body) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "gone@example.kr", "password": PW}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["detail"], "This account is deactivated.");
    let (status, _, body) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "gone@example.kr", "password": "wrong password!"}),
        )
        .await;
    assert_eq!(
        status, 400,
        "without the password nothing is revealed: {body}"
    );
}

#[tokio::test]
async fn profile_updates_through_the_api() {
    let app = spawn_app().await;
    let token = app.register("p@example.kr", "처음", PW).await;
    let resp = app
        .client
        .patch(app.url("/api/v1/auth/me"))
        .bearer_auth(&token)
        .json(&json!({"display_name": "  바뀐 이름 "}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["display_name"],
        "바뀐 이름"
    );
    let resp = app
        .client
        .patch(app.url("/api/v1/auth/me"))
        .bearer_auth(&token)
        .json(&json!({"display_name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn the_spec_documents_both_security_schemes() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/api/openapi.json").await;
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["tokenAuth"]["scheme"], "bearer");
    assert_eq!(schemes["sessionAuth"]["in"], "cookie");
    assert!(spec["paths"]["/api/v1/auth/me"]["get"]["security"].is_array());
    assert!(spec["paths"]["/api/v1/auth/me"]["get"]["responses"]["401"].is_object());
    assert!(spec["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"].is_object());
    assert!(
        spec["paths"]["/api/v1/courses"]["get"]["security"].is_null(),
        "public stays public"
    );
}
