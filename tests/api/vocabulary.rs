//! One vocabulary: the API and the admin take and refuse the same slugs, titles, statuses and
//! video addresses (they used to disagree: `abc-` made through the API could not be re-saved in
//! the admin; the admin's lesson form took any text as a video), the OpenAPI document states
//! the same rules, and a lesson's length is typed and shown as people write it.

use serde_json::json;

use crate::admin_support::{post, scalar, superuser, text};
use crate::browser::page;
use crate::helpers::{people, small_catalog, spawn_app};

fn admin_course(category: &str, slug: &str, title: &str, status: &str) -> Vec<(String, String)> {
    [
        ("title", title),
        ("slug", slug),
        ("category_id", category),
        ("level", "beginner"),
        ("instructor_id", "1"),
        ("status", status),
        ("lesson-TOTAL", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn the_api_and_the_admin_take_and_refuse_the_same_words() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let p = people(&app, &ids);
    app.exec(|tx| {
        tx.execute("INSERT INTO user_groups (user_id, group_id) SELECT ?1, id FROM auth_groups WHERE name = 'instructors'", [ids.kim])?;
        Ok(())
    });
    let admin = superuser(&app).await;
    let cat = ids.marketing.to_string();
    // (slug, title, status for the admin, accepted)
    let cases = [
        ("abc-", "제목", "draft", false),
        ("-abc", "제목", "draft", false),
        ("Lean", "제목", "draft", false),
        ("a_b", "제목", "draft", false),
        ("린-캔버스", "제목", "draft", false),
        (" spaced-ok ", "제목", "draft", true),
        ("ok-slug-1", "  린 캔버스  ", "draft", true),
        ("tab-title", "린\t캔버스", "draft", false),
        ("long-title", &"가".repeat(201), "draft", false),
        ("max-title", &"가".repeat(200), "draft", true),
        ("bad-status", "제목", "live", false),
    ];
    for (slug, title, status, accepted) in cases {
        let mut body =
            json!({"slug": slug, "title": title, "category": "marketing", "level": "beginner"});
        let api_status = if status == "draft" {
            let (code, answer) = app
                .call("POST", "/api/v1/courses", Some(&p.instructor), Some(body))
                .await;
            assert!(code == 201 || code == 400, "{slug:?}: {code} {answer}");
            code
        } else {
            // The API creates drafts; a status is a change.
            body["slug"] = json!("status-probe");
            let (code, answer) = app
                .call("POST", "/api/v1/courses", Some(&p.instructor), Some(body))
                .await;
            assert_eq!(code, 201, "{answer}");
            let (code, _) = app
                .call(
                    "PATCH",
                    "/api/v1/courses/status-probe",
                    Some(&p.instructor),
                    Some(json!({ "status": status })),
                )
                .await;
            code
        };
        assert_eq!(
            api_status < 300,
            accepted,
            "API on slug {slug:?} title {title:?} status {status:?}"
        );
        // The same words through the admin, on a clean slate.
        app.exec(|tx| {
            tx.execute(
                "DELETE FROM courses WHERE slug IN (?1, 'status-probe')",
                [slug.trim()],
            )?;
            Ok(())
        });
        let form = admin_course(&cat, slug, title, status);
        let (admin_status, html, _) = post(
            &admin,
            &app,
            "/admin/course/add",
            "/admin/course/add",
            &refs(&form),
        )
        .await;
        assert!(
            admin_status == 303 || admin_status == 400,
            "{slug:?}: {admin_status}"
        );
        assert_eq!(
            admin_status == 303,
            accepted,
            "admin on slug {slug:?} title {title:?} status {status:?}: {}",
            &html[..html.len().min(300)]
        );
        if accepted {
            assert_eq!(
                text(
                    &app,
                    &format!("SELECT title FROM courses WHERE slug = '{}'", slug.trim())
                ),
                title.trim(),
                "stored trimmed, as the API stores it"
            );
        }
        app.exec(|tx| {
            tx.execute("DELETE FROM courses WHERE slug = ?1", [slug.trim()])?;
            Ok(())
        });
    }
    // The refusal the learner-facing words name: the Korean message, not a code.
    let form = admin_course(&cat, "abc-", "제목", "draft");
    let (_, html, _) = post(
        &admin,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &refs(&form),
    )
    .await;
    assert!(
        html.contains("하이픈으로 시작하거나 끝날 수 없습니다"),
        "{html}"
    );

    // Video addresses: the admin's lesson form used to store any text.
    let growth = ids.growth.to_string();
    for (url, accepted) in [
        ("javascript:alert(1)", false),
        ("ftp://videos.example/a.mp4", false),
        ("유튜브 링크", false),
        ("https://www.youtube.com/watch?v=abc123", true),
    ] {
        let before = scalar(&app, "SELECT COUNT(*) FROM lessons");
        let (admin_status, _, _) = post(
            &admin,
            &app,
            "/admin/lesson/add",
            "/admin/lesson/add",
            &[
                ("course_id", &growth),
                ("position", "90"),
                ("title", "영상 수업"),
                ("video_url", url),
            ],
        )
        .await;
        assert_eq!(admin_status == 303, accepted, "admin video {url:?}");
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM lessons") - before,
            accepted as i64
        );
        app.exec(|tx| {
            tx.execute("DELETE FROM lessons WHERE position = 90", [])?;
            Ok(())
        });
        let (code, answer) = app
            .call(
                "POST",
                "/api/v1/courses/growth-marketing/lessons",
                Some(&p.instructor),
                Some(json!({"title": "영상 수업", "video_url": url})),
            )
            .await;
        assert_eq!(code < 300, accepted, "API video {url:?}: {answer}");
    }
}

#[tokio::test]
async fn the_document_states_the_vocabulary() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/api/openapi.json").await;
    let course = &spec["components"]["schemas"]["CourseWrite"]["properties"];
    assert_eq!(
        course["status"]["enum"],
        json!(["draft", "published", "archived"])
    );
    assert_eq!(
        course["level"]["enum"],
        json!(["beginner", "intermediate", "advanced"])
    );
    let pattern = course["slug"]["pattern"].as_str().unwrap();
    assert_eq!(pattern, hancup::vocab::Slug::PATTERN);
    // The pattern and the parser agree on the cases that used to slip between them.
    let re = |s: &str| {
        let body = pattern.trim_start_matches('^').trim_end_matches('$');
        assert_eq!(body, "[a-z0-9]([a-z0-9-]*[a-z0-9])?");
        let b = s.as_bytes();
        !s.is_empty()
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
    };
    for s in ["abc-", "-abc", "a", "a-b", "a--b", "A"] {
        assert_eq!(re(s), hancup::vocab::Slug::parse(s).is_ok(), "{s:?}");
    }
}

#[tokio::test]
async fn lesson_lengths_are_typed_and_shown_as_people_write_them() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let admin = superuser(&app).await;
    let growth = ids.growth.to_string();
    for (typed, seconds) in [("7분 12초", 432), ("1:02:03", 3723), ("95", 95)] {
        let (status, body, _) = post(
            &admin,
            &app,
            "/admin/lesson/add",
            "/admin/lesson/add",
            &[
                ("course_id", &growth),
                ("position", "91"),
                ("title", "길이 확인"),
                ("duration_seconds", typed),
            ],
        )
        .await;
        assert_eq!(status, 303, "{typed}: {body}");
        let id = scalar(&app, "SELECT id FROM lessons WHERE position = 91");
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT duration_seconds FROM lessons WHERE id = {id}")
            ),
            seconds,
            "{typed} is stored in seconds"
        );
        let shown = hancup::vocab::LessonLength::new(seconds).unwrap().clock();
        let (_, form) = page(&admin, &app, &format!("/admin/lesson/{id}")).await;
        assert!(
            form.contains(&format!("name=\"duration_seconds\" value=\"{shown}\"")),
            "the form shows {shown}"
        );
        let (_, list) = page(&admin, &app, "/admin/lesson?q=길이 확인").await;
        assert!(
            list.contains(&format!(">{shown}<")),
            "the list shows {shown}"
        );
        app.exec(|tx| {
            tx.execute("DELETE FROM lessons WHERE id = ?1", [id])?;
            Ok(())
        });
    }
    let (status, body, _) = post(
        &admin,
        &app,
        "/admin/lesson/add",
        "/admin/lesson/add",
        &[
            ("course_id", &growth),
            ("position", "91"),
            ("title", "길이 확인"),
            ("duration_seconds", "7:75"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("7분 12초처럼"),
        "the error says how to type it"
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM lessons WHERE position = 91"),
        0
    );
}

#[tokio::test]
async fn publishing_in_the_admin_follows_the_domains_rule() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let admin = superuser(&app).await;
    let cat = ids.marketing.to_string();
    // Published without a time: published now, as the API does (it was a CHECK failure shown
    // as SQLite's words).
    let mut form = admin_course(&cat, "published-now", "바로 공개하는 강의", "published");
    form.push(("published_at".into(), String::new()));
    let (status, body, _) = post(
        &admin,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &refs(&form),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let at = text(
        &app,
        "SELECT published_at FROM courses WHERE slug = 'published-now'",
    );
    assert!(at.starts_with("20") && at.ends_with('Z'), "{at}");
    assert_eq!(
        app.get("/courses/published-now").await.status(),
        200,
        "and visible at once"
    );
}
