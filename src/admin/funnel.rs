//! How far learners get, per course: the completion funnel (enrolled → started → halfway →
//! completed) of the most-enrolled courses, and one course's drop-off — how many learners have
//! completed at least k lessons, for every k. Each number is a range over
//! `enrollments (course_id, completed_lessons)` (migration 14), so the cost follows one course's
//! enrolments, never the table. An instructor (`owner`) sees only their own courses.

use rusqlite::{params, Connection, OptionalExtension};

/// Courses in the funnel.
pub const FUNNEL_COURSES: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Funnel {
    pub course_id: i64,
    pub title: String,
    pub lessons: i64,
    pub enrolled: i64,
    /// At least one lesson completed.
    pub started: i64,
    /// At least half of the lessons completed.
    pub halfway: i64,
    /// Every lesson completed.
    pub completed: i64,
}

/// One course's drop-off: `remaining[k - 1]` learners completed at least k lessons.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DropOff {
    pub course_id: i64,
    pub title: String,
    pub enrolled: i64,
    pub remaining: Vec<i64>,
}

fn at_least(conn: &Connection, course: i64, lessons: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM enrollments WHERE course_id = ?1 AND completed_lessons >= ?2",
    )?
    .query_row(params![course, lessons], |r| r.get(0))
}

/// The funnels of the most-enrolled courses (of `owner`'s, for an instructor).
pub fn funnels(conn: &Connection, owner: Option<i64>) -> rusqlite::Result<Vec<Funnel>> {
    let courses: Vec<(i64, String, i64, i64)> = conn
        .prepare_cached(&format!(
            "SELECT id, title, lesson_count, enrollment_count FROM courses \
             WHERE (?1 IS NULL OR instructor_id = ?1) AND enrollment_count > 0 \
             ORDER BY enrollment_count DESC, id LIMIT {FUNNEL_COURSES}"
        ))?
        .query_map([owner], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    courses
        .into_iter()
        .map(|(course_id, title, lessons, enrolled)| {
            let done = lessons.max(1);
            Ok(Funnel {
                started: at_least(conn, course_id, 1)?,
                halfway: at_least(conn, course_id, (done + 1) / 2)?,
                completed: at_least(conn, course_id, done)?,
                course_id,
                title,
                lessons,
                enrolled,
            })
        })
        .collect()
}

/// The drop-off of `course` (when `owner` may see it).
pub fn drop_off(
    conn: &Connection,
    course: i64,
    owner: Option<i64>,
) -> rusqlite::Result<Option<DropOff>> {
    let Some((title, lessons, enrolled)) = conn
        .prepare_cached(
            "SELECT title, lesson_count, enrollment_count FROM courses \
             WHERE id = ?1 AND (?2 IS NULL OR instructor_id = ?2)",
        )?
        .query_row(params![course, owner], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    // Learners per number of lessons completed, then summed from the end: at least k.
    let mut per_count = vec![0i64; lessons.max(0) as usize + 1];
    let mut stmt = conn.prepare_cached(
        "SELECT completed_lessons, COUNT(*) FROM enrollments \
         WHERE course_id = ?1 AND completed_lessons > 0 GROUP BY completed_lessons",
    )?;
    let rows = stmt.query_map([course], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (done, n) = row?;
        let slot = (done.max(0) as usize).min(per_count.len() - 1);
        per_count[slot] += n;
    }
    let mut remaining = vec![0i64; lessons.max(0) as usize];
    let mut running = 0;
    for k in (1..per_count.len()).rev() {
        running += per_count[k];
        remaining[k - 1] = running;
    }
    Ok(Some(DropOff {
        course_id: course,
        title,
        enrolled,
        remaining,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        crate::textsearch::register_sql_functions(&conn).unwrap();
        crate::db::migrate::apply_up_to(&conn, crate::db::migrate::latest_version()).unwrap();
        conn.execute_batch(
            "INSERT INTO users (id, email, display_name, password_hash) VALUES (1, 't@x.kr', '강사', '!');
             INSERT INTO categories (id, slug, name, name_en) VALUES (1, 'c', '분야', 'Field');
             INSERT INTO courses (id, slug, title, category_id, level, instructor_id, status, published_at) VALUES
               (1, 'a', '가', 1, 'beginner', 1, 'published', '2026-01-01T00:00:00Z');
             INSERT INTO lessons (course_id, position, title) VALUES (1, 1, 'l1'), (1, 2, 'l2'), (1, 3, 'l3'), (1, 4, 'l4');",
        )
        .unwrap();
        for (user, done) in [(10, 0), (11, 1), (12, 2), (13, 4), (14, 4)] {
            conn.execute(
                "INSERT INTO users (id, email, display_name, password_hash) VALUES (?1, ?1 || '@x.kr', 'u', '!')",
                [user],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO enrollments (user_id, course_id) VALUES (?1, 1)",
                [user],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO lesson_progress (user_id, lesson_id, course_id) \
                 SELECT ?1, id, 1 FROM lessons WHERE course_id = 1 AND position <= ?2",
                [user, done],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn the_funnel_and_the_drop_off_count_learners_by_lessons_completed() {
        let conn = db();
        let f = funnels(&conn, None).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].enrolled, f[0].started, f[0].halfway, f[0].completed),
            (5, 4, 3, 2)
        );
        let d = drop_off(&conn, 1, None).unwrap().unwrap();
        assert_eq!(d.remaining, vec![4, 3, 2, 2]);
        assert!(
            funnels(&conn, Some(999)).unwrap().is_empty(),
            "another instructor's"
        );
        assert!(drop_off(&conn, 1, Some(999)).unwrap().is_none());
    }

    #[test]
    fn each_count_is_a_range_inside_the_index() {
        let conn = db();
        for sql in [
            "SELECT COUNT(*) FROM enrollments WHERE course_id = 1 AND completed_lessons >= 2",
            "SELECT completed_lessons, COUNT(*) FROM enrollments WHERE course_id = 1 AND completed_lessons > 0 GROUP BY completed_lessons",
        ] {
            let plan: String = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
                .join("; ");
            assert!(
                plan.contains("COVERING INDEX enrollments_course_progress"),
                "{sql}: {plan}"
            );
        }
    }
}
