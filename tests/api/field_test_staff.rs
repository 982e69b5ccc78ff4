//! Issue 12, finding 1 replayed from outside: a staff user holding some `accounts.*_user`
//! permissions attacks other accounts through every admin surface (change form, bulk actions,
//! delete and its preview, the password form). The target-row rule
//! (`accounts::perms::may_manage_user`) refuses each attempt with 403, and the target's row,
//! its sessions and the mail log are exactly as before. The API has no route that changes
//! another user (`/api/v1/auth/me` is the caller's own); the CLI is operator-level (see
//! docs/RELIABILITY.md, "Threat model").

use crate::admin_support::{admin_login, grant, post, user_with_password};
use crate::browser::{login, PW};
use crate::helpers::{spawn_app, TestApp};

/// Everything an attack on an account could move: the row, its sessions, the mail log, and the
/// admin log.
fn snapshot(app: &TestApp, id: i64) -> String {
    app.db()
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row(
                "SELECT COALESCE((SELECT email || '|' || display_name || '|' || password_hash || '|' || \
                 is_active || is_staff || is_superuser || '|' || updated_at FROM users WHERE id = ?1), 'gone') \
                 || '|' || (SELECT COUNT(*) FROM sessions WHERE user_id = ?1) \
                 || '|' || (SELECT COUNT(*) FROM admin_log)",
                [id],
                |r| r.get(0),
            )?)
        })
        .unwrap()
        + &format!("|mails {}", app.state.mailer.outbox().len())
}

struct Cast {
    root: i64,
    /// Staff with more permissions than the attacker (view/change/delete users, change courses).
    senior: i64,
    /// Staff whose permissions are a subset of the attacker's.
    junior: i64,
    learner: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let root = user_with_password(app, "root@hancup.kr", true, true);
    let senior = user_with_password(app, "senior@hancup.kr", true, false);
    grant(
        app,
        senior,
        &[
            "accounts.view_user",
            "accounts.change_user",
            "accounts.delete_user",
            "catalog.change_course",
        ],
    );
    let junior = user_with_password(app, "junior@hancup.kr", true, false);
    grant(app, junior, &["accounts.view_user"]);
    let learner = user_with_password(app, "learner@hancup.kr", false, false);
    // Live sessions of the targets, which a refused attack must not end.
    for email in ["root@hancup.kr", "senior@hancup.kr"] {
        assert_eq!(login(&app.browser(), app, email, PW).await.status(), 303);
    }
    Cast {
        root,
        senior,
        junior,
        learner,
    }
}

#[tokio::test]
async fn staff_cannot_take_over_a_superuser_or_a_more_privileged_staff_member() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let attacker = user_with_password(&app, "attacker@hancup.kr", true, false);
    grant(
        &app,
        attacker,
        &[
            "accounts.view_user",
            "accounts.change_user",
            "accounts.delete_user",
        ],
    );
    let (client, resp) = admin_login(&app, "attacker@hancup.kr").await;
    assert_eq!(resp.status(), 303);
    let new_pw = "공격자가 정한 비밀번호 2026";
    let (root, senior) = (c.root.to_string(), c.senior.to_string());
    // (what the attacker does, target, path, form fields)
    type Attack<'a> = (&'a str, i64, String, Vec<(&'a str, &'a str)>);
    let attacks: Vec<Attack> = vec![
        (
            "change a superuser's e-mail",
            c.root,
            format!("/admin/user/{root}"),
            vec![
                ("email", "attacker+root@evil.example"),
                ("display_name", "운영자"),
                ("is_active", "on"),
            ],
        ),
        (
            "change a more privileged staff member's e-mail",
            c.senior,
            format!("/admin/user/{senior}"),
            vec![
                ("email", "attacker+senior@evil.example"),
                ("display_name", "운영자"),
                ("is_active", "on"),
            ],
        ),
        (
            "set a superuser's password",
            c.root,
            format!("/admin/user/{root}/password"),
            vec![("password1", new_pw), ("password2", new_pw)],
        ),
        (
            "set a more privileged staff member's password",
            c.senior,
            format!("/admin/user/{senior}/password"),
            vec![("password1", new_pw), ("password2", new_pw)],
        ),
        (
            "deactivate a superuser with a bulk action",
            c.root,
            "/admin/user".into(),
            vec![
                ("action", "deactivate"),
                ("_selected", &root),
                ("confirm", "yes"),
            ],
        ),
        (
            "deactivate staff with a bulk action",
            c.senior,
            "/admin/user".into(),
            vec![
                ("action", "deactivate"),
                ("_selected", &senior),
                ("confirm", "yes"),
            ],
        ),
        (
            "delete a superuser with the bulk delete",
            c.root,
            "/admin/user".into(),
            vec![
                ("action", "delete_selected"),
                ("_selected", &root),
                ("confirm", "yes"),
            ],
        ),
        (
            "delete a superuser from its delete page",
            c.root,
            format!("/admin/user/{root}/delete"),
            vec![],
        ),
        (
            "delete more privileged staff from its delete page",
            c.senior,
            format!("/admin/user/{senior}/delete"),
            vec![],
        ),
    ];
    for (what, target, path, fields) in attacks {
        let before = snapshot(&app, target);
        // The CSRF token of the session comes from a page the attacker may open.
        let (status, body, _) = post(&client, &app, "/admin", &path, &fields).await;
        assert_eq!(status, 403, "{what}: {body}");
        assert_eq!(snapshot(&app, target), before, "{what}: nothing changed");
    }
    // The pages that lead to those writes refuse too: no password form, no delete preview.
    for path in [
        format!("/admin/user/{root}/password"),
        format!("/admin/user/{root}/delete"),
        format!("/admin/user/{senior}/delete"),
    ] {
        let (status, _) = crate::browser::page(&client, &app, &path).await;
        assert_eq!(status, 403, "{path}");
    }

    // One refused row in a bulk action refuses the whole action: the learner selected with the
    // superuser stays active.
    let (learner, before) = (c.learner.to_string(), snapshot(&app, c.learner));
    let (status, _, _) = post(
        &client,
        &app,
        "/admin",
        "/admin/user",
        &[
            ("action", "deactivate"),
            ("_selected", &learner),
            ("_selected", &root),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(snapshot(&app, c.learner), before);

    // The rest of the attack: a reset link asked for the attacker's address mails nothing,
    // because no account has it.
    let mails = app.state.mailer.outbox().len();
    let (status, _, _) = post(
        &app.browser(),
        &app,
        "/accounts/password-reset",
        "/accounts/password-reset",
        &[("email", "attacker+root@evil.example")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(app.state.mailer.outbox().len(), mails);

    // The rule is about rows, not a blanket refusal: the same attacker still manages a learner
    // and a staff member whose permissions are a subset of theirs.
    let (status, body, _) = post(
        &client,
        &app,
        "/admin",
        &format!("/admin/user/{}", c.learner),
        &[
            ("email", "learner2@hancup.kr"),
            ("display_name", "학습자"),
            ("is_active", "on"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let (status, body, _) = post(
        &client,
        &app,
        "/admin",
        &format!("/admin/user/{}/password", c.junior),
        &[("password1", new_pw), ("password2", new_pw)],
    )
    .await;
    assert_eq!(status, 303, "{body}");
}

#[tokio::test]
async fn a_superuser_still_manages_superusers_and_staff() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    user_with_password(&app, "other-root@hancup.kr", true, true);
    let (client, _) = admin_login(&app, "other-root@hancup.kr").await;
    let new_pw = "최고 관리자가 정한 비밀번호 2026";
    for target in [c.root, c.senior] {
        let (status, body, _) = post(
            &client,
            &app,
            "/admin",
            &format!("/admin/user/{target}/password"),
            &[("password1", new_pw), ("password2", new_pw)],
        )
        .await;
        assert_eq!(status, 303, "{body}");
    }
    let (status, _, _) = post(
        &client,
        &app,
        "/admin",
        "/admin/user",
        &[
            ("action", "deactivate"),
            ("_selected", &c.root.to_string()),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        crate::admin_support::scalar(
            &app,
            &format!("SELECT is_active FROM users WHERE id = {}", c.root)
        ),
        0
    );
}
