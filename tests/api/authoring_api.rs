//! Authoring over the API: instructors create, fill, reorder and publish their own courses, never
//! another's; bad fields are named; staff may change any course.

use serde_json::json;

use crate::helpers::{people, small_catalog, spawn_app};

#[tokio::test]
async fn instructors_author_their_own_courses_and_nobody_elses() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    app.exec(|tx| {
        tx.execute("INSERT INTO user_groups (user_id, group_id) SELECT ?1, id FROM auth_groups WHERE name = 'instructors'", [ids.kim])?;
        Ok(())
    });
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/courses",
            Some(&p.asker),
            Some(
                json!({"slug": "mine", "title": "t", "category": "marketing", "level": "beginner"}),
            ),
        )
        .await;
    assert_eq!(status, 403, "learners cannot author");
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses",
            Some(&p.instructor),
            Some(json!({"slug": "Bad Slug", "title": "", "category": "nope", "level": "expert"})),
        )
        .await;
    assert_eq!(status, 400);
    for f in ["slug", "title", "category", "level"] {
        assert!(body[f].is_array(), "{f}: {body}");
    }
    let (status, body) = app.call("POST", "/api/v1/courses", Some(&p.instructor), Some(json!({"slug": "pitch-deck", "title": "t", "category": "marketing", "level": "beginner"}))).await;
    assert_eq!(status, 409, "{body}");
    // A taken slug is a conflict only when nothing else is wrong: otherwise one 400 names all.
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses",
            Some(&p.instructor),
            Some(json!({"slug": "pitch-deck", "title": "", "category": "marketing"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["slug"].is_array() && body["title"].is_array(),
        "{body}"
    );
    let new = json!({"slug": "new-course", "title": "새 강의", "category": "finance", "level": "intermediate", "description": "## 소개"});
    let (status, created) = app
        .call("POST", "/api/v1/courses", Some(&p.instructor), Some(new))
        .await;
    assert_eq!((status, created["status"].as_str()), (201, Some("draft")));
    assert_eq!(
        app.get_json("/api/v1/courses/new-course").await.0,
        404,
        "drafts are not public"
    );
    for title in ["하나", "둘", "셋"] {
        let (status, _) = app
            .call(
                "POST",
                "/api/v1/courses/new-course/lessons",
                Some(&p.instructor),
                Some(json!({"title": title, "duration_seconds": 60})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses/new-course/lessons",
            Some(&p.instructor),
            Some(json!({"title": "x", "duration_seconds": -1, "video_url": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["duration_seconds"].is_array() && body["video_url"].is_array());
    let lesson_ids: Vec<i64> = app
        .db()
        .read(|c| -> Result<Vec<i64>, hancup::db::DbError> {
            let mut s = c.prepare("SELECT l.id FROM lessons l JOIN courses c ON c.id = l.course_id WHERE c.slug = 'new-course' ORDER BY position")?;
            let v = s.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(v)
        })
        .unwrap();
    let reversed: Vec<i64> = lesson_ids.iter().rev().copied().collect();
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/courses/new-course/lessons/reorder",
            Some(&p.instructor),
            Some(json!({"order": reversed})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/courses/new-course/lessons/reorder",
            Some(&p.instructor),
            Some(json!({"order": [lesson_ids[0]]})),
        )
        .await;
    assert_eq!(status, 400, "every lesson exactly once");
    assert_eq!(
        app.call(
            "DELETE",
            "/api/v1/courses/new-course/lessons/1",
            Some(&p.instructor),
            None
        )
        .await
        .0,
        204
    );
    let (status, published) = app
        .call(
            "PATCH",
            "/api/v1/courses/new-course",
            Some(&p.instructor),
            Some(json!({"status": "published"})),
        )
        .await;
    assert_eq!((status, published["lesson_count"].as_i64()), (200, Some(2)));
    let (_, public) = app.get_json("/api/v1/courses/new-course").await;
    let titles: Vec<&str> = public["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["둘", "하나"],
        "reordered, the first removed, renumbered"
    );
    assert!(public["published_at"].is_string());

    let (status, _) = app
        .call(
            "PATCH",
            "/api/v1/courses/pitch-deck",
            Some(&p.instructor),
            Some(json!({"title": "탈취"})),
        )
        .await;
    assert_eq!(status, 403, "another instructor's course");
    let (status, _) = app
        .call(
            "PATCH",
            "/api/v1/courses/pitch-deck/lessons/1",
            Some(&p.instructor),
            Some(json!({"title": "x"})),
        )
        .await;
    assert!(status == 403 || status == 404, "{status}");
    let (status, _) = app
        .call(
            "PATCH",
            "/api/v1/courses/new-course",
            Some(&p.asker),
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(status, 403);
    app.exec(|tx| {
        tx.execute(
            "UPDATE users SET is_superuser = 1 WHERE email = 'staff@x.kr'",
            [],
        )?;
        Ok(())
    });
    let (status, _) = app
        .call(
            "PATCH",
            "/api/v1/courses/pitch-deck",
            Some(&p.staff),
            Some(json!({"summary": "운영자 수정"})),
        )
        .await;
    assert_eq!(status, 200, "staff with the permission change any course");
    assert_eq!(
        app.call(
            "DELETE",
            "/api/v1/courses/new-course",
            Some(&p.instructor),
            None
        )
        .await
        .0,
        204
    );
}
