//! A curriculum in parts (issue 13, "curriculum grouped"): an instructor names each lesson's
//! section through the API; the course page groups consecutive lessons of one section under its
//! name with their count and length, and the course's JSON carries the name. A long name is
//! refused naming the field; a course without sections keeps its single plain list.

use serde_json::json;

use crate::browser::page;
use crate::helpers::{people, small_catalog, spawn_app};

#[tokio::test]
async fn lessons_named_by_section_are_shown_in_parts() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    app.exec(|tx| {
        tx.execute("INSERT INTO user_groups (user_id, group_id) SELECT ?1, id FROM auth_groups WHERE role = 'instructors'", [ids.kim])?;
        Ok(())
    });
    let course = json!({"slug": "parts", "title": "파트로 나눈 강의", "category": "finance", "level": "beginner"});
    let (status, body) = app
        .call("POST", "/api/v1/courses", Some(&p.instructor), Some(course))
        .await;
    assert_eq!(status, 201, "{body}");

    // The limit is named: 100 characters (Hangul counts as one each).
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/courses/parts/lessons",
            Some(&p.instructor),
            Some(json!({"title": "너무 긴 섹션", "section": "가".repeat(101)})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["section"].is_array(), "{body}");
    let (status, _) = app
        .call("POST", "/api/v1/courses/parts/lessons", Some(&p.instructor),
            Some(json!({"title": "딱 맞는 섹션", "section": "가".repeat(100), "duration_seconds": 60})))
        .await;
    assert_eq!(status, 201, "100 characters fit");
    app.exec(|tx| {
        tx.execute("DELETE FROM lessons WHERE title = '딱 맞는 섹션'", [])?;
        Ok(())
    });

    for (title, section, seconds) in [
        ("강의 소개", "시작하기", 300),
        ("준비물", "시작하기", 420),
        ("첫 실습", "실전", 1800),
        ("마무리", "", 120),
    ] {
        let (status, body) = app
            .call(
                "POST",
                "/api/v1/courses/parts/lessons",
                Some(&p.instructor),
                Some(json!({"title": title, "section": section, "duration_seconds": seconds})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // Renaming a part's lesson moves it: PATCH keeps the other fields.
    let (status, _) = app
        .call(
            "PATCH",
            "/api/v1/courses/parts/lessons/4",
            Some(&p.instructor),
            Some(json!({"section": "실전"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            "PATCH",
            "/api/v1/courses/parts",
            Some(&p.instructor),
            Some(json!({"status": "published"})),
        )
        .await;
    assert_eq!(status, 200);

    let (status, detail) = app.get_json("/api/v1/courses/parts").await;
    assert_eq!(status, 200);
    let sections: Vec<&str> = detail["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["section"].as_str().unwrap())
        .collect();
    assert_eq!(sections, ["시작하기", "시작하기", "실전", "실전"]);

    let (status, html) = page(&app.browser(), &app, "/courses/parts").await;
    assert_eq!(status, 200);
    assert_eq!(
        html.matches("class=\"curriculum-part\"").count(),
        2,
        "two parts"
    );
    let first = html.find(">시작하기</span>").expect("first part named");
    let second = html.find(">실전</span>").expect("second part named");
    assert!(first < second, "parts in lesson order");
    // Each part says how many lessons and how long: 300 + 420 s = 12분; 1800 + 120 s = 32분.
    assert!(
        html.contains("수업 2개 · 12분"),
        "first part's count and length"
    );
    assert!(
        html.contains("수업 2개 · 32분"),
        "second part's count and length"
    );
    let part_of = |lesson: &str| {
        let at = html.find(lesson).unwrap();
        if at < second {
            "시작하기"
        } else {
            "실전"
        }
    };
    assert_eq!(part_of("준비물"), "시작하기");
    assert_eq!(part_of("마무리"), "실전");

    // A course whose lessons name no section keeps one plain list.
    let (_, html) = page(&app.browser(), &app, "/courses/growth-marketing").await;
    assert_eq!(html.matches("curriculum-part").count(), 0);
    assert_eq!(html.matches("class=\"lesson-list\"").count(), 1);
}
