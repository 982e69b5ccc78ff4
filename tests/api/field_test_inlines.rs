//! Issue 12, finding 6 replayed from outside: a staff user with only `change_course` (403 on
//! the lesson list) tries to view, add, change and delete lessons through the course form's
//! inline rows. An inline needs its own model's permissions: without `view_lesson` the inline
//! is not on the page, and every posted inline row without the matching lesson permission is
//! refused with 403 — nothing written, the course's own fields included.

use crate::admin_support::{admin_login, grant, post, user_with_password};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app, Small, TestApp};

fn lessons(app: &TestApp, course: i64) -> String {
    crate::admin_support::text(
        app,
        &format!(
            "SELECT COALESCE(group_concat(id || ':' || position || ':' || title || ':' || updated_at, '|'), '') \
             || (SELECT '#' || title || updated_at FROM courses WHERE id = {course}) \
             FROM (SELECT * FROM lessons WHERE course_id = {course} ORDER BY id)"
        ),
    )
}

fn course_fields(ids: &Small) -> Vec<(String, String)> {
    [
        ("title", "그로스 마케팅 입문 (바뀜)"),
        ("slug", "growth-marketing"),
        ("level", "beginner"),
        ("status", "published"),
        ("published_at", "2026-03-01T00:00"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([
        ("category_id".to_owned(), ids.marketing.to_string()),
        ("instructor_id".to_owned(), ids.kim.to_string()),
    ])
    .collect()
}

fn with_rows(ids: &Small, rows: &[&[(&str, String)]]) -> Vec<(String, String)> {
    let mut f = course_fields(ids);
    f.push(("lesson-TOTAL".into(), rows.len().to_string()));
    for (i, row) in rows.iter().enumerate() {
        for (k, v) in row.iter() {
            f.push((format!("lesson-{i}-{k}"), v.clone()));
        }
    }
    f
}

fn refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn first_lesson(app: &TestApp, course: i64) -> i64 {
    crate::admin_support::scalar(
        app,
        &format!("SELECT id FROM lessons WHERE course_id = {course} ORDER BY position LIMIT 1"),
    )
}

#[tokio::test]
async fn course_form_inlines_need_the_lesson_permissions() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let lesson = first_lesson(&app, ids.growth).to_string();
    let change = format!("/admin/course/{}", ids.growth);
    let new_row: &[(&str, String)] = &[
        ("position", "9".into()),
        ("title", "몰래 넣은 레슨".into()),
        ("duration_seconds", "60".into()),
    ];
    let changed_row: &[(&str, String)] = &[
        ("id", lesson.clone()),
        ("position", "1".into()),
        ("title", "몰래 바꾼 레슨".into()),
        ("duration_seconds", "60".into()),
    ];
    let deleted_row: &[(&str, String)] = &[("id", lesson.clone()), ("DELETE", "1".into())];
    // (lesson permissions held besides view/change course, inline shown?, attempts refused)
    type Case<'a> = (&'a [&'a str], bool, Vec<(&'a str, Vec<(String, String)>)>);
    let cases: Vec<Case> = vec![
        (
            &[],
            false,
            vec![
                ("add", with_rows(&ids, &[new_row])),
                ("change", with_rows(&ids, &[changed_row])),
                ("delete", with_rows(&ids, &[deleted_row])),
            ],
        ),
        (
            &["catalog.view_lesson"],
            true,
            vec![
                ("add", with_rows(&ids, &[new_row])),
                ("change", with_rows(&ids, &[changed_row])),
                ("delete", with_rows(&ids, &[deleted_row])),
            ],
        ),
        (
            &["catalog.view_lesson", "catalog.change_lesson"],
            true,
            vec![
                ("add", with_rows(&ids, &[new_row])),
                ("delete", with_rows(&ids, &[deleted_row])),
            ],
        ),
    ];
    for (n, (held, shown, attempts)) in cases.into_iter().enumerate() {
        let email = format!("staff{n}@hancup.kr");
        let staff = user_with_password(&app, &email, true, false);
        grant(
            &app,
            staff,
            &["catalog.view_course", "catalog.change_course"],
        );
        grant(&app, staff, held);
        let (client, _) = admin_login(&app, &email).await;
        let (status, html) = page(&client, &app, &change).await;
        assert_eq!(status, 200);
        assert_eq!(
            html.contains("data-inline=\"lesson\""),
            shown,
            "{held:?}: inline shown"
        );
        assert_eq!(html.contains("퍼널 분석"), shown, "{held:?}: lesson titles");
        assert_eq!(
            html.contains("lesson-TOTAL"),
            held.contains(&"catalog.change_lesson"),
            "{held:?}: the inline posts rows only with change_lesson"
        );
        for (what, form) in attempts {
            let before = lessons(&app, ids.growth);
            let (status, body, _) = post(&client, &app, &change, &change, &refs(&form)).await;
            assert_eq!(status, 403, "{held:?} {what}: {body}");
            assert_eq!(lessons(&app, ids.growth), before, "{held:?} {what}");
        }
        // The course itself still saves when no inline row is posted.
        let (status, body, _) =
            post(&client, &app, &change, &change, &refs(&course_fields(&ids))).await;
        assert_eq!(status, 303, "{held:?}: {body}");
    }

    // With every lesson permission the same rows go through.
    let staff = user_with_password(&app, "full@hancup.kr", true, false);
    grant(
        &app,
        staff,
        &[
            "catalog.view_course",
            "catalog.change_course",
            "catalog.view_lesson",
            "catalog.add_lesson",
            "catalog.change_lesson",
            "catalog.delete_lesson",
        ],
    );
    let (client, _) = admin_login(&app, "full@hancup.kr").await;
    let (status, html) = page(&client, &app, &change).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-inline-add"));
    let form = with_rows(&ids, &[changed_row, new_row]);
    let (status, body, _) = post(&client, &app, &change, &change, &refs(&form)).await;
    assert_eq!(status, 303, "{body}");
    let after = lessons(&app, ids.growth);
    assert!(
        after.contains("몰래 넣은 레슨") && after.contains("몰래 바꾼 레슨"),
        "{after}"
    );
}
