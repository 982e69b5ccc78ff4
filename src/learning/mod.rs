//! Learning: what a learner does with a course — enroll and leave (`enrollment`), study lessons
//! and track progress to a certificate (`lessons`, `progress`), ask and answer (`qa`), read
//! notices (`notices`), review (`reviews`) — and what an instructor does to their own courses
//! (`authoring`). Pages and API share every rule here; it knows nothing of HTTP.

pub mod authoring;
pub mod enrollment;
pub mod lessons;
pub mod notices;
pub mod progress;
pub mod qa;
pub mod reviews;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::accounts::perms::{self, Action};
use crate::accounts::{AccountError, User};
use crate::db::DbError;
use crate::fields::{FieldError, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum LearningError {
    #[error("not found")]
    NotFound,
    /// Not allowed; the message says why (in English; pages translate `code`).
    #[error("{message}")]
    Forbidden {
        code: &'static str,
        message: &'static str,
    },
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("conflict: {0}")]
    Conflict(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for LearningError {
    fn from(e: rusqlite::Error) -> Self {
        LearningError::Db(DbError::Sqlite(e))
    }
}

impl From<crate::catalog::CatalogError> for LearningError {
    fn from(e: crate::catalog::CatalogError) -> Self {
        match e {
            crate::catalog::CatalogError::Db(db) => LearningError::Db(db),
            crate::catalog::CatalogError::Invalid(f) => LearningError::Invalid(f),
            _ => LearningError::NotFound,
        }
    }
}

impl From<AccountError> for LearningError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Db(db) => LearningError::Db(db),
            AccountError::Invalid(f) => LearningError::Invalid(f),
            AccountError::Conflict(f) => LearningError::Conflict(f),
            AccountError::NotFound => LearningError::NotFound,
            AccountError::InvalidCredentials | AccountError::Inactive => {
                LearningError::forbidden("not_allowed", "This account may not do this.")
            }
            AccountError::Busy | AccountError::Throttled { .. } => {
                LearningError::Db(DbError::Unavailable("busy"))
            }
            AccountError::ProviderUnavailable => {
                LearningError::Db(DbError::Unavailable("sign-in provider"))
            }
        }
    }
}

impl LearningError {
    pub fn forbidden(code: &'static str, message: &'static str) -> LearningError {
        LearningError::Forbidden { code, message }
    }

    pub fn not_enrolled() -> LearningError {
        LearningError::forbidden("not_enrolled", "Enroll in this course to see this lesson.")
    }

    pub fn not_yours() -> LearningError {
        LearningError::forbidden("not_yours", "You can only change what you wrote.")
    }
}

/// The course facts rules need, looked up by slug.
#[derive(Debug, Clone, Serialize)]
pub struct CourseRef {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub status: String,
    pub instructor_id: i64,
    pub lesson_count: i64,
}

impl CourseRef {
    pub fn is_published(&self) -> bool {
        self.status == crate::vocab::CourseStatus::Published.as_str()
    }
}

pub fn course_by_slug(conn: &Connection, slug: &str) -> Result<Option<CourseRef>, LearningError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, slug, title, status, instructor_id, lesson_count FROM courses WHERE slug = ?1",
        )?
        .query_row([slug], |r| {
            Ok(CourseRef {
                id: r.get(0)?,
                slug: r.get(1)?,
                title: r.get(2)?,
                status: r.get(3)?,
                instructor_id: r.get(4)?,
                lesson_count: r.get(5)?,
            })
        })
        .optional()?)
}

/// A published course, or one the user may change (its instructor, staff with the permission).
pub fn visible_course(
    conn: &Connection,
    slug: &str,
    user: Option<&User>,
) -> Result<CourseRef, LearningError> {
    let course = course_by_slug(conn, slug)?.ok_or(LearningError::NotFound)?;
    if course.is_published() {
        return Ok(course);
    }
    match user {
        Some(u) if may_change_course(conn, u, &course)? => Ok(course),
        _ => Err(LearningError::NotFound),
    }
}

/// The course's instructor, or staff allowed to change any course.
pub fn may_change_course(
    conn: &Connection,
    user: &User,
    course: &CourseRef,
) -> Result<bool, LearningError> {
    if user.id == course.instructor_id && user.is_active {
        return Ok(true);
    }
    Ok(perms::can_on_course(
        conn,
        user,
        Action::Change,
        Some(course.id),
    )?)
}

/// Whether the user is enrolled now (an enrollment they left does not count).
pub fn is_enrolled(conn: &Connection, user_id: i64, course_id: i64) -> Result<bool, LearningError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM enrollments \
             WHERE user_id = ?1 AND course_id = ?2 AND archived_at IS NULL)",
        )?
        .query_row([user_id, course_id], |r| r.get(0))?)
}

/// Staff who may moderate (hide) posts anywhere.
pub fn is_moderator(conn: &Connection, user: &User) -> Result<bool, LearningError> {
    Ok(user.is_active
        && (user.is_superuser
            || (user.is_staff && perms::has_perm(conn, user, "learning.change_question")?)))
}

/// A required text field: trimmed, 1..=max characters, no NUL.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let text = value.map(str::trim).unwrap_or("");
    if text.is_empty() {
        errors.push(field, FieldError::required());
        return None;
    }
    optional_text(errors, field, Some(text), max)
}

/// An optional text field: ≤ max characters, no NUL; stored as typed (escaped or sanitised
/// when shown).
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let text = value.unwrap_or("").trim();
    if text.contains('\0') {
        errors.push(field, FieldError::null_character());
        return None;
    }
    if text.chars().count() > max {
        errors.push(field, FieldError::max_length(max));
        return None;
    }
    Some(text.to_owned())
}

/// A page of results with what DRF-style lists and page links need.
#[derive(Debug, Clone, Serialize)]
pub struct Paged<T> {
    pub count: i64,
    pub page: i64,
    pub page_size: i64,
    pub results: Vec<T>,
}

impl<T> Paged<T> {
    pub fn has_next(&self) -> bool {
        self.page * self.page_size < self.count
    }
    pub fn has_previous(&self) -> bool {
        self.page > 1
    }
}

/// Checks a page number against a count: page 1 always exists, later pages only when they hold
/// something.
pub fn check_page(page: i64, page_size: i64, count: i64) -> Result<(), LearningError> {
    if page > 1 && (page - 1) * page_size >= count {
        return Err(LearningError::NotFound);
    }
    Ok(())
}
