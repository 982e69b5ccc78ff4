//! The API's documented shapes (OpenAPI objects) and their conversion from domain types. The
//! domain stays free of API concerns; these structs are the contract clients code against.

use poem_openapi::{Enum, Object};

use crate::catalog;

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl From<catalog::Level> for Level {
    fn from(l: catalog::Level) -> Self {
        match l {
            catalog::Level::Beginner => Level::Beginner,
            catalog::Level::Intermediate => Level::Intermediate,
            catalog::Level::Advanced => Level::Advanced,
        }
    }
}

#[derive(Debug, Object)]
pub struct CategoryRef {
    pub slug: String,
    /// Korean name.
    pub name: String,
}

#[derive(Debug, Object)]
pub struct InstructorRef {
    pub id: i64,
    pub display_name: String,
}

#[derive(Debug, Object)]
pub struct CourseSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub category: CategoryRef,
    pub level: Level,
    pub instructor: InstructorRef,
    /// Lessons in the course (a maintained counter).
    pub lesson_count: i64,
    /// Learners enrolled (a maintained counter).
    pub enrollment_count: i64,
    /// RFC 3339 UTC timestamp.
    pub published_at: String,
    /// Mean review rating 1–5 (two decimals), null before the first review.
    pub rating_average: Option<f64>,
    /// Number of reviews (a maintained counter).
    pub rating_count: i64,
}

impl From<catalog::CourseSummary> for CourseSummary {
    fn from(c: catalog::CourseSummary) -> Self {
        CourseSummary {
            id: c.id,
            slug: c.slug,
            title: c.title,
            summary: c.summary,
            category: CategoryRef {
                slug: c.category.slug,
                name: c.category.name,
            },
            level: c.level.into(),
            instructor: InstructorRef {
                id: c.instructor.id,
                display_name: c.instructor.display_name,
            },
            lesson_count: c.lesson_count,
            enrollment_count: c.enrollment_count,
            published_at: c.published_at,
            rating_average: c.rating_average,
            rating_count: c.rating_count,
        }
    }
}

/// A page of courses, DRF's pagination shape.
#[derive(Debug, Object)]
pub struct CoursePage {
    /// Courses matching the filters, on every page.
    pub count: i64,
    /// Absolute URL of the next page, or null.
    pub next: Option<String>,
    /// Absolute URL of the previous page, or null.
    pub previous: Option<String>,
    pub results: Vec<CourseSummary>,
}

#[derive(Debug, Object)]
pub struct LessonOutline {
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub duration_seconds: i64,
    /// Open to visitors who are not enrolled.
    pub is_preview: bool,
    /// The curriculum part this lesson belongs to (consecutive lessons with the same name form
    /// one part); empty: none.
    pub section: String,
}

#[derive(Debug, Object)]
pub struct CourseDetail {
    #[oai(flatten)]
    pub summary: CourseSummary,
    /// Markdown source.
    pub description: String,
    /// The description rendered to sanitised HTML.
    pub description_html: String,
    /// Lessons by position.
    pub lessons: Vec<LessonOutline>,
}

impl From<catalog::CourseDetail> for CourseDetail {
    fn from(d: catalog::CourseDetail) -> Self {
        CourseDetail {
            summary: d.summary.into(),
            description: d.description,
            description_html: d.description_html,
            lessons: d
                .lessons
                .into_iter()
                .map(|l| LessonOutline {
                    id: l.id,
                    position: l.position,
                    title: l.title,
                    duration_seconds: l.duration_seconds,
                    is_preview: l.is_preview,
                    section: l.section,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Object)]
pub struct Category {
    pub slug: String,
    /// Korean name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Published courses in the category (a maintained counter).
    pub course_count: i64,
}

impl From<catalog::Category> for Category {
    fn from(c: catalog::Category) -> Self {
        Category {
            slug: c.slug,
            name: c.name,
            name_en: c.name_en,
            course_count: c.course_count,
        }
    }
}
