//! Learning endpoints of API v1: enroll and leave, my enrollments, lessons, progress and
//! certificates. The same domain rules as the pages; permission answers come from the domain.

use poem::web::Data;
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};

use super::auth::require_user;
use super::authoring::{self, AuthoringTag, LessonWrite};
use super::error::ApiError;
use super::learning_schema::{
    Certificate, Enrollment, EnrollmentPage, EnrollmentState, LessonDetail, Progress,
};
use super::pagination::links;
use super::params::{text, PositiveInt};
use crate::learning::{enrollment, lessons, progress, visible_course, LearningError};
use crate::paging::Paging;
use crate::web::auth::Auth;
use crate::web::AppState;

#[derive(Tags)]
enum ApiTags {
    /// Enrollments, lessons, progress and certificates.
    Learning,
}

#[derive(ApiResponse)]
pub enum Enrolled {
    /// Newly enrolled.
    #[oai(status = 201)]
    Created(Json<EnrollmentState>),
    /// Already enrolled; nothing changed.
    #[oai(status = 200)]
    Ok(Json<EnrollmentState>),
}

#[derive(ApiResponse)]
pub enum Left {
    /// Left the course: the enrollment is archived, its progress and certificate kept;
    /// enrolling again restores it.
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Enrollments {
    #[oai(status = 200)]
    Ok(Json<EnrollmentPage>),
}

#[derive(ApiResponse)]
pub enum ProgressAnswer {
    #[oai(status = 200)]
    Ok(Json<Progress>),
}

#[derive(ApiResponse)]
pub enum LessonAnswer {
    /// The lesson; 403 when it needs an enrollment the caller lacks.
    #[oai(status = 200)]
    Ok(Json<LessonDetail>),
}

#[derive(ApiResponse)]
pub enum CertificateAnswer {
    /// The certificate is genuine.
    #[oai(status = 200)]
    Ok(Json<Certificate>),
}

pub struct LearningApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Learning")]
impl LearningApi {
    /// Enroll in a published course
    ///
    /// Idempotent: 201 when new (or when an enrollment the caller left is restored with its
    /// progress), 200 when already enrolled.
    #[oai(
        path = "/courses/:slug/enrollment",
        method = "post",
        operation_id = "enrollment_create"
    )]
    async fn enroll(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
    ) -> Result<Enrolled, ApiError> {
        let user = require_user(req, &state)?;
        let slug = slug.0;
        let created = state
            .db
            .write_blocking(move |tx| -> Result<bool, LearningError> {
                let course = visible_course(tx, &slug, Some(&user))?;
                enrollment::enroll(tx, user.id, &course)
            })
            .await?;
        let body = Json(EnrollmentState {
            enrolled: true,
            created,
        });
        Ok(if created {
            Enrolled::Created(body)
        } else {
            Enrolled::Ok(body)
        })
    }

    /// Leave a course
    ///
    /// Archives the enrollment: it leaves My courses and the course's learner count, but its
    /// progress and certificate stay and enrolling again restores them. 404 when not enrolled.
    #[oai(
        path = "/courses/:slug/enrollment",
        method = "delete",
        operation_id = "enrollment_destroy"
    )]
    async fn leave(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
    ) -> Result<Left, ApiError> {
        let user = require_user(req, &state)?;
        let slug = slug.0;
        let left = state
            .db
            .write_blocking(move |tx| -> Result<bool, LearningError> {
                let course = visible_course(tx, &slug, Some(&user))?;
                enrollment::leave(tx, user.id, course.id)
            })
            .await?;
        if left {
            Ok(Left::NoContent)
        } else {
            Err(ApiError::not_found("Not enrolled."))
        }
    }

    /// My enrollments
    ///
    /// Newest first, with progress and the lesson to continue from.
    #[oai(
        path = "/me/enrollments",
        method = "get",
        operation_id = "me_enrollments_list"
    )]
    async fn mine(
        &self,
        state: Data<&AppState>,
        req: &Request,
        page: Query<Option<PositiveInt>>,
        page_size: Query<Option<PositiveInt>>,
    ) -> Result<Enrollments, ApiError> {
        let user = require_user(req, &state)?;
        let paging = Paging::parse(text(page.0).as_deref(), text(page_size.0).as_deref())?;
        let found = state
            .db
            .read(|c| enrollment::my_courses(c, user.id, paging))?;
        let (next, previous) = links(&state, req, found.page, found.page_size, found.count);
        Ok(Enrollments::Ok(Json(EnrollmentPage {
            count: found.count,
            next,
            previous,
            results: found.results.into_iter().map(Enrollment::from).collect(),
        })))
    }

    /// My progress in a course
    #[oai(
        path = "/courses/:slug/progress",
        method = "get",
        operation_id = "progress_retrieve"
    )]
    async fn progress(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
    ) -> Result<ProgressAnswer, ApiError> {
        let user = require_user(req, &state)?;
        let p = state.db.read(|c| -> Result<_, LearningError> {
            let course = visible_course(c, &slug, Some(&user))?;
            progress::progress(c, user.id, &course)
        })?;
        Ok(ProgressAnswer::Ok(Json(p.into())))
    }

    /// A lesson
    ///
    /// Preview lessons are open to everyone; the others to enrolled learners and the course's
    /// editors (403 otherwise). A position past the last lesson is 404.
    #[oai(
        path = "/courses/:slug/lessons/:position",
        method = "get",
        operation_id = "lesson_retrieve"
    )]
    async fn lesson(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        position: Path<i64>,
    ) -> Result<LessonAnswer, ApiError> {
        let auth = Auth::of(req);
        let hosts = lessons::parse_hosts(&state.config.learning.video_hosts);
        let view = state
            .db
            .read(|c| lessons::lesson_view(c, &slug, position.0, auth.user(), &hosts))?;
        Ok(LessonAnswer::Ok(Json(view.into())))
    }

    /// Mark a lesson complete
    ///
    /// Idempotent. Completing the last lesson completes the course and issues a certificate.
    #[oai(
        path = "/courses/:slug/lessons/:position/progress",
        method = "put",
        operation_id = "lesson_progress_update"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        position: Path<i64>,
    ) -> Result<ProgressAnswer, ApiError> {
        let user = require_user(req, &state)?;
        let (slug, position) = (slug.0, position.0);
        let p = state
            .db
            .write_blocking(move |tx| -> Result<_, LearningError> {
                let course = visible_course(tx, &slug, Some(&user))?;
                progress::mark_complete(tx, user.id, &course, position)
            })
            .await?;
        Ok(ProgressAnswer::Ok(Json(p.into())))
    }

    /// Mark a lesson not complete
    #[oai(
        path = "/courses/:slug/lessons/:position/progress",
        method = "delete",
        operation_id = "lesson_progress_destroy"
    )]
    async fn uncomplete(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        position: Path<i64>,
    ) -> Result<ProgressAnswer, ApiError> {
        let user = require_user(req, &state)?;
        let (slug, position) = (slug.0, position.0);
        let p = state
            .db
            .write_blocking(move |tx| -> Result<_, LearningError> {
                let course = visible_course(tx, &slug, Some(&user))?;
                progress::mark_incomplete(tx, user.id, &course, position)
            })
            .await?;
        Ok(ProgressAnswer::Ok(Json(p.into())))
    }

    /// Verify a certificate
    ///
    /// Public: anyone holding the code can confirm the certificate is genuine.
    #[oai(
        path = "/certificates/:code",
        method = "get",
        operation_id = "certificate_retrieve"
    )]
    async fn certificate(
        &self,
        state: Data<&AppState>,
        code: Path<String>,
    ) -> Result<CertificateAnswer, ApiError> {
        let cert = state.db.read(|c| progress::certificate(c, &code))?;
        Ok(CertificateAnswer::Ok(Json(cert.into())))
    }

    /// Change a lesson (the course's instructor, staff)
    #[oai(
        path = "/courses/:slug/lessons/:position",
        method = "patch",
        operation_id = "lessons_partial_update",
        tag = "AuthoringTag::Authoring"
    )]
    async fn update_lesson(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        position: Path<i64>,
        body: Json<LessonWrite>,
    ) -> Result<authoring::LessonAnswer, ApiError> {
        authoring::update_lesson(state, req, slug, position, body).await
    }

    /// Delete a lesson; the later ones move up
    #[oai(
        path = "/courses/:slug/lessons/:position",
        method = "delete",
        operation_id = "lessons_destroy",
        tag = "AuthoringTag::Authoring"
    )]
    async fn delete_lesson(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        position: Path<i64>,
    ) -> Result<authoring::Removed, ApiError> {
        authoring::delete_lesson(state, req, slug, position).await
    }
}
