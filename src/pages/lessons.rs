//! Studying: the lesson page (who may open it, video player or link, curriculum with
//! checkmarks, previous / next), marking lessons complete, My courses with progress and
//! "continue where you left off", and the public certificate page.

use std::sync::OnceLock;

use minijinja::{context, Value};
use poem::http::{header, HeaderValue, StatusCode};
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::course::slug_param;
use super::{
    done, learner_action, learning_error_page, page_nav, render, template_failed, to_login,
    PageCtx, PostForm,
};
use crate::learning::{
    enrollment, lessons, notices, progress, visible_course, CourseRef, LearningError,
};
use crate::paging::Paging;
use crate::web::i18n::Lang;
use crate::web::middleware::csp_framing;
use crate::web::routes::{query_string, url_for};
use crate::web::templates::duration;
use crate::web::AppState;

fn lesson_url(slug: &str, position: i64) -> String {
    url_for(
        "lesson",
        &[("slug", slug), ("position", &position.to_string())],
    )
    .unwrap_or_default()
}

/// The part of a lesson page that is the same for every reader, kept in `AppState::parts` for
/// one write generation: the lesson's text and video (sanitising markdown is the costly step),
/// the curriculum with each item's link and duration ready to print, and the curriculum's HTML
/// entries. Nothing about the reader (checkmarks, progress, name, CSRF token) may go in here.
#[derive(Debug)]
struct LessonPart {
    is_preview: bool,
    position: i64,
    positions: Vec<i64>,
    items: Vec<Value>,
    /// What the template reads as `lesson`.
    value: Value,
    /// The side list's entries as HTML, `[not done, done]` per item, rendered on first use for
    /// each language and enrolment (`side_index`): the list is most of the page's template work.
    side: [OnceLock<Vec<[Value; 2]>>; 4],
}

impl minijinja::value::Object for LessonPart {}

fn side_index(lang: Lang, enrolled: bool) -> usize {
    usize::from(lang == Lang::En) * 2 + usize::from(enrolled)
}

impl LessonPart {
    fn build(course: &CourseRef, content: lessons::LessonContent) -> LessonPart {
        let items: Vec<Value> = content
            .curriculum
            .iter()
            .map(|item| {
                context! {
                    position => item.position,
                    title => item.title.as_str(),
                    duration => duration(item.duration_seconds),
                    is_preview => item.is_preview,
                    // A percent-encoded path, printed as `url()` prints it.
                    url => Value::from_safe_string(lesson_url(&course.slug, item.position)),
                }
            })
            .collect();
        let item_at = |p: Option<i64>| {
            p.and_then(|p| content.curriculum.iter().position(|i| i.position == p))
                .map(|i| items[i].clone())
        };
        let value = context! {
            course => context! { slug => course.slug.as_str(), title => course.title.as_str() },
            position => content.position,
            title => content.title,
            body_html => content.body_html,
            duration => duration(content.duration_seconds),
            is_preview => content.is_preview,
            watch => content.video.as_ref().and_then(lessons::watch_link).map(|(site, url)| context! { site, url }),
            video => content.video,
            previous => item_at(content.previous_position),
            next => item_at(content.next_position),
            curriculum => items.clone(),
        };
        LessonPart {
            is_preview: content.is_preview,
            position: content.position,
            positions: content.curriculum.iter().map(|i| i.position).collect(),
            items,
            value,
            side: Default::default(),
        }
    }

    /// The side list for a reader who has done the lessons at `done`.
    fn side_lessons(
        &self,
        state: &AppState,
        lang: Lang,
        enrolled: bool,
        done: &[i64],
    ) -> Result<Value, minijinja::Error> {
        let slot = &self.side[side_index(lang, enrolled)];
        let entries = match slot.get() {
            Some(entries) => entries,
            None => {
                let rendered = self.render_side(state, lang, enrolled)?;
                slot.get_or_init(|| rendered)
            }
        };
        let mut html = String::with_capacity(entries.iter().map(|e| e[0].len().unwrap_or(0)).sum());
        for (entry, position) in entries.iter().zip(&self.positions) {
            let is_done = enrolled && done.contains(position);
            html.push_str(entry[usize::from(is_done)].as_str().unwrap_or_default());
        }
        Ok(Value::from_safe_string(html))
    }

    fn render_side(
        &self,
        state: &AppState,
        lang: Lang,
        enrolled: bool,
    ) -> Result<Vec<[Value; 2]>, minijinja::Error> {
        let ctx = context! { lang => lang.code() };
        let entry = |item: &Value, position: i64, is_done: bool| {
            let args = [
                item.clone(),
                Value::from(position == self.position),
                Value::from(enrolled),
                Value::from(is_done),
            ];
            state
                .templates
                .call_macro(
                    "lessons/_side_lesson.html",
                    "side_lesson",
                    ctx.clone(),
                    &args,
                )
                .map(Value::from_safe_string)
        };
        self.items
            .iter()
            .zip(&self.positions)
            .map(|(item, &position)| {
                Ok([entry(item, position, false)?, entry(item, position, true)?])
            })
            .collect()
    }
}

#[handler]
pub fn lesson(
    req: &Request,
    state: Data<&AppState>,
    Path((_, position)): Path<(String, i64)>,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let slug = slug_param(req);
    let user = ctx.user.as_ref();
    // Read before the database: a part read after a concurrent write is then stored under the
    // older generation, which is already stale.
    let generation = state.db.generation();
    // A logged-in reader's page depends only on the database (their enrolment and lessons done
    // included), who they are, the path and the language: kept per write generation, it skips
    // the SQL and the template (`render_kept`).
    if let Some(hit) = super::kept(&state, &ctx, generation, "lesson") {
        return with_lesson_csp(&state, hit);
    }
    let found = state.db.read(|c| -> Result<_, LearningError> {
        let course = visible_course(c, &slug, user)?;
        let key = ("lesson", course.id, position);
        let part = match state.parts.get(&key, generation) {
            Some(part) => part,
            None => {
                let hosts = lessons::parse_hosts(&state.config.learning.video_hosts);
                let content = lessons::lesson_content(c, &course, position, &hosts)?;
                let part = Value::from_object(LessonPart::build(&course, content));
                state.parts.put(key, generation, part.clone());
                part
            }
        };
        let is_preview = part
            .downcast_object_ref::<LessonPart>()
            .is_some_and(|p| p.is_preview);
        let progress = lessons::lesson_access(c, &course, is_preview, user)?;
        Ok((part, progress))
    });
    match found {
        Ok((part, progress)) => {
            let Some(lesson) = part.downcast_object_ref::<LessonPart>() else {
                return learning_error_page(&state, &ctx, LearningError::NotFound);
            };
            // The reader's own state, beside the shared part.
            let enrolled = progress.is_some();
            let done = progress
                .as_ref()
                .map(|p| p.completed_positions.as_slice())
                .unwrap_or_default();
            let side_lessons = match lesson.side_lessons(&state, ctx.lang, enrolled, done) {
                Ok(html) => html,
                Err(e) => return template_failed(&state, &ctx, "lessons/_side_lesson.html", e),
            };
            let data = context! {
                lesson => lesson.value.clone(),
                enrolled,
                completed => done.contains(&position),
                side_lessons,
                progress => progress.as_ref().map(|p| context! {
                    progress_percent => p.progress_percent,
                    completed_lessons => p.completed_lessons,
                    lesson_count => p.lesson_count,
                }),
            };
            let resp = super::render_kept(
                &state,
                &ctx,
                generation,
                "lesson",
                "lessons/lesson.html",
                data,
            );
            with_lesson_csp(&state, resp)
        }
        // Visitors are sent to log in and come back; learners are told to enroll.
        Err(LearningError::Forbidden { .. }) if ctx.user.is_none() => to_login(&ctx),
        Err(e) => learning_error_page(&state, &ctx, e),
    }
}

/// The lesson page's frame sources (the allowed video hosts) on a successful answer.
fn with_lesson_csp(state: &AppState, mut resp: Response) -> Response {
    if resp.status() == StatusCode::OK {
        let hosts = lessons::parse_hosts(&state.config.learning.video_hosts);
        let csp = csp_framing(&lessons::frame_sources(&hosts));
        if let Ok(v) = HeaderValue::from_str(&csp) {
            resp.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    resp
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
        // The last lesson done: to the course page, whose first screen is then the completion
        // card, the flash linking the certificate.
        if let (100, Some(code)) = (p.progress_percent, &p.certificate_code) {
            let certificate_url =
                url_for("certificate", &[("code", code.as_str())]).unwrap_or_default();
            let course_page =
                url_for("course_detail", &[("slug", slug.as_str())]).unwrap_or_default();
            return Ok(done("flash.course_completed", course_page)
                .with_link(certificate_url, "enroll.certificate"));
        }
        // Onward to the next lesson when one is left, else back to this one.
        let next = p.next_lesson_position.unwrap_or(position);
        Ok(done("flash.lesson_completed", lesson_url(&slug, next)))
    })
    .await
}

#[handler]
pub fn my_courses(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let generation = state.db.generation();
    if let Some(hit) = super::kept(&state, &ctx, generation, "my_courses") {
        return hit;
    }
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
    super::render_kept(
        &state,
        &ctx,
        generation,
        "my_courses",
        "learning/my_courses.html",
        context! { courses, notices },
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
