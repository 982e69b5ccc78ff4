//! Studying: the lesson page (who may open it, video player or link, curriculum with
//! checkmarks, previous / next), marking lessons complete, My courses with progress and
//! "continue where you left off", and the public certificate page.

use minijinja::{context, Value};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::course::slug_param;
use super::{
    done, learner_action, learning_error_page, page_nav, render, to_login, PageCtx, PostForm,
};
use crate::learning::{enrollment, lessons, notices, progress, visible_course, LearningError};
use crate::paging::Paging;
use crate::web::routes::{query_string, url_for};
use crate::web::AppState;

fn lesson_url(slug: &str, position: i64) -> String {
    url_for(
        "lesson",
        &[("slug", slug), ("position", &position.to_string())],
    )
    .unwrap_or_default()
}

#[handler]
pub fn lesson(
    req: &Request,
    state: Data<&AppState>,
    Path((_, position)): Path<(String, i64)>,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let slug = slug_param(req);
    let hosts = lessons::parse_hosts(&state.config.learning.video_hosts);
    match state
        .db
        .read(|c| lessons::lesson_view(c, &slug, position, ctx.user.as_ref(), &hosts))
    {
        Ok(view) => {
            let enrolled = view.progress.is_some();
            let data = context! { lesson => Value::from_serialize(&view), enrolled };
            render(&state, &ctx, "lessons/lesson.html", data, StatusCode::OK)
        }
        // Visitors are sent to log in and come back; learners are told to enroll.
        Err(LearningError::Forbidden { .. }) if ctx.user.is_none() => to_login(&ctx),
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}

#[handler]
pub async fn lesson_complete(
    req: &Request,
    state: Data<&AppState>,
    Path((slug, position)): Path<(String, i64)>,
    form: PostForm,
) -> Response {
    let complete = form.get("done") != Some("0");
    learner_action(req, &state, move |tx, user| {
        let course = visible_course(tx, &slug, Some(user))?;
        if !complete {
            progress::mark_incomplete(tx, user.id, &course, position)?;
            return Ok(done("flash.lesson_completed", lesson_url(&slug, position)));
        }
        let p = progress::mark_complete(tx, user.id, &course, position)?;
        let finished = p.progress_percent == 100 && p.certificate_code.is_some();
        let key = match finished {
            true => "flash.course_completed",
            false => "flash.lesson_completed",
        };
        // Onward to the next lesson when one is left, else back to this one.
        let next = p.next_lesson_position.unwrap_or(position);
        Ok(done(key, lesson_url(&slug, next)))
    })
    .await
}

#[handler]
pub fn my_courses(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let page = query
        .iter()
        .find(|(k, _)| k == "page")
        .map(|(_, v)| v.as_str());
    let paging = match Paging::parse(page, None) {
        Ok(p) => p,
        Err(e) => return learning_error_page(&state, &ctx, LearningError::Invalid(e)),
    };
    let found = state.db.read(|c| -> Result<_, LearningError> {
        Ok((
            enrollment::my_courses(c, user.id, paging)?,
            notices::my_course_notices(c, user.id)?,
        ))
    });
    let (list, notices) = match found {
        Ok(v) => v,
        Err(e) => return learning_error_page(&state, &ctx, e),
    };
    let base = url_for("my_courses", &[]).unwrap_or_default();
    let link = |n: i64| {
        let p = if n > 1 { n.to_string() } else { String::new() };
        format!("{base}{}", query_string(&[("page", &p)]))
    };
    let courses = page_nav(
        list.count,
        list.page,
        list.page_size,
        Value::from_serialize(&list.results),
        link,
    );
    render(
        &state,
        &ctx,
        "learning/my_courses.html",
        context! { courses, notices },
        StatusCode::OK,
    )
}

#[handler]
pub fn certificate(req: &Request, state: Data<&AppState>, Path(code): Path<String>) -> Response {
    let ctx = PageCtx::of(req, &state);
    match state.db.read(|c| progress::certificate(c, &code)) {
        Ok(cert) => render(
            &state,
            &ctx,
            "learning/certificate.html",
            context! { certificate => cert },
            StatusCode::OK,
        ),
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}
