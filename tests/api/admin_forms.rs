//! Add/change forms over HTTP: a course with three inline lessons saved in one transaction,
//! validation errors shown inline with the input kept and nothing half-saved, reordering,
//! stale edits refused, and the history of every change.

use crate::admin_support::{post, scalar, superuser, text};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app};

fn course_form<'a>(
    category: &'a str,
    title: &'a str,
    lessons: &[(&'a str, &'a str)],
) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("title".into(), title.into()),
        ("slug".into(), "lean-canvas".into()),
        (
            "summary".into(),
            "린 캔버스 한 장으로 사업 모델 그리기".into(),
        ),
        (
            "description".into(),
            "## 목표\n\n**가설**을 세웁니다.".into(),
        ),
        ("category_id".into(), category.into()),
        ("level".into(), "beginner".into()),
        ("instructor_id".into(), "1".into()),
        ("status".into(), "draft".into()),
        ("lesson-TOTAL".into(), lessons.len().to_string()),
    ];
    for (i, (title, seconds)) in lessons.iter().enumerate() {
        f.push((format!("lesson-{i}-position"), (i + 1).to_string()));
        f.push((format!("lesson-{i}-title"), title.to_string()));
        f.push((format!("lesson-{i}-duration_seconds"), seconds.to_string()));
    }
    f
}

fn refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn a_course_and_three_inline_lessons_are_saved_together() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let cat = ids.marketing.to_string();
    let form = course_form(
        &cat,
        "린 캔버스 실전",
        &[
            ("문제 정의", "600"),
            ("고객 세그먼트", "900"),
            ("가치 제안", "1200"),
        ],
    );
    let (status, body, location) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &refs(&form),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin/course"));
    let id = scalar(&app, "SELECT id FROM courses WHERE slug = 'lean-canvas'");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT lesson_count FROM courses WHERE id = {id}")
        ),
        3,
        "the counter trigger ran"
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT total_duration_seconds FROM courses WHERE id = {id}")
        ),
        2700
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT title FROM lessons WHERE course_id = {id} AND position = 3")
        ),
        "가치 제안"
    );

    // Reorder (third first), rename one, delete one, add one: one POST, one transaction.
    let change = format!("/admin/course/{id}");
    let (_, html) = page(&client, &app, &change).await;
    let lesson_ids: Vec<i64> = (1..=3)
        .map(|p| {
            scalar(
                &app,
                &format!("SELECT id FROM lessons WHERE course_id = {id} AND position = {p}"),
            )
        })
        .collect();
    assert!(html.contains(&format!("name=\"lesson-0-id\" value=\"{}\"", lesson_ids[0])));
    let fp_at = html.find("name=\"_fingerprint\" value=\"").unwrap() + 27;
    let fingerprint = html[fp_at..].split('"').next().unwrap().to_owned();
    let mut f = course_form(
        &cat,
        "린 캔버스 실전",
        &[
            ("문제 정의", "600"),
            ("고객 세그먼트 (개정)", "900"),
            ("가치 제안", "1200"),
            ("새 레슨", "60"),
        ],
    );
    f.push(("_fingerprint".into(), fingerprint));
    for (i, lid) in lesson_ids.iter().enumerate() {
        f.push((format!("lesson-{i}-id"), lid.to_string()));
    }
    f.retain(|(k, _)| k != "lesson-2-position" && k != "lesson-0-position");
    f.push(("lesson-2-position".into(), "0".into()));
    f.push(("lesson-0-position".into(), "1".into()));
    f.push(("lesson-0-DELETE".into(), "1".into()));
    f.push(("_continue".into(), "1".into()));
    let (status, body, location) = post(&client, &app, &change, &change, &refs(&f)).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location.as_deref(),
        Some(change.as_str()),
        "save and continue editing"
    );
    let titles = text(&app, &format!("SELECT group_concat(title, '|') FROM (SELECT title FROM lessons WHERE course_id = {id} ORDER BY position)"));
    assert_eq!(titles, "가치 제안|고객 세그먼트 (개정)|새 레슨");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT MAX(position) FROM lessons WHERE course_id = {id}")
        ),
        3,
        "renumbered 1..n"
    );

    // The history names what changed, old → new.
    let (_, history) = page(&client, &app, &format!("{change}/history")).await;
    assert!(history.contains("추가"));
    assert!(history.contains("새 레슨"));
    let (_, lesson_history) = page(
        &client,
        &app,
        &format!("/admin/lesson/{}/history", lesson_ids[1]),
    )
    .await;
    assert!(
        lesson_history.contains("고객 세그먼트 (개정)"),
        "{lesson_history}"
    );
}

#[tokio::test]
async fn a_bad_inline_row_saves_nothing_and_shows_every_error_with_the_input_kept() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let cat = ids.marketing.to_string();
    let mut form = course_form(
        &cat,
        "",
        &[("문제 정의", "600"), ("", "abc"), ("가치 제안", "999999")],
    );
    form.retain(|(k, _)| k != "slug");
    form.push(("slug".into(), "Bad Slug".into()));
    let (status, body, _) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &refs(&form),
    )
    .await;
    assert_eq!(status, 400);
    for message in [
        "필수 입력 항목입니다",
        "영문 소문자, 숫자, 하이픈(-)만",
        "7분 12초처럼 입력하거나",
        "86400 이하의 값을",
    ] {
        assert!(body.contains(message), "{message}");
    }
    assert!(body.contains("value=\"Bad Slug\""), "input kept");
    assert!(body.contains("value=\"문제 정의\""), "inline input kept");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM courses WHERE title = ''"),
        0
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM lessons WHERE title = '문제 정의'"
        ),
        0,
        "nothing half-saved"
    );

    // A unique slug taken by another course is a field error too, and rolls back the lessons.
    let form = {
        let mut f = course_form(&cat, "중복", &[("하나", "1")]);
        f.retain(|(k, _)| k != "slug");
        f.push(("slug".into(), "growth-marketing".into()));
        f
    };
    let (status, body, _) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &refs(&form),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("이미 쓰이고 있는 값입니다"));
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM lessons WHERE title = '하나'"),
        0
    );
}

#[tokio::test]
async fn a_stale_form_gets_a_conflict_instead_of_overwriting() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let path = format!("/admin/category/{}", ids.finance);
    let (_, html) = page(&client, &app, &path).await;
    let fp_at = html.find("name=\"_fingerprint\" value=\"").unwrap() + 27;
    let fingerprint = html[fp_at..].split('"').next().unwrap().to_owned();
    app.exec(|tx| {
        tx.execute(
            "UPDATE categories SET name = '재무 (다른 사람)' WHERE id = ?1",
            [ids.finance],
        )?;
        Ok(())
    });
    let fields = [
        ("name", "재무 (내 수정)"),
        ("name_en", "Finance"),
        ("slug", "finance"),
        ("position", "2"),
        ("_fingerprint", fingerprint.as_str()),
    ];
    let (status, body, _) = post(&client, &app, &path, &path, &fields).await;
    assert_eq!(status, 409);
    assert!(body.contains("다른 사람이 바꿨습니다"), "{body}");
    assert!(
        body.contains("value=\"재무 (내 수정)\""),
        "the input is kept"
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT name FROM categories WHERE id = {}", ids.finance)
        ),
        "재무 (다른 사람)"
    );
}

#[tokio::test]
async fn markdown_preview_is_sanitised() {
    let app = spawn_app().await;
    let client = superuser(&app).await;
    let (status, html, _) = post(
        &client,
        &app,
        "/admin",
        "/admin/preview",
        &[("text", "**굵게** <script>alert(1)</script>")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>굵게</strong>"));
    assert!(!html.contains("<script>"));
}
