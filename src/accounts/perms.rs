//! Permissions, the one check every surface uses. A superuser may do everything; other users
//! hold per-model permissions (`<area>.<action>_<model>`, e.g. `catalog.change_course`)
//! directly or through groups, and object rules narrow them: a member of the `instructors` group
//! who is not staff may change only the courses they teach.

use rusqlite::{params, Connection};

use super::users::User;
use super::AccountError;

pub const INSTRUCTORS_GROUP: &str = "instructors";

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

pub fn in_group(conn: &Connection, user_id: i64, group: &str) -> Result<bool, AccountError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM user_groups ug JOIN auth_groups g ON g.id = ug.group_id \
             WHERE ug.user_id = ?1 AND g.name = ?2)",
        )?
        .query_row(params![user_id, group], |r| r.get(0))?)
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
    if user.is_staff && !in_group(conn, user.id, INSTRUCTORS_GROUP)? {
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

pub fn add_to_group(conn: &Connection, user_id: i64, group: &str) -> Result<(), AccountError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO user_groups (user_id, group_id) SELECT ?1, id FROM auth_groups WHERE name = ?2",
    )?
    .execute(params![user_id, group])?;
    Ok(())
}

pub fn grant(conn: &Connection, user_id: i64, codename: &str) -> Result<(), AccountError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO user_permissions (user_id, permission_id) SELECT ?1, id FROM permissions WHERE codename = ?2",
    )?
    .execute(params![user_id, codename])?;
    Ok(())
}
