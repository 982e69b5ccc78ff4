//! The course catalog: categories, courses and their lesson outlines as visitors see them —
//! types, list parameters and their validation, and the SQL that reads them. It serves pages
//! and the API alike and knows nothing of HTTP. Counts it shows (lessons, enrollments,
//! published courses per category) are maintained by triggers in `schema.sql`, never recounted.

mod query;
mod store;

pub use query::{CourseQuery, Level, Ordering, RawCourseQuery, MAX_PAGE_SIZE, MAX_SEARCH_CHARS};
pub use store::{course_detail, home_lists, list_categories, list_courses, HomeLists};
pub(crate) use store::{summary_from_row, SUMMARY_COLUMNS};

use serde::Serialize;

use crate::db::DbError;
use crate::fields::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("not found")]
    NotFound,
    /// The requested page lies past the last one.
    #[error("invalid page")]
    InvalidPage,
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for CatalogError {
    fn from(e: rusqlite::Error) -> Self {
        CatalogError::Db(DbError::Sqlite(e))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRef {
    pub slug: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstructorRef {
    pub id: i64,
    pub display_name: String,
}

/// One course in a list: everything a card or an API client needs, read in one query.
#[derive(Debug, Clone, Serialize)]
pub struct CourseSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub category: CategoryRef,
    pub level: Level,
    pub instructor: InstructorRef,
    pub lesson_count: i64,
    pub enrollment_count: i64,
    pub total_duration_seconds: i64,
    pub published_at: String,
    /// Mean review rating (1–5), two decimals; `None` before the first review.
    pub rating_average: Option<f64>,
    pub rating_count: i64,
    /// Path under the media directory (`thumbnail/<sha256>.webp`); empty: none.
    pub thumbnail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LessonOutline {
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub duration_seconds: i64,
    pub is_preview: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CourseDetail {
    #[serde(flatten)]
    pub summary: CourseSummary,
    pub description: String,
    pub description_html: String,
    pub lessons: Vec<LessonOutline>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub name_en: String,
    pub course_count: i64,
}

/// One page of a list, with what links need to be built.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub count: i64,
    pub number: i64,
    pub page_size: i64,
    pub num_pages: i64,
    pub results: Vec<T>,
}

impl<T> Page<T> {
    pub fn has_next(&self) -> bool {
        self.number < self.num_pages
    }
    pub fn has_previous(&self) -> bool {
        self.number > 1
    }
}
