//! A learner's day over HTTP (issue 13): the lesson page frames exactly the allowed video
//! hosts, a lost session sends a form post back to its page after login with the reason shown,
//! browsers get styled error pages, leaving archives the enrollment and only a confirmed action
//! deletes progress, and finishing shows the completion card.

use crate::browser::{csrf_of, page, signup, submit};
use crate::helpers::{small_catalog, spawn_app, spawn_with};

const LESSON_2: &str = "/courses/growth-marketing/lessons/2";

/// Page text with MiniJinja's escaped slashes put back, to compare URLs.
fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/")
}

fn csp(resp: &reqwest::Response) -> String {
    resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_lesson_page_frames_exactly_the_allowed_video_hosts() {
    let app = spawn_with(|c| c.learning.video_hosts = "media.example.kr".into()).await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute(
            "UPDATE lessons SET video_url = 'https://youtu.be/dQw4w9WgXcQ' WHERE course_id = ?1 AND position = 1",
            [ids.growth],
        )?;
        tx.execute(
            "UPDATE lessons SET video_url = 'https://evil.example/v.mp4' WHERE course_id = ?1 AND position = 2",
            [ids.growth],
        )?;
        Ok(())
    });
    let anon = app.browser();
    let resp = anon
        .get(app.url("/courses/growth-marketing/lessons/1"))
        .send()
        .await
        .unwrap();
    let policy = csp(&resp);
    let frame_src = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("frame-src"))
        .expect("the lesson page names frame-src");
    assert_eq!(
        frame_src,
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com https://media.example.kr"
    );
    let html = unescaped(&resp.text().await.unwrap());
    let iframe = &html[html.find("<iframe").expect("the preview embeds its video")..];
    let iframe = &iframe[..iframe.find('>').unwrap()];
    assert!(
        iframe.contains("src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\"")
            && iframe.contains("title=\"")
            && iframe.contains("loading=\"lazy\""),
        "{iframe}"
    );
    assert!(html.contains("video-frame"), "the 16:9 box");
    assert!(
        html.contains("href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\"")
            && html.contains("YouTube에서 보기"),
        "the fallback link to the video's own site"
    );

    for path in ["/", "/courses", "/courses/growth-marketing"] {
        let resp = anon.get(app.url(path)).send().await.unwrap();
        assert!(
            !csp(&resp).contains("frame-src"),
            "{path} frames nothing beyond default-src"
        );
    }

    let browser = app.browser();
    signup(&browser, &app, "watch@example.kr").await;
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    let (status, html) = page(&browser, &app, LESSON_2).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("<iframe"),
        "a host outside the allow-list is never framed"
    );
    assert!(
        unescaped(&html).contains("https://evil.example/v.mp4"),
        "only linked"
    );
}

#[tokio::test]
async fn a_post_after_the_session_ended_returns_to_the_form_page_after_login() {
    let app = spawn_app().await;
    small_catalog(&app);
    let browser = app.browser();
    signup(&browser, &app, "lost@example.kr").await;
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    let (_, lesson) = page(&browser, &app, LESSON_2).await;
    let token = csrf_of(&lesson);
    // The session ends elsewhere (another device logged out everywhere, or it expired).
    app.exec(|tx| tx.execute("DELETE FROM sessions", []).map(|_| ()));
    let resp = browser
        .post(app.url(&format!("{LESSON_2}/complete")))
        .header("referer", app.url(LESSON_2))
        .form(&[("csrf_token", token.as_str()), ("done", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        to,
        "/accounts/login?next=%2Fcourses%2Fgrowth-marketing%2Flessons%2F2&reason=login_required",
        "next is the page the form was on, never the POST target"
    );
    let (status, login) = page(&browser, &app, &to).await;
    let login = unescaped(&login);
    assert_eq!(status, 200);
    assert!(login.contains("로그인이 필요합니다"), "the reason is shown");
    assert!(login.contains("value=\"/courses/growth-marketing/lessons/2\""));

    // Without a Referer the learner lands on the home page, still never on the POST target.
    let resp = browser
        .post(app.url(&format!("{LESSON_2}/complete")))
        .form(&[("csrf_token", token.as_str()), ("done", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        "/accounts/login?next=%2F&reason=login_required"
    );
    // A Referer from another site is not followed.
    let resp = browser
        .post(app.url(&format!("{LESSON_2}/complete")))
        .header("referer", "https://evil.example/courses/x")
        .form(&[("csrf_token", token.as_str()), ("done", "1")])
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["location"]
        .to_str()
        .unwrap()
        .contains("next=%2F&"));
    // The login page ignores reasons it does not know.
    let (_, login) = page(&browser, &app, "/accounts/login?reason=%3Cb%3Ehi").await;
    assert!(!login.contains("로그인이 필요합니다") && !login.contains("<b>hi"));
}

#[tokio::test]
async fn browsers_get_the_styled_error_page_for_every_error_status() {
    let app = spawn_app().await;
    small_catalog(&app);
    let anon = app.browser();
    let resp = anon
        .get(app.url(&format!("{LESSON_2}/complete")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405, "GET on a POST-only address");
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("<link") && html.contains("error-page") && html.contains("405"),
        "the styled page, not poem's plain text: {html}"
    );
    let resp = anon
        .get(app.url("/courses/growth-marketing/lessons/abc"))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    assert!(resp.text().await.unwrap().contains("error-page"));
    let (status, html) = page(&anon, &app, "/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("error-page"));
    // API clients keep their JSON.
    let resp = anon.get(app.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn logout_by_get_shows_a_confirm_form() {
    let app = spawn_app().await;
    let browser = app.browser();
    signup(&browser, &app, "bye@example.kr").await;
    let (status, html) = page(&browser, &app, "/accounts/logout").await;
    assert_eq!(status, 200);
    assert!(html.contains("action=\"/accounts/logout\"") && html.contains("csrf_token"));
    let resp = submit(&browser, &app, "/accounts/logout", "/accounts/logout", &[]).await;
    assert_eq!(resp.status(), 303);
    let (_, html) = page(&browser, &app, "/accounts/me").await;
    assert!(!html.contains("bye@example.kr"), "logged out");
    let anon = app.browser();
    assert_eq!(page(&anon, &app, "/accounts/logout").await.0, 303);
}

#[tokio::test]
async fn leaving_keeps_progress_and_only_a_confirmed_action_deletes_it() {
    let app = spawn_app().await;
    small_catalog(&app);
    let browser = app.browser();
    signup(&browser, &app, "keep@example.kr").await;
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    for position in [1, 2] {
        let path = format!("/courses/growth-marketing/lessons/{position}");
        submit(
            &browser,
            &app,
            &path,
            &format!("{path}/complete"),
            &[("done", "1")],
        )
        .await;
    }
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/leave",
        &[],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let (_, mine) = page(&browser, &app, "/me/courses").await;
    assert!(
        !mine.contains("그로스 마케팅 입문"),
        "a left course is hidden"
    );
    let (_, course) = page(&browser, &app, "/courses/growth-marketing").await;
    assert!(
        course.contains("enroll-card__form"),
        "enrol again from here"
    );
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    let (_, course) = page(&browser, &app, "/courses/growth-marketing").await;
    assert!(
        course.contains("수료증 보기") && course.contains("100%"),
        "re-enrolled with progress and certificate intact"
    );

    let (status, confirm) = page(&browser, &app, "/courses/growth-marketing/progress/delete").await;
    assert_eq!(status, 200);
    assert!(
        confirm.contains("진도 기록 2개가 삭제됩니다"),
        "says what will go"
    );
    let resp = submit(
        &browser,
        &app,
        "/courses/growth-marketing/progress/delete",
        "/courses/growth-marketing/progress/delete",
        &[],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let (rows, certificates): (i64, i64) = app
        .db()
        .read(|c| -> Result<_, hancup::db::DbError> {
            Ok((
                c.query_row("SELECT COUNT(*) FROM lesson_progress", [], |r| r.get(0))?,
                c.query_row("SELECT COUNT(*) FROM certificates", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(
        (rows, certificates),
        (0, 1),
        "progress gone, certificate kept"
    );
    let anon = app.browser();
    let resp = anon
        .post(app.url("/courses/growth-marketing/progress/delete"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "no CSRF token, nothing deleted");
}

#[tokio::test]
async fn finishing_the_last_lesson_shows_the_completion_card() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let browser = app.browser();
    signup(&browser, &app, "done@example.kr").await;
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    let mut last = None;
    for position in [1, 2] {
        let path = format!("/courses/growth-marketing/lessons/{position}");
        last = Some(
            submit(
                &browser,
                &app,
                &path,
                &format!("{path}/complete"),
                &[("done", "1")],
            )
            .await,
        );
    }
    let last = last.unwrap();
    assert_eq!(
        last.headers()["location"].to_str().unwrap(),
        "/courses/growth-marketing"
    );
    let code: String = app
        .db()
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row("SELECT code FROM certificates", [], |r| r.get(0))?)
        })
        .unwrap();
    let (_, html) = page(&browser, &app, "/courses/growth-marketing").await;
    let html = unescaped(&html);
    let card = &html[html.find("id=\"completed\"").expect("the completion card")..];
    let card = &card[..card.find("</section>").unwrap()];
    assert!(
        card.contains(&format!("href=\"/certificates/{code}\"")) && card.contains("수료증 보기")
    );
    assert!(card.contains("수강평 남기기"));
    let suggested: String = app
        .db()
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row(
                "SELECT slug FROM courses WHERE status = 'published' AND id <> ?1 ORDER BY category_id = (SELECT category_id FROM courses WHERE id = ?1) DESC, enrollment_count DESC, id DESC LIMIT 1",
                [ids.growth],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(
        card.contains(&format!("href=\"/courses/{suggested}\"")),
        "one suggested next course: {card}"
    );
    assert!(
        html.contains(&format!(
            "class=\"flash__link\" href=\"/certificates/{code}\""
        )),
        "the flash links the certificate"
    );
}
