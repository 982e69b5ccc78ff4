//! The one permission check: superusers may do anything; others hold per-model permissions
//! directly or through groups; instructors may change only the courses they teach; inactive
//! users hold nothing. Checked against a real database with the migrated permission rows.

use hancup::accounts::perms::{self, Action};
use hancup::accounts::users::{self, User};
use hancup::accounts::AccountError;

use crate::helpers::{small_catalog, spawn_app};

fn user(app: &crate::helpers::TestApp, id: i64) -> User {
    app.db().read(|c| users::get_user(c, id)).unwrap().unwrap()
}

fn can(app: &crate::helpers::TestApp, u: &User, action: Action, course: Option<i64>) -> bool {
    app.db()
        .read(|c| perms::can_on_course(c, u, action, course))
        .unwrap()
}

#[tokio::test]
async fn every_model_has_view_add_change_delete_and_instructors_exist() {
    let app = spawn_app().await;
    let (count, instructors): (i64, i64) = app
        .db()
        .read(|c| -> Result<_, AccountError> {
            Ok((
                c.query_row("SELECT COUNT(*) FROM permissions", [], |r| r.get(0))?,
                c.query_row(
                    "SELECT COUNT(*) FROM group_permissions gp JOIN auth_groups g ON g.id = gp.group_id WHERE g.name = 'instructors'",
                    [],
                    |r| r.get(0),
                )?,
            ))
        })
        .unwrap();
    assert_eq!(
        count,
        (6 + 5 + 1) * 4,
        "catalog, accounts and learning models, and the admin log"
    );
    assert_eq!(instructors, 8);
}

#[tokio::test]
async fn instructors_change_only_their_own_courses() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute("INSERT INTO user_groups (user_id, group_id) SELECT ?1, id FROM auth_groups WHERE name = 'instructors'", [ids.kim])?;
        Ok(())
    });
    let kim = user(&app, ids.kim);
    assert!(
        can(&app, &kim, Action::Change, Some(ids.growth)),
        "kim teaches growth"
    );
    assert!(
        !can(&app, &kim, Action::Change, Some(ids.pitch)),
        "lee teaches pitch"
    );
    assert!(
        can(&app, &kim, Action::Add, None),
        "instructors may add courses"
    );
    assert!(!can(&app, &kim, Action::Delete, Some(ids.pitch)));
    let lee = user(&app, ids.lee);
    assert!(
        !can(&app, &lee, Action::Change, Some(ids.pitch)),
        "not an instructor: no permission at all"
    );
}

#[tokio::test]
async fn staff_with_the_permission_act_on_any_course_and_superusers_on_everything() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute("UPDATE users SET is_staff = 1 WHERE id = ?1", [ids.lee])?;
        tx.execute("INSERT INTO users (email, display_name, password_hash, is_superuser, is_staff) VALUES ('root@x.kr', 'root', '!', 1, 1)", [])?;
        Ok(())
    });
    let lee = user(&app, ids.lee);
    assert!(
        !can(&app, &lee, Action::Change, Some(ids.growth)),
        "staff without the permission"
    );
    app.db()
        .write(|tx| perms::grant(tx, ids.lee, "catalog.change_course"))
        .unwrap();
    assert!(
        can(&app, &lee, Action::Change, Some(ids.growth)),
        "staff with it: any course"
    );
    assert!(
        !can(&app, &lee, Action::Delete, Some(ids.growth)),
        "only what was granted"
    );
    let root_id: i64 = app
        .db()
        .read(|c| -> Result<i64, AccountError> {
            Ok(
                c.query_row("SELECT id FROM users WHERE email = 'root@x.kr'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    let root = user(&app, root_id);
    assert!(can(&app, &root, Action::Delete, Some(ids.pitch)));
    assert!(app
        .db()
        .read(|c| perms::has_perm(c, &root, "accounts.delete_user"))
        .unwrap());
    app.exec(|tx| {
        tx.execute("UPDATE users SET is_active = 0 WHERE id = ?1", [root_id])?;
        Ok(())
    });
    let root = user(&app, root_id);
    assert!(
        !can(&app, &root, Action::View, None),
        "inactive users hold nothing"
    );
}

#[tokio::test]
async fn staff_instructors_are_still_limited_to_their_own_courses() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute("UPDATE users SET is_staff = 1 WHERE id = ?1", [ids.kim])?;
        tx.execute(
            "INSERT INTO user_groups (user_id, group_id) SELECT ?1, id FROM auth_groups WHERE name = 'instructors'",
            [ids.kim],
        )?;
        Ok(())
    });
    let kim = user(&app, ids.kim);
    assert!(can(&app, &kim, Action::Change, Some(ids.growth)), "her own");
    assert!(
        !can(&app, &kim, Action::Change, Some(ids.pitch)),
        "being staff does not lift the instructor rule"
    );
}
