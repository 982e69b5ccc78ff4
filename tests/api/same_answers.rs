//! Nothing the caches do changes an answer: a recorded set of requests (visitor, learner
//! enrolled and not, instructor, staff; Korean and English) is sent to a server with every cache
//! on — twice, cold and warm — and to a second server on the SAME database with the caches off
//! (`cache.ttl_ms = 0`: no response cache, page parts, session or user memo). JSON must be
//! equal, HTML equal once whitespace is normalised (and the debug toolbar's timings removed).

use hancup::accounts::keys::{now, sha256_hex};
use hancup::accounts::sessions;

use crate::helpers::{
    people, small_catalog, spawn_in, spawn_with, test_config, without_toolbar, TestApp,
};

fn normalised(html: &str) -> String {
    without_toolbar(html)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A logged-in session for `email`, written as the session store writes one; its cookie value.
fn session_for(app: &TestApp, email: &str) -> String {
    let id = format!("same-answers-session-{email}");
    app.db()
        .write_private(|tx| -> Result<(), hancup::accounts::AccountError> {
            let uid: i64 = tx.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get(0)
            })?;
            sessions::save(
                tx,
                &sha256_hex(&id),
                Some(uid),
                &format!("{{\"uid\":{uid}}}"),
                now(),
                3600,
            )
        })
        .unwrap();
    format!("hancup_session={id}")
}

async fn fetch(app: &TestApp, path: &str, cookie: &str, lang: &str, token: &str) -> (u16, String) {
    let mut req = app
        .client
        .get(app.url(path))
        .header("Accept-Language", lang)
        .header("Cookie", cookie);
    if !token.is_empty() {
        req = req.header("Authorization", format!("Token {token}"));
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn caches_on_and_off_give_the_same_answers() {
    let on = spawn_with(|_| {}).await;
    let ids = small_catalog(&on);
    let tokens = people(&on, &ids);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(&dir);
    cfg.database.path = on.state.config.database.path.clone();
    cfg.cache.ttl_ms = 0;
    let off = spawn_in(dir, cfg).await;

    // The enrolled learner has done the first lesson: the pages show their own progress.
    let resp = on
        .client
        .put(on.url("/api/v1/courses/growth-marketing/lessons/1/progress"))
        .header("Authorization", format!("Token {}", tokens.asker))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // (who, session cookie, API token)
    let personas = [
        ("visitor", String::new(), String::new()),
        (
            "enrolled learner",
            session_for(&on, "asker@x.kr"),
            tokens.asker.clone(),
        ),
        (
            "learner not enrolled",
            session_for(&on, "outsider@x.kr"),
            tokens.outsider.clone(),
        ),
        (
            "instructor",
            session_for(&on, "kim@example.com"),
            tokens.instructor.clone(),
        ),
        (
            "staff",
            session_for(&on, "staff@x.kr"),
            tokens.staff.clone(),
        ),
    ];
    let pages = [
        "/",
        "/courses",
        "/courses?search=%EB%A7%88%EC%BC%80%ED%8C%85",
        "/courses?category=marketing&ordering=title",
        "/courses/growth-marketing",
        "/courses/growth-marketing/lessons/1",
        "/courses/growth-marketing/lessons/2",
        "/courses/growth-marketing/questions",
        "/me/courses",
        "/accounts/me",
        "/no-such-page",
    ];
    let api = [
        "/api/v1/courses",
        "/api/v1/courses?search=%EB%A7%88%EC%BC%80%ED%8C%85",
        "/api/v1/courses/growth-marketing",
        "/api/v1/courses/growth-marketing/lessons/1",
        "/api/v1/courses/growth-marketing/lessons/2",
        "/api/v1/me/enrollments",
        "/api/v1/categories",
    ];
    let mut compared = 0;
    for (who, cookie, token) in &personas {
        for lang in ["ko", "en"] {
            for path in pages {
                let cold = fetch(&on, path, cookie, lang, "").await;
                let warm = fetch(&on, path, cookie, lang, "").await;
                let plain = fetch(&off, path, cookie, lang, "").await;
                assert_eq!(cold.0, plain.0, "{who} {lang} {path}: status");
                assert_eq!(warm.0, plain.0, "{who} {lang} {path}: status when warm");
                let expected = normalised(&plain.1);
                assert_eq!(normalised(&cold.1), expected, "{who} {lang} {path}");
                assert_eq!(normalised(&warm.1), expected, "{who} {lang} {path} warm");
                compared += 1;
            }
            for path in api {
                let cold = fetch(&on, path, "", lang, token).await;
                let warm = fetch(&on, path, "", lang, token).await;
                let plain = fetch(&off, path, "", lang, token).await;
                assert_eq!(cold.0, plain.0, "{who} {lang} {path}: status");
                let json = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
                let expected = json(&plain.1);
                assert_eq!(json(&cold.1), expected, "{who} {lang} {path}");
                assert_eq!(json(&warm.1), expected, "{who} {lang} {path} warm");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 5 * 2 * (pages.len() + api.len()));
    // The logged-in pages really are logged in (the personas' sessions work on both servers).
    let (_, home) = fetch(&on, "/", &personas[1].1, "ko", "").await;
    assert!(home.contains("질문자") && home.contains("user-menu__logout"));
    let (_, home) = fetch(&off, "/", &personas[4].1, "en", "").await;
    assert!(home.contains("운영자"));
}

#[tokio::test]
async fn a_logged_in_home_shows_a_write_on_the_next_request() {
    let app = spawn_with(|_| {}).await;
    let ids = small_catalog(&app);
    let _ = people(&app, &ids);
    let cookie = session_for(&app, "asker@x.kr");
    for _ in 0..2 {
        let (_, html) = fetch(&app, "/", &cookie, "ko", "").await;
        assert!(html.contains("그로스 마케팅 입문") && html.contains("질문자"));
        assert!(!html.contains("심화"));
    }
    app.exec(|tx| {
        tx.execute(
            "UPDATE courses SET title = '그로스 마케팅 심화' WHERE id = ?1",
            [ids.growth],
        )
        .map(|_| ())
    });
    let (_, html) = fetch(&app, "/", &cookie, "ko", "").await;
    assert!(
        html.contains("그로스 마케팅 심화"),
        "the new title, at once"
    );
    assert!(html.contains("질문자"), "still this learner's own menu");
}

#[tokio::test]
async fn a_kept_lesson_page_shows_progress_on_the_next_request() {
    let app = spawn_with(|_| {}).await;
    let ids = small_catalog(&app);
    let tokens = people(&app, &ids);
    let cookie = session_for(&app, "asker@x.kr");
    let lesson = "/courses/growth-marketing/lessons/2";
    let mut token_in_page = String::new();
    for _ in 0..2 {
        let (status, html) = fetch(&app, lesson, &cookie, "ko", "").await;
        assert_eq!(status, 200);
        assert!(!html.contains("lesson-complete--done"));
        let token = crate::browser::csrf_of(&html);
        assert!(!token.is_empty() && !token.starts_with("csrf-"));
        token_in_page = token;
    }
    let resp = app
        .client
        .put(app.url("/api/v1/courses/growth-marketing/lessons/2/progress"))
        .header("Authorization", format!("Token {}", tokens.asker))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, html) = fetch(&app, lesson, &cookie, "ko", "").await;
    assert!(html.contains("lesson-complete--done"), "done at once");
    // Another session of another learner never gets this one's page or token.
    let other = session_for(&app, "helper@x.kr");
    let (_, theirs) = fetch(&app, lesson, &other, "ko", "").await;
    assert!(!theirs.contains(&token_in_page) && !theirs.contains("lesson-complete--done"));
    assert!(theirs.contains("답변자") && !theirs.contains("질문자"));
}

#[tokio::test]
async fn kept_my_courses_and_questions_show_a_write_on_the_next_request() {
    let app = spawn_with(|_| {}).await;
    let ids = small_catalog(&app);
    let tokens = people(&app, &ids);
    let cookie = session_for(&app, "asker@x.kr");
    let questions = "/courses/growth-marketing/questions";
    for _ in 0..2 {
        let (_, mine) = fetch(&app, "/me/courses", &cookie, "ko", "").await;
        assert!(mine.contains("그로스 마케팅 입문") && !mine.contains("Pitch Deck Masterclass"));
        let (_, list) = fetch(&app, questions, &cookie, "ko", "").await;
        assert!(!list.contains("퍼널 질문입니다"));
    }
    let (status, _, _) = app
        .post_json(
            "/api/v1/courses/growth-marketing/questions",
            Some(&tokens.asker),
            serde_json::json!({"title": "퍼널 질문입니다", "body": "전환율은 어떻게 재나요?"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, list) = fetch(&app, questions, &cookie, "ko", "").await;
    assert!(
        list.contains("퍼널 질문입니다"),
        "the new question, at once"
    );
    let resp = app
        .client
        .post(app.url("/api/v1/courses/pitch-deck/enrollment"))
        .header("Authorization", format!("Token {}", tokens.asker))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let (_, mine) = fetch(&app, "/me/courses", &cookie, "ko", "").await;
    assert!(
        mine.contains("Pitch Deck Masterclass"),
        "the new course, at once"
    );
    // Another learner's kept pages are their own.
    let other = session_for(&app, "outsider@x.kr");
    let (_, theirs) = fetch(&app, "/me/courses", &other, "ko", "").await;
    assert!(!theirs.contains("Pitch Deck Masterclass") && theirs.contains("외부인"));
}
