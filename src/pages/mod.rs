//! The visitor-facing HTML surface: the page context every template gets (language, current
//! path), rendering with the response cache, and the one mapping from domain errors to pages
//! (friendly 404, generic error page; field errors are shown inline by the page that owns the
//! form). Handlers live in submodules by area.

pub mod catalog;

use bytes::Bytes;
use minijinja::{context, Value};
use poem::http::{header, StatusCode};
use poem::{Request, Response};

use crate::catalog::CatalogError;
use crate::web::i18n::{Lang, LANG_COOKIE};
use crate::web::AppState;

/// What every page template receives besides its own data.
pub struct PageCtx {
    pub lang: Lang,
    pub current_path: String,
}

impl PageCtx {
    pub fn of(req: &Request, state: &AppState) -> PageCtx {
        let cookie = req.header(header::COOKIE).and_then(|c| {
            c.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                (k == LANG_COOKIE).then_some(v)
            })
        });
        let lang = Lang::negotiate(
            cookie,
            req.header(header::ACCEPT_LANGUAGE),
            state.config.i18n.default_language,
        );
        let current_path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        PageCtx { lang, current_path }
    }

    pub fn t<'a>(&self, state: &'a AppState, key: &'a str) -> &'a str {
        state.catalogs.get(self.lang, key)
    }

    /// The key pages are cached under: the language and the full path with query.
    pub fn cache_key(&self) -> String {
        format!("page {} {}", self.lang.code(), self.current_path)
    }
}

fn html(status: StatusCode, body: impl Into<Bytes>) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::VARY, "Accept-Language, Cookie")
        .body(body.into())
}

fn render_body(
    state: &AppState,
    ctx: &PageCtx,
    template: &str,
    data: Value,
) -> Result<String, minijinja::Error> {
    let full = context! {
        lang => ctx.lang.code(),
        other_lang => ctx.lang.other().code(),
        current_path => ctx.current_path.as_str(),
        ..data
    };
    state.templates.render(template, full)
}

fn template_failed(
    state: &AppState,
    ctx: &PageCtx,
    template: &str,
    e: minijinja::Error,
) -> Response {
    tracing::error!(template, error = %format!("{e:#}"), "template failed");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        ctx.t(state, "error.server").to_owned(),
    )
}

/// Renders `template` with the page context merged into `data`.
pub fn render(
    state: &AppState,
    ctx: &PageCtx,
    template: &str,
    data: Value,
    status: StatusCode,
) -> Response {
    match render_body(state, ctx, template, data) {
        Ok(body) => html(status, body),
        Err(e) => template_failed(state, ctx, template, e),
    }
}

/// Renders a successful public page and caches it for the current write generation.
pub fn render_cached(
    state: &AppState,
    ctx: &PageCtx,
    generation: u64,
    template: &str,
    data: Value,
) -> Response {
    match render_body(state, ctx, template, data) {
        Ok(body) => {
            let bytes = Bytes::from(body);
            state.cache.put(ctx.cache_key(), generation, bytes.clone());
            html(StatusCode::OK, bytes)
        }
        Err(e) => template_failed(state, ctx, template, e),
    }
}

/// A cached page for this request, if one is current.
pub fn cached(state: &AppState, ctx: &PageCtx, generation: u64) -> Option<Response> {
    state
        .cache
        .get(&ctx.cache_key(), generation)
        .map(|b| html(StatusCode::OK, b))
}

pub fn not_found_page(state: &AppState, ctx: &PageCtx) -> Response {
    render(state, ctx, "404.html", context! {}, StatusCode::NOT_FOUND)
}

/// The one mapping from catalog errors to pages.
pub fn error_page(state: &AppState, ctx: &PageCtx, err: CatalogError) -> Response {
    match err {
        CatalogError::NotFound | CatalogError::InvalidPage => not_found_page(state, ctx),
        CatalogError::Invalid(_) => render(
            state,
            ctx,
            "error.html",
            context! { status => 400, message => ctx.t(state, "error.bad_request") },
            StatusCode::BAD_REQUEST,
        ),
        CatalogError::Db(e) => {
            tracing::error!(error = %e, "page failed");
            render(
                state,
                ctx,
                "error.html",
                context! { status => 500, message => ctx.t(state, "error.server") },
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}
