//! The course page — description, curriculum, instructor, notices, reviews — and what a learner
//! does from it: enroll, leave, write, change or delete a review. Anonymous views are cached;
//! a learner's view adds their progress and review form.

use minijinja::{context, Value};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::{
    cached, flash, learning_error_page, learning_message, redirect, render, render_cached,
    to_login, PageCtx, PostForm,
};
use crate::catalog;
use crate::fields::FieldErrors;
use crate::learning::{self, enrollment, notices, progress, reviews, LearningError};
use crate::paging::Paging;
use crate::web::routes::url_for;
use crate::web::AppState;

/// How many reviews the course page shows.
const REVIEWS_SHOWN: i64 = 10;

/// What the review form shows after a failed post.
pub struct ReviewForm {
    pub errors: FieldErrors,
    pub rating: String,
    pub body: String,
    pub message: Option<String>,
}

fn course_url(slug: &str) -> String {
    url_for("course_detail", &[("slug", slug)]).unwrap_or_else(|_| "/".into())
}

/// Decoded leniently: a slug that is not UTF-8 matches no course (404, not 400).
pub fn slug_param(req: &Request) -> String {
    let raw = req.raw_path_param("slug").unwrap_or_default();
    url::form_urlencoded::parse(format!("s={}", raw.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub fn course_page(
    state: &AppState,
    ctx: &PageCtx,
    slug: &str,
    form: Option<ReviewForm>,
    status: StatusCode,
) -> Response {
    let generation = state.db.generation();
    if form.is_none() {
        if let Some(hit) = cached(state, ctx, generation) {
            return hit;
        }
    }
    let user = ctx.user.clone();
    let found = state.db.read(|c| -> Result<_, LearningError> {
        let detail = catalog::course_detail(c, slug)?;
        let course = learning::visible_course(c, slug, user.as_ref())?;
        let notices = notices::course_notices(c, course.id)?;
        let reviews = reviews::list(
            c,
            course.id,
            Paging {
                page: 1,
                size: REVIEWS_SHOWN,
            },
        )?;
        let mine = match &user {
            Some(u) => {
                let p = progress::progress(c, u.id, &course)?;
                let review = match reviews::mine(c, u.id, course.id)? {
                    Some(id) => Some(reviews::get(c, id)?),
                    None => None,
                };
                Some((p, review))
            }
            None => None,
        };
        Ok((detail, notices, reviews, mine))
    });
    let (detail, notices, reviews, mine) = match found {
        Ok(v) => v,
        Err(e) => return learning_error_page(state, ctx, e),
    };
    let enrolled = mine.as_ref().is_some_and(|(p, _)| p.enrolled);
    let (progress, my_review) = match mine {
        Some((p, r)) if p.enrolled => (Some(p), r),
        Some((_, r)) => (None, r),
        None => (None, None),
    };
    let can_review = enrolled && my_review.is_none();
    let (review_errors, review_form, review_message) = match &form {
        Some(f) => (
            ctx.field_errors(state, &f.errors),
            context! { rating => f.rating.as_str(), body => f.body.as_str() },
            f.message.clone(),
        ),
        None => (Value::UNDEFINED, Value::UNDEFINED, None),
    };
    let data = context! {
        course => Value::from_serialize(&detail),
        notices,
        reviews => reviews.results,
        review_count => reviews.count,
        enrolled,
        progress,
        my_review,
        can_review,
        review_errors,
        review_form,
        review_message,
    };
    if form.is_none() && status == StatusCode::OK {
        render_cached(state, ctx, generation, "course.html", data)
    } else {
        render(state, ctx, "course.html", data, status)
    }
}

#[handler]
pub fn course_detail(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    course_page(&state, &ctx, &slug_param(req), None, StatusCode::OK)
}

#[handler]
pub async fn enroll(
    req: &Request,
    state: Data<&AppState>,
    Path(slug): Path<String>,
    _form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return redirect(&format!(
            "{}?next={}",
            url_for("login", &[]).unwrap_or_default(),
            url::form_urlencoded::byte_serialize(course_url(&slug).as_bytes()).collect::<String>()
        ));
    };
    let s = slug.clone();
    let result = state
        .db
        .write_blocking(move |tx| -> Result<bool, LearningError> {
            let course = learning::visible_course(tx, &s, Some(&user))?;
            enrollment::enroll(tx, user.id, &course)
        })
        .await;
    match result {
        Ok(_) => {
            flash(req, "success", "flash.enrolled");
            redirect(&course_url(&slug))
        }
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}

#[handler]
pub async fn leave(
    req: &Request,
    state: Data<&AppState>,
    Path(slug): Path<String>,
    _form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let s = slug.clone();
    let result = state
        .db
        .write_blocking(move |tx| -> Result<bool, LearningError> {
            let course = learning::visible_course(tx, &s, Some(&user))?;
            enrollment::leave(tx, user.id, course.id)
        })
        .await;
    match result {
        Ok(_) => {
            flash(req, "info", "flash.left");
            redirect(&course_url(&slug))
        }
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}

fn review_failure(
    state: &AppState,
    ctx: &PageCtx,
    slug: &str,
    form: &PostForm,
    err: LearningError,
) -> Response {
    let keep = |errors: FieldErrors, message: Option<String>| ReviewForm {
        errors,
        rating: form.value("rating").unwrap_or_default(),
        body: form.value("body").unwrap_or_default(),
        message,
    };
    match err {
        LearningError::Invalid(errors) => course_page(
            state,
            ctx,
            slug,
            Some(keep(errors, None)),
            StatusCode::BAD_REQUEST,
        ),
        LearningError::Conflict(errors) => {
            let message = Some(ctx.t(state, "learning.already_reviewed").to_owned());
            course_page(
                state,
                ctx,
                slug,
                Some(keep(errors, message)),
                StatusCode::CONFLICT,
            )
        }
        e @ LearningError::Forbidden { .. } => {
            let message = learning_message(state, ctx, &e);
            course_page(
                state,
                ctx,
                slug,
                Some(keep(FieldErrors::new(), message)),
                StatusCode::FORBIDDEN,
            )
        }
        e => learning_error_page(state, ctx, e),
    }
}

#[handler]
pub async fn review_create(
    req: &Request,
    state: Data<&AppState>,
    Path(slug): Path<String>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let (s, rating, body) = (slug.clone(), form.value("rating"), form.value("body"));
    let result = state
        .db
        .write_blocking(move |tx| -> Result<i64, LearningError> {
            let course = learning::course_by_slug(tx, &s)?.ok_or(LearningError::NotFound)?;
            reviews::create(tx, &user, &course, rating.as_deref(), body.as_deref())
        })
        .await;
    match result {
        Ok(_) => {
            flash(req, "success", "flash.review_saved");
            redirect(&course_url(&slug))
        }
        Err(e) => review_failure(&state, &ctx, &slug, &form, e),
    }
}

#[handler]
pub async fn review_update(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let slug = match state.db.read(|c| reviews::course_slug_of(c, id)) {
        Ok(s) => s,
        Err(e) => return learning_error_page(&state, &ctx, e),
    };
    let (rating, body) = (form.value("rating"), form.value("body"));
    let result = state
        .db
        .write_blocking(move |tx| {
            reviews::update(tx, &user, id, rating.as_deref(), body.as_deref())
        })
        .await;
    match result {
        Ok(()) => {
            flash(req, "success", "flash.review_saved");
            redirect(&course_url(&slug))
        }
        Err(e) => review_failure(&state, &ctx, &slug, &form, e),
    }
}

#[handler]
pub async fn review_delete(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    _form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let slug = match state.db.read(|c| reviews::course_slug_of(c, id)) {
        Ok(s) => s,
        Err(e) => return learning_error_page(&state, &ctx, e),
    };
    match state
        .db
        .write_blocking(move |tx| reviews::delete(tx, &user, id))
        .await
    {
        Ok(()) => {
            flash(req, "info", "flash.review_deleted");
            redirect(&course_url(&slug))
        }
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}
