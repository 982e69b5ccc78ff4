//! The visitor-facing HTML surface: the page context every template gets (language, path, the
//! logged-in user, CSRF token, flash messages), rendering with the response cache (anonymous
//! pages only), form reading with CSRF verification, and the one mapping from domain errors to
//! pages. Handlers live in submodules by area.

pub mod accounts;
pub mod catalog;
pub mod course;
mod forms;
mod kept;
pub mod lessons;
pub mod qa;
pub mod social;
mod writes;

use bytes::Bytes;
use minijinja::{context, Value};
use poem::http::{header, StatusCode};
use poem::session::Session;
use poem::{Request, Response};
use serde::{Deserialize, Serialize};

pub use forms::PostForm;
pub use kept::{cached_shared, kept, render_kept, render_shared};
pub use writes::{done, form_refusal, learner_action, learner_write, noted, Done};

use crate::accounts::{AccountError, User};
use crate::catalog::CatalogError;
use crate::db::{DbError, RETRY_AFTER_SECONDS};
use crate::fields::FieldErrors;
use crate::learning::LearningError;
use crate::web::auth::Auth;
use crate::web::i18n::{Lang, LANG_COOKIE};
use crate::web::{csrf, AppState};

const FLASH_KEY: &str = "flash";

/// A one-time message shown on the next page, stored in the session as a catalog key, with an
/// optional link (a local path and the catalog key of its text).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub level: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<(String, String)>,
}

/// Queues a flash message for the next page this visitor sees.
pub fn flash(req: &Request, level: &str, key: &str) {
    flash_link(req, level, key, None);
}

/// [`flash`] with a link under the message: `(path, catalog key of the link's text)`.
pub fn flash_link(req: &Request, level: &str, key: &str, link: Option<(String, String)>) {
    if let Some(session) = req.extensions().get::<Session>() {
        let mut list: Vec<Flash> = session.get(FLASH_KEY).unwrap_or_default();
        list.push(Flash {
            level: level.to_owned(),
            key: key.to_owned(),
            link,
        });
        session.set(FLASH_KEY, list);
    }
}

/// What every page template receives besides its own data.
pub struct PageCtx {
    pub lang: Lang,
    pub current_path: String,
    /// Where to come back to after logging in: this page for a GET; for a form post, the page
    /// the form was on (never the POST target, which has nothing to show).
    pub return_to: String,
    pub user: Option<User>,
    pub csrf_token: String,
    flash: Vec<Flash>,
}

impl PageCtx {
    /// The context without side effects (no flash taken, no cookie set): for answers decided
    /// after the request has been handed on, like the not-found fallback.
    pub fn light(req: &Request, state: &AppState) -> PageCtx {
        let (lang, current_path) = Self::lang_and_path(req, state);
        let return_to = return_to(req, &current_path);
        let user = Auth::of(req).user().cloned();
        let csrf_token = if user.is_some() {
            csrf::existing(req, state).unwrap_or_default()
        } else {
            String::new()
        };
        PageCtx {
            lang,
            current_path,
            return_to,
            user,
            csrf_token,
            flash: Vec::new(),
        }
    }

    fn lang_and_path(req: &Request, state: &AppState) -> (Lang, String) {
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
        (lang, current_path)
    }

    pub fn of(req: &Request, state: &AppState) -> PageCtx {
        let (lang, current_path) = Self::lang_and_path(req, state);
        let return_to = return_to(req, &current_path);
        let user = match Auth::of(req) {
            Auth::Session(u) => Some(u),
            _ => None,
        };
        // Logged-in pages carry the logout form, so they need the token; anonymous pages are
        // cached and shared, so they must not carry anyone's token (forms ask via `with_csrf`).
        let csrf_token = if user.is_some() {
            csrf::token(req, state)
        } else {
            String::new()
        };
        let flash = req
            .extensions()
            .get::<Session>()
            .and_then(|s| {
                let list: Option<Vec<Flash>> = s.get(FLASH_KEY);
                if list.is_some() {
                    s.remove(FLASH_KEY);
                }
                list
            })
            .unwrap_or_default();
        PageCtx {
            lang,
            current_path,
            return_to,
            user,
            csrf_token,
            flash,
        }
    }

    /// For pages with a form: makes sure this visitor has a CSRF token.
    pub fn with_csrf(mut self, req: &Request, state: &AppState) -> PageCtx {
        if self.csrf_token.is_empty() {
            self.csrf_token = csrf::token(req, state);
        }
        self
    }

    pub fn t<'a>(&self, state: &'a AppState, key: &'a str) -> &'a str {
        state.catalogs.get(self.lang, key)
    }

    /// Field errors in the page's language, `{limit}` filled in.
    pub fn field_errors(&self, state: &AppState, errors: &FieldErrors) -> Value {
        Value::from_serialize(state.catalogs.field_errors(self.lang, errors))
    }

    /// Only anonymous pages without messages are shared through the cache.
    fn cacheable(&self) -> bool {
        self.user.is_none() && self.flash.is_empty()
    }

    /// The same page as an anonymous visitor sees it (no user, token or messages).
    fn anonymous(&self) -> PageCtx {
        PageCtx {
            lang: self.lang,
            current_path: self.current_path.clone(),
            return_to: self.return_to.clone(),
            user: None,
            csrf_token: String::new(),
            flash: Vec::new(),
        }
    }

    /// This context with `token` as its CSRF token (a kept page's marker).
    fn with_token(&self, token: &str) -> PageCtx {
        PageCtx {
            csrf_token: token.to_owned(),
            user: self.user.clone(),
            flash: self.flash.clone(),
            ..self.anonymous()
        }
    }

    /// A logged-in page without messages: one that `render_shared` builds from the shared
    /// anonymous page and this user's own menu.
    fn splices(&self) -> bool {
        self.user.is_some() && self.flash.is_empty()
    }

    /// The key pages are cached under: the language and the full path with query.
    fn cache_key(&self) -> String {
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
    let flash: Vec<Value> = ctx
        .flash
        .iter()
        .map(|f| {
            let link = f.link.as_ref().map(|(url, key)| {
                context! { url => local_path(Some(url), "/"), text => state.catalogs.get(ctx.lang, key) }
            });
            context! { level => f.level.as_str(), text => state.catalogs.get(ctx.lang, &f.key), link }
        })
        .collect();
    let user = user_value(ctx);
    let full = context! {
        lang => ctx.lang.code(),
        other_lang => ctx.lang.other().code(),
        current_path => ctx.current_path.as_str(),
        user,
        csrf_token => ctx.csrf_token.as_str(),
        flash,
        ..data
    };
    state.templates.render(template, full)
}

/// What templates read as `user`.
fn user_value(ctx: &PageCtx) -> Option<Value> {
    ctx.user.as_ref().map(|u| {
        context! { id => u.id, email => u.email.as_str(), display_name => u.display_name.as_str(), is_staff => u.is_staff }
    })
}

pub(super) fn template_failed(
    state: &AppState,
    ctx: &PageCtx,
    template: &str,
    e: minijinja::Error,
) -> Response {
    tracing::error!(template, error = %format!("{e:#}"), "template failed");
    let data = context! { status => 500, message => ctx.t(state, "error.server") };
    // The styled page, unless the error page itself is what failed.
    let body = match template {
        "error.html" => Err(e),
        _ => render_body(state, ctx, "error.html", data),
    };
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        body.unwrap_or_else(|_| ctx.t(state, "error.server").to_owned()),
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

/// Renders a successful public page, caching it for the write generation when it is anonymous.
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
            if ctx.cacheable() {
                state.cache.put(ctx.cache_key(), generation, bytes.clone());
            }
            html(StatusCode::OK, bytes)
        }
        Err(e) => template_failed(state, ctx, template, e),
    }
}

/// A cached page for this request, if one is current and the visitor is anonymous.
pub fn cached(state: &AppState, ctx: &PageCtx, generation: u64) -> Option<Response> {
    if !ctx.cacheable() {
        return None;
    }
    state
        .cache
        .get(&ctx.cache_key(), generation)
        .map(|b| html(StatusCode::OK, b))
}

#[derive(Serialize)]
struct PageLink {
    number: i64,
    url: Option<String>,
    current: bool,
}

/// The navigation every paginated list renders (`_pagination.html`): count, number, num_pages,
/// the results, previous / next URLs and page links — first, last and two either side of the
/// current page, with a URL-less entry for each gap. `link(n)` builds a page's URL so it keeps
/// the list's own filters.
pub fn page_nav(
    count: i64,
    number: i64,
    page_size: i64,
    results: Value,
    link: impl Fn(i64) -> String,
) -> Value {
    let num_pages = ((count + page_size - 1) / page_size.max(1)).max(1);
    let mut page_links = Vec::new();
    let mut last_shown = 0;
    for n in 1..=num_pages {
        if n == 1 || n == num_pages || (n - number).abs() <= 2 {
            if n > last_shown + 1 {
                page_links.push(PageLink {
                    number: 0,
                    url: None,
                    current: false,
                });
            }
            page_links.push(PageLink {
                number: n,
                url: Some(link(n)),
                current: n == number,
            });
            last_shown = n;
        }
    }
    context! {
        count,
        number,
        num_pages,
        results,
        prev_url => (number > 1).then(|| link(number - 1)),
        next_url => (number < num_pages).then(|| link(number + 1)),
        page_links => Value::from_serialize(&page_links),
    }
}

/// [`PageCtx::return_to`]: the path itself for GET and HEAD; for a post, the path of a
/// same-site `Referer` (the page holding the form), else the home page.
fn return_to(req: &Request, current_path: &str) -> String {
    let method = req.method();
    if method == poem::http::Method::GET || method == poem::http::Method::HEAD {
        return current_path.to_owned();
    }
    let home = crate::web::routes::url_for("home", &[]).unwrap_or_default();
    let host = req.header(header::HOST).unwrap_or("");
    let from_form = req
        .header(header::REFERER)
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|u| {
            let authority = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_owned(),
            };
            !host.is_empty() && authority.eq_ignore_ascii_case(host)
        })
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        });
    local_path(from_form.as_deref(), &home)
}

/// The redirect to the login page that comes back to this page (or the page the posted form
/// was on) afterwards, saying why the visitor has to log in.
pub fn to_login(ctx: &PageCtx) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(ctx.return_to.as_bytes()).collect();
    let login = crate::web::routes::url_for("login", &[]).unwrap_or_default();
    redirect(&format!("{login}?next={next}&reason=login_required"))
}

/// 303 to a local path.
pub fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

/// `to` when it is a path on this site (no scheme, no `//host`), else `fallback`: redirects
/// taken from input can never leave the site.
pub fn local_path(to: Option<&str>, fallback: &str) -> String {
    to.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
    .unwrap_or(fallback)
    .to_owned()
}

pub fn not_found_page(state: &AppState, ctx: &PageCtx) -> Response {
    render(state, ctx, "404.html", context! {}, StatusCode::NOT_FOUND)
}

/// The styled page for an error status that no handler answered itself (wrong method, an
/// unreadable request, a fault): 404 is the not-found page, the rest `error.html` with a
/// message for the status.
pub fn status_page(state: &AppState, ctx: &PageCtx, status: StatusCode) -> Response {
    let key = match status {
        StatusCode::NOT_FOUND => return not_found_page(state, ctx),
        StatusCode::METHOD_NOT_ALLOWED => "error.method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "error.too_large",
        s if s.is_server_error() => "error.server",
        _ => "error.bad_request",
    };
    error_page(state, ctx, status, key)
}

pub(crate) fn error_page(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    key: &str,
) -> Response {
    render(
        state,
        ctx,
        "error.html",
        context! { status => status.as_u16(), message => ctx.t(state, key) },
        status,
    )
}

/// A database failure on a page: the styled 503 with `Retry-After` when the database was only
/// unavailable (`DbError::is_unavailable`: nothing was written, retrying may work), else a
/// logged 500.
pub fn database_error_page(state: &AppState, ctx: &PageCtx, e: &DbError) -> Response {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "database unavailable; answered 503");
        let mut resp = error_page(state, ctx, StatusCode::SERVICE_UNAVAILABLE, "auth.busy");
        resp.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(RETRY_AFTER_SECONDS),
        );
        return resp;
    }
    tracing::error!(error = %e, "page failed");
    error_page(
        state,
        ctx,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error.server",
    )
}

/// The one mapping from catalog errors to pages.
pub fn catalog_error_page(state: &AppState, ctx: &PageCtx, err: CatalogError) -> Response {
    match err {
        CatalogError::NotFound | CatalogError::InvalidPage => not_found_page(state, ctx),
        CatalogError::Invalid(_) => {
            error_page(state, ctx, StatusCode::BAD_REQUEST, "error.bad_request")
        }
        CatalogError::Db(e) => database_error_page(state, ctx, &e),
    }
}

/// The one mapping from account errors that a form does not show inline.
pub fn account_error_page(state: &AppState, ctx: &PageCtx, err: AccountError) -> Response {
    match err {
        AccountError::NotFound => not_found_page(state, ctx),
        AccountError::ProviderUnavailable => {
            let mut resp = error_page(
                state,
                ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "social.unavailable",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            resp
        }
        AccountError::Busy => {
            let mut resp = error_page(state, ctx, StatusCode::SERVICE_UNAVAILABLE, "auth.busy");
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            resp
        }
        AccountError::Throttled { retry_after } => {
            let mut resp = error_page(state, ctx, StatusCode::TOO_MANY_REQUESTS, "error.too_many");
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        AccountError::Db(e) => database_error_page(state, ctx, &e),
        _ => error_page(state, ctx, StatusCode::BAD_REQUEST, "error.bad_request"),
    }
}

/// The one mapping from learning errors that a form does not show inline.
pub fn learning_error_page(state: &AppState, ctx: &PageCtx, err: LearningError) -> Response {
    match err {
        LearningError::NotFound => not_found_page(state, ctx),
        LearningError::Forbidden { code, .. } => {
            let key = format!("learning.{code}");
            let message = if state.catalogs.has(ctx.lang, &key) {
                state.catalogs.get(ctx.lang, &key).to_owned()
            } else {
                ctx.t(state, "error.forbidden").to_owned()
            };
            render(
                state,
                ctx,
                "error.html",
                context! { status => 403, message },
                StatusCode::FORBIDDEN,
            )
        }
        LearningError::Invalid(_) | LearningError::Conflict(_) => {
            error_page(state, ctx, StatusCode::BAD_REQUEST, "error.bad_request")
        }
        LearningError::Db(e) => database_error_page(state, ctx, &e),
    }
}

/// The message for a learning refusal, in the page's language.
pub fn learning_message(state: &AppState, ctx: &PageCtx, err: &LearningError) -> Option<String> {
    match err {
        LearningError::Forbidden { code, .. } => {
            let key = format!("learning.{code}");
            Some(if state.catalogs.has(ctx.lang, &key) {
                state.catalogs.get(ctx.lang, &key).to_owned()
            } else {
                ctx.t(state, "error.forbidden").to_owned()
            })
        }
        _ => None,
    }
}

/// 403 for a form without its CSRF token.
pub fn csrf_failure_page(state: &AppState, ctx: &PageCtx) -> Response {
    error_page(state, ctx, StatusCode::FORBIDDEN, "error.csrf")
}
