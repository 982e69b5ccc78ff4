//! Questions and answers per course: enrolled learners (and the instructor) ask and answer,
//! authors edit or delete their own posts, the asker or the instructor accepts one answer, staff
//! hide anything. Lists are newest first with maintained answer counts, paginated, searchable.
//! Text is stored as typed and rendered through the sanitiser.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::Serialize;

use super::{
    check_page, course_by_slug, is_enrolled, is_moderator, may_change_course, required_text,
    CourseRef, LearningError, Paged,
};
use crate::accounts::User;
use crate::fields::{FieldError, FieldErrors};
use crate::markdown;
use crate::paging::Paging;

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;
pub const MAX_SEARCH: usize = 200;

#[derive(Debug, Clone, Serialize)]
pub struct Author {
    pub id: i64,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionSummary {
    pub id: i64,
    pub title: String,
    pub author: Author,
    pub answer_count: i64,
    pub is_answered: bool,
    pub is_hidden: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub id: i64,
    pub body: String,
    pub body_html: String,
    pub author: Author,
    pub is_accepted: bool,
    pub is_hidden: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    pub author: Author,
    pub accepted_answer_id: Option<i64>,
    pub answer_count: i64,
    pub is_hidden: bool,
    pub created_at: String,
    pub updated_at: String,
    pub answers: Vec<Answer>,
}

/// Who may take part in a course's Q&A: its enrolled learners and its editors.
fn may_post(conn: &Connection, user: &User, course: &CourseRef) -> Result<bool, LearningError> {
    Ok(is_enrolled(conn, user.id, course.id)? || may_change_course(conn, user, course)?)
}

fn published(conn: &Connection, slug: &str) -> Result<CourseRef, LearningError> {
    course_by_slug(conn, slug)?
        .filter(CourseRef::is_published)
        .ok_or(LearningError::NotFound)
}

pub fn list(
    conn: &Connection,
    slug: &str,
    viewer: Option<&User>,
    search: Option<&str>,
    paging: Paging,
) -> Result<(CourseRef, Paged<QuestionSummary>), LearningError> {
    let course = published(conn, slug)?;
    let moderator = match viewer {
        Some(u) => is_moderator(conn, u)?,
        None => false,
    };
    let mut filters = vec!["q.course_id = ?".to_owned()];
    let mut args = vec![Value::Integer(course.id)];
    if !moderator {
        filters.push("q.is_hidden = 0".into());
    }
    if let Some(text) = search.map(str::trim).filter(|s| !s.is_empty()) {
        if text.chars().count() > MAX_SEARCH {
            return Err(LearningError::Invalid(FieldErrors::single(
                "search",
                FieldError::max_length(MAX_SEARCH),
            )));
        }
        // LIKE within one course's questions; `\` escapes the wildcards a visitor types.
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        filters.push("(q.title LIKE ? ESCAPE '\\' OR q.body LIKE ? ESCAPE '\\')".into());
        args.push(Value::Text(pattern.clone()));
        args.push(Value::Text(pattern));
    }
    let where_sql = filters.join(" AND ");
    let count: i64 = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM questions q WHERE {where_sql}"
        ))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    check_page(paging.page, paging.size, count)?;
    args.push(Value::Integer(paging.offset()));
    let results = conn
        .prepare_cached(&format!(
            "SELECT q.id, q.title, u.id, u.display_name, q.answer_count, q.accepted_answer_id IS NOT NULL, q.is_hidden, q.created_at \
             FROM questions q JOIN users u ON u.id = q.user_id WHERE {where_sql} ORDER BY q.id DESC {}",
            paging.limit_offset_sql()
        ))?
        .query_map(params_from_iter(args.iter()), |r| {
            Ok(QuestionSummary {
                id: r.get(0)?,
                title: r.get(1)?,
                author: Author { id: r.get(2)?, display_name: r.get(3)? },
                answer_count: r.get(4)?,
                is_answered: r.get(5)?,
                is_hidden: r.get(6)?,
                created_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((
        course,
        Paged {
            count,
            page: paging.page,
            page_size: paging.size,
            results,
        },
    ))
}

fn parse_post(
    title: Option<&str>,
    body: Option<&str>,
    with_title: bool,
) -> Result<(String, String), LearningError> {
    let mut errors = FieldErrors::new();
    let title = if with_title {
        required_text(&mut errors, "title", title, MAX_TITLE)
    } else {
        Some(String::new())
    };
    let body = required_text(&mut errors, "body", body, MAX_BODY);
    match (title, body) {
        (Some(t), Some(b)) if errors.is_empty() => Ok((t, b)),
        _ => Err(LearningError::Invalid(errors)),
    }
}

pub fn ask(
    conn: &Connection,
    user: &User,
    slug: &str,
    title: Option<&str>,
    body: Option<&str>,
) -> Result<i64, LearningError> {
    let course = published(conn, slug)?;
    let (title, body) = parse_post(title, body, true)?;
    if !may_post(conn, user, &course)? {
        return Err(LearningError::forbidden(
            "enroll_to_ask",
            "Enroll in this course to ask questions.",
        ));
    }
    conn.prepare_cached(
        "INSERT INTO questions (course_id, user_id, title, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![course.id, user.id, title, body])?;
    Ok(conn.last_insert_rowid())
}

struct QuestionRow {
    course_id: i64,
    user_id: i64,
    is_hidden: bool,
}

fn question_row(conn: &Connection, id: i64) -> Result<QuestionRow, LearningError> {
    conn.prepare_cached("SELECT course_id, user_id, is_hidden FROM questions WHERE id = ?1")?
        .query_row([id], |r| {
            Ok(QuestionRow {
                course_id: r.get(0)?,
                user_id: r.get(1)?,
                is_hidden: r.get(2)?,
            })
        })
        .optional()?
        .ok_or(LearningError::NotFound)
}

/// The question if `viewer` may see it — its course published, and not hidden unless the viewer
/// moderates or wrote it (an author may still edit or delete a hidden post) — with its course and whether the viewer moderates. Every read and every write of a
/// question starts here, so nobody reads, or learns the existence of, a question they cannot
/// see, whatever the body of their request (an empty PATCH included).
fn visible_question(
    conn: &Connection,
    id: i64,
    viewer: Option<&User>,
) -> Result<(QuestionRow, CourseRef, bool), LearningError> {
    let row = question_row(conn, id)?;
    let course = course_of(conn, row.course_id)?;
    let moderator = match viewer {
        Some(u) => is_moderator(conn, u)?,
        None => false,
    };
    let author = viewer.is_some_and(|u| u.id == row.user_id);
    if !course.is_published() || (row.is_hidden && !moderator && !author) {
        return Err(LearningError::NotFound);
    }
    Ok((row, course, moderator))
}

/// An answer if `viewer` may see it: its question is visible to them, and a hidden answer only
/// to moderators and to its author (who may still edit it). Returns (question id, author).
fn visible_answer(
    conn: &Connection,
    id: i64,
    viewer: Option<&User>,
) -> Result<(i64, i64), LearningError> {
    let (question_id, author, hidden): (i64, i64, bool) = conn
        .prepare_cached("SELECT question_id, user_id, is_hidden FROM answers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(LearningError::NotFound)?;
    let (_, _, moderator) = visible_question(conn, question_id, viewer)?;
    if hidden && !moderator && viewer.map(|u| u.id) != Some(author) {
        return Err(LearningError::NotFound);
    }
    Ok((question_id, author))
}

fn course_of(conn: &Connection, course_id: i64) -> Result<CourseRef, LearningError> {
    let slug: String = conn
        .prepare_cached("SELECT slug FROM courses WHERE id = ?1")?
        .query_row([course_id], |r| r.get(0))?;
    course_by_slug(conn, &slug)?.ok_or(LearningError::NotFound)
}

const ANSWER_SELECT: &str =
    "SELECT a.id, a.body, u.id, u.display_name, q.accepted_answer_id IS a.id, \
     a.is_hidden, a.created_at, a.updated_at \
     FROM answers a JOIN users u ON u.id = a.user_id JOIN questions q ON q.id = a.question_id";

fn answer_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Answer> {
    let body: String = r.get(1)?;
    Ok(Answer {
        id: r.get(0)?,
        body_html: markdown::to_safe_html(&body),
        body,
        author: Author {
            id: r.get(2)?,
            display_name: r.get(3)?,
        },
        is_accepted: r.get(4)?,
        is_hidden: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// One answer as it is now, if `viewer` may see it (see `visible_answer`).
pub fn answer_by_id(
    conn: &Connection,
    id: i64,
    viewer: Option<&User>,
) -> Result<Answer, LearningError> {
    visible_answer(conn, id, viewer)?;
    conn.prepare_cached(&format!("{ANSWER_SELECT} WHERE a.id = ?1"))?
        .query_row([id], answer_from)
        .optional()?
        .ok_or(LearningError::NotFound)
}

/// A question with its answers (hidden ones only for moderators; a hidden question is 404 to all
/// but moderators and its author).
pub fn detail(
    conn: &Connection,
    id: i64,
    viewer: Option<&User>,
) -> Result<Question, LearningError> {
    let (_, course, moderator) = visible_question(conn, id, viewer)?;
    let answers = conn
        .prepare_cached(&format!(
            "{ANSWER_SELECT} WHERE a.question_id = ?1 AND (a.is_hidden = 0 OR ?2) ORDER BY a.id"
        ))?
        .query_map(params![id, moderator], answer_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    conn.prepare_cached(
        "SELECT q.title, q.body, u.id, u.display_name, q.accepted_answer_id, q.answer_count, q.is_hidden, q.created_at, q.updated_at \
         FROM questions q JOIN users u ON u.id = q.user_id WHERE q.id = ?1",
    )?
    .query_row([id], |r| {
        let body: String = r.get(1)?;
        Ok(Question {
            id,
            course_slug: course.slug.clone(),
            course_title: course.title.clone(),
            title: r.get(0)?,
            body_html: markdown::to_safe_html(&body),
            body,
            author: Author { id: r.get(2)?, display_name: r.get(3)? },
            accepted_answer_id: r.get(4)?,
            answer_count: r.get(5)?,
            is_hidden: r.get(6)?,
            created_at: r.get(7)?,
            updated_at: r.get(8)?,
            answers,
        })
    })
    .map_err(Into::into)
}

pub fn edit_question(
    conn: &Connection,
    user: &User,
    id: i64,
    title: Option<&str>,
    body: Option<&str>,
) -> Result<(), LearningError> {
    let (row, _, _) = visible_question(conn, id, Some(user))?;
    if row.user_id != user.id {
        return Err(LearningError::not_yours());
    }
    let (title, body) = parse_post(title, body, true)?;
    conn.prepare_cached("UPDATE questions SET title = ?2, body = ?3, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1")?
        .execute(params![id, title, body])?;
    Ok(())
}

/// The author or a moderator may delete a question (its answers go with it).
pub fn delete_question(conn: &Connection, user: &User, id: i64) -> Result<(), LearningError> {
    let (row, _, moderator) = visible_question(conn, id, Some(user))?;
    if row.user_id != user.id && !moderator {
        return Err(LearningError::not_yours());
    }
    conn.prepare_cached("DELETE FROM questions WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn answer(
    conn: &Connection,
    user: &User,
    question_id: i64,
    body: Option<&str>,
) -> Result<i64, LearningError> {
    let (row, course, _) = visible_question(conn, question_id, Some(user))?;
    if row.is_hidden {
        return Err(LearningError::NotFound);
    }
    let (_, body) = parse_post(None, body, false)?;
    if !may_post(conn, user, &course)? {
        return Err(LearningError::forbidden(
            "enroll_to_answer",
            "Enroll in this course to answer questions.",
        ));
    }
    conn.prepare_cached("INSERT INTO answers (question_id, user_id, body) VALUES (?1, ?2, ?3)")?
        .execute(params![question_id, user.id, body])?;
    Ok(conn.last_insert_rowid())
}

/// May `user` change this question at all (its author, or a moderator who may hide it)? The
/// check a PATCH passes before looking at its body, so an empty body gets the same answer as a
/// real change: 404 for what the caller cannot see, 403 for what is not theirs.
pub fn may_edit_question(conn: &Connection, user: &User, id: i64) -> Result<(), LearningError> {
    let (row, _, moderator) = visible_question(conn, id, Some(user))?;
    if row.user_id != user.id && !moderator {
        return Err(LearningError::not_yours());
    }
    Ok(())
}

/// `may_edit_question` for an answer.
pub fn may_edit_answer(conn: &Connection, user: &User, id: i64) -> Result<(), LearningError> {
    let (_, author) = visible_answer(conn, id, Some(user))?;
    if author != user.id && !is_moderator(conn, user)? {
        return Err(LearningError::not_yours());
    }
    Ok(())
}

/// The slug of the course a question belongs to.
pub fn course_slug_of(conn: &Connection, question_id: i64) -> Result<String, LearningError> {
    conn.prepare_cached(
        "SELECT c.slug FROM questions q JOIN courses c ON c.id = q.course_id WHERE q.id = ?1",
    )?
    .query_row([question_id], |r| r.get(0))
    .optional()?
    .ok_or(LearningError::NotFound)
}

/// The question an answer belongs to; `NotFound` when there is no such answer or `viewer` may
/// not see it.
pub fn question_of_answer(
    conn: &Connection,
    id: i64,
    viewer: Option<&User>,
) -> Result<i64, LearningError> {
    Ok(visible_answer(conn, id, viewer)?.0)
}

pub fn edit_answer(
    conn: &Connection,
    user: &User,
    id: i64,
    body: Option<&str>,
) -> Result<i64, LearningError> {
    let (question_id, author) = visible_answer(conn, id, Some(user))?;
    if author != user.id {
        return Err(LearningError::not_yours());
    }
    let (_, body) = parse_post(None, body, false)?;
    conn.prepare_cached("UPDATE answers SET body = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1")?
        .execute(params![id, body])?;
    Ok(question_id)
}

pub fn delete_answer(conn: &Connection, user: &User, id: i64) -> Result<i64, LearningError> {
    let (question_id, author) = visible_answer(conn, id, Some(user))?;
    if author != user.id && !is_moderator(conn, user)? {
        return Err(LearningError::not_yours());
    }
    conn.prepare_cached("DELETE FROM answers WHERE id = ?1")?
        .execute([id])?;
    Ok(question_id)
}

/// The asker or the course's instructor marks one answer of this question accepted.
pub fn accept(
    conn: &Connection,
    user: &User,
    question_id: i64,
    answer_id: i64,
) -> Result<(), LearningError> {
    let (row, course, _) = visible_question(conn, question_id, Some(user))?;
    if row.user_id != user.id && !may_change_course(conn, user, &course)? {
        return Err(LearningError::forbidden(
            "not_asker",
            "Only the asker or the instructor can accept an answer.",
        ));
    }
    let (of_question, _) = visible_answer(conn, answer_id, Some(user))?;
    if of_question != question_id {
        return Err(LearningError::Invalid(FieldErrors::single(
            "answer_id",
            FieldError::new(
                "invalid_choice",
                "That answer does not belong to this question.",
            ),
        )));
    }
    conn.prepare_cached("UPDATE questions SET accepted_answer_id = ?2 WHERE id = ?1")?
        .execute(params![question_id, answer_id])?;
    Ok(())
}

/// Staff hide or show a question or an answer.
pub fn set_hidden(
    conn: &Connection,
    user: &User,
    question: Option<i64>,
    answer: Option<i64>,
    hidden: bool,
) -> Result<(), LearningError> {
    // What the caller cannot see is 404 before it is 403, as on every other route.
    match (question, answer) {
        (Some(id), _) => drop(visible_question(conn, id, Some(user))?),
        (_, Some(id)) => drop(visible_answer(conn, id, Some(user))?),
        _ => {}
    }
    if !is_moderator(conn, user)? {
        return Err(LearningError::forbidden(
            "not_staff",
            "Only staff can hide posts.",
        ));
    }
    let changed = match (question, answer) {
        (Some(id), _) => conn
            .prepare_cached("UPDATE questions SET is_hidden = ?2 WHERE id = ?1")?
            .execute(params![id, hidden])?,
        (_, Some(id)) => conn
            .prepare_cached("UPDATE answers SET is_hidden = ?2 WHERE id = ?1")?
            .execute(params![id, hidden])?,
        _ => 0,
    };
    if changed == 0 {
        return Err(LearningError::NotFound);
    }
    Ok(())
}
