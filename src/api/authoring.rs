//! Course authoring in API v1: instructors create and change their own courses and lessons,
//! staff any. Drafts are visible only to those who may change them.

use poem::web::Data;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use super::auth::require_user;
use super::error::ApiError;
use crate::learning::authoring::{self, CourseInput, LessonInput};
use crate::learning::{CourseRef, LearningError};
use crate::web::AppState;

#[derive(Tags)]
pub enum AuthoringTag {
    /// Instructors' courses and lessons.
    Authoring,
}

/// Course fields. On create `slug` (lowercase letters, digits, hyphens; ≤ 100), `title`
/// (≤ 200), `category` (slug) and `level` are required; on change every field is optional and
/// the slug cannot change. `status`: draft, published or archived.
#[derive(Debug, Object)]
pub struct CourseWrite {
    pub slug: Option<String>,
    pub title: Option<String>,
    /// ≤ 500 characters.
    pub summary: Option<String>,
    /// Markdown, ≤ 50,000 characters.
    pub description: Option<String>,
    pub category: Option<String>,
    pub level: Option<String>,
    pub status: Option<String>,
}

impl From<CourseWrite> for CourseInput {
    fn from(w: CourseWrite) -> Self {
        CourseInput {
            slug: w.slug,
            title: w.title,
            summary: w.summary,
            description: w.description,
            category: w.category,
            level: w.level,
            status: w.status,
        }
    }
}

/// Lesson fields; `title` (≤ 200) is required on create.
#[derive(Debug, Object)]
pub struct LessonWrite {
    pub title: Option<String>,
    /// Markdown, ≤ 100,000 characters.
    pub body: Option<String>,
    /// http(s) URL; YouTube, Vimeo and configured hosts play embedded.
    pub video_url: Option<String>,
    /// 0–86,400.
    pub duration_seconds: Option<i64>,
    pub is_preview: Option<bool>,
    /// The curriculum part (≤ 100 characters); consecutive lessons with the same name are shown
    /// as one part. Empty: none.
    pub section: Option<String>,
}

impl From<LessonWrite> for LessonInput {
    fn from(w: LessonWrite) -> Self {
        LessonInput {
            title: w.title,
            body: w.body,
            video_url: w.video_url,
            duration_seconds: w.duration_seconds,
            is_preview: w.is_preview,
            section: w.section,
        }
    }
}

#[derive(Debug, Object)]
pub struct Reorder {
    /// Every lesson id of the course, once each, in the new order.
    pub order: Vec<i64>,
}

#[derive(Debug, Object)]
pub struct AuthoredCourse {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub status: String,
    pub lesson_count: i64,
}

impl From<CourseRef> for AuthoredCourse {
    fn from(c: CourseRef) -> Self {
        AuthoredCourse {
            id: c.id,
            slug: c.slug,
            title: c.title,
            status: c.status,
            lesson_count: c.lesson_count,
        }
    }
}

#[derive(Debug, Object)]
pub struct AuthoredLesson {
    pub course: AuthoredCourse,
    pub position: i64,
}

#[derive(ApiResponse)]
pub enum CourseAnswer {
    #[oai(status = 201)]
    Created(Json<AuthoredCourse>),
    #[oai(status = 200)]
    Ok(Json<AuthoredCourse>),
}

#[derive(ApiResponse)]
pub enum LessonAnswer {
    #[oai(status = 201)]
    Created(Json<AuthoredLesson>),
    #[oai(status = 200)]
    Ok(Json<AuthoredCourse>),
}

#[derive(ApiResponse)]
pub enum Removed {
    #[oai(status = 204)]
    NoContent,
}

// The handlers below share their paths with the catalog and lesson endpoints; poem-openapi
// documents one path per API type, so those types mount them (see catalog.rs, learning.rs).

pub async fn create_course(
    state: Data<&AppState>,
    req: &Request,
    body: Json<CourseWrite>,
) -> Result<CourseAnswer, ApiError> {
    let user = require_user(req, &state)?;
    let input: CourseInput = body.0.into();
    let course = state
        .db
        .write_blocking(move |tx| authoring::create_course(tx, &user, &input))
        .await?;
    Ok(CourseAnswer::Created(Json(course.into())))
}

pub async fn update_course(
    state: Data<&AppState>,
    req: &Request,
    slug: Path<String>,
    body: Json<CourseWrite>,
) -> Result<CourseAnswer, ApiError> {
    let user = require_user(req, &state)?;
    let (slug, input): (String, CourseInput) = (slug.0, body.0.into());
    let course = state
        .db
        .write_blocking(move |tx| authoring::update_course(tx, &user, &slug, &input))
        .await?;
    Ok(CourseAnswer::Ok(Json(course.into())))
}

pub async fn delete_course(
    state: Data<&AppState>,
    req: &Request,
    slug: Path<String>,
) -> Result<Removed, ApiError> {
    let user = require_user(req, &state)?;
    let slug = slug.0;
    state
        .db
        .write_blocking(move |tx| authoring::delete_course(tx, &user, &slug))
        .await?;
    Ok(Removed::NoContent)
}
pub async fn update_lesson(
    state: Data<&AppState>,
    req: &Request,
    slug: Path<String>,
    position: Path<i64>,
    body: Json<LessonWrite>,
) -> Result<LessonAnswer, ApiError> {
    let user = require_user(req, &state)?;
    let (slug, position, input): (String, i64, LessonInput) = (slug.0, position.0, body.0.into());
    let course = state
        .db
        .write_blocking(move |tx| authoring::update_lesson(tx, &user, &slug, position, &input))
        .await?;
    Ok(LessonAnswer::Ok(Json(course.into())))
}

pub async fn delete_lesson(
    state: Data<&AppState>,
    req: &Request,
    slug: Path<String>,
    position: Path<i64>,
) -> Result<Removed, ApiError> {
    let user = require_user(req, &state)?;
    let (slug, position) = (slug.0, position.0);
    state
        .db
        .write_blocking(move |tx| authoring::delete_lesson(tx, &user, &slug, position))
        .await?;
    Ok(Removed::NoContent)
}
pub struct AuthoringApi;

#[OpenApi(prefix_path = "/api/v1", tag = "AuthoringTag::Authoring")]
impl AuthoringApi {
    /// Add a lesson at the end
    #[oai(
        path = "/courses/:slug/lessons",
        method = "post",
        operation_id = "lessons_create"
    )]
    async fn add_lesson(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        body: Json<LessonWrite>,
    ) -> Result<LessonAnswer, ApiError> {
        let user = require_user(req, &state)?;
        let (slug, input): (String, LessonInput) = (slug.0, body.0.into());
        let (course, position) = state
            .db
            .write_blocking(move |tx| -> Result<_, LearningError> {
                let (_, position) = authoring::add_lesson(tx, &user, &slug, &input)?;
                let course =
                    crate::learning::course_by_slug(tx, &slug)?.ok_or(LearningError::NotFound)?;
                Ok((course, position))
            })
            .await?;
        Ok(LessonAnswer::Created(Json(AuthoredLesson {
            course: course.into(),
            position,
        })))
    }

    /// Reorder lessons
    #[oai(
        path = "/courses/:slug/lessons/reorder",
        method = "post",
        operation_id = "lessons_reorder"
    )]
    async fn reorder(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        body: Json<Reorder>,
    ) -> Result<LessonAnswer, ApiError> {
        let user = require_user(req, &state)?;
        let (slug, order) = (slug.0, body.0.order);
        let course = state
            .db
            .write_blocking(move |tx| authoring::reorder(tx, &user, &slug, &order))
            .await?;
        Ok(LessonAnswer::Ok(Json(course.into())))
    }
}
