//! Permissions, the one check every surface uses. A superuser may do everything; other users
//! hold per-model permissions (`<area>.<action>_<model>`, e.g. `catalog.change_course`)
//! directly or through groups, and object rules narrow them: a member of the group holding the
//! `instructors` role may change only the courses they teach. The rule follows the group's
//! `role` (fixed by migration 7, kept by triggers), never its name, which `change_group` edits.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::users::User;
use super::AccountError;

/// The role of the instructors' group (`auth_groups.role`).
pub const INSTRUCTORS: &str = "instructors";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    Add,
    Change,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Add => "add",
            Action::Change => "change",
            Action::Delete => "delete",
        }
    }
}

/// `catalog.change_course` for (`catalog`, Change, `course`).
pub fn codename(area: &str, action: Action, model: &str) -> String {
    format!("{area}.{}_{model}", action.as_str())
}

/// Whether the user holds `codename`, directly or through a group. Inactive users hold nothing.
pub fn has_perm(conn: &Connection, user: &User, codename: &str) -> Result<bool, AccountError> {
    if !user.is_active {
        return Ok(false);
    }
    if user.is_superuser {
        return Ok(true);
    }
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (
                SELECT 1 FROM user_permissions up JOIN permissions p ON p.id = up.permission_id
                WHERE up.user_id = ?1 AND p.codename = ?2
                UNION ALL
                SELECT 1 FROM user_groups ug
                JOIN group_permissions gp ON gp.group_id = ug.group_id
                JOIN permissions p ON p.id = gp.permission_id
                WHERE ug.user_id = ?1 AND p.codename = ?2)",
        )?
        .query_row(params![user.id, codename], |r| r.get(0))?)
}

/// Whether the user belongs to the group holding `role` (whatever that group is called now).
pub fn in_role(conn: &Connection, user_id: i64, role: &str) -> Result<bool, AccountError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM user_groups ug JOIN auth_groups g ON g.id = ug.group_id \
             WHERE ug.user_id = ?1 AND g.role = ?2)",
        )?
        .query_row(params![user_id, role], |r| r.get(0))?)
}

/// May `user` do `action` on the course `course_id` (`None`: on courses in general, e.g. add)?
/// Superusers and staff with the permission may act on any course; members of the instructors
/// group — staff or not — only on the courses they teach (the admin applies the same rule).
pub fn can_on_course(
    conn: &Connection,
    user: &User,
    action: Action,
    course_id: Option<i64>,
) -> Result<bool, AccountError> {
    if !has_perm(conn, user, &codename("catalog", action, "course"))? {
        return Ok(false);
    }
    if user.is_superuser {
        return Ok(true);
    }
    if user.is_staff && !in_role(conn, user.id, INSTRUCTORS)? {
        return Ok(true);
    }
    match course_id {
        None => Ok(true),
        Some(id) => Ok(conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM courses WHERE id = ?1 AND instructor_id = ?2)",
            )?
            .query_row(params![id, user.id], |r| r.get(0))?),
    }
}

/// The codenames `user_id` holds, directly or through a group (superuser status aside).
pub fn held_codenames(conn: &Connection, user_id: i64) -> Result<HashSet<String>, AccountError> {
    Ok(conn
        .prepare_cached(
            "SELECT p.codename FROM permissions p WHERE p.id IN (
                SELECT permission_id FROM user_permissions WHERE user_id = ?1
                UNION SELECT gp.permission_id FROM user_groups ug
                      JOIN group_permissions gp ON gp.group_id = ug.group_id WHERE ug.user_id = ?1)",
        )?
        .query_map([user_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// The target-row rule for accounts (Django's and every serious admin's): may `actor` change,
/// deactivate, delete or set the password of the user `target_id`? A model permission such as
/// `accounts.change_user` says *which kind* of row an actor may touch; this says *which row*.
///
/// - an active superuser may manage anyone;
/// - nobody else may manage a superuser (a changed e-mail or password is a superuser's account);
/// - a target holding permissions (staff, or a non-staff instructor holding catalog grants) may
///   be managed only by an actor whose effective permissions are a superset of the target's,
///   so nobody gains a permission by taking over an account that has it. Stricter than "staff
///   targets" alone: a non-staff user can hold grants that the API honours.
///
/// An unknown target is `Ok(true)`: the caller's own lookup answers 404.
pub fn may_manage_user(
    conn: &Connection,
    actor: &User,
    target_id: i64,
) -> Result<bool, AccountError> {
    if !actor.is_active {
        return Ok(false);
    }
    if actor.is_superuser {
        return Ok(true);
    }
    let target: Option<bool> = conn
        .prepare_cached("SELECT is_superuser FROM users WHERE id = ?1")?
        .query_row([target_id], |r| r.get(0))
        .optional()?;
    match target {
        None => Ok(true),
        Some(true) => Ok(false),
        Some(false) if target_id == actor.id => Ok(true),
        Some(false) => {
            let theirs = held_codenames(conn, target_id)?;
            if theirs.is_empty() {
                return Ok(true);
            }
            Ok(theirs.is_subset(&held_codenames(conn, actor.id)?))
        }
    }
}

/// Adds the user to the group holding `role`.
pub fn add_to_role(conn: &Connection, user_id: i64, role: &str) -> Result<(), AccountError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO user_groups (user_id, group_id) SELECT ?1, id FROM auth_groups WHERE role = ?2",
    )?
    .execute(params![user_id, role])?;
    Ok(())
}

pub fn grant(conn: &Connection, user_id: i64, codename: &str) -> Result<(), AccountError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO user_permissions (user_id, permission_id) SELECT ?1, id FROM permissions WHERE codename = ?2",
    )?
    .execute(params![user_id, codename])?;
    Ok(())
}
