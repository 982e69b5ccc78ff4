//! Catalog pages: home (newest and most enrolled courses), the catalog with search, filters and
//! pagination that keeps them, the course page, and the language switch.

use minijinja::{context, Value};
use poem::http::{header, StatusCode};
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::{
    cached_shared, catalog_error_page as error_page, not_found_page, page_nav, render,
    render_shared, PageCtx,
};
use crate::catalog::{self, CatalogError, CourseQuery, Level, RawCourseQuery};
use crate::fields::FieldErrors;
use crate::web::i18n::{Lang, LANG_COOKIE};
use crate::web::routes::{query_string, url_for};
use crate::web::AppState;

#[handler]
pub fn home(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    let generation = state.db.generation();
    if let Some(hit) = cached_shared(&state, &ctx, generation) {
        return hit;
    }
    let found = state.db.read(|c| -> Result<_, CatalogError> {
        let notices = crate::learning::notices::site_notices(c).map_err(|e| match e {
            crate::learning::LearningError::Db(db) => CatalogError::Db(db),
            _ => CatalogError::NotFound,
        })?;
        Ok((catalog::home_lists(c)?, notices))
    });
    match found {
        Ok((lists, notices)) => {
            let data = context! { notices, ..Value::from_serialize(&lists) };
            render_shared(&state, &ctx, generation, "home.html", data)
        }
        Err(e) => error_page(&state, &ctx, e),
    }
}

/// The query string as the catalog form sends it; the first value of a repeated name wins and
/// bytes that are not UTF-8 are replaced, so no query string can fail to parse.
fn raw_query(req: &Request) -> RawCourseQuery {
    let mut raw = RawCourseQuery::default();
    for (k, v) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        let slot = match k.as_ref() {
            "page" => &mut raw.page,
            "page_size" => &mut raw.page_size,
            "category" => &mut raw.category,
            "level" => &mut raw.level,
            "instructor" => &mut raw.instructor,
            "search" => &mut raw.search,
            "ordering" => &mut raw.ordering,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    raw
}

/// The catalog URL for `page`, keeping every filter the visitor chose.
fn catalog_url(raw: &RawCourseQuery, page: i64) -> String {
    let page_text = if page > 1 {
        page.to_string()
    } else {
        String::new()
    };
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (search, category, level, ordering, size) = (
        s(&raw.search),
        s(&raw.category),
        s(&raw.level),
        s(&raw.ordering),
        s(&raw.page_size),
    );
    let base = url_for("catalog", &[]).unwrap_or_default();
    base + &query_string(&[
        ("search", &search),
        ("category", &category),
        ("level", &level),
        ("ordering", &ordering),
        ("page_size", &size),
        ("page", &page_text),
    ])
}

/// A visitor-facing sentence for the first invalid filter.
fn filter_message(ctx: &PageCtx, state: &AppState, errors: &FieldErrors) -> String {
    let Some((field, _)) = errors.iter().next() else {
        return ctx.t(state, "error.bad_request").to_owned();
    };
    match field.as_str() {
        "level" => ctx.t(state, "error.invalid_level").to_owned(),
        "category" => ctx.t(state, "error.invalid_category").to_owned(),
        // The parameter by its name in the page's language (`page` leaked into Korean text).
        "page" | "page_size" | "instructor" => {
            let key = format!("error.field.{field}");
            let name = state.catalogs.get(ctx.lang, &key).to_owned();
            ctx.t(state, "error.invalid_number")
                .replace("{field}", &name)
        }
        _ => ctx.t(state, "error.bad_request").to_owned(),
    }
}

#[handler]
pub async fn catalog_list(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    let generation = state.db.generation();
    if let Some(hit) = cached_shared(&state, &ctx, generation) {
        return hit;
    }
    let raw = raw_query(req);
    let filters = context! {
        search => raw.search.clone().unwrap_or_default(),
        category => raw.category.clone().unwrap_or_default(),
        level => raw.level.clone().unwrap_or_default(),
        ordering => raw.ordering.clone().unwrap_or_default(),
    };
    let levels: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
    let categories = match state.db.read(catalog::list_categories) {
        Ok(c) => c,
        Err(e) => return error_page(&state, &ctx, e),
    };
    let found = match CourseQuery::parse(&raw) {
        // A search ranks every match (thousands on a big catalog): a heavy read.
        Ok(q) if q.search.is_some() => {
            state
                .db
                .read_heavy(|conn| catalog::list_courses(conn, &q))
                .await
        }
        Ok(q) => state.db.read(|conn| catalog::list_courses(conn, &q)),
        Err(e) => Err(CatalogError::Invalid(e)),
    };
    match found {
        Ok(found) => {
            let page = page_nav(
                found.count,
                found.number,
                found.page_size,
                Value::from_serialize(&found.results),
                |n| catalog_url(&raw, n),
            );
            let data = context! { filters, levels, categories, page };
            render_shared(&state, &ctx, generation, "catalog.html", data)
        }
        // Bad filters re-render the form with the visitor's input and one clear message.
        Err(CatalogError::Invalid(errors)) => {
            let error = filter_message(&ctx, &state, &errors);
            let data = context! { filters, levels, categories, error };
            render(&state, &ctx, "catalog.html", data, StatusCode::BAD_REQUEST)
        }
        Err(e) => error_page(&state, &ctx, e),
    }
}

/// `GET /lang/{code}?next=/path`: remembers the language in a cookie and goes back. Only local
/// paths are followed, so the link cannot redirect off-site.
#[handler]
pub fn set_language(req: &Request, state: Data<&AppState>, Path(code): Path<String>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return not_found_page(&state, &PageCtx::of(req, &state));
    };
    let next = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .filter(|n| {
            n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic())
        })
        .unwrap_or_else(|| url_for("home", &[]).unwrap_or_else(|_| "/".into()));
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, next)
        .header(
            header::SET_COOKIE,
            format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                lang.code()
            ),
        )
        .finish()
}
