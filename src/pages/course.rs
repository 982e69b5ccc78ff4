//! The course page — description, curriculum, instructor, notices, reviews — and what a learner
//! does from it: enroll, leave, write, change or delete a review. Anonymous views are cached;
//! a learner's view adds their progress and review form.

use minijinja::{context, Value};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::{
    cached, done, form_refusal, learner_action, learner_write, learning_error_page, noted,
    redirect, render, render_cached, to_login, PageCtx, PostForm,
};
use rusqlite::Transaction;

use crate::accounts::User;
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
                // A finished course suggests what to take next (the completion card).
                let next = match p.completed_at {
                    Some(_) => enrollment::suggest_next(c, u.id, course.id)?,
                    None => None,
                };
                let review = match reviews::mine(c, u.id, course.id)? {
                    Some(id) => Some(reviews::get(c, id)?),
                    None => None,
                };
                Some((p, review, next))
            }
            None => None,
        };
        Ok((detail, notices, reviews, mine))
    });
    let (detail, notices, reviews, mine) = match found {
        Ok(v) => v,
        Err(e) => return learning_error_page(state, ctx, e),
    };
    let enrolled = mine.as_ref().is_some_and(|(p, _, _)| p.enrolled);
    let (progress, my_review, suggestion) = match mine {
        Some((p, r, next)) if p.enrolled => (Some(p), r, next),
        Some((_, r, _)) => (None, r, None),
        None => (None, None, None),
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
        parts => Value::from_serialize(catalog::curriculum_parts(&detail.lessons)),
        course => Value::from_serialize(&detail),
        notices,
        reviews => reviews.results,
        review_count => reviews.count,
        enrolled,
        progress,
        suggestion => Value::from_serialize(&suggestion),
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
    if PageCtx::of(req, &state).user.is_none() {
        // After logging in, back to the course page (this POST's address has no page).
        let next: String =
            url::form_urlencoded::byte_serialize(course_url(&slug).as_bytes()).collect();
        let login = url_for("login", &[]).unwrap_or_default();
        return redirect(&format!("{login}?next={next}&reason=login_required"));
    }
    learner_action(req, &state, move |tx, user| {
        let course = learning::visible_course(tx, &slug, Some(user))?;
        enrollment::enroll(tx, user.id, &course)?;
        Ok(done("flash.enrolled", course_url(&slug)))
    })
    .await
}

#[handler]
pub async fn leave(
    req: &Request,
    state: Data<&AppState>,
    Path(slug): Path<String>,
    _form: PostForm,
) -> Response {
    learner_action(req, &state, move |tx, user| {
        let course = learning::visible_course(tx, &slug, Some(user))?;
        enrollment::leave(tx, user.id, course.id)?;
        Ok(noted("flash.left", course_url(&slug)))
    })
    .await
}

/// The confirmation before deleting a learner's progress in a course, saying how many lesson
/// records will go.
#[handler]
pub fn progress_delete_form(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let slug = slug_param(req);
    let found = state.db.read(|c| -> Result<_, LearningError> {
        let course = learning::visible_course(c, &slug, Some(&user))?;
        let count = progress::recorded_lessons(c, user.id, course.id)?;
        Ok((course, count))
    });
    match found {
        Ok((course, count)) => render(
            &state,
            &ctx,
            "learning/progress_delete.html",
            context! { course => context! { slug => course.slug, title => course.title }, count },
            StatusCode::OK,
        ),
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}

/// Deletes the learner's progress in the course, after the confirmation above.
#[handler]
pub async fn progress_delete(
    req: &Request,
    state: Data<&AppState>,
    Path(slug): Path<String>,
    _form: PostForm,
) -> Response {
    learner_action(req, &state, move |tx, user| {
        let course = learning::visible_course(tx, &slug, Some(user))?;
        progress::forget(tx, user.id, &course)?;
        Ok(noted("flash.progress_deleted", course_url(&slug)))
    })
    .await
}

fn review_failure(
    state: &AppState,
    ctx: &PageCtx,
    slug: &str,
    form: &PostForm,
    err: LearningError,
) -> Response {
    let (errors, message, status) = match err {
        LearningError::Conflict(errors) => {
            let message = Some(ctx.t(state, "learning.already_reviewed").to_owned());
            (errors, message, StatusCode::CONFLICT)
        }
        e => match form_refusal(state, ctx, e) {
            Ok(shown) => shown,
            Err(e) => return learning_error_page(state, ctx, e),
        },
    };
    let kept = ReviewForm {
        errors,
        rating: form.value("rating").unwrap_or_default(),
        body: form.value("body").unwrap_or_default(),
        message,
    };
    course_page(state, ctx, slug, Some(kept), status)
}

#[handler]
pub async fn review_create(
    req: &Request,
    state: Data<&AppState>,
    Path(slug): Path<String>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let (s, rating, body) = (slug.clone(), form.value("rating"), form.value("body"));
    let write = move |tx: &Transaction<'_>, user: &User| {
        let course = learning::course_by_slug(tx, &s)?.ok_or(LearningError::NotFound)?;
        reviews::create(tx, user, &course, rating.as_deref(), body.as_deref())?;
        Ok(done("flash.review_saved", course_url(&s)))
    };
    learner_write(req, &state, &ctx, write, |e| {
        review_failure(&state, &ctx, &slug, &form, e)
    })
    .await
}

#[handler]
pub async fn review_update(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    // Read first: a refusal shows the course page again.
    let slug = match state.db.read(|c| reviews::course_slug_of(c, id)) {
        Ok(s) => s,
        Err(e) => return learning_error_page(&state, &ctx, e),
    };
    let (to, rating, body) = (course_url(&slug), form.value("rating"), form.value("body"));
    let write = move |tx: &Transaction<'_>, user: &User| {
        reviews::update(tx, user, id, rating.as_deref(), body.as_deref())?;
        Ok(done("flash.review_saved", to))
    };
    learner_write(req, &state, &ctx, write, |e| {
        review_failure(&state, &ctx, &slug, &form, e)
    })
    .await
}

#[handler]
pub async fn review_delete(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    _form: PostForm,
) -> Response {
    learner_action(req, &state, move |tx, user| {
        let slug = reviews::course_slug_of(tx, id)?;
        reviews::delete(tx, user, id)?;
        Ok(noted("flash.review_deleted", course_url(&slug)))
    })
    .await
}
