//! Catalog endpoints of API v1: course list with filters, search and ordering; course detail;
//! categories. Answers are cached per write generation (see `web::cache`).

use poem::web::Data;
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};

use super::authoring::{self, AuthoringTag, CourseAnswer, CourseWrite, Removed};
use super::error::ApiError;
use super::pagination::page_url;
use super::params::{text, LevelParam, OrderingParam, PositiveInt};
use super::payload::JsonBytes;
use super::schema::{Category, CourseDetail, CoursePage};
use crate::catalog::{self, CourseQuery, RawCourseQuery};
use crate::web::AppState;

#[derive(Tags)]
enum ApiTags {
    /// Published courses and categories; open to everyone.
    Catalog,
}

#[derive(ApiResponse)]
pub enum CourseListResponse {
    /// One page of published courses.
    #[oai(status = 200)]
    Ok(JsonBytes<CoursePage>),
}

#[derive(ApiResponse)]
pub enum CourseDetailResponse {
    /// The course with its description and lesson outline.
    #[oai(status = 200)]
    Ok(JsonBytes<CourseDetail>),
}

#[derive(ApiResponse)]
pub enum CategoryListResponse {
    /// Every category with its published course count.
    #[oai(status = 200)]
    Ok(Json<Vec<Category>>),
}

pub struct CatalogApi;

fn cache_key(state: &AppState, req: &Request) -> String {
    format!("api {} {}", state.base_url(req), req.uri())
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Catalog")]
impl CatalogApi {
    /// List published courses
    ///
    /// Paginated (`page`, `page_size` up to 100; larger sizes are clamped), filtered by
    /// `category` slug, `level` and `instructor` id, searched with `search` (Korean and English,
    /// partial words, ranked by relevance) and ordered by `ordering` (default `-published_at`).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/courses", method = "get", operation_id = "courses_list")]
    async fn list(
        &self,
        state: Data<&AppState>,
        req: &Request,
        /// Page number, from 1.
        page: Query<Option<PositiveInt>>,
        /// Results per page: 1–100 (default 20; larger values are clamped to 100).
        page_size: Query<Option<PositiveInt>>,
        /// Category slug.
        category: Query<Option<String>>,
        level: Query<Option<LevelParam>>,
        /// Instructor user id.
        instructor: Query<Option<PositiveInt>>,
        /// Full-text search over title, summary and description (at most 200 characters).
        search: Query<Option<String>>,
        ordering: Query<Option<OrderingParam>>,
    ) -> Result<CourseListResponse, ApiError> {
        let key = cache_key(&state, req);
        let generation = state.db.generation();
        if let Some(body) = state.cache.get(&key, generation) {
            return Ok(CourseListResponse::Ok(JsonBytes::from_bytes(body)));
        }
        let raw = RawCourseQuery {
            page: text(page.0),
            page_size: text(page_size.0),
            category: category.0,
            level: text(level.0),
            instructor: text(instructor.0),
            search: search.0,
            ordering: text(ordering.0),
        };
        let query = CourseQuery::parse(&raw)?;
        // A search ranks every match (thousands on a big catalog): a heavy read.
        let found = if query.search.is_some() {
            state
                .db
                .read_heavy(|conn| catalog::list_courses(conn, &query))
                .await?
        } else {
            state.db.read(|conn| catalog::list_courses(conn, &query))?
        };
        let body = JsonBytes::encode(&CoursePage {
            count: found.count,
            next: found
                .has_next()
                .then(|| page_url(&state, req, found.number + 1)),
            previous: found
                .has_previous()
                .then(|| page_url(&state, req, found.number - 1)),
            results: found.results.into_iter().map(Into::into).collect(),
        });
        state.cache.put(key, generation, body.bytes().clone());
        Ok(CourseListResponse::Ok(body))
    }

    /// One published course
    #[oai(
        path = "/courses/:slug",
        method = "get",
        operation_id = "courses_retrieve"
    )]
    async fn detail(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
    ) -> Result<CourseDetailResponse, ApiError> {
        let key = cache_key(&state, req);
        let generation = state.db.generation();
        if let Some(body) = state.cache.get(&key, generation) {
            return Ok(CourseDetailResponse::Ok(JsonBytes::from_bytes(body)));
        }
        let course = state.db.read(|conn| catalog::course_detail(conn, &slug))?;
        let body = JsonBytes::encode(&CourseDetail::from(course));
        state.cache.put(key, generation, body.bytes().clone());
        Ok(CourseDetailResponse::Ok(body))
    }

    /// All categories
    #[oai(path = "/categories", method = "get", operation_id = "categories_list")]
    async fn categories(&self, state: Data<&AppState>) -> Result<CategoryListResponse, ApiError> {
        let rows = state.db.read(catalog::list_categories)?;
        Ok(CategoryListResponse::Ok(Json(
            rows.into_iter().map(Into::into).collect(),
        )))
    }

    /// Create a draft course (instructors, staff)
    #[oai(
        path = "/courses",
        method = "post",
        operation_id = "courses_create",
        tag = "AuthoringTag::Authoring"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<CourseWrite>,
    ) -> Result<CourseAnswer, ApiError> {
        authoring::create_course(state, req, body).await
    }

    /// Change a course (its instructor, staff)
    #[oai(
        path = "/courses/:slug",
        method = "patch",
        operation_id = "courses_partial_update",
        tag = "AuthoringTag::Authoring"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        body: Json<CourseWrite>,
    ) -> Result<CourseAnswer, ApiError> {
        authoring::update_course(state, req, slug, body).await
    }

    /// Delete a course (its instructor, staff with the permission)
    #[oai(
        path = "/courses/:slug",
        method = "delete",
        operation_id = "courses_destroy",
        tag = "AuthoringTag::Authoring"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
    ) -> Result<Removed, ApiError> {
        authoring::delete_course(state, req, slug).await
    }
}
