//! Q&A, notices, reviews and authoring over the API: who may do what, limits named, text stored
//! as typed and never rendered as markup, counters kept.

use serde_json::json;

use crate::helpers::{people, small_catalog, spawn_app};

#[tokio::test]
async fn questions_and_answers_follow_the_rules() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let ask = |token: String, body: serde_json::Value| {
        let app = &app;
        async move {
            app.call(
                "POST",
                "/api/v1/courses/growth-marketing/questions",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (status, body) = ask(p.outsider.clone(), json!({"title": "질문", "body": "내용"})).await;
    assert_eq!(status, 403, "not enrolled: {body}");
    assert!(body["detail"].as_str().unwrap().contains("Enroll"));
    let (status, body) = ask(p.asker.clone(), json!({"title": "", "body": ""})).await;
    assert_eq!(status, 400);
    assert!(body["title"].is_array() && body["body"].is_array());
    let (status, body) = ask(
        p.asker.clone(),
        json!({"title": "가".repeat(201), "body": "b".repeat(20_001)}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["title"][0].as_str().unwrap().contains("200")
            && body["body"][0].as_str().unwrap().contains("20000")
    );
    let payload = "<script>alert('q')</script><img src=x onerror=alert(1)> 퍼널 질문";
    let (status, q) = ask(
        p.asker.clone(),
        json!({"title": payload, "body": format!("**굵게** {payload}")}),
    )
    .await;
    assert_eq!(status, 201, "{q}");
    assert_eq!(q["title"], payload, "stored as typed");
    let html = q["body_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>굵게</strong>")
            && !html.contains("<script")
            && !html.contains("onerror"),
        "{html}"
    );
    let qid = q["id"].as_i64().unwrap();

    let (status, a) = app
        .call(
            "POST",
            &format!("/api/v1/questions/{qid}/answers"),
            Some(&p.helper),
            Some(json!({"body": "답변입니다"})),
        )
        .await;
    assert_eq!(status, 201);
    let aid = a["id"].as_i64().unwrap();
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/v1/questions/{qid}/answers"),
            Some(&p.instructor),
            Some(json!({"body": "강사 답변"})),
        )
        .await;
    assert_eq!(status, 201, "the instructor answers without enrolling");
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/v1/questions/{qid}/answers"),
            Some(&p.outsider),
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(status, 403);

    let (_, list) = app
        .get_json("/api/v1/courses/growth-marketing/questions")
        .await;
    assert_eq!(
        (
            list["count"].as_i64(),
            list["results"][0]["answer_count"].as_i64()
        ),
        (Some(1), Some(2))
    );
    let (_, found) = app
        .get_json("/api/v1/courses/growth-marketing/questions?search=%ED%8D%BC%EB%84%90")
        .await;
    assert_eq!(found["count"], 1);
    let (_, none) = app
        .get_json("/api/v1/courses/growth-marketing/questions?search=%25")
        .await;
    assert_eq!(none["count"], 0, "% is a literal, not a wildcard");

    let (status, _) = app
        .call(
            "POST",
            &format!("/api/v1/questions/{qid}/accept"),
            Some(&p.helper),
            Some(json!({"answer_id": aid})),
        )
        .await;
    assert_eq!(status, 403, "only the asker or instructor accepts");
    let (status, accepted) = app
        .call(
            "POST",
            &format!("/api/v1/questions/{qid}/accept"),
            Some(&p.asker),
            Some(json!({"answer_id": aid})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(accepted["accepted_answer_id"], aid);
    let (status, _) = app
        .call(
            "PATCH",
            &format!("/api/v1/answers/{aid}"),
            Some(&p.asker),
            Some(json!({"body": "남의 답변 수정"})),
        )
        .await;
    assert_eq!(status, 403, "editing someone else's answer");
    let (status, _) = app
        .call(
            "PATCH",
            &format!("/api/v1/questions/{qid}"),
            Some(&p.helper),
            Some(json!({"title": "탈취"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, edited) = app
        .call(
            "PATCH",
            &format!("/api/v1/questions/{qid}"),
            Some(&p.asker),
            Some(json!({"title": "고친 제목"})),
        )
        .await;
    assert_eq!((status, edited["title"].as_str()), (200, Some("고친 제목")));

    let (status, _) = app
        .call(
            "PATCH",
            &format!("/api/v1/answers/{aid}"),
            Some(&p.asker),
            Some(json!({"is_hidden": true})),
        )
        .await;
    assert_eq!(status, 403, "only staff hide");
    let (status, hidden) = app
        .call(
            "PATCH",
            &format!("/api/v1/answers/{aid}"),
            Some(&p.staff),
            Some(json!({"is_hidden": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (hidden["id"].as_i64(), hidden["is_hidden"].as_bool()),
        (Some(aid), Some(true)),
        "PATCH answers the changed answer, as DRF does: {hidden}"
    );
    let (status, edited) = app
        .call(
            "PATCH",
            &format!("/api/v1/answers/{aid}"),
            Some(&p.helper),
            Some(json!({"body": "고친 **답변**"})),
        )
        .await;
    assert_eq!(
        status, 200,
        "the author may still edit a hidden answer: {edited}"
    );
    assert_eq!(edited["body"], "고친 **답변**");
    assert!(edited["body_html"]
        .as_str()
        .unwrap()
        .contains("<strong>답변</strong>"));
    let (_, q) = app.get_json(&format!("/api/v1/questions/{qid}")).await;
    assert_eq!(
        (
            q["answer_count"].as_i64(),
            q["answers"].as_array().unwrap().len()
        ),
        (Some(1), 1),
        "hidden answer gone and uncounted"
    );
    let (status, _) = app
        .call(
            "PATCH",
            &format!("/api/v1/questions/{qid}"),
            Some(&p.staff),
            Some(json!({"is_hidden": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.get_json(&format!("/api/v1/questions/{qid}")).await.0,
        404,
        "hidden from everyone but staff"
    );
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/v1/questions/{qid}"),
            Some(&p.staff),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/questions/{qid}"),
            Some(&p.helper),
            None,
        )
        .await;
    assert_eq!(status, 404, "a hidden question is not there for others");
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/questions/{qid}"),
            Some(&p.asker),
            None,
        )
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn notices_are_posted_by_staff_or_the_instructor_and_pinned_first() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/notices",
            Some(&p.asker),
            Some(json!({"title": "공지"})),
        )
        .await;
    assert_eq!(status, 403);
    for (title, pinned) in [("첫 공지", false), ("고정 공지", true), ("새 공지", false)] {
        let (status, _) = app
            .call(
                "POST",
                "/api/v1/notices",
                Some(&p.staff),
                Some(json!({"title": title, "is_pinned": pinned})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (_, list) = app.get_json("/api/v1/notices").await;
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["고정 공지", "새 공지", "첫 공지"]);
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/courses/pitch-deck/notices",
            Some(&p.instructor),
            Some(json!({"title": "남의 강의"})),
        )
        .await;
    assert_eq!(status, 403, "kim does not teach pitch-deck");
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/notices",
            Some(&p.instructor),
            Some(json!({"title": "3강 업데이트", "body": "영상 교체"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/notices",
            Some(&p.instructor),
            Some(json!({"title": ""})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["title"].is_array());
    let (_, course_notices) = app
        .get_json("/api/v1/courses/growth-marketing/notices")
        .await;
    assert_eq!(course_notices.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reviews_once_per_learner_with_a_maintained_average() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    let review = |token: String, body: serde_json::Value| {
        let app = &app;
        async move {
            app.call(
                "POST",
                "/api/v1/courses/growth-marketing/reviews",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        review(p.outsider.clone(), json!({"rating": 5})).await.0,
        403,
        "not enrolled"
    );
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({}),
        json!({"rating": 3, "body": "x".repeat(5001)}),
    ] {
        let (status, body) = review(p.asker.clone(), bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            body["rating"].is_array() || body["body"].is_array(),
            "{body}"
        );
    }
    let (status, r) = review(p.asker.clone(), json!({"rating": 5, "body": "<b>최고</b>"})).await;
    assert_eq!(status, 201);
    assert_eq!(r["body"], "<b>최고</b>");
    let (status, _) = review(p.asker.clone(), json!({"rating": 1})).await;
    assert_eq!(status, 409, "one review per learner");
    assert_eq!(review(p.helper.clone(), json!({"rating": 2})).await.0, 201);
    let (_, course) = app.get_json("/api/v1/courses/growth-marketing").await;
    assert_eq!(
        (
            course["rating_average"].as_f64(),
            course["rating_count"].as_i64()
        ),
        (Some(3.5), Some(2))
    );
    let rid = r["id"].as_i64().unwrap();
    assert_eq!(
        app.call(
            "PATCH",
            &format!("/api/v1/reviews/{rid}"),
            Some(&p.helper),
            Some(json!({"rating": 1}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.call(
            "PATCH",
            &format!("/api/v1/reviews/{rid}"),
            Some(&p.asker),
            Some(json!({"rating": 4}))
        )
        .await
        .0,
        200
    );
    let (_, list) = app.get_json("/api/v1/courses").await;
    let growth = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "growth-marketing")
        .unwrap();
    assert_eq!(
        growth["rating_average"], 3.0,
        "the catalog shows the new average at once"
    );
    assert_eq!(
        app.call(
            "DELETE",
            &format!("/api/v1/reviews/{rid}"),
            Some(&p.asker),
            None
        )
        .await
        .0,
        204
    );
    let (_, list) = app
        .get_json("/api/v1/courses/growth-marketing/reviews")
        .await;
    assert_eq!(list["count"], 1);
}

#[tokio::test]
async fn a_new_notice_is_answered_even_behind_twenty_pinned_ones() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    for i in 0..21 {
        let (status, _) = app
            .call(
                "POST",
                "/api/v1/notices",
                Some(&p.staff),
                Some(json!({"title": format!("고정 {i}"), "is_pinned": true})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/notices",
            Some(&p.staff),
            Some(json!({"title": "새 일반 공지"})),
        )
        .await;
    assert_eq!(
        (status, body["title"].as_str()),
        (201, Some("새 일반 공지"))
    );
}
