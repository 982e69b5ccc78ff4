//! Q&A, notices and reviews in API v1. Authors edit and delete their own posts, staff hide any;
//! every write is one transaction through the learning domain.

use poem::web::Data;
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use super::auth::require_user;
use super::error::ApiError;
use super::learning_schema::{
    Answer, Notice, Question, QuestionPage, QuestionSummary, Review, ReviewPage,
};
use super::pagination::links;
use super::params::{text, PositiveInt};
use crate::accounts::User;
use crate::learning::{course_by_slug, notices, qa, reviews, visible_course, LearningError};
use crate::paging::Paging;
use crate::web::auth::Auth;
use crate::web::AppState;

#[derive(Tags)]
enum ApiTags {
    /// Questions and answers, notices and reviews.
    Community,
}

/// A question: `title` (1–200 characters) and `body` (1–20,000) are required when asking.
#[derive(Debug, Object)]
pub struct QuestionInput {
    pub title: Option<String>,
    pub body: Option<String>,
    /// Staff only: hide or show the question.
    pub is_hidden: Option<bool>,
}

/// An answer: `body` (1–20,000 characters).
#[derive(Debug, Object)]
pub struct AnswerInput {
    pub body: Option<String>,
    /// Staff only: hide or show the answer.
    pub is_hidden: Option<bool>,
}

#[derive(Debug, Object)]
pub struct AcceptInput {
    pub answer_id: i64,
}

/// A notice: `title` (1–200) required, `body` ≤ 20,000, `is_pinned` puts it first.
#[derive(Debug, Object)]
pub struct NoticeInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub is_pinned: Option<bool>,
}

/// A review: `rating` 1–5 required, `body` ≤ 5,000 characters.
#[derive(Debug, Object)]
pub struct ReviewInput {
    pub rating: Option<i64>,
    pub body: Option<String>,
}

#[derive(ApiResponse)]
pub enum Questions {
    #[oai(status = 200)]
    Ok(Json<QuestionPage>),
}

#[derive(ApiResponse)]
pub enum OneQuestion {
    #[oai(status = 200)]
    Ok(Json<Question>),
    #[oai(status = 201)]
    Created(Json<Question>),
}

#[derive(ApiResponse)]
pub enum OneAnswer {
    #[oai(status = 201)]
    Created(Json<Answer>),
    #[oai(status = 200)]
    Ok(Json<Answer>),
}

#[derive(ApiResponse)]
pub enum Gone {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Notices {
    #[oai(status = 200)]
    Ok(Json<Vec<Notice>>),
    #[oai(status = 201)]
    Created(Json<Notice>),
}

#[derive(ApiResponse)]
pub enum Reviews {
    #[oai(status = 200)]
    Ok(Json<ReviewPage>),
}

#[derive(ApiResponse)]
pub enum OneReview {
    #[oai(status = 201)]
    Created(Json<Review>),
    #[oai(status = 200)]
    Ok(Json<Review>),
}

fn question_of(state: &AppState, id: i64, req: &Request) -> Result<Question, ApiError> {
    let auth = Auth::of(req);
    Ok(state.db.read(|c| qa::detail(c, id, auth.user()))?.into())
}

/// The answer as `viewer` may see it: a write's response never shows more than a read would.
fn answer_of(state: &AppState, id: i64, viewer: &User) -> Result<Answer, ApiError> {
    Ok(state
        .db
        .read(|c| qa::answer_by_id(c, id, Some(viewer)))?
        .into())
}

fn notice_by_id(state: &AppState, id: i64) -> Result<Notice, ApiError> {
    Ok(state.db.read(|c| notices::get(c, id))?.into())
}

pub struct CommunityApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Community")]
impl CommunityApi {
    /// A course's questions
    ///
    /// Newest first, with answer counts; `search` matches title and body (≤ 200 characters).
    #[oai(
        path = "/courses/:slug/questions",
        method = "get",
        operation_id = "questions_list"
    )]
    async fn questions(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        search: Query<Option<String>>,
        page: Query<Option<PositiveInt>>,
        page_size: Query<Option<PositiveInt>>,
    ) -> Result<Questions, ApiError> {
        let paging = Paging::parse(text(page.0).as_deref(), text(page_size.0).as_deref())?;
        let auth = Auth::of(req);
        let (_, found) = state
            .db
            .read(|c| qa::list(c, &slug, auth.user(), search.0.as_deref(), paging))?;
        let (next, previous) = links(&state, req, found.page, found.page_size, found.count);
        Ok(Questions::Ok(Json(QuestionPage {
            count: found.count,
            next,
            previous,
            results: found
                .results
                .into_iter()
                .map(QuestionSummary::from)
                .collect(),
        })))
    }

    /// Ask a question
    ///
    /// Enrolled learners and the course's instructor.
    #[oai(
        path = "/courses/:slug/questions",
        method = "post",
        operation_id = "questions_create"
    )]
    async fn ask(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        body: Json<QuestionInput>,
    ) -> Result<OneQuestion, ApiError> {
        let user = require_user(req, &state)?;
        let (slug, input) = (slug.0, body.0);
        let id = state
            .db
            .write_blocking(move |tx| {
                qa::ask(
                    tx,
                    &user,
                    &slug,
                    input.title.as_deref(),
                    input.body.as_deref(),
                )
            })
            .await?;
        Ok(OneQuestion::Created(Json(question_of(&state, id, req)?)))
    }

    /// A question with its answers
    #[oai(
        path = "/questions/:id",
        method = "get",
        operation_id = "questions_retrieve"
    )]
    async fn question(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<OneQuestion, ApiError> {
        Ok(OneQuestion::Ok(Json(question_of(&state, id.0, req)?)))
    }

    /// Edit a question (its author), or hide or show it (staff)
    #[oai(
        path = "/questions/:id",
        method = "patch",
        operation_id = "questions_partial_update"
    )]
    async fn edit_question(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<QuestionInput>,
    ) -> Result<OneQuestion, ApiError> {
        let user = require_user(req, &state)?;
        let (id, input) = (id.0, body.0);
        state
            .db
            .write_blocking(move |tx| -> Result<(), LearningError> {
                qa::may_edit_question(tx, &user, id)?;
                if let Some(hidden) = input.is_hidden {
                    qa::set_hidden(tx, &user, Some(id), None, hidden)?;
                }
                if input.title.is_some() || input.body.is_some() {
                    let detail = qa::detail(tx, id, Some(&user))?;
                    let title = input.title.unwrap_or(detail.title);
                    let body = input.body.unwrap_or(detail.body);
                    qa::edit_question(tx, &user, id, Some(&title), Some(&body))?;
                }
                Ok(())
            })
            .await?;
        Ok(OneQuestion::Ok(Json(question_of(&state, id, req)?)))
    }

    /// Delete a question (its author or staff)
    #[oai(
        path = "/questions/:id",
        method = "delete",
        operation_id = "questions_destroy"
    )]
    async fn delete_question(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Gone, ApiError> {
        let user = require_user(req, &state)?;
        let id = id.0;
        state
            .db
            .write_blocking(move |tx| qa::delete_question(tx, &user, id))
            .await?;
        Ok(Gone::NoContent)
    }

    /// Answer a question
    #[oai(
        path = "/questions/:id/answers",
        method = "post",
        operation_id = "answers_create"
    )]
    async fn answer(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<AnswerInput>,
    ) -> Result<OneAnswer, ApiError> {
        let user = require_user(req, &state)?;
        let (id, input, author) = (id.0, body.0, user.clone());
        let answer_id = state
            .db
            .write_blocking(move |tx| qa::answer(tx, &author, id, input.body.as_deref()))
            .await?;
        Ok(OneAnswer::Created(Json(answer_of(
            &state, answer_id, &user,
        )?)))
    }

    /// Edit an answer (its author), or hide or show it (staff)
    #[oai(
        path = "/answers/:id",
        method = "patch",
        operation_id = "answers_partial_update"
    )]
    async fn edit_answer(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<AnswerInput>,
    ) -> Result<OneAnswer, ApiError> {
        let caller = require_user(req, &state)?;
        let (id, input, user) = (id.0, body.0, caller.clone());
        state
            .db
            .write_blocking(move |tx| -> Result<(), LearningError> {
                // The caller's right first: an empty body gets the answer a real change would.
                qa::may_edit_answer(tx, &user, id)?;
                if let Some(hidden) = input.is_hidden {
                    qa::set_hidden(tx, &user, None, Some(id), hidden)?;
                }
                match input.body {
                    Some(b) => qa::edit_answer(tx, &user, id, Some(&b)).map(drop),
                    None => Ok(()),
                }
            })
            .await?;
        Ok(OneAnswer::Ok(Json(answer_of(&state, id, &caller)?)))
    }

    /// Delete an answer (its author or staff)
    #[oai(
        path = "/answers/:id",
        method = "delete",
        operation_id = "answers_destroy"
    )]
    async fn delete_answer(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Gone, ApiError> {
        let user = require_user(req, &state)?;
        let id = id.0;
        state
            .db
            .write_blocking(move |tx| qa::delete_answer(tx, &user, id))
            .await?;
        Ok(Gone::NoContent)
    }

    /// Accept an answer (the asker or the instructor)
    #[oai(
        path = "/questions/:id/accept",
        method = "post",
        operation_id = "questions_accept"
    )]
    async fn accept(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<AcceptInput>,
    ) -> Result<OneQuestion, ApiError> {
        let user = require_user(req, &state)?;
        let (id, answer_id) = (id.0, body.0.answer_id);
        state
            .db
            .write_blocking(move |tx| qa::accept(tx, &user, id, answer_id))
            .await?;
        Ok(OneQuestion::Ok(Json(question_of(&state, id, req)?)))
    }

    /// Site-wide notices
    #[oai(path = "/notices", method = "get", operation_id = "notices_list")]
    async fn site_notices(&self, state: Data<&AppState>) -> Result<Notices, ApiError> {
        let list = state.db.read(notices::site_notices)?;
        Ok(Notices::Ok(Json(
            list.into_iter().map(Notice::from).collect(),
        )))
    }

    /// Post a site-wide notice (staff)
    #[oai(path = "/notices", method = "post", operation_id = "notices_create")]
    async fn post_site_notice(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<NoticeInput>,
    ) -> Result<Notices, ApiError> {
        let user = require_user(req, &state)?;
        let input = body.0;
        let id = state
            .db
            .write_blocking(move |tx| {
                notices::post(
                    tx,
                    &user,
                    None,
                    input.title.as_deref(),
                    input.body.as_deref(),
                    input.is_pinned.unwrap_or(false),
                )
            })
            .await?;
        Ok(Notices::Created(Json(notice_by_id(&state, id)?)))
    }

    /// A course's notices
    #[oai(
        path = "/courses/:slug/notices",
        method = "get",
        operation_id = "course_notices_list"
    )]
    async fn course_notices(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
    ) -> Result<Notices, ApiError> {
        let auth = Auth::of(req);
        let list = state.db.read(|c| -> Result<_, LearningError> {
            let course = visible_course(c, &slug, auth.user())?;
            notices::course_notices(c, course.id)
        })?;
        Ok(Notices::Ok(Json(
            list.into_iter().map(Notice::from).collect(),
        )))
    }

    /// Post a notice on a course (its instructor or staff)
    #[oai(
        path = "/courses/:slug/notices",
        method = "post",
        operation_id = "course_notices_create"
    )]
    async fn post_course_notice(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        body: Json<NoticeInput>,
    ) -> Result<Notices, ApiError> {
        let user = require_user(req, &state)?;
        let (slug, input) = (slug.0, body.0);
        let id = state
            .db
            .write_blocking(move |tx| -> Result<i64, LearningError> {
                let course = course_by_slug(tx, &slug)?.ok_or(LearningError::NotFound)?;
                notices::post(
                    tx,
                    &user,
                    Some(&course),
                    input.title.as_deref(),
                    input.body.as_deref(),
                    input.is_pinned.unwrap_or(false),
                )
            })
            .await?;
        Ok(Notices::Created(Json(notice_by_id(&state, id)?)))
    }

    /// A course's reviews
    #[oai(
        path = "/courses/:slug/reviews",
        method = "get",
        operation_id = "reviews_list"
    )]
    async fn reviews(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        page: Query<Option<PositiveInt>>,
        page_size: Query<Option<PositiveInt>>,
    ) -> Result<Reviews, ApiError> {
        let paging = Paging::parse(text(page.0).as_deref(), text(page_size.0).as_deref())?;
        let auth = Auth::of(req);
        let found = state.db.read(|c| -> Result<_, LearningError> {
            let course = visible_course(c, &slug, auth.user())?;
            reviews::list(c, course.id, paging)
        })?;
        let (next, previous) = links(&state, req, found.page, found.page_size, found.count);
        Ok(Reviews::Ok(Json(ReviewPage {
            count: found.count,
            next,
            previous,
            results: found.results.into_iter().map(Review::from).collect(),
        })))
    }

    /// Review a course (enrolled learners, once)
    ///
    /// A second review by the same learner is 409: edit the first instead.
    #[oai(
        path = "/courses/:slug/reviews",
        method = "post",
        operation_id = "reviews_create"
    )]
    async fn review(
        &self,
        state: Data<&AppState>,
        req: &Request,
        slug: Path<String>,
        body: Json<ReviewInput>,
    ) -> Result<OneReview, ApiError> {
        let user = require_user(req, &state)?;
        let (slug, input) = (slug.0, body.0);
        let id = state
            .db
            .write_blocking(move |tx| -> Result<i64, LearningError> {
                let course = course_by_slug(tx, &slug)?.ok_or(LearningError::NotFound)?;
                let rating = input.rating.map(|r| r.to_string());
                reviews::create(tx, &user, &course, rating.as_deref(), input.body.as_deref())
            })
            .await?;
        Ok(OneReview::Created(Json(
            state.db.read(|c| reviews::get(c, id))?.into(),
        )))
    }

    /// Edit my review
    #[oai(
        path = "/reviews/:id",
        method = "patch",
        operation_id = "reviews_partial_update"
    )]
    async fn edit_review(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ReviewInput>,
    ) -> Result<OneReview, ApiError> {
        let user = require_user(req, &state)?;
        let (id, input) = (id.0, body.0);
        state
            .db
            .write_blocking(move |tx| -> Result<(), LearningError> {
                reviews::owned(tx, &user, id)?;
                let current = reviews::get(tx, id)?;
                let rating = input.rating.unwrap_or(current.rating).to_string();
                let body = input.body.unwrap_or(current.body);
                reviews::update(tx, &user, id, Some(&rating), Some(&body))
            })
            .await?;
        Ok(OneReview::Ok(Json(
            state.db.read(|c| reviews::get(c, id))?.into(),
        )))
    }

    /// Delete my review
    #[oai(
        path = "/reviews/:id",
        method = "delete",
        operation_id = "reviews_destroy"
    )]
    async fn delete_review(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Gone, ApiError> {
        let user = require_user(req, &state)?;
        let id = id.0;
        state
            .db
            .write_blocking(move |tx| reviews::delete(tx, &user, id))
            .await?;
        Ok(Gone::NoContent)
    }
}
