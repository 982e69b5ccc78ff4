//! Bulk actions with their confirmation page, deletes with the cascade preview (and refusal
//! when protected rows hold on), the audit log as a read-only model, the users admin (password
//! twice, the separate password form, no hash ever shown) and thumbnail uploads.

use crate::admin_support::{post, scalar, superuser, text};
use crate::browser::{page, PW};
use crate::helpers::{small_catalog, spawn_app, spawn_with};

#[tokio::test]
async fn publish_action_confirms_then_changes_every_selected_course_with_history() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let (draft, archived) = (ids.draft.to_string(), ids.archived.to_string());
    let selected = [
        ("action", "publish"),
        ("_selected", draft.as_str()),
        ("_selected", archived.as_str()),
        ("_query", "?status=draft"),
    ];
    let (status, body, _) = post(&client, &app, "/admin/course", "/admin/course", &selected).await;
    assert_eq!(status, 200, "first the confirmation page");
    assert!(body.contains("비공개 마케팅 초안") && body.contains("지난 마케팅 강의"));
    assert_eq!(
        text(
            &app,
            &format!("SELECT status FROM courses WHERE id = {}", ids.draft)
        ),
        "draft"
    );
    let mut confirmed = selected.to_vec();
    confirmed.push(("confirm", "yes"));
    let (status, _, location) =
        post(&client, &app, "/admin/course", "/admin/course", &confirmed).await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/admin/course?status=draft"),
        "back to the same filtered list"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM courses WHERE status = 'published'"
        ),
        5
    );
    let (_, history) = page(
        &client,
        &app,
        &format!("/admin/course/{}/history", ids.draft),
    )
    .await;
    assert!(
        history.contains("선택한 강의 공개")
            && history.contains("<del>초안</del> → <ins>공개</ins>"),
        "{history}"
    );
    // Nothing selected: a message, no change.
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/course",
        "/admin/course",
        &[("action", "archive")],
    )
    .await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn deleting_a_course_shows_its_lessons_and_enrollments_first() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let path = format!("/admin/course/{}/delete", ids.growth);
    let (status, body) = page(&client, &app, &path).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("수업") && body.contains("첫 번째: 오리엔테이션"),
        "lessons by name"
    );
    assert!(body.contains("수강 신청"), "enrollments go too");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM courses WHERE slug = 'growth-marketing'"
        ),
        1,
        "the preview deletes nothing"
    );
    let (status, _, _) = post(&client, &app, &path, &path, &[]).await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM lessons WHERE course_id = {}",
                ids.growth
            )
        ),
        0
    );
    let (_, log) = page(&client, &app, "/admin/logentry?q=그로스").await;
    assert!(
        log.contains("그로스 마케팅 입문"),
        "the delete is in the log"
    );
    let (_, by_model) = page(&client, &app, "/admin/logentry?model=course").await;
    assert!(by_model.contains("그로스 마케팅 입문"));
    let (_, other_model) = page(&client, &app, "/admin/logentry?model=lesson").await;
    assert!(
        !other_model.contains("그로스 마케팅 입문"),
        "the model filter follows the registry"
    );
    let (status, _) = page(&client, &app, "/admin/logentry/add").await;
    assert_eq!(status, 403, "the log is read-only");
}

#[tokio::test]
async fn a_protected_delete_is_refused_with_what_protects_it() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let path = format!("/admin/category/{}/delete", ids.finance);
    let (status, body) = page(&client, &app, &path).await;
    assert_eq!(status, 409);
    assert!(
        body.contains("보호됨") && body.contains("창업자를 위한 회계 기초"),
        "{body}"
    );
    let fin = ids.finance.to_string();
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/category",
        "/admin/category",
        &[
            ("action", "delete_selected"),
            ("_selected", &fin),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM categories WHERE id = {fin}")
        ),
        1
    );
}

#[tokio::test]
async fn users_are_created_with_a_checked_password_and_never_show_a_hash() {
    let app = spawn_app().await;
    let client = superuser(&app).await;
    let base = [
        ("email", "new@hancup.kr"),
        ("display_name", "새 운영자"),
        ("is_active", "1"),
        ("is_staff", "1"),
    ];
    let mut mismatch = base.to_vec();
    mismatch.extend([("password1", PW), ("password2", "different one 123")]);
    let (status, body, _) = post(
        &client,
        &app,
        "/admin/user/add",
        "/admin/user/add",
        &mismatch,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("두 비밀번호가 일치하지 않습니다"));
    let mut short = base.to_vec();
    short.extend([("password1", "짧아"), ("password2", "짧아")]);
    let (status, body, _) = post(&client, &app, "/admin/user/add", "/admin/user/add", &short).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("자 이상이어야"),
        "the accounts password rules apply"
    );
    let group = scalar(
        &app,
        "SELECT id FROM auth_groups WHERE name = 'instructors'",
    )
    .to_string();
    let mut ok = base.to_vec();
    ok.extend([
        ("password1", PW),
        ("password2", PW),
        ("groups", group.as_str()),
    ]);
    let (status, body, _) = post(&client, &app, "/admin/user/add", "/admin/user/add", &ok).await;
    assert_eq!(status, 303, "{body}");
    let id = scalar(&app, "SELECT id FROM users WHERE email = 'new@hancup.kr'");
    assert_eq!(
        scalar(&app, &format!("SELECT is_staff FROM users WHERE id = {id}")),
        1
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM user_groups WHERE user_id = {id}")
        ),
        1
    );
    let (client2, resp) = crate::admin_support::admin_login(&app, "new@hancup.kr").await;
    assert_eq!(resp.status(), 303, "the new staff user can log in");
    drop(client2);
    let (_, html) = page(&client, &app, &format!("/admin/user/{id}")).await;
    assert!(!html.contains("$argon2") && !html.contains("password_hash"));

    let pw_path = format!("/admin/user/{id}/password");
    let (status, _, _) = post(
        &client,
        &app,
        &pw_path,
        &pw_path,
        &[
            ("password1", "새 비밀번호는 길어요 2027"),
            ("password2", "새 비밀번호는 길어요 2027"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let hash = text(
        &app,
        &format!("SELECT password_hash FROM users WHERE id = {id}"),
    );
    assert!(hancup::accounts::verify_password(
        "새 비밀번호는 길어요 2027",
        &hash
    ));
    let (_, history) = page(&client, &app, &format!("/admin/user/{id}/history")).await;
    assert!(history.contains("password") && !history.contains("$argon2"));
}

#[tokio::test]
async fn deactivate_action_ends_the_users_access() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let lee = ids.lee.to_string();
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/user",
        "/admin/user",
        &[
            ("action", "deactivate"),
            ("_selected", &lee),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT is_active FROM users WHERE id = {lee}")
        ),
        0
    );
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82";

async fn upload(
    client: &reqwest::Client,
    app: &crate::helpers::TestApp,
    course: i64,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let change = format!("/admin/course/{course}");
    let (_, html) = page(client, app, &change).await;
    let token = crate::browser::csrf_of(&html);
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("image/png")
                .unwrap(),
        );
    let resp = client
        .post(app.url(&format!("{change}/upload/thumbnail")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let (_, after) = page(client, app, &change).await;
    (status, after)
}

#[tokio::test]
async fn thumbnails_are_checked_by_their_bytes_stored_and_served_with_caching() {
    let app = spawn_with(|c| c.media.max_upload_bytes = 4096).await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let (status, body) = upload(
        &client,
        &app,
        ids.growth,
        "evil.png",
        b"<svg onload=alert(1)>".to_vec(),
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        body.contains("JPEG, PNG, WebP 이미지만"),
        "refused by content, whatever the name"
    );
    let (_, body) = upload(
        &client,
        &app,
        ids.growth,
        "big.png",
        [PNG, &[0u8; 5000]].concat(),
    )
    .await;
    assert!(body.contains("파일이 너무 큽니다"));
    assert_eq!(
        text(
            &app,
            &format!("SELECT thumbnail FROM courses WHERE id = {}", ids.growth)
        ),
        ""
    );
    let (_, body) = upload(&client, &app, ids.growth, "cover.png", PNG.to_vec()).await;
    assert!(body.contains("이미지를 올렸습니다"));
    let path = text(
        &app,
        &format!("SELECT thumbnail FROM courses WHERE id = {}", ids.growth),
    );
    assert!(
        path.starts_with("thumbnail/") && path.ends_with(".png"),
        "{path}"
    );
    let resp = app.get(&format!("/media/{path}")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert!(resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    let (_, catalog) = app.get_text("/courses").await;
    assert!(
        catalog.contains(&format!("/media/{path}")),
        "shown on the catalog"
    );
    let (_, detail) = app.get_text("/courses/growth-marketing").await;
    assert!(
        detail.contains(&format!("/media/{path}")),
        "shown on the course page"
    );
    assert_eq!(app.get("/media/../schema.sql").await.status(), 404);
}
