//! Issue 12, the low findings that are ours, replayed from outside (one test each): a
//! re-rendered admin form names a submitted foreign-key id only when the user may see that
//! object.

use crate::admin_support::{admin_login, grant, make_staff, post, user_with_password};
use crate::helpers::{small_catalog, spawn_app};

#[tokio::test]
async fn a_rerendered_form_names_a_submitted_id_only_when_its_object_is_visible() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let root = user_with_password(&app, "root-secret@hancup.kr", true, true);

    // Staff who may change courses but not view users probe a user id through the course form.
    let staff = user_with_password(&app, "courses@hancup.kr", true, false);
    grant(
        &app,
        staff,
        &[
            "catalog.view_course",
            "catalog.add_course",
            "catalog.change_course",
        ],
    );
    let (client, _) = admin_login(&app, "courses@hancup.kr").await;
    let probe = |course_field: &'static str, id: i64| {
        vec![
            ("title".to_owned(), String::new()),
            ("slug".to_owned(), "probe".to_owned()),
            ("level".to_owned(), "beginner".to_owned()),
            ("status".to_owned(), "draft".to_owned()),
            ("category_id".to_owned(), ids.marketing.to_string()),
            (course_field.to_owned(), id.to_string()),
        ]
    };
    let form = probe("instructor_id", root);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body, _) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &fields,
    )
    .await;
    assert_eq!(status, 400, "re-rendered with the title error");
    assert!(!body.contains("root-secret@hancup.kr"), "{body}");

    // With view_user the same form names the user (the label is a convenience, not a secret).
    grant(&app, staff, &["accounts.view_user"]);
    let (status, body, _) = post(
        &client,
        &app,
        "/admin/course/add",
        "/admin/course/add",
        &fields,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("root-secret@hancup.kr"));

    // An instructor probes another instructor's draft through the lesson form.
    make_staff(&app, ids.lee, false);
    app.db()
        .write(|tx| hancup::accounts::perms::add_to_role(tx, ids.lee, "instructors"))
        .unwrap();
    let (lee, _) = admin_login(&app, "lee@example.com").await;
    for (course, visible) in [(ids.draft, false), (ids.pitch, true)] {
        let course = course.to_string();
        let (status, body, _) = post(
            &lee,
            &app,
            "/admin/lesson/add",
            "/admin/lesson/add",
            &[("course_id", &course), ("position", "1"), ("title", "")],
        )
        .await;
        assert_eq!(status, 400);
        assert!(!body.contains("비공개 마케팅 초안"), "kim's draft title");
        assert_eq!(
            body.contains("Pitch Deck Masterclass"),
            visible,
            "lee's own course is named"
        );
    }
}
