//! `POST /api/v1/auth/social/{provider}` against the fake Kakao, Naver and Google
//! (`fake_provider`): sign-up and return per provider, access tokens and PKCE codes, tokens
//! issued to another client, forged / expired / misdirected ID tokens, the e-mail rules (never
//! linked by e-mail; an address in use asks to log in first), deactivated accounts and
//! throttling.

use serde_json::{json, Value};

use crate::fake_provider::{FakeProviders, IdToken, Person};
use crate::helpers::{spawn_with, TestApp};

const VERIFIER: &str = "abcdefghijklmnopqrstuvwxyz0123456789-._~ABCDEFG";
const REDIRECT: &str = "https://app.example.kr/callback";

async fn app_with_fake() -> (TestApp, FakeProviders) {
    let fake = FakeProviders::start().await;
    let app = spawn_with(|c| fake.configure(c)).await;
    (app, fake)
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.state
        .db
        .read(|c| -> Result<i64, hancup::db::DbError> { Ok(c.query_row(sql, [], |r| r.get(0))?) })
        .unwrap()
}

fn execute(app: &TestApp, sql: &str) {
    app.state
        .db
        .write(|tx| -> Result<usize, hancup::db::DbError> { Ok(tx.execute(sql, [])?) })
        .unwrap();
}

fn consents() -> Value {
    json!({"accept_terms": true, "accept_privacy": true, "age_14_or_older": true})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn social(app: &TestApp, provider: &str, body: Value) -> (u16, Value) {
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/social/{provider}", app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_provider_signs_up_then_signs_in_the_same_user_with_a_working_token() {
    let (app, fake) = app_with_fake().await;
    for (provider, person) in [
        (
            "kakao",
            Person::new("1001", Some("kim@example.kr"), true, "김카카오"),
        ),
        (
            "naver",
            Person::new("naver-77", Some("lee@example.kr"), false, "이네이버"),
        ),
        (
            "google",
            Person::new("g-55", Some("park@example.kr"), true, "Park Google"),
        ),
    ] {
        let token = fake.access_token(provider, &person);
        let (status, body) = social(
            &app,
            provider,
            with(
                json!({"access_token": token, "device": "phone"}),
                consents(),
            ),
        )
        .await;
        assert_eq!(status, 200, "{provider}: {body}");
        assert_eq!(body["created"], true, "{provider}");
        assert_eq!(body["user"]["email"], person.email.clone().unwrap());
        assert_eq!(body["user"]["display_name"], person.name);
        let id = body["user"]["id"].as_i64().unwrap();
        // The token works like a password login's.
        let bearer = format!("Bearer {}", body["token"].as_str().unwrap());
        let (status, me, _) = app.get_auth("/api/v1/auth/me", &bearer).await;
        assert_eq!((status, me["id"].as_i64()), (200, Some(id)), "{provider}");
        // Again, with a fresh token and no consents: the same user, not created.
        let again = fake.access_token(provider, &person);
        let (status, body) = social(&app, provider, json!({"access_token": again})).await;
        assert_eq!(status, 200, "{provider}: {body}");
        assert_eq!(body["created"], false);
        assert_eq!(body["user"]["id"].as_i64(), Some(id));
    }
    // The account has no usable password: the provider is its way in.
    let (status, _, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "kim@example.kr", "password": "!unusable"}),
        )
        .await;
    assert_eq!(status, 400);
    let linked: i64 = count(&app, "SELECT count(*) FROM social_identities");
    assert_eq!(linked, 3);
}

#[tokio::test]
async fn an_authorization_code_with_its_pkce_verifier_signs_in_for_each_provider() {
    let (app, fake) = app_with_fake().await;
    for (provider, subject) in [("kakao", "2002"), ("naver", "nv-2"), ("google", "g-2")] {
        let person = Person::new(
            subject,
            Some(&format!("{provider}@example.kr")),
            true,
            "코드",
        );
        let code = fake.code(provider, &person, REDIRECT, VERIFIER, None);
        let body = with(
            json!({"code": code, "code_verifier": VERIFIER, "redirect_uri": REDIRECT}),
            consents(),
        );
        let (status, answer) = social(&app, provider, body.clone()).await;
        assert_eq!(status, 200, "{provider}: {answer}");
        assert_eq!(answer["created"], true);
        // A code is single-use at the provider.
        let (status, answer) = social(&app, provider, body).await;
        assert_eq!(status, 400, "{provider}: {answer}");
        assert!(answer["code"][0]
            .as_str()
            .unwrap()
            .contains("did not accept"));
    }
    // The wrong verifier: the provider refuses the exchange.
    let person = Person::new("2003", Some("pkce@example.kr"), true, "피케이");
    let code = fake.code("kakao", &person, REDIRECT, VERIFIER, None);
    let wrong = "Z".repeat(43);
    let (status, answer) = social(
        &app,
        "kakao",
        with(
            json!({"code": code, "code_verifier": wrong, "redirect_uri": REDIRECT}),
            consents(),
        ),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
}

#[tokio::test]
async fn forged_expired_and_misdirected_id_tokens_are_refused() {
    let (app, fake) = app_with_fake().await;
    for provider in ["kakao", "google"] {
        for kind in [IdToken::Forged, IdToken::Expired, IdToken::WrongAudience] {
            let person = Person::new("3003", Some("id@example.kr"), true, "아이디");
            let code = fake.code(provider, &person, REDIRECT, VERIFIER, None);
            fake.next_id_token(kind);
            let (status, answer) = social(
                &app,
                provider,
                with(
                    json!({"code": code, "code_verifier": VERIFIER, "redirect_uri": REDIRECT}),
                    consents(),
                ),
            )
            .await;
            assert_eq!(status, 400, "{provider} {kind:?}: {answer}");
            assert!(answer["code"].is_array(), "{answer}");
        }
    }
    let made: i64 = count(&app, "SELECT count(*) FROM users");
    assert_eq!(made, 0, "no account from a refused token");
}

#[tokio::test]
async fn an_access_token_issued_to_another_client_is_refused() {
    let (app, fake) = app_with_fake().await;
    for provider in ["kakao", "google"] {
        let person = Person::new("4004", Some("other@example.kr"), true, "다른앱");
        let token = fake.access_token_for(provider, &person, "someone-elses-app");
        let (status, answer) = social(
            &app,
            provider,
            with(json!({"access_token": token}), consents()),
        )
        .await;
        assert_eq!(status, 400, "{provider}: {answer}");
        assert!(answer["access_token"][0]
            .as_str()
            .unwrap()
            .contains("did not accept"));
    }
    // An unknown token too, for the provider without token information.
    let (status, _) = social(
        &app,
        "naver",
        with(json!({"access_token": "made-up"}), consents()),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_provider_email_of_an_existing_account_asks_to_log_in_first_verified_or_not() {
    let (app, fake) = app_with_fake().await;
    app.register("taken@example.kr", "기존회원", "correct horse battery")
        .await;
    for (provider, verified) in [("google", true), ("kakao", false), ("naver", false)] {
        let person = Person::new("5005", Some("Taken@Example.kr"), verified, "가로채기");
        let token = fake.access_token(provider, &person);
        let (status, answer) = social(
            &app,
            provider,
            with(json!({"access_token": token}), consents()),
        )
        .await;
        assert_eq!(status, 409, "{provider}: {answer}");
        let message = answer["email"][0].as_str().unwrap();
        assert!(message.contains("Log in"), "{message}");
        assert!(message.contains("account page"), "{message}");
        if !verified {
            assert!(message.contains("not verified"), "{message}");
        }
    }
    let linked: i64 = count(&app, "SELECT count(*) FROM social_identities");
    assert_eq!(linked, 0, "never linked by e-mail");
}

#[tokio::test]
async fn a_first_sign_in_needs_the_consents_and_an_email_when_the_provider_gives_none() {
    let (app, fake) = app_with_fake().await;
    let person = Person::new("6006", None, false, "이메일없음");
    let (status, answer) = social(
        &app,
        "kakao",
        json!({"access_token": fake.access_token("kakao", &person)}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    for field in ["email", "accept_terms", "accept_privacy", "age_14_or_older"] {
        assert!(answer[field].is_array(), "{field}: {answer}");
    }
    let (status, answer) = social(
        &app,
        "kakao",
        with(
            json!({"access_token": fake.access_token("kakao", &person), "email": "typed@example.kr"}),
            consents(),
        ),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["user"]["email"], "typed@example.kr");
    let kinds: i64 = count(&app, "SELECT count(*) FROM consents");
    assert_eq!(kinds, 3, "the consents are recorded like a sign-up's");
}

#[tokio::test]
async fn a_deactivated_account_is_refused_with_the_password_logins_message() {
    let (app, fake) = app_with_fake().await;
    let person = Person::new("7007", Some("gone@example.kr"), true, "탈퇴");
    let (status, body) = social(
        &app,
        "google",
        with(
            json!({"access_token": fake.access_token("google", &person)}),
            consents(),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let id = body["user"]["id"].as_i64().unwrap();
    execute(
        &app,
        &format!("UPDATE users SET is_active = 0 WHERE id = {id}"),
    );
    let (status, body) = social(
        &app,
        "google",
        json!({"access_token": fake.access_token("google", &person)}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // The same words as the password login's refusal.
    app.register("pw@example.kr", "비번", "correct horse battery")
        .await;
    execute(
        &app,
        "UPDATE users SET is_active = 0 WHERE email = 'pw@example.kr'",
    );
    let (status, _, pw) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "pw@example.kr", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["detail"], pw["detail"]);
}

#[tokio::test]
async fn refused_credentials_are_throttled_per_address_like_logins() {
    let fake = FakeProviders::start().await;
    let app = spawn_with(|c| {
        fake.configure(c);
        c.auth.address_failure_limit = 3;
    })
    .await;
    let mut last = 0;
    for _ in 0..4 {
        (last, _) = social(&app, "naver", json!({"access_token": "guessed"})).await;
    }
    assert_eq!(last, 429);
    // Even a good token waits out the lock from that address.
    let person = Person::new("8008", Some("late@example.kr"), true, "늦게");
    let (status, _) = social(
        &app,
        "google",
        with(
            json!({"access_token": fake.access_token("google", &person)}),
            consents(),
        ),
    )
    .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn bad_input_names_the_field_and_a_disabled_provider_is_not_found() {
    let (app, _fake) = app_with_fake().await;
    let (status, body) = social(&app, "kakao", json!({})).await;
    assert_eq!(status, 400);
    assert!(body["access_token"].is_array(), "{body}");
    let (status, body) = social(&app, "kakao", json!({"code": "c"})).await;
    assert_eq!(status, 400);
    assert!(
        body["code_verifier"].is_array() && body["redirect_uri"].is_array(),
        "{body}"
    );
    let (status, body) = social(
        &app,
        "kakao",
        json!({"code": "c", "code_verifier": "short", "redirect_uri": "not a url"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["code_verifier"].is_array() && body["redirect_uri"].is_array(),
        "{body}"
    );
    let (status, body) = social(&app, "kakao", json!({"access_token": "x".repeat(4097)})).await;
    assert_eq!(status, 400);
    assert!(body["access_token"].is_array(), "{body}");
    let (status, _) = social(&app, "facebook", json!({"access_token": "x"})).await;
    assert_eq!(status, 400, "not a provider this API knows");
    // Providers are off by default.
    let plain = crate::helpers::spawn_app().await;
    let (status, body) = social(&plain, "kakao", json!({"access_token": "x"})).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn the_exchange_is_in_the_openapi_document() {
    let app = crate::helpers::spawn_app().await;
    let (_, doc) = app.get_json("/api/openapi.json").await;
    let op = &doc["paths"]["/api/v1/auth/social/{provider}"]["post"];
    assert_eq!(op["operationId"], "auth_social");
    for status in ["200", "403", "404", "409", "429"] {
        assert!(op["responses"][status].is_object(), "{status}");
    }
}
