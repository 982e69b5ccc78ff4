//! Progress through a course: marking lessons complete (idempotent), the course's percentage,
//! and completion — when every lesson is done the enrollment gets its completion date and the
//! learner a certificate with an unguessable code that anyone can verify.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::enrollment::percent;
use super::{is_enrolled, CourseRef, LearningError};
use crate::accounts::keys::random_token;

#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub enrolled: bool,
    pub completed_lessons: i64,
    pub lesson_count: i64,
    pub progress_percent: i64,
    pub completed_at: Option<String>,
    /// Positions of the lessons done, for checkmarks.
    pub completed_positions: Vec<i64>,
    pub next_lesson_position: Option<i64>,
    pub certificate_code: Option<String>,
}

pub fn progress(
    conn: &Connection,
    user_id: i64,
    course: &CourseRef,
) -> Result<Progress, LearningError> {
    let enrollment: Option<(i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT completed_lessons, completed_at FROM enrollments \
             WHERE user_id = ?1 AND course_id = ?2 AND archived_at IS NULL",
        )?
        .query_row(params![user_id, course.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((done, completed_at)) = enrollment else {
        return Ok(Progress {
            enrolled: false,
            completed_lessons: 0,
            lesson_count: course.lesson_count,
            progress_percent: 0,
            completed_at: None,
            completed_positions: Vec::new(),
            next_lesson_position: None,
            certificate_code: None,
        });
    };
    let completed_positions: Vec<i64> = conn
        .prepare_cached(
            "SELECT l.position FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id \
             WHERE p.user_id = ?1 AND p.course_id = ?2 ORDER BY l.position",
        )?
        .query_map(params![user_id, course.id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let next: Option<i64> = conn
        .prepare_cached(
            "SELECT MIN(l.position) FROM lessons l WHERE l.course_id = ?2 AND NOT EXISTS \
             (SELECT 1 FROM lesson_progress p WHERE p.user_id = ?1 AND p.lesson_id = l.id)",
        )?
        .query_row(params![user_id, course.id], |r| r.get(0))?;
    let certificate_code: Option<String> = conn
        .prepare_cached("SELECT code FROM certificates WHERE user_id = ?1 AND course_id = ?2")?
        .query_row(params![user_id, course.id], |r| r.get(0))
        .optional()?;
    Ok(Progress {
        enrolled: true,
        completed_lessons: done,
        lesson_count: course.lesson_count,
        progress_percent: percent(done, course.lesson_count),
        completed_at,
        completed_positions,
        next_lesson_position: next,
        certificate_code,
    })
}

/// Marks the lesson at `position` complete (again is fine) and completes the course when it was
/// the last one. Runs in the caller's write transaction.
pub fn mark_complete(
    conn: &Connection,
    user_id: i64,
    course: &CourseRef,
    position: i64,
) -> Result<Progress, LearningError> {
    if !is_enrolled(conn, user_id, course.id)? {
        return Err(LearningError::not_enrolled());
    }
    let lesson_id: i64 = conn
        .prepare_cached("SELECT id FROM lessons WHERE course_id = ?1 AND position = ?2")?
        .query_row(params![course.id, position], |r| r.get(0))
        .optional()?
        .ok_or(LearningError::NotFound)?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO lesson_progress (user_id, lesson_id, course_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![user_id, lesson_id, course.id])?;
    conn.prepare_cached(
        "UPDATE enrollments SET last_lesson_id = ?3 WHERE user_id = ?1 AND course_id = ?2",
    )?
    .execute(params![user_id, course.id, lesson_id])?;
    let done: i64 = conn
        .prepare_cached(
            "SELECT completed_lessons FROM enrollments WHERE user_id = ?1 AND course_id = ?2",
        )?
        .query_row(params![user_id, course.id], |r| r.get(0))?;
    if done >= course.lesson_count && course.lesson_count > 0 {
        complete_course(conn, user_id, course)?;
    }
    progress(conn, user_id, course)
}

/// Marks a lesson not done; a course already completed stays completed.
pub fn mark_incomplete(
    conn: &Connection,
    user_id: i64,
    course: &CourseRef,
    position: i64,
) -> Result<Progress, LearningError> {
    if !is_enrolled(conn, user_id, course.id)? {
        return Err(LearningError::not_enrolled());
    }
    let affected = conn
        .prepare_cached(
            "DELETE FROM lesson_progress WHERE user_id = ?1 AND lesson_id = \
             (SELECT id FROM lessons WHERE course_id = ?2 AND position = ?3)",
        )?
        .execute(params![user_id, course.id, position])?;
    let exists: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM lessons WHERE course_id = ?1 AND position = ?2)",
        )?
        .query_row(params![course.id, position], |r| r.get(0))?;
    if affected == 0 && !exists {
        return Err(LearningError::NotFound);
    }
    progress(conn, user_id, course)
}

fn complete_course(
    conn: &Connection,
    user_id: i64,
    course: &CourseRef,
) -> Result<(), LearningError> {
    conn.prepare_cached(
        "UPDATE enrollments SET completed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
         WHERE user_id = ?1 AND course_id = ?2 AND completed_at IS NULL",
    )?
    .execute(params![user_id, course.id])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name) \
         SELECT ?1, u.id, c.id, u.display_name, c.title, i.display_name \
         FROM users u, courses c JOIN users i ON i.id = c.instructor_id WHERE u.id = ?2 AND c.id = ?3",
    )?
    .execute(params![random_token(16), user_id, course.id])?;
    Ok(())
}

/// How many lesson records the learner has in the course (what [`forget`] would delete).
pub fn recorded_lessons(
    conn: &Connection,
    user_id: i64,
    course_id: i64,
) -> Result<i64, LearningError> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM lesson_progress WHERE user_id = ?1 AND course_id = ?2",
        )?
        .query_row(params![user_id, course_id], |r| r.get(0))?)
}

/// Deletes the learner's progress in the course — every lesson record, the completion date and
/// the last lesson — and answers how many records went. The enrollment (current or left) stays,
/// and so does a certificate already issued: it records a fact. The one way progress is ever
/// deleted; surfaces call it only after the learner confirmed the count.
pub fn forget(conn: &Connection, user_id: i64, course: &CourseRef) -> Result<i64, LearningError> {
    let has_enrollment: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM enrollments WHERE user_id = ?1 AND course_id = ?2)",
        )?
        .query_row(params![user_id, course.id], |r| r.get(0))?;
    if !has_enrollment {
        return Err(LearningError::not_enrolled());
    }
    let deleted = conn
        .prepare_cached("DELETE FROM lesson_progress WHERE user_id = ?1 AND course_id = ?2")?
        .execute(params![user_id, course.id])?;
    conn.prepare_cached(
        "UPDATE enrollments SET completed_at = NULL, last_lesson_id = NULL \
         WHERE user_id = ?1 AND course_id = ?2",
    )?
    .execute(params![user_id, course.id])?;
    Ok(deleted as i64)
}

/// A certificate as its public page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    pub code: String,
    pub learner_name: String,
    pub course_title: String,
    pub course_slug: String,
    pub instructor_name: String,
    pub issued_at: String,
}

pub fn certificate(conn: &Connection, code: &str) -> Result<Certificate, LearningError> {
    if code.len() > 64 {
        return Err(LearningError::NotFound);
    }
    conn.prepare_cached(
        "SELECT k.code, k.learner_name, k.course_title, c.slug, k.instructor_name, k.issued_at \
         FROM certificates k JOIN courses c ON c.id = k.course_id WHERE k.code = ?1",
    )?
    .query_row([code], |r| {
        Ok(Certificate {
            code: r.get(0)?,
            learner_name: r.get(1)?,
            course_title: r.get(2)?,
            course_slug: r.get(3)?,
            instructor_name: r.get(4)?,
            issued_at: r.get(5)?,
        })
    })
    .optional()?
    .ok_or(LearningError::NotFound)
}
