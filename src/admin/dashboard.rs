//! The dashboard's numbers: sign-ups, enrolments, completions (certificates issued) and active
//! learners (anyone who completed a lesson) today and over the last 30 days, each beside the 30
//! days before for its trend; enrolments per day for the chart; and the queues an operator acts
//! on — unanswered questions oldest first, new reviews, draft courses. Days are local days in
//! `i18n.time_zone`. An instructor (`owner`) gets the same for their own courses only (no
//! sign-ups: they are not about a course). Every number is one query over an index range
//! (migration 10 adds the ones missing); nothing here knows about HTTP.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

/// Days in the long window (and in the chart).
pub const DAYS: i64 = 30;
/// Rows per to-do queue.
pub const QUEUE: i64 = 8;
/// A review is "new" for this many days.
pub const NEW_REVIEW_DAYS: i64 = 7;

/// Window bounds as stored UTC text: [today, now), [30 days, now), [60 days, 30 days), and the
/// first instant of each of the 30 local days.
#[derive(Debug, Clone)]
pub struct Windows {
    pub today: String,
    pub month: String,
    pub previous: String,
    pub days: Vec<(String, String)>,
    pub new_reviews: String,
}

fn utc_text(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Windows {
    /// The windows around `now` in `zone`: local midnights, so "today" is a Korean day.
    pub fn at(now: Timestamp, zone: &TimeZone) -> Windows {
        let local = now.to_zoned_datetime(zone.clone());
        let midnight = local.start_of_day().unwrap_or(local.clone());
        let back = |days: i64| {
            midnight
                .checked_sub(days.days())
                .map(|z| z.timestamp())
                .unwrap_or(now)
        };
        let days = (0..DAYS)
            .rev()
            .map(|d| {
                let start = back(d);
                let label = start
                    .to_zoned_datetime(zone.clone())
                    .strftime("%Y-%m-%d")
                    .to_string();
                (label, utc_text(start))
            })
            .collect();
        Windows {
            today: utc_text(midnight.timestamp()),
            month: utc_text(back(DAYS - 1)),
            previous: utc_text(back(2 * DAYS - 1)),
            days,
            new_reviews: utc_text(now - (NEW_REVIEW_DAYS * 24).hours()),
        }
    }
}

/// One number in three windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Metric {
    pub today: i64,
    pub month: i64,
    pub previous: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueItem {
    pub id: i64,
    pub title: String,
    pub course: String,
    pub at: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Dashboard {
    /// `None` for instructors.
    pub signups: Option<Metric>,
    pub enrollments: Metric,
    pub completions: Metric,
    pub active: Metric,
    /// (local day, enrolments), oldest first.
    pub per_day: Vec<(String, i64)>,
    pub unanswered: Vec<QueueItem>,
    pub unanswered_count: i64,
    pub new_reviews: Vec<QueueItem>,
    pub drafts: Vec<QueueItem>,
}

/// `AND <column> IN (own courses)` and its parameter, or nothing.
fn scope(column: &str, owner: Option<i64>) -> (String, Vec<Value>) {
    match owner {
        Some(user) => (
            format!(" AND {column} IN (SELECT id FROM courses WHERE instructor_id = ?)"),
            vec![Value::Integer(user)],
        ),
        None => (String::new(), Vec::new()),
    }
}

/// COUNT over `[from, to)` of `time` in `from_sql` (a `FROM … WHERE 1` fragment).
fn count(
    conn: &Connection,
    select: &str,
    time: &str,
    from: &str,
    to: Option<&str>,
    (clause, params): &(String, Vec<Value>),
) -> rusqlite::Result<i64> {
    let mut p: Vec<Value> = vec![Value::Text(from.to_owned())];
    let upper = match to {
        Some(t) => {
            p.push(Value::Text(t.to_owned()));
            format!(" AND {time} < ?")
        }
        None => String::new(),
    };
    p.extend(params.iter().cloned());
    conn.prepare_cached(&format!("{select} AND {time} >= ?{upper}{clause}"))?
        .query_row(params_from_iter(p), |r| r.get(0))
}

fn metric(
    conn: &Connection,
    w: &Windows,
    select: &str,
    time: &str,
    scoped: &(String, Vec<Value>),
) -> rusqlite::Result<Metric> {
    Ok(Metric {
        today: count(conn, select, time, &w.today, None, scoped)?,
        month: count(conn, select, time, &w.month, None, scoped)?,
        previous: count(conn, select, time, &w.previous, Some(&w.month), scoped)?,
    })
}

fn queue(conn: &Connection, sql: &str, params: Vec<Value>) -> rusqlite::Result<Vec<QueueItem>> {
    conn.prepare_cached(sql)?
        .query_map(params_from_iter(params), |r| {
            Ok(QueueItem {
                id: r.get(0)?,
                title: r.get(1)?,
                course: r.get(2)?,
                at: r.get(3)?,
            })
        })?
        .collect()
}

pub fn load(conn: &Connection, w: &Windows, owner: Option<i64>) -> rusqlite::Result<Dashboard> {
    let signups = match owner {
        Some(_) => None,
        None => Some(metric(
            conn,
            w,
            "SELECT COUNT(*) FROM users WHERE 1",
            "created_at",
            &(String::new(), Vec::new()),
        )?),
    };
    let enrollments = metric(
        conn,
        w,
        "SELECT COUNT(*) FROM enrollments WHERE 1",
        "created_at",
        &scope("course_id", owner),
    )?;
    let completions = metric(
        conn,
        w,
        "SELECT COUNT(*) FROM certificates WHERE 1",
        "issued_at",
        &scope("course_id", owner),
    )?;
    let active = metric(
        conn,
        w,
        "SELECT COUNT(DISTINCT user_id) FROM lesson_progress WHERE 1",
        "completed_at",
        &scope("course_id", owner),
    )?;
    // Enrolments per local day: one range scan grouped in SQLite by whole days since the
    // window's first local midnight (exact where days are 24 hours, as in Korea).
    let (clause, mut params) = scope("course_id", owner);
    let mut p = vec![Value::Text(w.month.clone())];
    p.append(&mut params);
    let mut per_day: Vec<(String, i64)> = w.days.iter().map(|(d, _)| (d.clone(), 0)).collect();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT (unixepoch(created_at) - unixepoch(?1)) / 86400 AS d, COUNT(*) \
         FROM enrollments WHERE created_at >= ?1{clause} GROUP BY d"
    ))?;
    let rows = stmt.query_map(params_from_iter(p), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (day, n) = row?;
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| per_day.get_mut(d)) {
            slot.1 += n;
        }
    }
    let (clause, params) = scope("q.course_id", owner);
    let unanswered = queue(
        conn,
        &format!(
            "SELECT q.id, q.title, c.title, q.created_at FROM questions q \
             JOIN courses c ON c.id = q.course_id \
             WHERE q.answer_count = 0 AND q.is_hidden = 0{clause} \
             ORDER BY q.created_at, q.id LIMIT {QUEUE}"
        ),
        params.clone(),
    )?;
    let unanswered_count: i64 = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM questions q WHERE q.answer_count = 0 AND q.is_hidden = 0{clause}"
        ))?
        .query_row(params_from_iter(params), |r| r.get(0))?;
    let (clause, mut params) = scope("r.course_id", owner);
    params.insert(0, Value::Text(w.new_reviews.clone()));
    let new_reviews = queue(
        conn,
        &format!(
            "SELECT r.id, r.rating || '★ ' || substr(r.body, 1, 60), c.title, r.created_at \
             FROM reviews r JOIN courses c ON c.id = r.course_id \
             WHERE r.created_at >= ?{clause} ORDER BY r.id DESC LIMIT {QUEUE}"
        ),
        params,
    )?;
    let (clause, params) = scope("c.id", owner);
    let drafts = queue(
        conn,
        &format!(
            "SELECT c.id, c.title, c.slug, c.updated_at FROM courses c \
             WHERE c.status = 'draft'{clause} ORDER BY c.updated_at DESC LIMIT {QUEUE}"
        ),
        params,
    )?;
    Ok(Dashboard {
        signups,
        enrollments,
        completions,
        active,
        per_day,
        unanswered,
        unanswered_count,
        new_reviews,
        drafts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_korean_day() {
        let seoul = TimeZone::get("Asia/Seoul").unwrap();
        // 00:30 KST on 12-04 is 15:30 UTC on 12-03; the Korean day began at 15:00 UTC.
        let now: Timestamp = "2026-12-03T15:30:00Z".parse().unwrap();
        let w = Windows::at(now, &seoul);
        assert_eq!(w.today, "2026-12-03T15:00:00Z");
        assert_eq!(w.days.last().unwrap().0, "2026-12-04");
        assert_eq!(w.days.len(), DAYS as usize);
        assert_eq!(w.days[0].1, w.month);
        assert_eq!(w.month, "2026-11-04T15:00:00Z");
    }
}
