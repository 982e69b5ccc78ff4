//! Learning in the browser: enroll from the course page, study lessons and mark them complete,
//! My courses, the certificate, Q&A with hostile text, reviews, and constant statement counts.

use reqwest::Client;

use crate::browser::{csrf_of, page, signup, signup_named, submit};
use crate::helpers::{people, small_catalog, spawn_app, Fixture, TestApp};

async fn statements(client: &Client, app: &TestApp, path: &str) -> u64 {
    let resp = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.headers()["x-sql-statements"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A page and the number of SQL statements it took.
async fn page_and_statements(client: &Client, app: &TestApp, path: &str) -> (u64, String) {
    let resp = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let n = resp.headers()["x-sql-statements"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    (n, resp.text().await.unwrap())
}

async fn enrolled_learner(app: &TestApp, email: &str, name: &str) -> Client {
    let browser = app.browser();
    signup_named(&browser, app, email, name).await;
    let enrolled = submit(
        &browser,
        app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    assert_eq!(enrolled.status(), 303);
    browser
}

#[tokio::test]
async fn a_kept_lesson_part_never_shows_one_learners_checkmarks_name_or_token_to_another() {
    let app = spawn_app().await;
    small_catalog(&app);
    let first = enrolled_learner(&app, "first@example.kr", "한지우").await;
    let second = enrolled_learner(&app, "second@example.kr", "박서연").await;
    let done = submit(
        &first,
        &app,
        "/courses/growth-marketing/lessons/1",
        "/courses/growth-marketing/lessons/1/complete",
        &[("done", "1")],
    )
    .await;
    assert_eq!(done.status(), 303);

    let lesson = "/courses/growth-marketing/lessons/2";
    let (cold, mine) = page_and_statements(&first, &app, lesson).await;
    assert!(mine.contains("side-lesson--done") && mine.contains("한지우"));
    let (warm, theirs) = page_and_statements(&second, &app, lesson).await;
    assert!(warm < cold, "the second learner is served the kept part");
    assert!(theirs.contains("박서연"), "their own name");
    assert!(!theirs.contains("한지우"), "not the first learner's name");
    assert!(mine.contains(r#"value="50""#), "half of two lessons done");
    assert!(
        !theirs.contains("side-lesson--done") && theirs.contains(r#"value="0""#),
        "no checkmark or progress of the first learner"
    );
    assert!(
        theirs.contains("name=\"done\" value=\"1\""),
        "lesson 2 is not done for them"
    );
    let token = csrf_of(&mine);
    assert_ne!(csrf_of(&theirs), token);
    assert!(
        !theirs.contains(&token),
        "not the first learner's CSRF token"
    );

    let english = second
        .get(app.url(lesson))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        english.contains("Lesson 1,") && !english.contains("1강,"),
        "the curriculum in the reader's language"
    );

    // And back: the first learner still sees their own checkmark from the kept part.
    let (_, again) = page_and_statements(&first, &app, lesson).await;
    assert!(again.contains("side-lesson--done") && again.contains(&token));
}

#[tokio::test]
async fn a_lesson_changed_through_the_api_shows_on_the_next_page_load() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let learner = enrolled_learner(&app, "reader@example.kr", "한지우").await;
    let lesson = "/courses/growth-marketing/lessons/2";
    page_and_statements(&learner, &app, lesson).await;
    let (_, before) = page_and_statements(&learner, &app, lesson).await;
    assert!(before.contains("두 번째: 퍼널 분석"));

    let (status, body) = app
        .call(
            "PATCH",
            "/api/v1/courses/growth-marketing/lessons/2",
            Some(&p.instructor),
            Some(serde_json::json!({"title": "고친 제목", "body": "새 **본문**"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, after) = page_and_statements(&learner, &app, lesson).await;
    assert!(after.contains("고친 제목") && after.contains("<strong>본문</strong>"));
    assert!(
        !after.contains("두 번째: 퍼널 분석"),
        "not the kept old part"
    );
    let (_, neighbour) =
        page_and_statements(&learner, &app, "/courses/growth-marketing/lessons/1").await;
    assert!(
        neighbour.contains("고친 제목"),
        "the curriculum of other lessons too"
    );
}

#[tokio::test]
async fn a_visitor_is_sent_to_log_in_and_a_learner_enrolls_studies_and_completes() {
    let app = spawn_app().await;
    small_catalog(&app);
    let anon = app.browser();
    let resp = anon
        .get(app.url("/courses/growth-marketing/lessons/2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        303,
        "a locked lesson sends visitors to log in"
    );
    assert!(resp.headers()["location"]
        .to_str()
        .unwrap()
        .contains("next=%2Fcourses%2Fgrowth-marketing%2Flessons%2F2"));
    let (status, preview) = page(&anon, &app, "/courses/growth-marketing/lessons/1").await;
    assert_eq!(status, 200, "previews are open");
    assert!(preview.contains("첫 번째: 오리엔테이션"));

    let browser = app.browser();
    signup(&browser, &app, "study@example.kr").await;
    let (status, html) = page(&browser, &app, "/courses/growth-marketing/lessons/2").await;
    assert_eq!(status, 403, "logged in but not enrolled");
    assert!(html.contains("수강 신청"), "a clear message");

    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let (status, lesson) = page(&browser, &app, "/courses/growth-marketing/lessons/2").await;
    assert_eq!(status, 200);
    assert!(lesson.contains("두 번째: 퍼널 분석"));

    for position in [1, 2] {
        let path = format!("/courses/growth-marketing/lessons/{position}");
        let resp = submit(
            &browser,
            &app,
            &path,
            &format!("{path}/complete"),
            &[("done", "1")],
        )
        .await;
        assert_eq!(resp.status(), 303);
    }
    let (_, mine) = page(&browser, &app, "/me/courses").await;
    assert!(
        mine.contains("그로스 마케팅 입문") && mine.contains("100"),
        "progress shown"
    );
    let code: String = app
        .db()
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row("SELECT code FROM certificates", [], |r| r.get(0))?)
        })
        .unwrap();
    let (status, cert) = page(&anon, &app, &format!("/certificates/{code}")).await;
    assert_eq!(status, 200, "anyone holding the link can verify");
    assert!(cert.contains("김민지") && cert.contains("그로스 마케팅 입문") && cert.contains(&code));
    assert_eq!(page(&anon, &app, "/certificates/forged-code").await.0, 404);

    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/leave",
        &[],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        page(&browser, &app, "/courses/growth-marketing/lessons/2")
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn my_courses_needs_a_login_and_lists_with_constant_statements() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let anon = app.browser();
    assert_eq!(
        anon.get(app.url("/me/courses"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let browser = app.browser();
    signup(&browser, &app, "many@example.kr").await;
    let uid: i64 = app
        .db()
        .read(|c| -> Result<i64, hancup::db::DbError> {
            Ok(c.query_row(
                "SELECT id FROM users WHERE email = 'many@example.kr'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    app.exec(|tx| {
        Fixture { tx }.enroll(uid, ids.growth);
        Ok(())
    });
    // The first visit after sign-up also writes the session (its welcome message is shown once).
    statements(&browser, &app, "/me/courses").await;
    let one = statements(&browser, &app, "/me/courses").await;
    app.exec(|tx| {
        let f = Fixture { tx };
        for i in 0..15 {
            let c = f.course(
                &format!("extra-{i}"),
                &format!("추가 강의 {i}"),
                "",
                ids.finance,
                "beginner",
                ids.kim,
                "published",
                "2026-02-01T00:00:00Z",
            );
            f.lesson(c, 1, "1강", 60, false);
            f.enroll(uid, c);
        }
        Ok(())
    });
    let many = statements(&browser, &app, "/me/courses").await;
    assert_eq!(one, many, "1 course or 16");
    // The first load after a write reads the lesson's shared part; the next one reuses it.
    let lesson = "/courses/growth-marketing/lessons/1";
    // Cold means after a commit, as the big one is: the session and user are read again too.
    app.exec(|tx| tx.execute_batch("UPDATE users SET updated_at = updated_at WHERE id = 0"));
    let small_cold = statements(&browser, &app, lesson).await;
    let small_warm = statements(&browser, &app, lesson).await;
    assert!(small_warm < small_cold, "the shared part is kept");
    app.exec(|tx| {
        let f = Fixture { tx };
        for p in 3..=40 {
            f.lesson(ids.growth, p, &format!("{p}강"), 60, false);
        }
        Ok(())
    });
    let big_cold = statements(&browser, &app, lesson).await;
    let big_warm = statements(&browser, &app, lesson).await;
    assert_eq!(small_cold, big_cold, "2 lessons or 40, read");
    assert_eq!(small_warm, big_warm, "2 lessons or 40, kept");
}

#[tokio::test]
async fn questions_from_the_page_are_shown_escaped() {
    let app = spawn_app().await;
    small_catalog(&app);
    let browser = app.browser();
    signup(&browser, &app, "qa@example.kr").await;
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing/questions",
        "/courses/growth-marketing/questions",
        &[("title", "질문"), ("body", "본문")],
    )
    .await;
    assert_eq!(resp.status(), 403, "not enrolled yet");
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing/questions",
        "/courses/growth-marketing/questions",
        &[("title", ""), ("body", "본문만")],
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("본문만"), "input kept");
    let payload = "<script>alert('xss')</script><img src=x onerror=alert(1)>";
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing/questions",
        "/courses/growth-marketing/questions",
        &[
            ("title", payload),
            ("body", &format!("퍼널이 뭔가요? {payload}")),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let (status, html) = page(&browser, &app, &location).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x onerror"),
        "no markup from the user"
    );
    assert!(
        html.contains("&lt;script&gt;"),
        "the title is shown escaped"
    );
    let token = csrf_of(&html);
    let answer_path = format!("{location}/answers");
    let resp = browser
        .post(app.url(&answer_path))
        .form(&[("body", "자답합니다"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let (_, list) = page(&app.browser(), &app, "/courses/growth-marketing/questions").await;
    assert!(list.contains("&lt;script&gt;") && !list.contains("<script>alert"));
}

#[tokio::test]
async fn reviews_from_the_course_page() {
    let app = spawn_app().await;
    small_catalog(&app);
    let browser = app.browser();
    signup(&browser, &app, "rev@example.kr").await;
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/reviews",
        &[("rating", "5")],
    )
    .await;
    assert_eq!(resp.status(), 403, "enroll first");
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/reviews",
        &[("rating", "9"), ("body", "남길 말")],
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("남길 말"), "input kept");
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/reviews",
        &[("rating", "4"), ("body", "<b>좋아요</b>")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let (_, html) = page(&app.browser(), &app, "/courses/growth-marketing").await;
    assert!(
        html.contains("&lt;b&gt;좋아요") && !html.contains("<b>좋아요"),
        "shown escaped, anonymously"
    );
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/reviews",
        &[("rating", "1")],
    )
    .await;
    assert_eq!(resp.status(), 409, "once per learner");
}

#[tokio::test]
async fn site_notices_appear_on_the_home_page_at_once() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let (_, before) = page(&app.browser(), &app, "/").await;
    app.exec(|tx| {
        tx.execute("INSERT INTO notices (author_id, title, body, is_pinned) VALUES (?1, '서버 점검 안내', '**토요일** 새벽', 1)", [ids.kim])?;
        Ok(())
    });
    let (_, after) = page(&app.browser(), &app, "/").await;
    assert!(!before.contains("서버 점검 안내"));
    assert!(
        after.contains("서버 점검 안내") && after.contains("<strong>토요일</strong>"),
        "a write shows in the next (cached) page"
    );
}
