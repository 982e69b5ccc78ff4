//! Who gets into the admin and what they may do there: staff only (others are refused
//! clearly), per-model view/add/change/delete on every page and every POST, and instructors
//! limited to their own courses and lessons.

use crate::admin_support::{admin_login, grant, make_staff, post, superuser, user_with_password};
use crate::browser::{login, page, PW};
use crate::helpers::{small_catalog, spawn_app};

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_admin_login() {
    let app = spawn_app().await;
    let resp = app.get("/admin/course").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/admin/login?next=%2Fadmin%2Fcourse"
    );
}

#[tokio::test]
async fn non_staff_cannot_log_in_to_the_admin_and_get_a_clear_refusal() {
    let app = spawn_app().await;
    user_with_password(&app, "learner@x.kr", false, false);
    let (client, resp) = admin_login(&app, "learner@x.kr").await;
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.unwrap();
    assert!(body.contains("관리자 화면을 사용할 수 없습니다"), "{body}");
    let (status, _) = page(&client, &app, "/admin").await;
    assert_eq!(status, 303, "not logged in by the refused attempt");

    // Logged in on the site as a learner: /admin refuses with 403, not a login loop.
    let site = app.browser();
    assert_eq!(login(&site, &app, "learner@x.kr", PW).await.status(), 303);
    let (status, body) = page(&site, &app, "/admin").await;
    assert_eq!(status, 403);
    assert!(body.contains("스태프가 아니어서"), "{body}");
}

#[tokio::test]
async fn wrong_password_is_refused_without_saying_which_part_was_wrong() {
    let app = spawn_app().await;
    user_with_password(&app, "staff@x.kr", true, false);
    let client = app.browser();
    let (_, html) = page(&client, &app, "/admin/login").await;
    let token = crate::browser::csrf_of(&html);
    let resp = client
        .post(app.url("/admin/login"))
        .form(&[
            ("email", "staff@x.kr"),
            ("password", "wrong password 123"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let wrong = resp.text().await.unwrap();
    assert!(
        wrong.contains("스태프 계정의 이메일과 비밀번호를 정확히 입력하세요."),
        "the page says what to do"
    );
    let resp = client
        .post(app.url("/admin/login"))
        .form(&[
            ("email", "nobody@x.kr"),
            ("password", "wrong password 123"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let unknown = resp.text().await.unwrap();
    assert!(
        unknown.contains("스태프 계정의 이메일과 비밀번호를 정확히 입력하세요."),
        "an unknown e-mail reads the same: the message never says which part was wrong"
    );
    assert!(!wrong.contains("비밀번호가 틀") && !unknown.contains("없는 계정"));
}

#[tokio::test]
async fn staff_need_each_permission_on_the_page_and_on_its_post() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let staff = user_with_password(&app, "staff@x.kr", true, false);
    let (client, _) = admin_login(&app, "staff@x.kr").await;

    let (status, body) = page(&client, &app, "/admin").await;
    assert_eq!(status, 200);
    assert!(
        !body.contains("/admin/course\""),
        "no course link without view permission"
    );
    for path in [
        "/admin/course",
        "/admin/course/add",
        &format!("/admin/course/{}", ids.growth),
    ] {
        let (status, _) = page(&client, &app, path).await;
        assert_eq!(status, 403, "{path}");
    }

    grant(&app, staff, &["catalog.view_course"]);
    let (status, body) = page(&client, &app, "/admin/course").await;
    assert_eq!(status, 200);
    assert!(body.contains("그로스 마케팅 입문"));
    assert!(
        !body.contains("/admin/course/add"),
        "no add link without add permission"
    );
    // Viewing a course is allowed, saving it is not — on the POST itself.
    let change = format!("/admin/course/{}", ids.growth);
    let (status, html) = page(&client, &app, &change).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("name=\"_save\""),
        "read-only form has no save button"
    );
    let token = crate::browser::csrf_of(&html);
    let resp = client
        .post(app.url(&change))
        .form(&[("title", "바뀐 제목"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = client
        .post(app.url("/admin/course"))
        .form(&[
            ("action", "delete_selected"),
            ("_selected", &ids.growth.to_string()),
            ("confirm", "yes"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "actions check their permission too");
    let (status, _) = page(
        &client,
        &app,
        &format!("/admin/course/{}/delete", ids.growth),
    )
    .await;
    assert_eq!(status, 403);
    let title = crate::admin_support::text(
        &app,
        &format!("SELECT title FROM courses WHERE id = {}", ids.growth),
    );
    assert_eq!(title, "그로스 마케팅 입문");
}

#[tokio::test]
async fn instructors_see_and_change_only_their_own_courses_and_lessons() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    make_staff(&app, ids.lee, false);
    app.db()
        .write(|tx| hancup::accounts::perms::add_to_role(tx, ids.lee, "instructors"))
        .unwrap();
    let (client, resp) = admin_login(&app, "lee@example.com").await;
    assert_eq!(resp.status(), 303);

    let (status, body) = page(&client, &app, "/admin/course").await;
    assert_eq!(status, 200);
    assert!(body.contains("Pitch Deck Masterclass"), "lee teaches pitch");
    assert!(
        !body.contains("그로스 마케팅 입문"),
        "kim's course is hidden"
    );
    let (status, _) = page(&client, &app, &format!("/admin/course/{}", ids.growth)).await;
    assert_eq!(status, 404);
    let (status, body) = page(&client, &app, "/admin/lesson").await;
    assert_eq!(status, 200);
    assert!(
        !body.contains("퍼널 분석"),
        "lessons of kim's course are hidden"
    );
    let (status, _) = page(&client, &app, "/admin/user").await;
    assert_eq!(status, 403);

    // A course the instructor adds is theirs, whatever the form says.
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &[
            ("title", "내 새 강좌"),
            ("slug", "my-new-course"),
            ("category_id", &ids.marketing.to_string()),
            ("level", "beginner"),
            ("status", "draft"),
            ("instructor_id", &ids.kim.to_string()),
            ("lesson-TOTAL", "0"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let owner = crate::admin_support::scalar(
        &app,
        "SELECT instructor_id FROM courses WHERE slug = 'my-new-course'",
    );
    assert_eq!(owner, ids.lee);
    // Another's course cannot be changed by POST either.
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/course",
        &format!("/admin/course/{}", ids.growth),
        &[("title", "탈취"), ("slug", "growth-marketing")],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn dashboard_groups_models_and_shows_my_recent_actions() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let (status, body) = page(&client, &app, "/admin").await;
    assert_eq!(status, 200);
    for text in [
        "카탈로그",
        "계정",
        "/admin/course/add",
        "/admin/user",
        "아직 작업 기록이 없습니다",
    ] {
        assert!(body.contains(text), "{text}");
    }
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/category/add",
        "/admin/category/add",
        &[
            ("name", "투자"),
            ("name_en", "Investment"),
            ("slug", "investment"),
            ("position", "3"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, body) = page(&client, &app, "/admin").await;
    assert!(
        body.contains("투자"),
        "the new category is among my recent actions"
    );
    let _ = ids;
}

#[tokio::test]
async fn admin_posts_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let client = superuser(&app).await;
    let resp = client
        .post(app.url("/admin/category/add"))
        .form(&[
            ("name", "x"),
            ("name_en", "x"),
            ("slug", "x"),
            ("position", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        crate::admin_support::scalar(&app, "SELECT COUNT(*) FROM categories"),
        0
    );
}

#[tokio::test]
async fn the_admin_speaks_english_when_asked() {
    let app = spawn_app().await;
    small_catalog(&app);
    let client = superuser(&app).await;
    let resp = client
        .get(app.url("/admin/course?status=published"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    for text in [
        "<html lang=\"en\"",
        "Courses",
        "Published",
        "Export CSV",
        "3 results",
    ] {
        assert!(body.contains(text), "{text}");
    }
    assert!(!body.contains("강좌 추가"));
}
