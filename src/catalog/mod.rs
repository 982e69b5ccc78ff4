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
    /// The curriculum part the lesson belongs to; empty: none.
    pub section: String,
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

/// One part of a curriculum: consecutive lessons that name the same section.
#[derive(Debug, Clone, Serialize)]
pub struct CurriculumPart<'a> {
    /// The section's name; empty for lessons that name none.
    pub title: &'a str,
    pub lessons: &'a [LessonOutline],
    pub duration_seconds: i64,
}

/// Groups lessons (in position order) into parts: a new part starts wherever the section name
/// changes, so a name used twice apart makes two parts, as the author ordered them.
pub fn curriculum_parts(lessons: &[LessonOutline]) -> Vec<CurriculumPart<'_>> {
    lessons
        .chunk_by(|a, b| a.section == b.section)
        .map(|chunk| CurriculumPart {
            title: &chunk[0].section,
            lessons: chunk,
            duration_seconds: chunk.iter().map(|l| l.duration_seconds).sum(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(position: i64, section: &str) -> LessonOutline {
        LessonOutline {
            id: position,
            position,
            title: format!("수업 {position}"),
            duration_seconds: 60,
            is_preview: false,
            section: section.into(),
        }
    }

    #[test]
    fn parts_follow_the_section_names_in_order() {
        let lessons = [
            lesson(1, "오리엔테이션"),
            lesson(2, "오리엔테이션"),
            lesson(3, "핵심 실습"),
            lesson(4, ""),
            lesson(5, "오리엔테이션"),
        ];
        let parts = curriculum_parts(&lessons);
        let shape: Vec<(&str, Vec<i64>, i64)> = parts
            .iter()
            .map(|p| {
                let positions = p.lessons.iter().map(|l| l.position).collect();
                (p.title, positions, p.duration_seconds)
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("오리엔테이션", vec![1, 2], 120),
                ("핵심 실습", vec![3], 60),
                ("", vec![4], 60),
                ("오리엔테이션", vec![5], 60),
            ]
        );
        assert!(curriculum_parts(&[]).is_empty());
    }
}
