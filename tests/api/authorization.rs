//! Broken object-level authorisation, as a table: every API route that takes an id, slug,
//! position or code is called as each kind of caller, and each must get exactly the documented
//! status. A route in the OpenAPI document with such a parameter that the table does not cover
//! fails `every_route_with_an_object_parameter_is_in_the_table`.
//!
//! Who owns what (on the `small_catalog` fixture):
//! - `asker` (learner, enrolled in growth-marketing): question `q`, question `q_gone`, review,
//!   a second device token, progress in growth-marketing;
//! - `helper` (learner, enrolled in growth-marketing): answer `a`, answer `a_gone`;
//! - `outsider` (learner, enrolled nowhere);
//! - `kim` (instructor of growth-marketing and of the draft `secret-draft`);
//! - `park` (instructor of another course only);
//! - `staff` (`is_staff`, no permission at all);
//! - anonymous.
//!
//! Also: `q_hidden` (asker's question) and `a_hidden` (helper's answer to `q`), hidden by a
//! moderator; `q_draft`, `a_draft` and `review_draft`, made while `was-published` (kim's) was
//! published and left behind when it went back to draft. Every write route is called with an
//! empty body `{}` too (issue 12, finding 4: `PATCH /answers/{id}` with `{}` answered a hidden
//! answer to a stranger): an empty body gets exactly what a real change gets — 404 for what the
//! caller cannot see, 403 for what is not theirs — and never the object.

use serde_json::{json, Value};

use crate::helpers::{small_catalog, spawn_app, Fixture, TestApp};

/// The callers, in the order of each row's expected statuses.
const CALLERS: [&str; 7] = [
    "asker", "helper", "outsider", "kim", "park", "staff", "anon",
];

struct Row {
    method: &'static str,
    /// The route as the OpenAPI document names it.
    route: &'static str,
    /// The concrete path requested.
    path: String,
    body: Option<Value>,
    /// One status per caller of `CALLERS`.
    expect: [u16; 7],
}

fn row(method: &'static str, route: &'static str, path: String, expect: [u16; 7]) -> Row {
    Row {
        method,
        route,
        path,
        body: None,
        expect,
    }
}

fn with_body(mut r: Row, body: Value) -> Row {
    r.body = Some(body);
    r
}

struct World {
    tokens: Vec<Option<String>>,
    q: i64,
    q_gone: i64,
    a: i64,
    a_gone: i64,
    review: i64,
    q_hidden: i64,
    a_hidden: i64,
    q_draft: i64,
    a_draft: i64,
    review_draft: i64,
    asker_device: i64,
    draft_lessons: Vec<i64>,
    certificate: String,
}

/// The fixture: users with tokens and one object of every kind, made through the API where an
/// API exists so the objects are exactly what clients make.
async fn world(app: &TestApp) -> World {
    let ids = small_catalog(app);
    let (asker_id, asker) = app.user_with_token("asker@x.kr", "질문자");
    let (helper_id, helper) = app.user_with_token("helper@x.kr", "답변자");
    let (_, outsider) = app.user_with_token("outsider@x.kr", "외부인");
    let (park_id, park) = app.user_with_token("park@x.kr", "박강사");
    let (staff_id, staff) = app.user_with_token("staff@x.kr", "권한 없는 운영자");
    let key = app.state.accounts.key.clone();
    let kim = app
        .db()
        .write(|tx| {
            hancup::accounts::tokens::issue(
                tx,
                &key,
                ids.kim,
                "t",
                hancup::accounts::keys::now(),
                3600,
            )
        })
        .unwrap()
        .token;
    let mut draft_lessons = Vec::new();
    let mut certificate = String::new();
    let mut was_published = 0;
    app.exec(|tx| {
        let f = Fixture { tx };
        was_published = f.course(
            "was-published",
            "다시 초안이 될 강의",
            "",
            ids.finance,
            "beginner",
            ids.kim,
            "published",
            "2026-02-01T00:00:00Z",
        );
        f.lesson(was_published, 1, "하나", 60, false);
        for uid in [asker_id, helper_id] {
            for course in [ids.growth, was_published] {
                tx.execute(
                    "INSERT INTO enrollments (user_id, course_id) VALUES (?1, ?2)",
                    [uid, course],
                )?;
            }
        }
        tx.execute("UPDATE users SET is_staff = 1 WHERE id = ?1", [staff_id])?;
        let f = Fixture { tx };
        let own = f.course(
            "park-course",
            "박강사의 강의",
            "",
            ids.finance,
            "beginner",
            park_id,
            "published",
            "2026-02-01T00:00:00Z",
        );
        f.lesson(own, 1, "하나", 60, false);
        draft_lessons.push(f.lesson(ids.draft, 1, "초안 1", 60, false));
        draft_lessons.push(f.lesson(ids.draft, 2, "초안 2", 60, false));
        // A finished one-lesson course gives the asker a certificate to look up.
        let done = f.course(
            "finished",
            "끝난 강의",
            "",
            ids.finance,
            "beginner",
            ids.kim,
            "published",
            "2026-02-01T00:00:00Z",
        );
        f.lesson(done, 1, "유일한 강의", 60, false);
        f.enroll(asker_id, done);
        Ok(())
    });
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/courses/finished/lessons/1/progress",
            Some(&asker),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    certificate.push_str(body["certificate_code"].as_str().expect("certificate"));

    let ask_in = |slug: &'static str, title: &'static str| {
        let asker = asker.clone();
        async move {
            let (status, q) = app
                .call(
                    "POST",
                    &format!("/api/v1/courses/{slug}/questions"),
                    Some(&asker),
                    Some(json!({"title": title, "body": "본문"})),
                )
                .await;
            assert_eq!(status, 201, "{q}");
            q["id"].as_i64().unwrap()
        }
    };
    let ask = |title| ask_in("growth-marketing", title);
    let q = ask("남길 질문").await;
    let q_gone = ask("지울 질문").await;
    let q_hidden = ask("숨겨질 질문").await;
    let q_draft = ask_in("was-published", "초안이 될 강의의 질문").await;
    let answer_to = |q: i64, text: &'static str| {
        let helper = helper.clone();
        async move {
            let (status, a) = app
                .call(
                    "POST",
                    &format!("/api/v1/questions/{q}/answers"),
                    Some(&helper),
                    Some(json!({ "body": text })),
                )
                .await;
            assert_eq!(status, 201, "{a}");
            a["id"].as_i64().unwrap()
        }
    };
    let answer = |text| answer_to(q, text);
    let a = answer("남길 답변").await;
    let a_gone = answer("지울 답변").await;
    let a_hidden = answer("숨겨질 답변").await;
    let a_draft = answer_to(q_draft, "초안이 될 강의의 답변").await;
    let (status, r_draft) = app
        .call(
            "POST",
            "/api/v1/courses/was-published/reviews",
            Some(&asker),
            Some(json!({"rating": 5, "body": "초안이 될 강의의 후기"})),
        )
        .await;
    assert_eq!(status, 201, "{r_draft}");
    // A moderator hides two posts; the course goes back to draft (both as the admin would).
    app.exec(|tx| {
        tx.execute(
            "UPDATE questions SET is_hidden = 1 WHERE id = ?1",
            [q_hidden],
        )?;
        tx.execute("UPDATE answers SET is_hidden = 1 WHERE id = ?1", [a_hidden])?;
        tx.execute(
            "UPDATE courses SET status = 'draft' WHERE id = ?1",
            [was_published],
        )?;
        Ok(())
    });
    let (status, r) = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/reviews",
            Some(&asker),
            Some(json!({"rating": 4, "body": "좋아요"})),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    let device = app
        .db()
        .write(|tx| {
            hancup::accounts::tokens::issue(
                tx,
                &key,
                asker_id,
                "second device",
                hancup::accounts::keys::now(),
                3600,
            )
        })
        .unwrap();
    let asker_device = app
        .db()
        .read(|c| -> Result<i64, hancup::db::DbError> {
            Ok(c.query_row(
                "SELECT id FROM api_tokens WHERE user_id = ?1 AND name = 'second device'",
                [asker_id],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    drop(device);
    World {
        tokens: vec![
            Some(asker),
            Some(helper),
            Some(outsider),
            Some(kim),
            Some(park),
            Some(staff),
            None,
        ],
        q,
        q_gone,
        a,
        a_gone,
        review: r["id"].as_i64().unwrap(),
        q_hidden,
        a_hidden,
        q_draft,
        a_draft,
        review_draft: r_draft["id"].as_i64().unwrap(),
        asker_device,
        draft_lessons,
        certificate,
    }
}

/// The table. Within a row, callers expected to fail go first, so a destructive request that
/// wrongly succeeded shows as the rightful caller's 404 too.
#[rustfmt::skip]
fn table(w: &World) -> Vec<Row> {
    let (q, q_gone, a, a_gone, review) = (w.q, w.q_gone, w.a, w.a_gone, w.review);
    let reorder: Vec<i64> = w.draft_lessons.iter().rev().copied().collect();
    //                         asker helper outsider kim park staff anon
    vec![
        // Catalog and authoring: a draft is invisible to everyone but its instructor.
        row("GET", "/api/v1/courses/{slug}", "/api/v1/courses/secret-draft".into(),
            [404, 404, 404, 404, 404, 404, 404]),
        with_body(row("PATCH", "/api/v1/courses/{slug}", "/api/v1/courses/secret-draft".into(),
            [404, 404, 404, 200, 404, 404, 401]), json!({"title": "바뀐 제목"})),
        with_body(row("PATCH", "/api/v1/courses/{slug}", "/api/v1/courses/growth-marketing".into(),
            [403, 403, 403, 200, 403, 403, 401]), json!({"summary": "새 요약"})),
        with_body(row("POST", "/api/v1/courses/{slug}/lessons/reorder", "/api/v1/courses/secret-draft/lessons/reorder".into(),
            [404, 404, 404, 200, 404, 404, 401]), json!({"order": reorder})),
        with_body(row("POST", "/api/v1/courses/{slug}/lessons", "/api/v1/courses/secret-draft/lessons".into(),
            [404, 404, 404, 201, 404, 404, 401]), json!({"title": "새 강의"})),
        with_body(row("POST", "/api/v1/courses/{slug}/lessons", "/api/v1/courses/growth-marketing/lessons".into(),
            [403, 403, 403, 201, 403, 403, 401]), json!({"title": "새 강의"})),
        with_body(row("PATCH", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/secret-draft/lessons/1".into(),
            [404, 404, 404, 200, 404, 404, 401]), json!({"title": "고친 강의"})),
        with_body(row("PATCH", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/growth-marketing/lessons/1".into(),
            [403, 403, 403, 200, 403, 403, 401]), json!({"title": "고친 강의"})),
        // Lessons and progress: enrolled learners and the course's editors.
        row("GET", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/growth-marketing/lessons/2".into(),
            [200, 200, 403, 200, 403, 403, 403]),
        row("GET", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/secret-draft/lessons/1".into(),
            [404, 404, 404, 200, 404, 404, 404]),
        row("PUT", "/api/v1/courses/{slug}/lessons/{position}/progress", "/api/v1/courses/growth-marketing/lessons/1/progress".into(),
            [200, 200, 403, 403, 403, 403, 401]),
        row("DELETE", "/api/v1/courses/{slug}/lessons/{position}/progress", "/api/v1/courses/growth-marketing/lessons/1/progress".into(),
            [200, 200, 403, 403, 403, 403, 401]),
        row("GET", "/api/v1/courses/{slug}/progress", "/api/v1/courses/growth-marketing/progress".into(),
            [200, 200, 200, 200, 200, 200, 401]),
        row("GET", "/api/v1/courses/{slug}/progress", "/api/v1/courses/secret-draft/progress".into(),
            [404, 404, 404, 200, 404, 404, 401]),
        row("POST", "/api/v1/courses/{slug}/enrollment", "/api/v1/courses/secret-draft/enrollment".into(),
            [404, 404, 404, 403, 404, 404, 401]),
        row("GET", "/api/v1/certificates/{code}", format!("/api/v1/certificates/{}", w.certificate),
            [200, 200, 200, 200, 200, 200, 200]),
        // Questions and answers: authors edit their own; staff need the moderation permission.
        row("GET", "/api/v1/courses/{slug}/questions", "/api/v1/courses/secret-draft/questions".into(),
            [404, 404, 404, 404, 404, 404, 404]),
        with_body(row("POST", "/api/v1/courses/{slug}/questions", "/api/v1/courses/growth-marketing/questions".into(),
            [201, 201, 403, 201, 403, 403, 401]), json!({"title": "질문", "body": "본문"})),
        with_body(row("POST", "/api/v1/courses/{slug}/questions", "/api/v1/courses/secret-draft/questions".into(),
            [404, 404, 404, 404, 404, 404, 401]), json!({"title": "질문", "body": "본문"})),
        row("GET", "/api/v1/questions/{id}", format!("/api/v1/questions/{q}"),
            [200, 200, 200, 200, 200, 200, 200]),
        with_body(row("PATCH", "/api/v1/questions/{id}", format!("/api/v1/questions/{q}"),
            [200, 403, 403, 403, 403, 403, 401]), json!({"body": "고친 본문"})),
        with_body(row("PATCH", "/api/v1/questions/{id}", format!("/api/v1/questions/{q}"),
            [403, 403, 403, 403, 403, 403, 401]), json!({"is_hidden": true})),
        with_body(row("POST", "/api/v1/questions/{id}/answers", format!("/api/v1/questions/{q}/answers"),
            [201, 201, 403, 201, 403, 403, 401]), json!({"body": "답"})),
        with_body(row("POST", "/api/v1/questions/{id}/accept", format!("/api/v1/questions/{q}/accept"),
            [200, 403, 403, 200, 403, 403, 401]), json!({"answer_id": a})),
        with_body(row("PATCH", "/api/v1/answers/{id}", format!("/api/v1/answers/{a}"),
            [403, 200, 403, 403, 403, 403, 401]), json!({"body": "고친 답"})),
        with_body(row("PATCH", "/api/v1/answers/{id}", format!("/api/v1/answers/{a}"),
            [403, 403, 403, 403, 403, 403, 401]), json!({"is_hidden": true})),
        row("DELETE", "/api/v1/answers/{id}", format!("/api/v1/answers/{a_gone}"),
            [403, 204, 403, 403, 403, 403, 401]),
        row("DELETE", "/api/v1/questions/{id}", format!("/api/v1/questions/{q_gone}"),
            [204, 403, 403, 403, 403, 403, 401]),
        // Notices: the course's instructor (or staff with the permission).
        row("GET", "/api/v1/courses/{slug}/notices", "/api/v1/courses/secret-draft/notices".into(),
            [404, 404, 404, 200, 404, 404, 404]),
        with_body(row("POST", "/api/v1/courses/{slug}/notices", "/api/v1/courses/growth-marketing/notices".into(),
            [403, 403, 403, 201, 403, 403, 401]), json!({"title": "공지"})),
        // Empty bodies (`{}`) on every write route that takes one, and the hidden and draft
        // objects read and written (see the module doc). Rows differing from their neighbours:
        // - a body the schema refuses (a required field missing) is 400 in the layer before the
        //   handler, for every caller and every slug or id alike (anonymous callers included when
        //   the route's schema is read before its auth), so it tells nothing about the object;
        // - where the handler runs, authorisation comes before validation: outsiders get the
        //   404/403 a real change gets, only the rightful caller sees the 400;
        // - an empty PATCH by the rightful caller is a no-op that answers the object (200).
        with_body(row("PATCH", "/api/v1/courses/{slug}", "/api/v1/courses/secret-draft".into(),
            [404, 404, 404, 200, 404, 404, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/courses/{slug}", "/api/v1/courses/growth-marketing".into(),
            [403, 403, 403, 200, 403, 403, 401]), json!({})),
        // `order` is required by the schema: 400 before anything (the same for any slug).
        with_body(row("POST", "/api/v1/courses/{slug}/lessons/reorder", "/api/v1/courses/secret-draft/lessons/reorder".into(),
            [400, 400, 400, 400, 400, 400, 400]), json!({})),
        with_body(row("POST", "/api/v1/courses/{slug}/lessons", "/api/v1/courses/secret-draft/lessons".into(),
            [404, 404, 404, 400, 404, 404, 401]), json!({})),
        with_body(row("POST", "/api/v1/courses/{slug}/lessons", "/api/v1/courses/growth-marketing/lessons".into(),
            [403, 403, 403, 400, 403, 403, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/secret-draft/lessons/1".into(),
            [404, 404, 404, 200, 404, 404, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/growth-marketing/lessons/1".into(),
            [403, 403, 403, 200, 403, 403, 401]), json!({})),
        // A published course: the missing title is all there is to say, to anyone logged in.
        with_body(row("POST", "/api/v1/courses/{slug}/questions", "/api/v1/courses/growth-marketing/questions".into(),
            [400, 400, 400, 400, 400, 400, 401]), json!({})),
        // A course back in draft: its questions are gone for everyone, its instructor included
        // (Q&A lives on published courses only), whatever the body.
        with_body(row("POST", "/api/v1/courses/{slug}/questions", "/api/v1/courses/was-published/questions".into(),
            [404, 404, 404, 404, 404, 404, 401]), json!({})),
        // Hidden: 404 to all but moderators (none here) and its author.
        row("GET", "/api/v1/questions/{id}", format!("/api/v1/questions/{}", w.q_hidden),
            [200, 404, 404, 404, 404, 404, 404]),
        row("GET", "/api/v1/questions/{id}", format!("/api/v1/questions/{}", w.q_draft),
            [404, 404, 404, 404, 404, 404, 404]),
        with_body(row("PATCH", "/api/v1/questions/{id}", format!("/api/v1/questions/{q}"),
            [200, 403, 403, 403, 403, 403, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/questions/{id}", format!("/api/v1/questions/{}", w.q_hidden),
            [200, 404, 404, 404, 404, 404, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/questions/{id}", format!("/api/v1/questions/{}", w.q_draft),
            [404, 404, 404, 404, 404, 404, 401]), json!({})),
        // `body` missing on a visible question: 400 to anyone logged in (nothing to hide).
        with_body(row("POST", "/api/v1/questions/{id}/answers", format!("/api/v1/questions/{q}/answers"),
            [400, 400, 400, 400, 400, 400, 401]), json!({})),
        with_body(row("POST", "/api/v1/questions/{id}/answers", format!("/api/v1/questions/{}/answers", w.q_hidden),
            [404, 404, 404, 404, 404, 404, 401]), json!({"body": "답"})),
        with_body(row("POST", "/api/v1/questions/{id}/answers", format!("/api/v1/questions/{}/answers", w.q_draft),
            [404, 404, 404, 404, 404, 404, 401]), json!({"body": "답"})),
        // `answer_id` is required by the schema: 400 before anything (the same for any id).
        with_body(row("POST", "/api/v1/questions/{id}/accept", format!("/api/v1/questions/{q}/accept"),
            [400, 400, 400, 400, 400, 400, 400]), json!({})),
        // A hidden answer cannot be accepted by those who cannot see it: 404 where the asker
        // and the instructor would otherwise succeed, 403 for the rest as for any answer.
        with_body(row("POST", "/api/v1/questions/{id}/accept", format!("/api/v1/questions/{q}/accept"),
            [404, 403, 403, 404, 403, 403, 401]), json!({"answer_id": w.a_hidden})),
        with_body(row("POST", "/api/v1/questions/{id}/accept", format!("/api/v1/questions/{}/accept", w.q_draft),
            [404, 404, 404, 404, 404, 404, 401]), json!({"answer_id": w.a_draft})),
        // The attack of finding 4: `{}` answers the answer only to who may change it.
        with_body(row("PATCH", "/api/v1/answers/{id}", format!("/api/v1/answers/{a}"),
            [403, 200, 403, 403, 403, 403, 401]), json!({})),
        // A hidden answer stays visible to its author (who may still edit it), 404 to the rest.
        with_body(row("PATCH", "/api/v1/answers/{id}", format!("/api/v1/answers/{}", w.a_hidden),
            [404, 200, 404, 404, 404, 404, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/answers/{id}", format!("/api/v1/answers/{}", w.a_draft),
            [404, 404, 404, 404, 404, 404, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/answers/{id}", format!("/api/v1/answers/{}", w.a_draft),
            [404, 404, 404, 404, 404, 404, 401]), json!({"body": "고친 답"})),
        with_body(row("POST", "/api/v1/courses/{slug}/notices", "/api/v1/courses/growth-marketing/notices".into(),
            [403, 403, 403, 400, 403, 403, 401]), json!({})),
        // `rating` missing: 400 to anyone logged in, before the enrolment check (public course).
        with_body(row("POST", "/api/v1/courses/{slug}/reviews", "/api/v1/courses/growth-marketing/reviews".into(),
            [400, 400, 400, 400, 400, 400, 401]), json!({})),
        with_body(row("POST", "/api/v1/courses/{slug}/reviews", "/api/v1/courses/was-published/reviews".into(),
            [404, 404, 404, 404, 404, 404, 401]), json!({"rating": 5})),
        with_body(row("PATCH", "/api/v1/reviews/{id}", format!("/api/v1/reviews/{review}"),
            [200, 403, 403, 403, 403, 403, 401]), json!({})),
        with_body(row("PATCH", "/api/v1/reviews/{id}", format!("/api/v1/reviews/{}", w.review_draft),
            [404, 404, 404, 404, 404, 404, 401]), json!({})),
        row("DELETE", "/api/v1/reviews/{id}", format!("/api/v1/reviews/{}", w.review_draft),
            [404, 404, 404, 404, 404, 404, 401]),
        row("DELETE", "/api/v1/answers/{id}", format!("/api/v1/answers/{}", w.a_draft),
            [404, 404, 404, 404, 404, 404, 401]),
        row("DELETE", "/api/v1/questions/{id}", format!("/api/v1/questions/{}", w.q_draft),
            [404, 404, 404, 404, 404, 404, 401]),
        row("DELETE", "/api/v1/answers/{id}", format!("/api/v1/answers/{}", w.a_hidden),
            [404, 204, 404, 404, 404, 404, 401]),
        row("DELETE", "/api/v1/questions/{id}", format!("/api/v1/questions/{}", w.q_hidden),
            [204, 404, 404, 404, 404, 404, 401]),
        // Reviews: enrolled learners, once; only the author edits or deletes.
        row("GET", "/api/v1/courses/{slug}/reviews", "/api/v1/courses/secret-draft/reviews".into(),
            [404, 404, 404, 200, 404, 404, 404]),
        with_body(row("POST", "/api/v1/courses/{slug}/reviews", "/api/v1/courses/growth-marketing/reviews".into(),
            [409, 201, 403, 403, 403, 403, 401]), json!({"rating": 5})),
        with_body(row("PATCH", "/api/v1/reviews/{id}", format!("/api/v1/reviews/{review}"),
            [200, 403, 403, 403, 403, 403, 401]), json!({"rating": 2})),
        row("DELETE", "/api/v1/reviews/{id}", format!("/api/v1/reviews/{review}"),
            [204, 403, 403, 403, 403, 403, 401]),
        // Sign-in with a provider names no object of anyone's; with no provider enabled it is 404.
        with_body(row("POST", "/api/v1/auth/social/{provider}", "/api/v1/auth/social/kakao".into(),
            [404, 404, 404, 404, 404, 404, 404]), json!({"access_token": "x"})),
        // Tokens: another user's token id is 404, as if it did not exist.
        row("DELETE", "/api/v1/auth/tokens/{id}", format!("/api/v1/auth/tokens/{}", w.asker_device),
            [204, 404, 404, 404, 404, 404, 401]),
        // Destructive authoring last: only the instructor deletes a draft's lesson and the draft.
        row("DELETE", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/secret-draft/lessons/1".into(),
            [404, 404, 404, 204, 404, 404, 401]),
        row("DELETE", "/api/v1/courses/{slug}/lessons/{position}", "/api/v1/courses/growth-marketing/lessons/2".into(),
            [403, 403, 403, 204, 403, 403, 401]),
        row("DELETE", "/api/v1/courses/{slug}", "/api/v1/courses/secret-draft".into(),
            [404, 404, 404, 204, 404, 404, 401]),
        row("DELETE", "/api/v1/courses/{slug}", "/api/v1/courses/park-course".into(),
            [403, 403, 403, 403, 204, 403, 401]),
        // Leaving acts on the caller's own enrollment only: 404 for those not enrolled.
        row("DELETE", "/api/v1/courses/{slug}/enrollment", "/api/v1/courses/growth-marketing/enrollment".into(),
            [204, 204, 404, 404, 404, 404, 401]),
    ]
}

#[tokio::test]
async fn every_caller_gets_exactly_the_documented_status_on_every_object_route() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let discover = std::env::var("AUTHZ_DISCOVER").is_ok();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for r in table(&w) {
        let mut order: Vec<usize> = (0..CALLERS.len()).collect();
        order.sort_by_key(|&i| (200..300).contains(&r.expect[i]));
        let mut got = [0u16; 7];
        for i in order {
            let (status, body) = app
                .call(r.method, &r.path, w.tokens[i].as_deref(), r.body.clone())
                .await;
            got[i] = status;
            checked += 1;
            if status != r.expect[i] {
                wrong.push(format!(
                    "{} {} as {}: {status} (expected {}) {body}",
                    r.method, r.path, CALLERS[i], r.expect[i]
                ));
            }
        }
        if discover {
            println!("{} {} {:?}", r.method, r.path, got);
        }
    }
    assert!(checked >= 7 * 40, "the table shrank: {checked} requests");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The routes of the OpenAPI document with a path parameter, as `METHOD /path/{param}`.
fn object_routes() -> Vec<String> {
    let spec: Value = serde_json::from_str(&hancup::api::spec_json()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            routes.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    routes
}

#[tokio::test]
async fn every_route_with_an_object_parameter_is_in_the_table() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let covered: Vec<String> = table(&w)
        .iter()
        .map(|r| format!("{} {}", r.method, r.route))
        .collect();
    let routes = object_routes();
    assert!(routes.len() >= 25, "{routes:?}");
    let missing: Vec<&String> = routes.iter().filter(|r| !covered.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "routes with an id, slug, position or code missing from the authorisation table: {missing:?}"
    );
    let unknown: Vec<&String> = covered.iter().filter(|r| !routes.contains(r)).collect();
    assert!(
        unknown.is_empty(),
        "table rows for no such route: {unknown:?}"
    );
}
