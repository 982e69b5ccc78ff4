//! Issue 12, finding 4 replayed from outside: a fresh, unenrolled user sends
//! `PATCH /api/v1/answers/{id}` with `{}` (and the other empty or no-op writes) at a
//! moderator-hidden answer and at an answer in a course gone back to draft. Each is 404 with
//! nothing of the answer in the body, and the rows are unchanged. The full table, every object
//! route × seven callers with empty bodies, is `authorization.rs`.

use serde_json::json;

use crate::helpers::{small_catalog, spawn_app, TestApp};

fn rows(app: &TestApp) -> String {
    crate::admin_support::text(
        app,
        "SELECT group_concat(id || ':' || body || ':' || is_hidden || ':' || updated_at, '|') FROM answers",
    )
}

#[tokio::test]
async fn empty_writes_reveal_no_hidden_or_draft_answer_to_a_stranger() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let (helper_id, helper) = app.user_with_token("helper@x.kr", "답변자");
    let (_, stranger) = app.user_with_token("stranger@x.kr", "처음 온 사람");
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO enrollments (user_id, course_id) VALUES (?1, ?2)",
            [helper_id, ids.growth],
        )?;
        Ok(())
    });
    let (_, q) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/questions",
            Some(&helper),
            Some(json!({"title": "질문", "body": "본문"})),
        )
        .await;
    let q = q["id"].as_i64().unwrap();
    let mut answers = Vec::new();
    for text in ["숨긴 답변의 비밀", "초안 강의 답변의 비밀"] {
        let (status, a) = app
            .call(
                "POST",
                &format!("/api/v1/questions/{q}/answers"),
                Some(&helper),
                Some(json!({ "body": text })),
            )
            .await;
        assert_eq!(status, 201);
        answers.push(a["id"].as_i64().unwrap());
    }
    let (hidden, _) = (answers[0], answers[1]);
    app.exec(|tx| {
        tx.execute("UPDATE answers SET is_hidden = 1 WHERE id = ?1", [hidden])?;
        Ok(())
    });
    let before = rows(&app);
    let attempts = [
        ("PATCH", answers[0], json!({})),
        ("PATCH", answers[0], json!({"is_hidden": false})),
        ("PATCH", answers[0], json!({"body": null})),
    ];
    for (method, id, body) in &attempts {
        let (status, answer) = app
            .call(
                method,
                &format!("/api/v1/answers/{id}"),
                Some(&stranger),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 404, "{method} {id} {body}: {answer}");
        assert!(!answer.to_string().contains("비밀"), "{answer}");
    }
    // The course goes back to draft: its visible answer disappears for the stranger too.
    app.exec(|tx| {
        tx.execute(
            "UPDATE courses SET status = 'draft' WHERE id = ?1",
            [ids.growth],
        )?;
        Ok(())
    });
    for id in &answers {
        let (status, answer) = app
            .call(
                "PATCH",
                &format!("/api/v1/answers/{id}"),
                Some(&stranger),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 404, "{answer}");
        assert!(!answer.to_string().contains("비밀"), "{answer}");
    }
    assert_eq!(rows(&app), before, "nothing changed");
}
