//! Sign-in with Kakao, Naver and Google on the pages, through the fake providers: the buttons
//! (only for enabled providers), the authorization-code flow with PKCE, `state` and `nonce`,
//! the first sign-in's consents (and the e-mail a provider did not give), a returning sign-in,
//! a wrong `state`, a bad ID token, linking from the account page and unlinking (refused when
//! it is the last way to log in), and the never-by-e-mail rule.

use reqwest::Client;

use crate::browser::{csrf_of, page, signup, submit};
use crate::fake_provider::{FakeProviders, IdToken, Person};
use crate::helpers::{spawn_app, spawn_with, TestApp};

async fn app_with_fake() -> (TestApp, FakeProviders) {
    let fake = FakeProviders::start().await;
    let app = spawn_with(|c| fake.configure(c)).await;
    (app, fake)
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", resp.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn query_of(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Presses a provider's button on `form_page` (the login page, or the account page to link):
/// answers the provider's authorize URL the server redirected to.
async fn press(
    client: &Client,
    app: &TestApp,
    form_page: &str,
    provider: &str,
    link: bool,
) -> String {
    let (_, html) = page(client, app, form_page).await;
    let mut fields = vec![("csrf_token", csrf_of(&html))];
    if link {
        fields.push(("intent", "link".into()));
    }
    let resp = client
        .post(app.url(&format!("/accounts/social/{provider}/start")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    location(&resp)
}

/// The visit to the provider: it signs the chosen person in and sends the browser back to the
/// callback, whose URL (with code and state) this answers.
async fn at_provider(authorize: &str) -> String {
    let resp = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(authorize)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    location(&resp)
}

async fn follow(client: &Client, url: &str) -> reqwest::Response {
    client.get(url).send().await.unwrap()
}

async fn finish_signup(
    client: &Client,
    app: &TestApp,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = vec![
        ("accept_terms", "1"),
        ("accept_privacy", "1"),
        ("age_14_or_older", "1"),
    ];
    fields.extend_from_slice(extra);
    submit(
        client,
        app,
        "/accounts/social/complete",
        "/accounts/social/complete",
        &fields,
    )
    .await
}

#[tokio::test]
async fn the_buttons_show_only_for_enabled_providers_in_their_wording() {
    let (app, fake) = app_with_fake().await;
    for path in ["/accounts/login", "/accounts/signup"] {
        let (_, html) = page(&app.browser(), &app, path).await;
        for text in [
            "카카오로 시작하기",
            "네이버로 시작하기",
            "Google로 계속하기",
        ] {
            assert!(html.contains(text), "{path} lacks {text}");
        }
        assert!(
            html.contains("btn--kakao")
                && html.contains("btn--naver")
                && html.contains("btn--google")
        );
        // The buttons' redirect to the provider is allowed by the page's form-action.
        let resp = app.browser().get(app.url(path)).send().await.unwrap();
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains(&format!("form-action 'self' {}", fake.base)),
            "{csp}"
        );
    }
    let only_naver = spawn_with(|c| {
        c.naver.enabled = true;
        c.naver.client_id = "n".into();
    })
    .await;
    let (_, html) = page(&only_naver.browser(), &only_naver, "/accounts/login").await;
    assert!(html.contains("네이버로 시작하기"));
    assert!(!html.contains("카카오로 시작하기") && !html.contains("Google로 계속하기"));
    let none = spawn_app().await;
    let resp = none
        .browser()
        .get(none.url("/accounts/login"))
        .send()
        .await
        .unwrap();
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self';"), "{csp}");
    let html = resp.text().await.unwrap();
    assert!(!html.contains("social-login"), "no provider, no buttons");
}

#[tokio::test]
async fn each_provider_signs_up_through_the_consents_then_signs_back_in() {
    let (app, fake) = app_with_fake().await;
    for (provider, person) in [
        (
            "kakao",
            Person::new("11", Some("kakao-user@example.kr"), true, "카카오회원"),
        ),
        (
            "naver",
            Person::new("nv-11", Some("naver-user@example.kr"), false, "네이버회원"),
        ),
        (
            "google",
            Person::new("g-11", Some("google-user@example.kr"), true, "Google User"),
        ),
    ] {
        fake.sign_in_as(provider, &person);
        let client = app.browser();
        let authorize = press(&client, &app, "/accounts/login", provider, false).await;
        // PKCE S256, a state, and a nonce for the OIDC providers.
        assert_eq!(
            query_of(&authorize, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert!(query_of(&authorize, "state").unwrap().len() >= 32);
        assert_eq!(query_of(&authorize, "nonce").is_some(), provider != "naver");
        let callback = at_provider(&authorize).await;
        let resp = follow(&client, &callback).await;
        assert_eq!(resp.status(), 303);
        assert_eq!(location(&resp), "/accounts/social/complete", "{provider}");
        // Not yet an account: the consents come first.
        let (_, html) = page(&client, &app, "/accounts/social/complete").await;
        assert!(html.contains(person.email.as_deref().unwrap()));
        let refused = submit(
            &client,
            &app,
            "/accounts/social/complete",
            "/accounts/social/complete",
            &[],
        )
        .await;
        assert_eq!(refused.status(), 400);
        let done = finish_signup(&client, &app, &[]).await;
        assert_eq!(done.status(), 303, "{provider}");
        let (_, me) = page(&client, &app, "/accounts/me").await;
        assert!(
            me.contains(person.email.as_deref().unwrap()),
            "{provider} logged in"
        );
        // A returning visit logs straight in.
        let again = app.browser();
        let callback =
            at_provider(&press(&again, &app, "/accounts/login", provider, false).await).await;
        let resp = follow(&again, &callback).await;
        assert_eq!(location(&resp), "/", "{provider} returns home");
        let (_, me) = page(&again, &app, "/accounts/me").await;
        assert!(me.contains(person.email.as_deref().unwrap()));
    }
}

#[tokio::test]
async fn a_provider_without_an_email_asks_for_one() {
    let (app, fake) = app_with_fake().await;
    fake.sign_in_as("kakao", &Person::new("12", None, false, "무메일"));
    let client = app.browser();
    let callback =
        at_provider(&press(&client, &app, "/accounts/login", "kakao", false).await).await;
    follow(&client, &callback).await;
    let (_, html) = page(&client, &app, "/accounts/social/complete").await;
    assert!(html.contains("name=\"email\""));
    let missing = finish_signup(&client, &app, &[]).await;
    assert_eq!(missing.status(), 400);
    let done = finish_signup(&client, &app, &[("email", "typed@example.kr")]).await;
    assert_eq!(done.status(), 303);
    let (_, me) = page(&client, &app, "/accounts/me").await;
    assert!(me.contains("typed@example.kr"));
}

#[tokio::test]
async fn a_wrong_or_missing_state_is_refused() {
    let (app, fake) = app_with_fake().await;
    fake.sign_in_as(
        "google",
        &Person::new("g-13", Some("s@example.kr"), true, "상태"),
    );
    let client = app.browser();
    let callback =
        at_provider(&press(&client, &app, "/accounts/login", "google", false).await).await;
    let state = query_of(&callback, "state").unwrap();
    let forged = callback.replace(&state, "attacker-state");
    let resp = follow(&client, &forged).await;
    assert_eq!(resp.status(), 400);
    // The flow is used up: even the right state no longer works.
    let resp = follow(&client, &callback).await;
    assert_eq!(resp.status(), 400);
    // Another browser with the victim's callback URL has no flow at all.
    let resp = follow(&app.browser(), &callback).await;
    assert_eq!(resp.status(), 400);
    let users: i64 = app
        .state
        .db
        .read(|c| -> Result<i64, hancup::db::DbError> {
            Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn a_forged_id_token_sends_back_to_login_without_an_account() {
    let (app, fake) = app_with_fake().await;
    for kind in [
        IdToken::Forged,
        IdToken::Expired,
        IdToken::WrongAudience,
        IdToken::WrongNonce,
    ] {
        fake.sign_in_as(
            "kakao",
            &Person::new("14", Some("f@example.kr"), true, "위조"),
        );
        let client = app.browser();
        let callback =
            at_provider(&press(&client, &app, "/accounts/login", "kakao", false).await).await;
        fake.next_id_token(kind);
        let resp = follow(&client, &callback).await;
        assert_eq!(resp.status(), 303, "{kind:?}");
        assert_eq!(location(&resp), "/accounts/login", "{kind:?}");
        let (_, me) = page(&client, &app, "/accounts/social/complete").await;
        assert!(
            !me.contains("name=\"accept_terms\""),
            "{kind:?} left no pending sign-up"
        );
    }
}

#[tokio::test]
async fn an_existing_accounts_email_is_never_linked_then_linking_and_unlinking_from_the_account_page(
) {
    let (app, fake) = app_with_fake().await;
    let owner = app.browser();
    signup(&owner, &app, "owner@example.kr").await;
    let person = Person::new("15", Some("owner@example.kr"), true, "주인");
    fake.sign_in_as("google", &person);
    // Someone signing in with Google under the same address is not given the account.
    let stranger = app.browser();
    let callback =
        at_provider(&press(&stranger, &app, "/accounts/login", "google", false).await).await;
    follow(&stranger, &callback).await;
    let refused = finish_signup(&stranger, &app, &[]).await;
    assert_eq!(refused.status(), 400, "refused on the form");
    let html = refused.text().await.unwrap();
    assert!(html.contains("먼저 로그인"), "asks to log in first");
    // The owner links Google from the account page.
    let (_, me) = page(&owner, &app, "/accounts/me").await;
    assert!(me.contains("Google 계정 연결하기"));
    let callback = at_provider(&press(&owner, &app, "/accounts/me", "google", true).await).await;
    let resp = follow(&owner, &callback).await;
    assert_eq!(location(&resp), "/accounts/me");
    let (_, me) = page(&owner, &app, "/accounts/me").await;
    assert!(me.contains("data-provider=\"google\""), "listed as linked");
    // Now Google logs the owner in.
    let later = app.browser();
    let callback =
        at_provider(&press(&later, &app, "/accounts/login", "google", false).await).await;
    assert_eq!(location(&follow(&later, &callback).await), "/");
    // The owner has a password, so unlinking is allowed.
    let (_, me) = page(&owner, &app, "/accounts/me").await;
    let resp = owner
        .post(app.url("/accounts/social/google/unlink"))
        .form(&[("csrf_token", csrf_of(&me))])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let (_, me) = page(&owner, &app, "/accounts/me").await;
    assert!(me.contains("연결을 해제했습니다"));
}

#[tokio::test]
async fn unlinking_the_only_way_to_log_in_is_refused() {
    let (app, fake) = app_with_fake().await;
    fake.sign_in_as(
        "naver",
        &Person::new("nv-16", Some("only@example.kr"), false, "유일"),
    );
    let client = app.browser();
    let callback =
        at_provider(&press(&client, &app, "/accounts/login", "naver", false).await).await;
    follow(&client, &callback).await;
    assert_eq!(finish_signup(&client, &app, &[]).await.status(), 303);
    let (_, me) = page(&client, &app, "/accounts/me").await;
    let resp = client
        .post(app.url("/accounts/social/naver/unlink"))
        .form(&[("csrf_token", csrf_of(&me))])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let (_, me) = page(&client, &app, "/accounts/me").await;
    assert!(me.contains("유일한 방법"), "the refusal is shown");
    assert!(me.contains("data-provider=\"naver\""), "still linked");
}
