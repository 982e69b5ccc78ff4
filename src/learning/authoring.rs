//! Instructors author their own courses and lessons (staff any): create a draft, change it,
//! publish or archive it, add, change, delete and reorder lessons. Every input is checked field
//! by field before anything is written; the caller's transaction makes each change all or
//! nothing.

use rusqlite::{params, Connection, OptionalExtension};

use super::{course_by_slug, may_change_course, optional_text, CourseRef, LearningError};
use crate::accounts::perms::{self, Action};
use crate::accounts::User;
use crate::fields::{FieldError, FieldErrors};
use crate::vocab::{CourseStatus, LessonLength, Level, Slug, Title, VideoUrl};

pub const MAX_SLUG: usize = Slug::MAX;
pub const MAX_TITLE: usize = Title::MAX;
pub const MAX_SUMMARY: usize = 500;
pub const MAX_DESCRIPTION: usize = 50_000;
pub const MAX_LESSON_BODY: usize = 100_000;
pub const MAX_VIDEO_URL: usize = VideoUrl::MAX;
pub const MAX_DURATION: i64 = LessonLength::MAX;
pub const MAX_SECTION: usize = 100;

/// Course fields as sent; `None` leaves a field unchanged (required ones on create).
#[derive(Debug, Default, Clone)]
pub struct CourseInput {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub level: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct LessonInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub video_url: Option<String>,
    pub duration_seconds: Option<i64>,
    pub is_preview: Option<bool>,
    pub section: Option<String>,
}

fn parse_slug(errors: &mut FieldErrors, value: Option<&str>) -> Option<String> {
    errors
        .take("slug", Slug::parse(value.unwrap_or("")))
        .map(Slug::into_string)
}

fn parse_title(errors: &mut FieldErrors, value: Option<&str>) -> Option<String> {
    errors
        .take("title", Title::parse(value.unwrap_or("")))
        .map(Title::into_string)
}

fn category_id(
    conn: &Connection,
    errors: &mut FieldErrors,
    slug: &str,
) -> Result<Option<i64>, LearningError> {
    let id: Option<i64> = conn
        .prepare_cached("SELECT id FROM categories WHERE slug = ?1")?
        .query_row([slug], |r| r.get(0))
        .optional()?;
    if id.is_none() {
        errors.push("category", FieldError::invalid_choice());
    }
    Ok(id)
}

/// The publishing rule every surface shares: a course that is published without a time is
/// published now (the API's update, the admin's form, import and revert all call this on the
/// values they are about to write).
pub fn complete_publish_time(values: &mut Vec<(&'static str, rusqlite::types::Value)>) {
    use rusqlite::types::Value;
    let published = values
        .iter()
        .any(|(n, v)| *n == "status" && *v == Value::Text(CourseStatus::Published.as_str().into()));
    let untimed = values
        .iter()
        .find(|(n, _)| *n == "published_at")
        .is_none_or(|(_, v)| *v == Value::Null);
    if published && untimed {
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        values.retain(|(n, _)| *n != "published_at");
        values.push(("published_at", Value::Text(now)));
    }
}

/// Creates a draft course taught by `user` (instructors and staff with `catalog.add_course`).
pub fn create_course(
    conn: &Connection,
    user: &User,
    input: &CourseInput,
) -> Result<CourseRef, LearningError> {
    if !perms::can_on_course(conn, user, Action::Add, None)? {
        return Err(LearningError::forbidden(
            "cannot_add_course",
            "You cannot create courses.",
        ));
    }
    let mut errors = FieldErrors::new();
    let slug = parse_slug(&mut errors, input.slug.as_deref());
    let title = parse_title(&mut errors, input.title.as_deref());
    let summary = optional_text(
        &mut errors,
        "summary",
        input.summary.as_deref(),
        MAX_SUMMARY,
    );
    let description = optional_text(
        &mut errors,
        "description",
        input.description.as_deref(),
        MAX_DESCRIPTION,
    );
    let category = match input
        .category
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(c) => category_id(conn, &mut errors, c)?,
        None => {
            errors.push("category", FieldError::required());
            None
        }
    };
    let level = match input.level.as_deref() {
        Some(l) => errors.take("level", Level::parse(l)),
        None => {
            errors.push("level", FieldError::required());
            None
        }
    };
    if let Some(s) = &slug {
        if course_by_slug(conn, s)?.is_some() {
            errors.push(
                "slug",
                FieldError::new("slug_taken", "A course with this slug already exists."),
            );
        }
    }
    if !errors.is_empty() {
        // 409 only when the taken slug is the one problem; with others, all come as a 400.
        let conflict = errors
            .iter()
            .all(|(_, v)| v.iter().all(|e| e.code == "slug_taken"));
        return Err(if conflict {
            LearningError::Conflict(errors)
        } else {
            LearningError::Invalid(errors)
        });
    }
    let slug = slug.expect("checked");
    conn.prepare_cached(
        "INSERT INTO courses (slug, title, summary, description, category_id, level, instructor_id, status) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'draft')",
    )?
    .execute(params![slug, title, summary, description, category, level.map(Level::as_str), user.id])?;
    course_by_slug(conn, &slug)?.ok_or(LearningError::NotFound)
}

fn editable(conn: &Connection, user: &User, slug: &str) -> Result<CourseRef, LearningError> {
    let course = course_by_slug(conn, slug)?.ok_or(LearningError::NotFound)?;
    if !may_change_course(conn, user, &course)? {
        if course.is_published() {
            return Err(LearningError::forbidden(
                "not_your_course",
                "Only the course's instructor or staff can change it.",
            ));
        }
        return Err(LearningError::NotFound);
    }
    Ok(course)
}

/// Changes the fields given; publishing sets `published_at` the first time.
pub fn update_course(
    conn: &Connection,
    user: &User,
    slug: &str,
    input: &CourseInput,
) -> Result<CourseRef, LearningError> {
    let course = editable(conn, user, slug)?;
    let mut errors = FieldErrors::new();
    let title = input
        .title
        .as_deref()
        .map(|t| parse_title(&mut errors, Some(t)));
    let summary = input
        .summary
        .as_deref()
        .map(|t| optional_text(&mut errors, "summary", Some(t), MAX_SUMMARY));
    let description = input
        .description
        .as_deref()
        .map(|t| optional_text(&mut errors, "description", Some(t), MAX_DESCRIPTION));
    let category = match input.category.as_deref() {
        Some(c) => Some(category_id(conn, &mut errors, c.trim())?),
        None => None,
    };
    let level = input
        .level
        .as_deref()
        .map(|l| errors.take("level", Level::parse(l)));
    let status = input
        .status
        .as_deref()
        .map(|s| errors.take("status", CourseStatus::parse(s)));
    if input.slug.as_deref().is_some_and(|s| s != course.slug) {
        errors.push(
            "slug",
            FieldError::new("read_only", "The slug cannot be changed."),
        );
    }
    if !errors.is_empty() {
        return Err(LearningError::Invalid(errors));
    }
    let status = status.flatten();
    // The publishing rule every surface shares (the admin calls it too).
    let published_at: Option<String> = conn
        .prepare_cached("SELECT published_at FROM courses WHERE id = ?1")?
        .query_row([course.id], |r| r.get(0))?;
    let mut timing = vec![
        (
            "status",
            rusqlite::types::Value::Text(
                status.map_or(course.status.clone(), |s| s.as_str().to_owned()),
            ),
        ),
        (
            "published_at",
            published_at.map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Text),
        ),
    ];
    complete_publish_time(&mut timing);
    let published_at = match &timing[..] {
        [.., ("published_at", rusqlite::types::Value::Text(t))] => Some(t.clone()),
        _ => None,
    };
    conn.prepare_cached(
        "UPDATE courses SET title = COALESCE(?2, title), summary = COALESCE(?3, summary), \
         description = COALESCE(?4, description), category_id = COALESCE(?5, category_id), \
         level = COALESCE(?6, level), status = COALESCE(?7, status), \
         published_at = COALESCE(?8, published_at), \
         updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
    )?
    .execute(params![
        course.id,
        title.flatten(),
        summary.flatten(),
        description.flatten(),
        category.flatten(),
        level.flatten().map(Level::as_str),
        status.map(CourseStatus::as_str),
        published_at
    ])?;
    course_by_slug(conn, slug)?.ok_or(LearningError::NotFound)
}

pub fn delete_course(conn: &Connection, user: &User, slug: &str) -> Result<(), LearningError> {
    let course = editable(conn, user, slug)?;
    if !perms::can_on_course(conn, user, Action::Delete, Some(course.id))?
        && user.id != course.instructor_id
    {
        return Err(LearningError::forbidden(
            "cannot_delete",
            "You cannot delete this course.",
        ));
    }
    conn.prepare_cached("DELETE FROM courses WHERE id = ?1")?
        .execute([course.id])?;
    Ok(())
}

fn parse_lesson(input: &LessonInput, creating: bool) -> Result<LessonInput, LearningError> {
    let mut errors = FieldErrors::new();
    let title = match (&input.title, creating) {
        (Some(t), _) => parse_title(&mut errors, Some(t)),
        (None, true) => parse_title(&mut errors, None),
        (None, false) => None,
    };
    let body = input
        .body
        .as_deref()
        .and_then(|b| optional_text(&mut errors, "body", Some(b), MAX_LESSON_BODY));
    // An empty address removes the video; anything else is an http(s) URL.
    let video_url = input.video_url.as_deref().and_then(|v| {
        if v.trim().is_empty() {
            return Some(String::new());
        }
        errors
            .take("video_url", VideoUrl::parse(v))
            .map(VideoUrl::into_string)
    });
    let section = input
        .section
        .as_deref()
        .and_then(|s| optional_text(&mut errors, "section", Some(s), MAX_SECTION));
    if let Some(d) = input.duration_seconds {
        errors.take("duration_seconds", LessonLength::new(d));
    }
    if !errors.is_empty() {
        return Err(LearningError::Invalid(errors));
    }
    Ok(LessonInput {
        title,
        body,
        video_url,
        duration_seconds: input.duration_seconds,
        is_preview: input.is_preview,
        section,
    })
}

/// Appends a lesson; returns its position.
pub fn add_lesson(
    conn: &Connection,
    user: &User,
    slug: &str,
    input: &LessonInput,
) -> Result<(CourseRef, i64), LearningError> {
    let course = editable(conn, user, slug)?;
    let l = parse_lesson(input, true)?;
    let position: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(position), 0) + 1 FROM lessons WHERE course_id = ?1")?
        .query_row([course.id], |r| r.get(0))?;
    conn.prepare_cached(
        "INSERT INTO lessons (course_id, position, title, body, video_url, duration_seconds, is_preview, section) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        course.id,
        position,
        l.title,
        l.body.unwrap_or_default(),
        l.video_url.unwrap_or_default(),
        l.duration_seconds.unwrap_or(0),
        l.is_preview.unwrap_or(false),
        l.section.unwrap_or_default()
    ])?;
    Ok((course, position))
}

pub fn update_lesson(
    conn: &Connection,
    user: &User,
    slug: &str,
    position: i64,
    input: &LessonInput,
) -> Result<CourseRef, LearningError> {
    let course = editable(conn, user, slug)?;
    let l = parse_lesson(input, false)?;
    let changed = conn
        .prepare_cached(
            "UPDATE lessons SET title = COALESCE(?3, title), body = COALESCE(?4, body), \
             video_url = COALESCE(?5, video_url), duration_seconds = COALESCE(?6, duration_seconds), \
             is_preview = COALESCE(?7, is_preview), section = COALESCE(?8, section), updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE course_id = ?1 AND position = ?2",
        )?
        .execute(params![course.id, position, l.title, l.body, l.video_url, l.duration_seconds, l.is_preview, l.section])?;
    if changed == 0 {
        return Err(LearningError::NotFound);
    }
    Ok(course)
}

/// Renumbers a course's lessons 1..n in the given id order. Moving every lesson past the end
/// first keeps the (course, position) uniqueness — and `position >= 1` — intact at every row.
fn renumber(conn: &Connection, course_id: i64, ids: &[i64]) -> Result<(), LearningError> {
    conn.prepare_cached("UPDATE lessons SET position = position + 1000000 WHERE course_id = ?1")?
        .execute([course_id])?;
    let mut set =
        conn.prepare_cached("UPDATE lessons SET position = ?3 WHERE course_id = ?1 AND id = ?2")?;
    for (i, id) in ids.iter().enumerate() {
        set.execute(params![course_id, id, i as i64 + 1])?;
    }
    Ok(())
}

fn lesson_ids(conn: &Connection, course_id: i64) -> Result<Vec<i64>, LearningError> {
    Ok(conn
        .prepare_cached("SELECT id FROM lessons WHERE course_id = ?1 ORDER BY position")?
        .query_map([course_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

pub fn delete_lesson(
    conn: &Connection,
    user: &User,
    slug: &str,
    position: i64,
) -> Result<CourseRef, LearningError> {
    let course = editable(conn, user, slug)?;
    let deleted = conn
        .prepare_cached("DELETE FROM lessons WHERE course_id = ?1 AND position = ?2")?
        .execute(params![course.id, position])?;
    if deleted == 0 {
        return Err(LearningError::NotFound);
    }
    let ids = lesson_ids(conn, course.id)?;
    renumber(conn, course.id, &ids)?;
    Ok(course)
}

/// Puts the lessons in the order of `order` (every lesson id of the course, once each).
pub fn reorder(
    conn: &Connection,
    user: &User,
    slug: &str,
    order: &[i64],
) -> Result<CourseRef, LearningError> {
    let course = editable(conn, user, slug)?;
    let mut current = lesson_ids(conn, course.id)?;
    let mut given = order.to_vec();
    current.sort_unstable();
    given.sort_unstable();
    if current != given {
        return Err(LearningError::Invalid(FieldErrors::single(
            "order",
            FieldError::new(
                "invalid_order",
                "List every lesson id of the course exactly once.",
            ),
        )));
    }
    renumber(conn, course.id, order)?;
    Ok(course)
}
