//! "이 변경 되돌리기": a history entry's field changes undone through a preview and a normal
//! save — the same rules, the stale-edit check, its own history entry — and never past the
//! owner rule or today's validation.

use crate::admin_operator::form_fields;
use crate::admin_support::{admin_login, make_staff, post, scalar, superuser, text};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app, TestApp};

fn refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Changes `fields` of course `id` through the admin form; returns the new log entry's id.
async fn change_course(
    client: &reqwest::Client,
    app: &TestApp,
    id: i64,
    fields: &[(&str, &str)],
) -> i64 {
    let path = format!("/admin/course/{id}");
    let (_, html) = page(client, app, &path).await;
    let mut form = form_fields(&html, "change-form");
    for (name, value) in fields {
        form.retain(|(k, _)| k != name);
        form.push((name.to_string(), value.to_string()));
    }
    let (status, body, _) = post(client, app, &path, &path, &refs(&form)).await;
    assert_eq!(status, 303, "{body}");
    scalar(app, "SELECT MAX(id) FROM admin_log")
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).expect("the hidden input") + key.len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_change_is_reverted_through_a_preview_and_a_normal_save() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let course = ids.growth;
    let before_title = text(
        &app,
        &format!("SELECT title FROM courses WHERE id = {course}"),
    );
    let entry = change_course(
        &client,
        &app,
        course,
        &[("title", "잘못 고친 제목"), ("level", "advanced")],
    )
    .await;
    let history = format!("/admin/course/{course}/history");
    let (_, html) = page(&client, &app, &history).await;
    let revert = format!("/admin/course/{course}/history/{entry}/revert");
    assert!(
        html.contains("이 변경 되돌리기") && html.contains(&revert),
        "{html}"
    );

    // The preview: each field now → after, nothing written yet.
    let logged = scalar(&app, "SELECT COUNT(*) FROM admin_log");
    let (status, preview) = page(&client, &app, &revert).await;
    assert_eq!(status, 200);
    assert!(preview.contains("잘못 고친 제목") && preview.contains(&before_title));
    assert!(
        preview.contains("고급") && preview.contains("입문"),
        "levels by their labels"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM admin_log"), logged);

    let fingerprint = hidden(&preview, "_fingerprint");
    let (status, body, location) = post(
        &client,
        &app,
        &revert,
        &revert,
        &[("_fingerprint", fingerprint.as_str())],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        location.as_deref(),
        Some(format!("/admin/course/{course}").as_str())
    );
    assert_eq!(
        text(
            &app,
            &format!("SELECT title || '|' || level FROM courses WHERE id = {course}")
        ),
        format!("{before_title}|beginner")
    );
    // Itself logged, as a change from the wrong values back.
    let last = text(
        &app,
        "SELECT changes FROM admin_log ORDER BY id DESC LIMIT 1",
    );
    assert!(
        last.contains("\"old\":\"잘못 고친 제목\"")
            && last.contains(&format!("\"new\":\"{before_title}\"")),
        "{last}"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM admin_log"), logged + 1);
    // Reverting the same entry again has nothing left to do.
    let (_, again) = page(&client, &app, &revert).await;
    assert!(again.contains("되돌릴 내용이 없습니다") && !again.contains("name=\"_fingerprint\""));
}

#[tokio::test]
async fn a_stale_preview_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let course = ids.growth;
    let entry = change_course(&client, &app, course, &[("title", "첫 수정")]).await;
    let revert = format!("/admin/course/{course}/history/{entry}/revert");
    let (_, preview) = page(&client, &app, &revert).await;
    let fingerprint = hidden(&preview, "_fingerprint");
    // Someone else edits the course in between.
    change_course(
        &client,
        &app,
        course,
        &[("summary", "다른 사람이 고친 요약")],
    )
    .await;
    let logged = scalar(&app, "SELECT COUNT(*) FROM admin_log");
    let (status, body, _) = post(
        &client,
        &app,
        &revert,
        &revert,
        &[("_fingerprint", fingerprint.as_str())],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("다른 사람이"), "says why");
    assert_eq!(
        text(
            &app,
            &format!("SELECT title FROM courses WHERE id = {course}")
        ),
        "첫 수정"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM admin_log"), logged);
    // The page offers the revert again against the object as it is now.
    assert_ne!(hidden(&body, "_fingerprint"), fingerprint);
}

#[tokio::test]
async fn a_revert_obeys_todays_rules_and_the_owner_rule() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let course = ids.growth;
    let entry = change_course(&client, &app, course, &[("slug", "growth-2")]).await;
    // A slug written before today's rule (ending in a hyphen) cannot come back.
    app.exec(|tx| {
        tx.execute(
            "UPDATE admin_log SET changes = replace(changes, '\"old\":\"growth-marketing\"', '\"old\":\"growth-\"') WHERE id = ?1",
            [entry],
        )?;
        Ok(())
    });
    let revert = format!("/admin/course/{course}/history/{entry}/revert");
    let (status, preview) = page(&client, &app, &revert).await;
    assert_eq!(status, 200);
    assert!(
        preview.contains("하이픈으로 시작하거나 끝날 수 없습니다"),
        "{preview}"
    );
    assert!(
        !preview.contains("name=\"_fingerprint\""),
        "no button to save it"
    );
    let (status, _, _) = post(&client, &app, &revert, &revert, &[("_fingerprint", "x")]).await;
    assert_eq!(status, 400);
    assert_eq!(
        text(
            &app,
            &format!("SELECT slug FROM courses WHERE id = {course}")
        ),
        "growth-2"
    );
    // An entry of another object is not this object's to revert.
    let other = format!("/admin/course/{}/history/{entry}/revert", ids.pitch);
    assert_eq!(page(&client, &app, &other).await.0, 404);

    // An instructor cannot revert a change to another instructor's course (lee teaches pitch).
    make_staff(&app, ids.lee, false);
    app.db()
        .write(|tx| hancup::accounts::perms::add_to_role(tx, ids.lee, "instructors"))
        .unwrap();
    let (lee, _) = admin_login(&app, "lee@example.com").await;
    assert_eq!(page(&lee, &app, &revert).await.0, 404);
    let (status, _, _) = post(
        &lee,
        &app,
        "/admin/course",
        &revert,
        &[("_fingerprint", "x")],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        text(
            &app,
            &format!("SELECT slug FROM courses WHERE id = {course}")
        ),
        "growth-2"
    );
}
