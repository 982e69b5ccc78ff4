//! Reviews: an enrolled learner rates a course 1–5 with optional text, once (editable, deletable);
//! the course's rating sum and count are maintained by triggers, so lists show the average
//! without recounting.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::{check_page, is_enrolled, optional_text, CourseRef, LearningError, Paged};
use crate::accounts::User;
use crate::fields::{FieldError, FieldErrors};
use crate::paging::Paging;

pub const MAX_BODY: usize = 5_000;
/// The stars a review may give.
pub const RATINGS: std::ops::RangeInclusive<i64> = 1..=5;

#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub id: i64,
    pub rating: i64,
    pub body: String,
    pub author_id: i64,
    pub author_name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A rating from text or a number: a whole number 1–5.
pub fn parse_rating(value: Option<&str>) -> Result<i64, FieldError> {
    let text = value
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(FieldError::required)?;
    let n: i64 = text.parse().map_err(|_| FieldError::invalid_integer())?;
    if n < *RATINGS.start() {
        return Err(FieldError::min_value(*RATINGS.start()));
    }
    if n > *RATINGS.end() {
        return Err(FieldError::max_value(*RATINGS.end()));
    }
    Ok(n)
}

fn parse(rating: Option<&str>, body: Option<&str>) -> Result<(i64, String), LearningError> {
    let mut errors = FieldErrors::new();
    let rating = errors.take("rating", parse_rating(rating));
    let body = optional_text(&mut errors, "body", body, MAX_BODY);
    match (rating, body) {
        (Some(r), Some(b)) if errors.is_empty() => Ok((r, b)),
        _ => Err(LearningError::Invalid(errors)),
    }
}

pub fn list(
    conn: &Connection,
    course_id: i64,
    paging: Paging,
) -> Result<Paged<Review>, LearningError> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM reviews WHERE course_id = ?1")?
        .query_row([course_id], |r| r.get(0))?;
    check_page(paging.page, paging.size, count)?;
    let results = conn
        .prepare_cached(&format!(
            "SELECT r.id, r.rating, r.body, u.id, u.display_name, r.created_at, r.updated_at \
             FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.course_id = ?1 ORDER BY r.id DESC {}",
            paging.limit_offset_sql()
        ))?
        .query_map(params![course_id, paging.offset()], |r| {
            Ok(Review {
                id: r.get(0)?,
                rating: r.get(1)?,
                body: r.get(2)?,
                author_id: r.get(3)?,
                author_name: r.get(4)?,
                created_at: r.get(5)?,
                updated_at: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Paged {
        count,
        page: paging.page,
        page_size: paging.size,
        results,
    })
}

pub fn mine(conn: &Connection, user_id: i64, course_id: i64) -> Result<Option<i64>, LearningError> {
    Ok(conn
        .prepare_cached("SELECT id FROM reviews WHERE user_id = ?1 AND course_id = ?2")?
        .query_row([user_id, course_id], |r| r.get(0))
        .optional()?)
}

/// Creates the user's review; a second one is a conflict (edit the first instead).
pub fn create(
    conn: &Connection,
    user: &User,
    course: &CourseRef,
    rating: Option<&str>,
    body: Option<&str>,
) -> Result<i64, LearningError> {
    if !course.is_published() {
        return Err(LearningError::NotFound);
    }
    let (rating, body) = parse(rating, body)?;
    if !is_enrolled(conn, user.id, course.id)? {
        return Err(LearningError::forbidden(
            "enroll_to_review",
            "Enroll in this course to review it.",
        ));
    }
    if mine(conn, user.id, course.id)?.is_some() {
        return Err(LearningError::Conflict(FieldErrors::single(
            "non_field_errors",
            FieldError::new(
                "already_reviewed",
                "You have already reviewed this course; edit your review instead.",
            ),
        )));
    }
    conn.prepare_cached(
        "INSERT INTO reviews (course_id, user_id, rating, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![course.id, user.id, rating, body])?;
    Ok(conn.last_insert_rowid())
}

/// The review's course if `user` may change the review: 404 when it does not exist or its
/// course is not published (nothing of a draft course is shown to learners, its existence
/// included), 403 when it is someone else's. Every write (and a PATCH with an empty body)
/// passes here before anything else.
pub fn owned(conn: &Connection, user: &User, id: i64) -> Result<i64, LearningError> {
    let (author, course_id, published): (i64, i64, bool) = conn
        .prepare_cached(
            "SELECT r.user_id, r.course_id, c.status = 'published' \
             FROM reviews r JOIN courses c ON c.id = r.course_id WHERE r.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(LearningError::NotFound)?;
    if !published {
        return Err(LearningError::NotFound);
    }
    if author != user.id {
        return Err(LearningError::not_yours());
    }
    Ok(course_id)
}

pub fn update(
    conn: &Connection,
    user: &User,
    id: i64,
    rating: Option<&str>,
    body: Option<&str>,
) -> Result<(), LearningError> {
    owned(conn, user, id)?;
    let (rating, body) = parse(rating, body)?;
    conn.prepare_cached("UPDATE reviews SET rating = ?2, body = ?3, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1")?
        .execute(params![id, rating, body])?;
    Ok(())
}

pub fn delete(conn: &Connection, user: &User, id: i64) -> Result<(), LearningError> {
    owned(conn, user, id)?;
    conn.prepare_cached("DELETE FROM reviews WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn get(conn: &Connection, id: i64) -> Result<Review, LearningError> {
    conn.prepare_cached(
        "SELECT r.id, r.rating, r.body, u.id, u.display_name, r.created_at, r.updated_at \
         FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.id = ?1",
    )?
    .query_row([id], |r| {
        Ok(Review {
            id: r.get(0)?,
            rating: r.get(1)?,
            body: r.get(2)?,
            author_id: r.get(3)?,
            author_name: r.get(4)?,
            created_at: r.get(5)?,
            updated_at: r.get(6)?,
        })
    })
    .optional()?
    .ok_or(LearningError::NotFound)
}

/// The slug of the course a review belongs to (for redirects after changing it).
pub fn course_slug_of(conn: &Connection, id: i64) -> Result<String, LearningError> {
    conn.prepare_cached(
        "SELECT c.slug FROM reviews r JOIN courses c ON c.id = r.course_id WHERE r.id = ?1",
    )?
    .query_row([id], |r| r.get(0))
    .optional()?
    .ok_or(LearningError::NotFound)
}
