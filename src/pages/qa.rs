//! Q&A pages: a course's questions (search, pagination, the ask form), a question with its
//! answers and the controls its viewer may use (answer, accept, edit, delete, hide), and the
//! edit forms. Every rule is the learning domain's; failures re-render with the input kept.

use minijinja::{context, Value};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};
use rusqlite::Transaction;

use super::course::slug_param;
use super::{
    done, form_refusal, learner_action, learner_write, learning_error_page, page_nav, render,
    to_login, PageCtx, PostForm,
};
use crate::accounts::User;
use crate::fields::FieldErrors;
use crate::learning::{self, is_enrolled, is_moderator, may_change_course, qa, LearningError};
use crate::paging::Paging;
use crate::web::routes::{query_string, url_for};
use crate::web::AppState;

fn question_url(id: i64) -> String {
    url_for("question", &[("id", &id.to_string())]).unwrap_or_default()
}

fn query_value(req: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn list_page(
    state: &AppState,
    ctx: &PageCtx,
    req: &Request,
    slug: &str,
    form: Option<(&PostForm, FieldErrors, Option<String>)>,
    status: StatusCode,
) -> Response {
    // Read before the database, for keeping the page (`render_kept`).
    let generation = state.db.generation();
    let plain = form.is_none() && status == StatusCode::OK;
    let search = query_value(req, "search").unwrap_or_default();
    let paging = match Paging::parse(query_value(req, "page").as_deref(), None) {
        Ok(p) => p,
        Err(e) => return learning_error_page(state, ctx, LearningError::Invalid(e)),
    };
    let user = ctx.user.clone();
    let found = state.db.read(|c| -> Result<_, LearningError> {
        let (course, page) = qa::list(c, slug, user.as_ref(), Some(&search), paging)?;
        let can_ask = match &user {
            Some(u) => is_enrolled(c, u.id, course.id)? || may_change_course(c, u, &course)?,
            None => false,
        };
        Ok((course, page, can_ask))
    });
    let (course, page, can_ask) = match found {
        Ok(v) => v,
        Err(e) => return learning_error_page(state, ctx, e),
    };
    let base = url_for("questions", &[("slug", slug)]).unwrap_or_default();
    let link = |n: i64| {
        let p = if n > 1 { n.to_string() } else { String::new() };
        format!(
            "{base}{}",
            query_string(&[("search", &search), ("page", &p)])
        )
    };
    let question_page = page_nav(
        page.count,
        page.page,
        page.page_size,
        Value::from_serialize(&page.results),
        link,
    );
    let (form_values, errors, message) = match form {
        Some((f, e, m)) => (
            context! { title => f.get("title"), body => f.get("body") },
            ctx.field_errors(state, &e),
            m,
        ),
        None => (Value::UNDEFINED, Value::UNDEFINED, None),
    };
    let non_field_errors: Vec<String> = message.into_iter().collect();
    let data = context! { course, questions => question_page, search, can_ask, form => form_values, errors, non_field_errors };
    if plain {
        return super::render_kept(state, ctx, generation, "questions", "qa/list.html", data);
    }
    render(state, ctx, "qa/list.html", data, status)
}

#[handler]
pub fn questions(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    if let Some(hit) = super::kept(&state, &ctx, state.db.generation(), "questions") {
        return hit;
    }
    list_page(&state, &ctx, req, &slug_param(req), None, StatusCode::OK)
}

#[handler]
pub async fn ask(
    req: &Request,
    state: Data<&AppState>,
    Path(slug): Path<String>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let (s, title, body) = (slug.clone(), form.value("title"), form.value("body"));
    let write = move |tx: &Transaction<'_>, user: &User| {
        let id = qa::ask(tx, user, &s, title.as_deref(), body.as_deref())?;
        Ok(done("flash.question_posted", question_url(id)))
    };
    learner_write(req, &state, &ctx, write, |e| {
        let (errors, message, status) = match form_refusal(&state, &ctx, e) {
            Ok(shown) => shown,
            Err(e) => return learning_error_page(&state, &ctx, e),
        };
        list_page(
            &state,
            &ctx,
            req,
            &slug,
            Some((&form, errors, message)),
            status,
        )
    })
    .await
}

fn detail_page(
    state: &AppState,
    ctx: &PageCtx,
    id: i64,
    answer_form: Option<(&PostForm, FieldErrors, Option<String>)>,
    status: StatusCode,
) -> Response {
    let user = ctx.user.clone();
    let found = state.db.read(|c| -> Result<_, LearningError> {
        let detail = qa::detail(c, id, user.as_ref())?;
        let course =
            learning::course_by_slug(c, &detail.course_slug)?.ok_or(LearningError::NotFound)?;
        let (can_answer, can_accept, moderator) = match &user {
            Some(u) => {
                let editor = may_change_course(c, u, &course)?;
                (
                    editor || is_enrolled(c, u.id, course.id)?,
                    editor || detail.author.id == u.id,
                    is_moderator(c, u)?,
                )
            }
            None => (false, false, false),
        };
        Ok((detail, can_answer, can_accept, moderator))
    });
    let (detail, can_answer, can_accept, is_moderator) = match found {
        Ok(v) => v,
        Err(e) => return learning_error_page(state, ctx, e),
    };
    let (answer_form, answer_errors, message) = match answer_form {
        Some((f, e, m)) => (
            context! { body => f.get("body") },
            ctx.field_errors(state, &e),
            m,
        ),
        None => (Value::UNDEFINED, Value::UNDEFINED, None),
    };
    let non_field_errors: Vec<String> = message.into_iter().collect();
    let data = context! { question => detail, can_answer, can_accept, is_moderator, answer_form, answer_errors, non_field_errors };
    render(state, ctx, "qa/detail.html", data, status)
}

#[handler]
pub fn question(req: &Request, state: Data<&AppState>, Path(id): Path<i64>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    detail_page(&state, &ctx, id, None, StatusCode::OK)
}

#[handler]
pub async fn answer_create(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let body = form.value("body");
    let write = move |tx: &Transaction<'_>, user: &User| {
        qa::answer(tx, user, id, body.as_deref())?;
        Ok(done("flash.answer_posted", question_url(id)))
    };
    learner_write(req, &state, &ctx, write, |e| {
        let (errors, message, status) = match form_refusal(&state, &ctx, e) {
            Ok(shown) => shown,
            Err(e) => return learning_error_page(&state, &ctx, e),
        };
        detail_page(&state, &ctx, id, Some((&form, errors, message)), status)
    })
    .await
}

fn questions_url_of(tx: &rusqlite::Connection, question_id: i64) -> Result<String, LearningError> {
    let slug = qa::course_slug_of(tx, question_id)?;
    Ok(url_for("questions", &[("slug", &slug)]).unwrap_or_default())
}

#[handler]
pub async fn question_delete(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    _form: PostForm,
) -> Response {
    learner_action(req, &state, move |tx, user| {
        let back = questions_url_of(tx, id)?;
        qa::delete_question(tx, user, id)?;
        Ok(done("flash.post_deleted", back))
    })
    .await
}

#[handler]
pub async fn question_hide(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let hidden = form.get("hidden") != Some("0");
    let key = if hidden {
        "flash.hidden"
    } else {
        "flash.shown"
    };
    learner_action(req, &state, move |tx, user| {
        qa::set_hidden(tx, user, Some(id), None, hidden)?;
        Ok(done(key, question_url(id)))
    })
    .await
}

#[handler]
pub async fn answer_delete(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    _form: PostForm,
) -> Response {
    learner_action(req, &state, move |tx, user| {
        let question_id = qa::delete_answer(tx, user, id)?;
        Ok(done("flash.post_deleted", question_url(question_id)))
    })
    .await
}

#[handler]
pub async fn answer_hide(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let hidden = form.get("hidden") != Some("0");
    let key = if hidden {
        "flash.hidden"
    } else {
        "flash.shown"
    };
    learner_action(req, &state, move |tx, user| {
        let question_id = qa::question_of_answer(tx, id, Some(user))?;
        qa::set_hidden(tx, user, None, Some(id), hidden)?;
        Ok(done(key, question_url(question_id)))
    })
    .await
}

#[handler]
pub async fn accept(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let answer_id = form
        .get("answer_id")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    learner_action(req, &state, move |tx, user| {
        qa::accept(tx, user, id, answer_id)?;
        Ok(done("flash.answer_accepted", question_url(id)))
    })
    .await
}

/// What an edit form is about.
enum Editing {
    Question(i64),
    Answer(i64),
}

fn edit_page(
    state: &AppState,
    ctx: &PageCtx,
    what: Editing,
    values: Value,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let (kind, action, back_url) = match what {
        Editing::Question(id) => (
            "question",
            url_for("question_edit", &[("id", &id.to_string())]),
            question_url(id),
        ),
        Editing::Answer(id) => {
            let back = state
                .db
                .read(|c| qa::question_of_answer(c, id, ctx.user.as_ref()))
                .map(question_url)
                .unwrap_or_default();
            (
                "answer",
                url_for("answer_edit", &[("id", &id.to_string())]),
                back,
            )
        }
    };
    let data = context! { kind, action => action.unwrap_or_default(), form => values, errors => ctx.field_errors(state, errors), back_url };
    render(state, ctx, "qa/edit.html", data, status)
}

#[handler]
pub fn question_edit_form(req: &Request, state: Data<&AppState>, Path(id): Path<i64>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    match state.db.read(|c| qa::detail(c, id, Some(&user))) {
        Ok(q) if q.author.id == user.id => {
            let values = context! { title => q.title, body => q.body };
            edit_page(
                &state,
                &ctx,
                Editing::Question(id),
                values,
                &FieldErrors::new(),
                StatusCode::OK,
            )
        }
        Ok(_) => learning_error_page(&state, &ctx, LearningError::not_yours()),
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}

#[handler]
pub async fn question_edit(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let (title, body) = (form.value("title"), form.value("body"));
    let write = move |tx: &Transaction<'_>, user: &User| {
        qa::edit_question(tx, user, id, title.as_deref(), body.as_deref())?;
        Ok(done("flash.post_updated", question_url(id)))
    };
    learner_write(req, &state, &ctx, write, |e| match e {
        LearningError::Invalid(errors) => {
            let values = context! { title => form.get("title"), body => form.get("body") };
            let status = StatusCode::BAD_REQUEST;
            edit_page(&state, &ctx, Editing::Question(id), values, &errors, status)
        }
        e => learning_error_page(&state, &ctx, e),
    })
    .await
}

#[handler]
pub fn answer_edit_form(req: &Request, state: Data<&AppState>, Path(id): Path<i64>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let found = state.db.read(|c| -> Result<_, LearningError> {
        let question_id = qa::question_of_answer(c, id, Some(&user))?;
        let detail = qa::detail(c, question_id, Some(&user))?;
        detail
            .answers
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(LearningError::NotFound)
    });
    match found {
        Ok(a) if a.author.id == user.id => edit_page(
            &state,
            &ctx,
            Editing::Answer(id),
            context! { body => a.body },
            &FieldErrors::new(),
            StatusCode::OK,
        ),
        Ok(_) => learning_error_page(&state, &ctx, LearningError::not_yours()),
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}

#[handler]
pub async fn answer_edit(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<i64>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let body = form.value("body");
    let write = move |tx: &Transaction<'_>, user: &User| {
        let question_id = qa::edit_answer(tx, user, id, body.as_deref())?;
        Ok(done("flash.post_updated", question_url(question_id)))
    };
    learner_write(req, &state, &ctx, write, |e| match e {
        LearningError::Invalid(errors) => {
            let values = context! { body => form.get("body") };
            let status = StatusCode::BAD_REQUEST;
            edit_page(&state, &ctx, Editing::Answer(id), values, &errors, status)
        }
        e => learning_error_page(&state, &ctx, e),
    })
    .await
}
