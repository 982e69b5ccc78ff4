//! Issue 12, finding 7 replayed from outside: a staff member holding only `change_group`
//! renames the instructors' group in the admin, hoping to lift the instructors' restriction;
//! one holding `delete_group` tries to delete it. The rule follows the group's fixed role
//! (migration 7), so after the rename the instructor still sees and changes only their own
//! courses — and only their own courses' questions, answers, notices, reviews, enrollments and
//! certificates — and the delete is refused with nothing changed.

use crate::admin_support::{admin_login, grant, make_staff, post, scalar, text};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app};

#[tokio::test]
async fn renaming_the_instructors_group_does_not_free_an_instructor() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    // lee teaches pitch-deck; kim teaches growth-marketing. Each course gets learning rows.
    let mut kim_question = 0;
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO users (email, display_name, password_hash) VALUES ('l@x.kr', '학습자', '!')",
            [],
        )?;
        let learner = tx.last_insert_rowid();
        for (course, who) in [(ids.growth, "kim"), (ids.pitch, "lee")] {
            tx.execute(
                "INSERT INTO enrollments (user_id, course_id) VALUES (?1, ?2)",
                [learner, course],
            )?;
            tx.execute(
                "INSERT INTO questions (course_id, user_id, title, body) VALUES (?1, ?2, ?3, '본문')",
                rusqlite::params![course, ids.kim, format!("{who}-강좌-질문")],
            )?;
            let q = tx.last_insert_rowid();
            if who == "kim" {
                kim_question = q;
            }
            tx.execute(
                "INSERT INTO answers (question_id, user_id, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![q, ids.kim, format!("{who}-강좌-답변")],
            )?;
            tx.execute(
                "INSERT INTO notices (course_id, author_id, title, body) VALUES (?1, ?2, ?3, '')",
                rusqlite::params![course, ids.kim, format!("{who}-강좌-공지")],
            )?;
        }
        tx.execute(
            "INSERT INTO notices (course_id, author_id, title, body) VALUES (NULL, ?1, 'site-전체-공지', '')",
            [ids.kim],
        )?;
        Ok(())
    });
    make_staff(&app, ids.lee, false);
    app.db()
        .write(|tx| hancup::accounts::perms::add_to_role(tx, ids.lee, "instructors"))
        .unwrap();
    grant(
        &app,
        ids.lee,
        &[
            "learning.view_enrollment",
            "learning.view_question",
            "learning.change_question",
            "learning.view_answer",
            "learning.view_notice",
            "learning.view_review",
            "learning.view_certificate",
        ],
    );

    // The attack: a staff member with only view/change/delete on groups renames it, then
    // tries to delete it.
    let group = scalar(
        &app,
        "SELECT id FROM auth_groups WHERE role = 'instructors'",
    );
    let attacker = crate::admin_support::user_with_password(&app, "groups@hancup.kr", true, false);
    grant(
        &app,
        attacker,
        &[
            "accounts.view_group",
            "accounts.change_group",
            "accounts.delete_group",
        ],
    );
    let (client, _) = admin_login(&app, "groups@hancup.kr").await;
    let change = format!("/admin/group/{group}");
    let (status, body, _) = post(
        &client,
        &app,
        &change,
        &change,
        &[("name", "former instructors"), ("description", "")],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        text(
            &app,
            &format!("SELECT name FROM auth_groups WHERE id = {group}")
        ),
        "former instructors"
    );
    let members = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM user_groups WHERE group_id = {group}"),
    );
    let delete = format!("/admin/group/{group}/delete");
    let (status, _, _) = post(&client, &app, &delete, &delete, &[]).await;
    assert_eq!(status, 409, "a group holding a role is protected");
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/group",
        "/admin/group",
        &[
            ("action", "delete_selected"),
            ("_selected", &group.to_string()),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 303, "refused with a message on the list");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM user_groups WHERE group_id = {group}")
        ),
        members,
        "group and memberships kept"
    );

    // The instructor after the rename: own course only, everywhere in the admin.
    let (lee, _) = admin_login(&app, "lee@example.com").await;
    let (status, body) = page(&lee, &app, "/admin/course").await;
    assert_eq!(status, 200);
    assert!(body.contains("Pitch Deck Masterclass"));
    assert!(!body.contains("그로스 마케팅 입문"), "kim's course hidden");
    let (status, _) = page(&lee, &app, &format!("/admin/course/{}", ids.growth)).await;
    assert_eq!(status, 404);
    let status_before = text(
        &app,
        &format!("SELECT status FROM courses WHERE id = {}", ids.growth),
    );
    let (status, _, _) = post(
        &lee,
        &app,
        "/admin/course",
        "/admin/course",
        &[
            ("action", "unpublish"),
            ("_selected", &ids.growth.to_string()),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        text(
            &app,
            &format!("SELECT status FROM courses WHERE id = {}", ids.growth)
        ),
        status_before
    );
    for (list, own, other) in [
        ("/admin/question", "lee-강좌-질문", "kim-강좌-질문"),
        // The answers list names each answer's question.
        ("/admin/answer", "lee-강좌-질문", "kim-강좌-질문"),
        ("/admin/notice", "lee-강좌-공지", "kim-강좌-공지"),
        ("/admin/notice", "lee-강좌-공지", "site-전체-공지"),
    ] {
        let (status, body) = page(&lee, &app, list).await;
        assert_eq!(status, 200, "{list}");
        assert!(body.contains(own), "{list}: own course's rows shown");
        assert!(!body.contains(other), "{list}: {other} hidden");
    }
    let (status, body) = page(&lee, &app, "/admin/enrollment").await;
    assert_eq!(status, 200);
    assert!(body.contains("Pitch Deck") && !body.contains("그로스 마케팅 입문"));
    let (status, _) = page(&lee, &app, &format!("/admin/question/{kim_question}")).await;
    assert_eq!(status, 404);
    let (status, _, _) = post(
        &lee,
        &app,
        "/admin/question",
        &format!("/admin/question/{kim_question}"),
        &[("title", "바뀐 질문"), ("body", "바뀐 본문")],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        text(
            &app,
            &format!("SELECT title FROM questions WHERE id = {kim_question}")
        ),
        "kim-강좌-질문"
    );
}
