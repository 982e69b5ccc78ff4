//! Notices: site-wide (home page) and per course (course page, My courses), written by staff or
//! by the course's instructor; pinned first, then newest.

use rusqlite::{params, Connection};
use serde::Serialize;

use super::{may_change_course, optional_text, required_text, CourseRef, LearningError};
use crate::accounts::perms;
use crate::accounts::User;
use crate::fields::FieldErrors;
use crate::markdown;
use crate::paging::limit_sql;

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;
/// Most notices a list shows.
pub const LIST_LIMIT: i64 = 20;

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: i64,
    pub course_slug: Option<String>,
    pub course_title: Option<String>,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub is_pinned: bool,
    pub author_name: String,
    pub created_at: String,
}

const COLUMNS: &str =
    "n.id, c.slug, c.title, n.title, n.body, n.is_pinned, u.display_name, n.created_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notice> {
    let body: String = r.get(4)?;
    Ok(Notice {
        id: r.get(0)?,
        course_slug: r.get(1)?,
        course_title: r.get(2)?,
        title: r.get(3)?,
        body_html: markdown::to_safe_html(&body),
        body,
        is_pinned: r.get(5)?,
        author_name: r.get(6)?,
        created_at: r.get(7)?,
    })
}

/// One notice by id.
pub fn get(conn: &Connection, id: i64) -> Result<Notice, LearningError> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notices n JOIN users u ON u.id = n.author_id \
         LEFT JOIN courses c ON c.id = n.course_id WHERE n.id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()?
    .ok_or(LearningError::NotFound)
}

pub fn site_notices(conn: &Connection) -> Result<Vec<Notice>, LearningError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM notices n JOIN users u ON u.id = n.author_id LEFT JOIN courses c ON c.id = n.course_id \
             WHERE n.course_id IS NULL ORDER BY n.is_pinned DESC, n.id DESC {}",
            limit_sql(LIST_LIMIT)
        ))?
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

pub fn course_notices(conn: &Connection, course_id: i64) -> Result<Vec<Notice>, LearningError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM notices n JOIN users u ON u.id = n.author_id LEFT JOIN courses c ON c.id = n.course_id \
             WHERE n.course_id = ?1 ORDER BY n.is_pinned DESC, n.id DESC {}",
            limit_sql(LIST_LIMIT)
        ))?
        .query_map([course_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Notices of every course the user is enrolled in, for My courses.
pub fn my_course_notices(conn: &Connection, user_id: i64) -> Result<Vec<Notice>, LearningError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM notices n JOIN users u ON u.id = n.author_id JOIN courses c ON c.id = n.course_id \
             JOIN enrollments e ON e.course_id = n.course_id AND e.user_id = ?1 \
             AND e.archived_at IS NULL \
             ORDER BY n.is_pinned DESC, n.id DESC {}",
            limit_sql(LIST_LIMIT)
        ))?
        .query_map([user_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Posts a notice: on a course by its instructor or staff allowed to change it; site-wide by
/// staff holding `learning.add_notice` (superusers always).
pub fn post(
    conn: &Connection,
    user: &User,
    course: Option<&CourseRef>,
    title: Option<&str>,
    body: Option<&str>,
    pinned: bool,
) -> Result<i64, LearningError> {
    let allowed = match course {
        Some(c) => may_change_course(conn, user, c)?,
        None => user.is_staff && perms::has_perm(conn, user, "learning.add_notice")?,
    };
    if !allowed {
        return Err(LearningError::forbidden(
            "not_allowed",
            "Only staff or the course's instructor can post notices.",
        ));
    }
    let mut errors = FieldErrors::new();
    let title = required_text(&mut errors, "title", title, MAX_TITLE);
    let body = optional_text(&mut errors, "body", body, MAX_BODY);
    let (Some(title), Some(body)) = (title, body) else {
        return Err(LearningError::Invalid(errors));
    };
    conn.prepare_cached("INSERT INTO notices (course_id, author_id, title, body, is_pinned) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![course.map(|c| c.id), user.id, title, body, pinned])?;
    Ok(conn.last_insert_rowid())
}
