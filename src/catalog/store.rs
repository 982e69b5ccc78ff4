//! The catalog's SQL. Lists cost a constant number of statements whatever the page size: one
//! lookup per filter that names a row, one COUNT, one page query with its relations joined.
//! Ordering and filter SQL comes from fixed fragments chosen by parsed enums, never from input.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::query::{CourseQuery, Level, Ordering};
use super::{
    CatalogError, Category, CategoryRef, CourseDetail, CourseSummary, InstructorRef, LessonOutline,
    Page,
};
use crate::fields::{FieldError, FieldErrors};
use crate::markdown;
use crate::paging::limit_sql;

pub(crate) const SUMMARY_COLUMNS: &str =
    "c.id, c.slug, c.title, c.summary, cat.slug, cat.name, cat.name_en, \
     c.level, u.id, u.display_name, c.lesson_count, c.enrollment_count, \
     c.total_duration_seconds, c.published_at, c.rating_sum, c.rating_count, c.thumbnail";
pub(crate) const SUMMARY_JOINS: &str = "FROM courses c \
     JOIN categories cat ON cat.id = c.category_id \
     JOIN users u ON u.id = c.instructor_id";
/// How many courses each home-page shelf shows.
pub const HOME_SHELF: i64 = 8;

pub(crate) fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<CourseSummary> {
    let level: String = r.get(7)?;
    Ok(CourseSummary {
        id: r.get(0)?,
        slug: r.get(1)?,
        title: r.get(2)?,
        summary: r.get(3)?,
        category: CategoryRef {
            slug: r.get(4)?,
            name: r.get(5)?,
            name_en: r.get(6)?,
        },
        // The schema's CHECK constraint admits only the three levels.
        level: Level::parse(&level).unwrap_or(Level::Beginner),
        instructor: InstructorRef {
            id: r.get(8)?,
            display_name: r.get(9)?,
        },
        lesson_count: r.get(10)?,
        enrollment_count: r.get(11)?,
        total_duration_seconds: r.get(12)?,
        published_at: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
        rating_average: rating_average(r.get(14)?, r.get(15)?),
        rating_count: r.get(15)?,
        thumbnail: r.get(16)?,
    })
}

/// The mean rating to two decimals, or `None` before the first review.
fn rating_average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| (sum as f64 / count as f64 * 100.0).round() / 100.0)
}

fn order_sql(ordering: Option<Ordering>, searching: bool) -> &'static str {
    match ordering {
        None if searching => "s.rank ASC, c.id DESC",
        None | Some(Ordering::PublishedAt { desc: true }) => "c.published_at DESC, c.id DESC",
        Some(Ordering::PublishedAt { desc: false }) => "c.published_at ASC, c.id ASC",
        Some(Ordering::Title { desc: false }) => "c.title ASC, c.id ASC",
        Some(Ordering::Title { desc: true }) => "c.title DESC, c.id DESC",
        Some(Ordering::EnrollmentCount { desc: true }) => "c.enrollment_count DESC, c.id DESC",
        Some(Ordering::EnrollmentCount { desc: false }) => "c.enrollment_count ASC, c.id ASC",
        // The average from the maintained sum and count; unrated courses last, then by how many
        // rated.
        Some(Ordering::Rating { desc: true }) => {
            "CAST(c.rating_sum AS REAL) / NULLIF(c.rating_count, 0) DESC NULLS LAST, \
             c.rating_count DESC, c.id DESC"
        }
        Some(Ordering::Rating { desc: false }) => {
            "CAST(c.rating_sum AS REAL) / NULLIF(c.rating_count, 0) ASC NULLS LAST, \
             c.rating_count DESC, c.id ASC"
        }
    }
}

/// One page of published courses matching `q`.
pub fn list_courses(
    conn: &Connection,
    q: &CourseQuery,
) -> Result<Page<CourseSummary>, CatalogError> {
    let mut errors = FieldErrors::new();
    let mut filters = vec!["c.status = 'published'"];
    let mut args: Vec<Value> = Vec::new();

    let match_expr = q
        .search
        .as_deref()
        .and_then(crate::textsearch::match_expression);
    let search_join = if let Some(expr) = &match_expr {
        args.push(Value::Text(expr.clone()));
        " JOIN (SELECT rowid, bm25(course_search, 10.0, 4.0, 1.0) AS rank \
              FROM course_search WHERE course_search MATCH ?) s ON s.rowid = c.id"
    } else {
        ""
    };
    if let Some(slug) = &q.category {
        let id: Option<i64> = conn
            .prepare_cached("SELECT id FROM categories WHERE slug = ?1")?
            .query_row([slug], |r| r.get(0))
            .optional()?;
        match id {
            Some(id) => {
                filters.push("c.category_id = ?");
                args.push(Value::Integer(id));
            }
            None => errors.push("category", FieldError::invalid_choice()),
        }
    }
    if let Some(id) = q.instructor {
        let exists: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1)")?
            .query_row([id], |r| r.get(0))?;
        if exists {
            filters.push("c.instructor_id = ?");
            args.push(Value::Integer(id));
        } else {
            errors.push("instructor", FieldError::invalid_choice());
        }
    }
    if let Some(level) = q.level {
        filters.push("c.level = ?");
        args.push(Value::Text(level.as_str().to_owned()));
    }
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let where_sql = filters.join(" AND ");

    let count: i64 = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM courses c{search_join} WHERE {where_sql}"
        ))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let size = q.page_size.get();
    let num_pages = ((count + size - 1) / size).max(1);
    if q.page > num_pages {
        return Err(CatalogError::InvalidPage);
    }

    // A deferred join: the page's ids come from the ordering's covering index (or the search),
    // and only those 20 rows are read whole and joined. Reading every skipped row made page 50
    // cost 13x page 1 (docs/BENCHMARKS-compare.md); now a deep page costs about what the first does.
    let searching = match_expr.is_some();
    let order = order_sql(q.ordering, searching);
    let rank = if searching { ", s.rank AS rank" } else { "" };
    let page_ids = format!(
        "SELECT c.id AS id{rank} FROM courses c{search_join} WHERE {where_sql} \
         ORDER BY {order} {} OFFSET ?",
        limit_sql(size)
    );
    let joins = SUMMARY_JOINS.trim_start_matches("FROM ");
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM ({page_ids}) p, {joins} WHERE c.id = p.id \
         ORDER BY {}",
        order.replace("s.rank", "p.rank")
    );
    args.push(Value::Integer((q.page - 1) * size));
    let results = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(args.iter()), summary_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Page {
        count,
        number: q.page,
        page_size: size,
        num_pages,
        results,
    })
}

/// A published course with its description rendered and its lesson outline.
pub fn course_detail(conn: &Connection, slug: &str) -> Result<CourseDetail, CatalogError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, c.description {SUMMARY_JOINS} \
         WHERE c.slug = ?1 AND c.status = 'published'"
    );
    let (summary, description) = conn
        .prepare_cached(&sql)?
        .query_row([slug], |r| {
            Ok((summary_from_row(r)?, r.get::<_, String>(17)?))
        })
        .optional()?
        .ok_or(CatalogError::NotFound)?;
    let lessons = conn
        .prepare_cached(
            "SELECT id, position, title, duration_seconds, is_preview, section FROM lessons \
             WHERE course_id = ?1 ORDER BY position",
        )?
        .query_map(params![summary.id], |r| {
            Ok(LessonOutline {
                id: r.get(0)?,
                position: r.get(1)?,
                title: r.get(2)?,
                duration_seconds: r.get(3)?,
                is_preview: r.get(4)?,
                section: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(CourseDetail {
        description_html: markdown::to_safe_html(&description),
        description,
        summary,
        lessons,
    })
}

/// Every category with its count of published courses (a maintained counter).
pub fn list_categories(conn: &Connection) -> Result<Vec<Category>, CatalogError> {
    let rows = conn
        .prepare_cached(
            "SELECT id, slug, name, name_en, published_course_count FROM categories \
             ORDER BY position, name",
        )?
        .query_map([], |r| {
            Ok(Category {
                id: r.get(0)?,
                slug: r.get(1)?,
                name: r.get(2)?,
                name_en: r.get(3)?,
                course_count: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct HomeLists {
    pub newest: Vec<CourseSummary>,
    pub popular: Vec<CourseSummary>,
    pub categories: Vec<Category>,
}

/// What the home page shows: the newest and the most enrolled courses, and the categories.
pub fn home_lists(conn: &Connection) -> Result<HomeLists, CatalogError> {
    let shelf = |order: &str| -> Result<Vec<CourseSummary>, CatalogError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} {SUMMARY_JOINS} WHERE c.status = 'published' \
             ORDER BY {order} {}",
            limit_sql(HOME_SHELF)
        );
        Ok(conn
            .prepare_cached(&sql)?
            .query_map([], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    };
    Ok(HomeLists {
        newest: shelf("c.published_at DESC, c.id DESC")?,
        popular: shelf("c.enrollment_count DESC, c.id DESC")?,
        categories: list_categories(conn)?,
    })
}
