//! Enrolling in and leaving published courses, and a learner's list of courses with progress
//! ("My courses"): one query whatever the page size, with the next unfinished lesson computed
//! in the same statement. Leaving archives the enrollment (`archived_at`): progress and
//! certificate stay, My courses and the course's learner count leave it out, and enrolling
//! again restores it as it was. Only `progress::forget` deletes progress.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::{check_page, CourseRef, LearningError, Paged};
use crate::catalog::{summary_from_row, CourseSummary, SUMMARY_COLUMNS};
use crate::paging::Paging;

/// Enrolls the user, or restores an enrollment they left (with its progress); `Ok(true)` when
/// they were not enrolled before, `Ok(false)` when already enrolled (idempotent).
pub fn enroll(conn: &Connection, user_id: i64, course: &CourseRef) -> Result<bool, LearningError> {
    if !course.is_published() {
        return Err(LearningError::forbidden(
            "not_published",
            "Only published courses take enrollments.",
        ));
    }
    let changed = conn
        .prepare_cached(
            "INSERT INTO enrollments (user_id, course_id) VALUES (?1, ?2) \
             ON CONFLICT (user_id, course_id) DO UPDATE SET archived_at = NULL \
             WHERE archived_at IS NOT NULL",
        )?
        .execute(params![user_id, course.id])?;
    Ok(changed > 0)
}

/// Leaves the course: the enrollment is archived, its progress and certificate kept; `false`
/// when the user was not enrolled (or had already left).
pub fn leave(conn: &Connection, user_id: i64, course_id: i64) -> Result<bool, LearningError> {
    Ok(conn
        .prepare_cached(
            "UPDATE enrollments SET archived_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE user_id = ?1 AND course_id = ?2 AND archived_at IS NULL",
        )?
        .execute(params![user_id, course_id])?
        > 0)
}

/// One course in "My courses".
#[derive(Debug, Clone, Serialize)]
pub struct MyCourse {
    pub course: CourseSummary,
    pub enrolled_at: String,
    pub completed_lessons: i64,
    pub progress_percent: i64,
    pub completed_at: Option<String>,
    /// The first lesson not yet completed ("continue where you left off"); `None` when done.
    pub next_lesson_position: Option<i64>,
    pub certificate_code: Option<String>,
}

pub fn percent(done: i64, total: i64) -> i64 {
    if total <= 0 {
        0
    } else {
        (done * 100 / total).min(100)
    }
}

pub fn my_courses(
    conn: &Connection,
    user_id: i64,
    paging: Paging,
) -> Result<Paged<MyCourse>, LearningError> {
    let count: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM enrollments WHERE user_id = ?1 AND archived_at IS NULL",
        )?
        .query_row([user_id], |r| r.get(0))?;
    check_page(paging.page, paging.size, count)?;
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, e.created_at, e.completed_lessons, e.completed_at,
            (SELECT MIN(l.position) FROM lessons l WHERE l.course_id = c.id
               AND NOT EXISTS (SELECT 1 FROM lesson_progress p WHERE p.user_id = e.user_id AND p.lesson_id = l.id)),
            (SELECT code FROM certificates k WHERE k.user_id = e.user_id AND k.course_id = c.id)
         FROM enrollments e JOIN courses c ON c.id = e.course_id
         JOIN categories cat ON cat.id = c.category_id JOIN users u ON u.id = c.instructor_id
         WHERE e.user_id = ?1 AND e.archived_at IS NULL ORDER BY e.created_at DESC, e.id DESC {}",
        paging.limit_offset_sql()
    );
    let results = conn
        .prepare_cached(&sql)?
        .query_map(params![user_id, paging.offset()], |r| {
            let course = summary_from_row(r)?;
            // The columns after SUMMARY_COLUMNS (0..=16).
            let done: i64 = r.get(18)?;
            Ok(MyCourse {
                progress_percent: percent(done, course.lesson_count),
                course,
                enrolled_at: r.get(17)?,
                completed_lessons: done,
                completed_at: r.get(19)?,
                next_lesson_position: r.get(20)?,
                certificate_code: r.get(21)?,
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

/// One published course to take after finishing `course_id`: the most popular one in the same
/// category that the learner has never enrolled in, else the most popular elsewhere; `None`
/// when they have taken every course.
pub fn suggest_next(
    conn: &Connection,
    user_id: i64,
    course_id: i64,
) -> Result<Option<CourseSummary>, LearningError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM courses c
         JOIN categories cat ON cat.id = c.category_id JOIN users u ON u.id = c.instructor_id
         WHERE c.status = 'published' AND c.id <> ?2
           AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.user_id = ?1 AND e.course_id = c.id)
         ORDER BY c.category_id = (SELECT category_id FROM courses WHERE id = ?2) DESC,
                  c.enrollment_count DESC, c.id DESC
         LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![user_id, course_id], summary_from_row)
        .optional()?)
}
