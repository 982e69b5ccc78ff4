//! The learning tables in the admin: questions, answers, notices and reviews on the dashboard
//! for staff holding their permissions; search and the hide/show and pin actions reaching the
//! public API; learners' posts changed or deleted but never added; the permission gate.

use rusqlite::params;

use crate::admin_support::{admin_login, grant, post, scalar, superuser, user_with_password};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app, TestApp};

const MODERATOR: &[&str] = &[
    "learning.view_question",
    "learning.change_question",
    "learning.delete_question",
    "learning.view_answer",
    "learning.change_answer",
    "learning.view_notice",
    "learning.add_notice",
    "learning.change_notice",
    "learning.view_review",
    "learning.delete_review",
];

/// Three questions on growth-marketing by `author`; returns their ids (funnel, pricing, cohort).
fn questions(app: &TestApp, course: i64, author: i64) -> [i64; 3] {
    let mut ids = [0; 3];
    app.exec(|tx| {
        for (i, (title, body)) in [
            ("퍼널 분석은 어떻게 하나요?", "가입에서 결제까지의 단계"),
            ("가격 실험 질문", "A/B 테스트 기간"),
            ("코호트 리텐션", "주간 코호트 표를 읽는 법"),
        ]
        .iter()
        .enumerate()
        {
            tx.execute(
                "INSERT INTO questions (course_id, user_id, title, body) VALUES (?1, ?2, ?3, ?4)",
                params![course, author, title, body],
            )?;
            ids[i] = tx.last_insert_rowid();
        }
        Ok(())
    });
    ids
}

#[tokio::test]
async fn moderator_lists_searches_and_hides_questions_which_leave_the_public_api() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let staff = user_with_password(&app, "mod@hancup.kr", true, false);
    grant(&app, staff, MODERATOR);
    let (client, resp) = admin_login(&app, "mod@hancup.kr").await;
    assert_eq!(resp.status(), 303);
    let [funnel, pricing, cohort] = questions(&app, ids.growth, ids.kim);

    let (status, dash) = page(&client, &app, "/admin").await;
    assert_eq!(status, 200);
    for key in ["question", "answer", "notice", "review"] {
        assert!(dash.contains(&format!("/admin/{key}")), "{key}: {dash}");
    }
    assert!(
        !dash.contains("/admin/question/add") && !dash.contains("/admin/review/add"),
        "learners' posts are never added in the admin"
    );
    assert!(dash.contains("/admin/notice/add"));
    assert!(!dash.contains("/admin/certificate"));

    let (status, list) = page(&client, &app, "/admin/question").await;
    assert_eq!(status, 200);
    assert!(
        list.contains("퍼널 분석은 어떻게 하나요?")
            && list.contains("가격 실험 질문")
            && list.contains("김민지")
            && list.contains("그로스 마케팅 입문"),
        "{list}"
    );
    // Search reaches the body as well as the title.
    let (_, found) = page(
        &client,
        &app,
        "/admin/question?q=%EC%BD%94%ED%98%B8%ED%8A%B8",
    )
    .await;
    assert!(found.contains("코호트 리텐션") && !found.contains("가격 실험 질문"));
    let (_, found) = page(&client, &app, "/admin/question?q=A%2FB").await;
    assert!(found.contains("가격 실험 질문") && !found.contains("코호트 리텐션"));

    let (status, form) = page(&client, &app, &format!("/admin/question/{funnel}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"body\"") && form.contains("name=\"is_hidden\""));
    assert!(
        !form.contains("name=\"answer_count\""),
        "the counter is read-only"
    );
    assert!(
        form.contains("name=\"_save\"") && !form.contains("name=\"_addanother\""),
        "questions are never added here, so no 'save and add another'"
    );
    let (status, _) = page(&client, &app, "/admin/question/add").await;
    assert_eq!(status, 403);

    let public = "/api/v1/courses/growth-marketing/questions";
    assert_eq!(app.get_json(public).await.1["count"], 3);
    let (f, p) = (funnel.to_string(), pricing.to_string());
    let hide = [
        ("action", "hide"),
        ("_selected", f.as_str()),
        ("_selected", p.as_str()),
        ("confirm", "yes"),
    ];
    let (status, _, _) = post(&client, &app, "/admin/question", "/admin/question", &hide).await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM questions WHERE is_hidden = 1"),
        2
    );
    let (_, left) = app.get_json(public).await;
    assert_eq!(left["count"], 1, "{left}");
    assert_eq!(left["results"][0]["id"], cohort);
    let (_, hidden) = page(&client, &app, "/admin/question?is_hidden=1").await;
    assert!(hidden.contains("가격 실험 질문") && !hidden.contains("코호트 리텐션"));

    let show = [
        ("action", "show"),
        ("_selected", f.as_str()),
        ("confirm", "yes"),
    ];
    let (status, _, _) = post(&client, &app, "/admin/question", "/admin/question", &show).await;
    assert_eq!(status, 303);
    assert_eq!(app.get_json(public).await.1["count"], 2);
}

#[tokio::test]
async fn hiding_an_answer_moves_the_question_counter() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let [q, _, _] = questions(&app, ids.growth, ids.kim);
    let mut answer = 0;
    app.exec(|tx| {
        for body in ["첫 답변", "광고성 답변"] {
            tx.execute(
                "INSERT INTO answers (question_id, user_id, body) VALUES (?1, ?2, ?3)",
                params![q, ids.lee, body],
            )?;
            answer = tx.last_insert_rowid();
        }
        Ok(())
    });
    let count = format!("SELECT answer_count FROM questions WHERE id = {q}");
    assert_eq!(scalar(&app, &count), 2);
    let (_, list) = page(&client, &app, "/admin/answer?q=%EA%B4%91%EA%B3%A0").await;
    assert!(list.contains("퍼널 분석은 어떻게 하나요?") && list.contains("이서준"));
    let a = answer.to_string();
    let hide = [
        ("action", "hide"),
        ("_selected", a.as_str()),
        ("confirm", "yes"),
    ];
    let (status, _, _) = post(&client, &app, "/admin/answer", "/admin/answer", &hide).await;
    assert_eq!(status, 303);
    assert_eq!(scalar(&app, &count), 1);
}

#[tokio::test]
async fn pinning_a_notice_puts_it_first_in_the_api() {
    let app = spawn_app().await;
    small_catalog(&app);
    let staff = user_with_password(&app, "mod@hancup.kr", true, false);
    grant(&app, staff, MODERATOR);
    let (client, _) = admin_login(&app, "mod@hancup.kr").await;
    let author = staff.to_string();
    for title in ["오래된 공지", "새 공지"] {
        let (status, body, _) = post(
            &client,
            &app,
            "/admin/notice/add",
            "/admin/notice/add",
            &[
                ("course_id", ""),
                ("author_id", author.as_str()),
                ("title", title),
                ("body", "**안내**"),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM notices WHERE course_id IS NULL"),
        2,
        "an empty course makes a site-wide notice"
    );
    let (_, list) = page(&client, &app, "/admin/notice").await;
    assert!(list.contains("전체 공지"), "{list}");
    let titles = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(app.get_json("/api/v1/notices").await.1),
        ["새 공지", "오래된 공지"]
    );
    let old = scalar(&app, "SELECT id FROM notices WHERE title = '오래된 공지'").to_string();
    let pin = [
        ("action", "pin"),
        ("_selected", old.as_str()),
        ("confirm", "yes"),
    ];
    let (status, _, _) = post(&client, &app, "/admin/notice", "/admin/notice", &pin).await;
    assert_eq!(status, 303);
    assert_eq!(
        titles(app.get_json("/api/v1/notices").await.1),
        ["오래된 공지", "새 공지"]
    );
    let (_, pinned) = page(&client, &app, "/admin/notice?is_pinned=1").await;
    assert!(pinned.contains("오래된 공지") && !pinned.contains("새 공지"));
}

#[tokio::test]
async fn reviews_are_read_only_but_deletable_and_filter_by_rating() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO reviews (course_id, user_id, rating, body) VALUES (?1, ?2, 5, '최고'), (?1, ?3, 1, '별로')",
            params![ids.growth, ids.kim, ids.lee],
        )?;
        Ok(())
    });
    let (status, low) = page(&client, &app, "/admin/review?rating=1").await;
    assert_eq!(status, 200);
    assert!(low.contains("이서준") && !low.contains("김민지"), "{low}");
    let id = scalar(&app, "SELECT id FROM reviews WHERE rating = 1").to_string();
    let (status, form) = page(&client, &app, &format!("/admin/review/{id}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("별로") && !form.contains("name=\"rating\""));
    assert!(
        !form.contains("name=\"_save\"") && form.contains("deletelink"),
        "nothing to save on a review, but it can be deleted"
    );
    let del = [
        ("action", "delete_selected"),
        ("_selected", id.as_str()),
        ("confirm", "yes"),
    ];
    let (status, _, _) = post(&client, &app, "/admin/review", "/admin/review", &del).await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT rating_count * 10 + rating_sum FROM courses WHERE id = {}",
                ids.growth
            )
        ),
        15,
        "the course keeps one review of 5"
    );
}

#[tokio::test]
async fn staff_without_the_question_permission_is_refused() {
    let app = spawn_app().await;
    small_catalog(&app);
    let staff = user_with_password(&app, "notices@hancup.kr", true, false);
    grant(&app, staff, &["learning.view_notice"]);
    let (client, _) = admin_login(&app, "notices@hancup.kr").await;
    let (status, _) = page(&client, &app, "/admin/question").await;
    assert_eq!(status, 403);
    let (status, dash) = page(&client, &app, "/admin").await;
    assert_eq!(status, 200);
    assert!(dash.contains("/admin/notice") && !dash.contains("/admin/question"));
}
