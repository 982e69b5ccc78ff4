//! Learning over the API: enrolling, lessons and who may open them, progress to a certificate,
//! and the statement counts of the lesson and My courses lists.

use serde_json::json;

use crate::helpers::{small_catalog, spawn_app, Fixture, TestApp};

async fn enroll(app: &TestApp, token: &str, slug: &str) -> u16 {
    app.call(
        "POST",
        &format!("/api/v1/courses/{slug}/enrollment"),
        Some(token),
        None,
    )
    .await
    .0
}

#[tokio::test]
async fn enrolling_is_idempotent_and_leaving_archives_with_progress_kept() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (_, token) = app.user_with_token("learner@x.kr", "수강생");
    assert_eq!(
        app.call(
            "POST",
            "/api/v1/courses/growth-marketing/enrollment",
            None,
            None
        )
        .await
        .0,
        401
    );
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/enrollment",
            Some(&token),
            None,
        )
        .await;
    assert_eq!((status, body["created"].as_bool()), (201, Some(true)));
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/enrollment",
            Some(&token),
            None,
        )
        .await;
    assert_eq!((status, body["created"].as_bool()), (200, Some(false)));
    let (_, course) = app.get_json("/api/v1/courses/growth-marketing").await;
    assert_eq!(
        course["enrollment_count"], 2,
        "the fixture's learner and this one"
    );
    for slug in ["secret-draft", "old-course", "nope"] {
        assert_eq!(enroll(&app, &token, slug).await, 404, "{slug}");
    }
    app.call(
        "PUT",
        "/api/v1/courses/growth-marketing/lessons/1/progress",
        Some(&token),
        None,
    )
    .await;
    let (status, _) = app
        .call(
            "DELETE",
            "/api/v1/courses/growth-marketing/enrollment",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            "DELETE",
            "/api/v1/courses/growth-marketing/enrollment",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 404, "leaving twice: no longer enrolled");
    let kept: i64 = app
        .db()
        .read(|c| -> Result<i64, hancup::db::DbError> {
            Ok(c.query_row("SELECT COUNT(*) FROM lesson_progress", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(kept, 1, "leaving archives; the progress stays");
    let (_, course) = app.get_json("/api/v1/courses/growth-marketing").await;
    assert_eq!(
        course["enrollment_count"], 1,
        "an archived enrollment is not a current learner"
    );
    let (_, mine) = app
        .call("GET", "/api/v1/me/enrollments", Some(&token), None)
        .await;
    assert_eq!(mine["count"], 0, "a left course leaves My courses");
    let (status, _) = app
        .call(
            "GET",
            "/api/v1/courses/growth-marketing/lessons/2",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 403, "a left course no longer opens its lessons");
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/enrollment",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (status, body["created"].as_bool()),
        (201, Some(true)),
        "enrolling again restores the enrollment"
    );
    let (_, mine) = app
        .call("GET", "/api/v1/me/enrollments", Some(&token), None)
        .await;
    assert_eq!(mine["count"], 1);
    assert_eq!(
        mine["results"][0]["completed_lessons"], 1,
        "with its progress"
    );
    let (_, course) = app.get_json("/api/v1/courses/growth-marketing").await;
    assert_eq!(course["enrollment_count"], 2);
}

#[tokio::test]
async fn lessons_open_to_the_enrolled_previews_to_everyone() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute(
            "UPDATE lessons SET body = '## 퍼널\n\n<script>alert(1)</script><img src=x onerror=alert(1)>', video_url = 'https://youtu.be/dQw4w9WgXcQ' WHERE course_id = ?1 AND position = 2",
            [ids.growth],
        )?;
        tx.execute("UPDATE lessons SET video_url = 'https://evil.example/v.mp4' WHERE course_id = ?1 AND position = 1", [ids.growth])?;
        Ok(())
    });
    let (status, preview) = app
        .get_json("/api/v1/courses/growth-marketing/lessons/1")
        .await;
    assert_eq!(status, 200, "a preview lesson is public");
    assert_eq!(
        preview["video"],
        json!({"kind": "link", "url": "https://evil.example/v.mp4"})
    );
    assert_eq!(preview["next_position"], 2);
    let (status, body) = app
        .get_json("/api/v1/courses/growth-marketing/lessons/2")
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["detail"], "Enroll in this course to see this lesson.");
    let (_, token) = app.user_with_token("l@x.kr", "학생");
    let (status, _) = app
        .call(
            "GET",
            "/api/v1/courses/growth-marketing/lessons/2",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 403, "logged in but not enrolled");
    enroll(&app, &token, "growth-marketing").await;
    let (status, lesson) = app
        .call(
            "GET",
            "/api/v1/courses/growth-marketing/lessons/2",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let html = lesson["body_html"].as_str().unwrap();
    assert!(
        html.contains("<h2>퍼널</h2>") && !html.contains("<script") && !html.contains("onerror"),
        "{html}"
    );
    assert_eq!(
        lesson["video"],
        json!({"kind": "embed", "url": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"})
    );
    assert_eq!(lesson["previous_position"], 1);
    assert_eq!(lesson["curriculum"].as_array().unwrap().len(), 2);
    for bad in ["3", "0", "-1"] {
        let (status, _) = app
            .call(
                "GET",
                &format!("/api/v1/courses/growth-marketing/lessons/{bad}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, 404, "position {bad}");
    }
    let (status, _) = app
        .call(
            "GET",
            "/api/v1/courses/growth-marketing/lessons/x",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .call(
            "GET",
            "/api/v1/courses/secret-draft/lessons/1",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 404, "drafts are invisible");
}

#[tokio::test]
async fn completing_every_lesson_completes_the_course_with_a_verifiable_certificate() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (_, token) = app.user_with_token("done@x.kr", "완주자");
    enroll(&app, &token, "growth-marketing").await;
    let (status, p) = app
        .call(
            "PUT",
            "/api/v1/courses/growth-marketing/lessons/2/progress",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            p["completed_lessons"].as_i64(),
            p["progress_percent"].as_i64()
        ),
        (Some(1), Some(50))
    );
    assert_eq!(p["next_lesson_position"], 1);
    let (_, again) = app
        .call(
            "PUT",
            "/api/v1/courses/growth-marketing/lessons/2/progress",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again["completed_lessons"], 1, "idempotent");
    assert!(again["certificate_code"].is_null());
    let (_, done) = app
        .call(
            "PUT",
            "/api/v1/courses/growth-marketing/lessons/1/progress",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(done["progress_percent"], 100);
    assert!(done["completed_at"].is_string());
    let code = done["certificate_code"].as_str().unwrap().to_owned();
    assert!(code.len() >= 22, "128 random bits");
    let (status, cert) = app.get_json(&format!("/api/v1/certificates/{code}")).await;
    assert_eq!(status, 200, "anyone can verify");
    assert_eq!(cert["learner_name"], "완주자");
    assert_eq!(cert["course_title"], "그로스 마케팅 입문");
    assert_eq!(cert["instructor_name"], "김민지");
    assert_eq!(
        app.get_json("/api/v1/certificates/not-a-real-code").await.0,
        404
    );
    let (_, undone) = app
        .call(
            "DELETE",
            "/api/v1/courses/growth-marketing/lessons/1/progress",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(undone["completed_lessons"], 1);
    assert_eq!(
        undone["certificate_code"],
        code.as_str(),
        "a certificate, once earned, stays"
    );
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/courses/growth-marketing/lessons/9/progress",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (_, other) = app.user_with_token("other@x.kr", "남");
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/courses/growth-marketing/lessons/1/progress",
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn my_enrollments_show_progress_and_where_to_continue() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (_, token) = app.user_with_token("me@x.kr", "나");
    enroll(&app, &token, "growth-marketing").await;
    enroll(&app, &token, "pitch-deck").await;
    app.call(
        "PUT",
        "/api/v1/courses/growth-marketing/lessons/1/progress",
        Some(&token),
        None,
    )
    .await;
    let (status, page) = app
        .call("GET", "/api/v1/me/enrollments", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["count"], 2);
    let growth = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["course"]["slug"] == "growth-marketing")
        .unwrap();
    assert_eq!(
        (
            growth["progress_percent"].as_i64(),
            growth["next_lesson_position"].as_i64()
        ),
        (Some(50), Some(2))
    );
    let (status, _) = app
        .call("GET", "/api/v1/me/enrollments?page=2", Some(&token), None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .call(
            "GET",
            "/api/v1/me/enrollments?page_size=0",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["page_size"].is_array());
}

#[tokio::test]
async fn lesson_and_my_courses_cost_the_same_statements_whatever_their_size() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let (uid, token) = app.user_with_token("count@x.kr", "셈");
    app.exec(|tx| {
        let f = Fixture { tx };
        let big = f.course("big", "큰 강의", "", ids.finance, "beginner", ids.kim, "published", "2026-02-01T00:00:00Z");
        for p in 1..=30 {
            f.lesson(big, p, &format!("{p}강"), 60, false);
            if p % 2 == 0 {
                tx.execute("INSERT INTO enrollments (user_id, course_id) SELECT ?1, ?2 WHERE ?3 = 2", rusqlite::params![uid, big, p])?;
                tx.execute(
                    "INSERT INTO lesson_progress (user_id, lesson_id, course_id) SELECT ?1, id, ?2 FROM lessons WHERE course_id = ?2 AND position = ?3",
                    rusqlite::params![uid, big, p],
                )?;
            }
        }
        f.enroll(uid, ids.growth);
        Ok(())
    });
    let count = |path: &'static str| {
        let client = app.client.clone();
        let url = app.url(path);
        let token = token.clone();
        async move {
            let resp = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            resp.headers()["x-sql-statements"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        }
    };
    let small = count("/api/v1/courses/growth-marketing/lessons/1").await;
    let big = count("/api/v1/courses/big/lessons/7").await;
    assert_eq!(small, big, "a 2-lesson and a 30-lesson course");
    assert!(big <= 12, "{big}");
    let one = count("/api/v1/me/enrollments?page_size=1").await;
    let all = count("/api/v1/me/enrollments?page_size=100").await;
    assert_eq!(one, all);
}

#[tokio::test]
async fn a_hundred_learners_enroll_at_once_without_a_single_error() {
    let app = spawn_app().await;
    small_catalog(&app);
    let tokens: Vec<String> = (0..100)
        .map(|i| {
            app.user_with_token(&format!("u{i}@x.kr"), &format!("학생{i}"))
                .1
        })
        .collect();
    let mut tasks = Vec::new();
    for t in tokens {
        let client = app.client.clone();
        let url = app.url("/api/v1/courses/pitch-deck/enrollment");
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let (_, course) = app.get_json("/api/v1/courses/pitch-deck").await;
    assert_eq!(course["enrollment_count"], 102);
}
