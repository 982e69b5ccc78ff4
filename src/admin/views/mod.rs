//! The admin's generic views and what they share: `AdminCtx` (who is asking, in which
//! language, with which permissions and owner rule), the gate every view passes (staff only;
//! others are sent to the admin login or refused), rendering with the admin layout, flash
//! messages, and the one mapping from `AdminError` to a page.

// Handlers answer early with a ready page (`Result<_, Response>`): boxing the response would
// only move the allocation, on paths that render a whole page anyway.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod delete;
pub mod edit;
pub mod extras;
pub mod fk_filter;
pub mod form_view;
pub mod import;
pub mod index;
pub mod list;
pub mod mfa;
mod progress_charts;
pub mod revert;

use std::collections::HashSet;

use minijinja::{context, Value};
use poem::http::{header, StatusCode};
use poem::session::Session;
use poem::{Request, Response};

use super::models::REGISTRY;
use super::registry::ModelAdmin;
use super::store::{self, AdminError};
use crate::accounts::perms::{self, Action, INSTRUCTORS};
use crate::accounts::User;
use crate::fields::FieldErrors;
use crate::web::auth::Auth;
use crate::web::i18n::{Lang, LANG_COOKIE};
use crate::web::routes::url_for;
use crate::web::{csrf, AppState};

const FLASH_KEY: &str = "admin_flash";

pub struct AdminCtx {
    pub lang: Lang,
    pub path: String,
    pub user: User,
    pub csrf_token: String,
    /// `None` for superusers (everything).
    perms: Option<HashSet<String>>,
    /// The instructor rule: staff in the group holding the instructors role see only what they
    /// own (`perms::in_role`: the role, not the group's name, which staff may edit).
    pub owner: Option<i64>,
    flash: Vec<(String, String)>,
}

pub fn lang_of(req: &Request, state: &AppState) -> Lang {
    let cookie = req.header(header::COOKIE).and_then(|c| {
        c.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == LANG_COOKIE).then_some(v)
        })
    });
    Lang::negotiate(
        cookie,
        req.header(header::ACCEPT_LANGUAGE),
        state.config.i18n.default_language,
    )
}

pub fn path_of(req: &Request) -> String {
    req.uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into())
}

pub fn url(name: &str, args: &[(&str, &str)]) -> String {
    url_for(name, args).unwrap_or_else(|_| "/".into())
}

/// A path built by `url_for` (every argument percent-encoded) needs no HTML escaping.
pub fn link(path: String) -> Value {
    Value::from_safe_string(path)
}

pub fn model_url(name: &str, m: &ModelAdmin, id: Option<i64>) -> String {
    match id {
        Some(id) => url(name, &[("model", m.key), ("id", &id.to_string())]),
        None => url(name, &[("model", m.key)]),
    }
}

impl AdminCtx {
    /// The gate: a staff user gets a context; anyone else an answer (login or refusal).
    pub fn gate(req: &Request, state: &AppState) -> Result<AdminCtx, Response> {
        let lang = lang_of(req, state);
        let path = path_of(req);
        let user = match Auth::of(req) {
            Auth::Session(u) => u,
            _ => {
                let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
                return Err(redirect(&format!(
                    "{}?next={next}",
                    url("admin_login", &[])
                )));
            }
        };
        if !user.is_staff || !user.is_active {
            return Err(message_page(
                state,
                req,
                lang,
                StatusCode::FORBIDDEN,
                "admin.not_staff",
            ));
        }
        let loaded = state.db.read(|c| -> Result<_, AdminError> {
            if user.is_superuser {
                return Ok((None, false));
            }
            let held = perms::held_codenames(c, user.id)?;
            let instructor = perms::in_role(c, user.id, INSTRUCTORS)?;
            Ok((Some(held), instructor))
        });
        let (perms, instructor) = match loaded {
            Ok(v) => v,
            Err(e) => return Err(error_response(state, req, lang, e)),
        };
        let flash = req
            .extensions()
            .get::<Session>()
            .and_then(|s| {
                let list: Option<Vec<(String, String)>> = s.get(FLASH_KEY);
                if list.is_some() {
                    s.remove(FLASH_KEY);
                }
                list
            })
            .unwrap_or_default();
        Ok(AdminCtx {
            lang,
            path,
            owner: instructor.then_some(user.id),
            csrf_token: csrf::token(req, state),
            user,
            perms,
            flash,
        })
    }

    pub fn is_superuser(&self) -> bool {
        self.perms.is_none()
    }

    pub fn can(&self, m: &ModelAdmin, action: Action) -> bool {
        if !m.allows(action) {
            return false;
        }
        match &self.perms {
            None => true,
            Some(held) => held.contains(&m.codename(action)),
        }
    }

    pub fn require(&self, m: &ModelAdmin, action: Action) -> Result<(), AdminError> {
        if self.can(m, action) {
            Ok(())
        } else {
            Err(AdminError::Forbidden)
        }
    }

    /// How this user may see rows of `table` named on a page they did not ask for (a foreign
    /// key's label, choices, filter options): not at all without the view permission of its
    /// registered model, within its owner rule for instructors. Unregistered tables (the
    /// permission codenames) are plain metadata.
    pub fn related(&self, table: &str) -> store::Related {
        match REGISTRY.iter().find(|m| m.table == table) {
            None => store::Related::All,
            Some(m) if !self.can(m, Action::View) => store::Related::Hidden,
            Some(m) => match (m.owner, self.owner) {
                (Some(rule), Some(user)) => store::Related::Owned(rule.predicate, user),
                _ => store::Related::All,
            },
        }
    }

    pub fn t<'a>(&self, state: &'a AppState, key: &'a str) -> &'a str {
        state.catalogs.get(self.lang, key)
    }

    /// Field errors in the page's language, `{limit}` filled in.
    pub fn field_errors(&self, state: &AppState, errors: &FieldErrors) -> Value {
        Value::from_serialize(state.catalogs.field_errors(self.lang, errors))
    }

    /// The models this user may view, grouped by area, for the navigation and dashboard.
    pub fn nav(&self) -> Vec<Value> {
        let mut groups: Vec<(&str, String, Vec<Value>)> = Vec::new();
        for m in REGISTRY.iter().filter(|m| self.can(m, Action::View)) {
            let entry = context! {
                key => m.key,
                label => m.plural.get(self.lang),
                list_url => link(model_url("admin_list", m, None)),
                add_url => self.can(m, Action::Add).then(|| link(model_url("admin_add", m, None))),
                can_change => self.can(m, Action::Change),
            };
            match groups.iter_mut().find(|(a, _, _)| *a == m.area) {
                Some(g) => g.2.push(entry),
                None => groups.push((m.area, m.area_label.get(self.lang).to_owned(), vec![entry])),
            }
        }
        groups
            .into_iter()
            .map(|(_, label, models)| context! { label, models })
            .collect()
    }
}

/// Queues a message (a catalog key) for the next admin page.
/// A flash message whose catalog text has `{name}` placeholders, filled with `args` when shown
/// (the arguments travel with the key, separated by control characters no catalog text has).
pub fn flash_with(req: &Request, level: &str, key: &str, args: &[(&str, String)]) {
    let mut packed = key.to_owned();
    for (name, value) in args {
        packed.push('\u{1f}');
        packed.push_str(name);
        packed.push('\u{1e}');
        packed.push_str(value);
    }
    flash(req, level, &packed);
}

fn flash_text(state: &AppState, lang: Lang, packed: &str) -> String {
    let mut parts = packed.split('\u{1f}');
    let mut text = state
        .catalogs
        .get(lang, parts.next().unwrap_or(""))
        .to_owned();
    for arg in parts {
        if let Some((name, value)) = arg.split_once('\u{1e}') {
            text = text.replace(&format!("{{{name}}}"), value);
        }
    }
    text
}

pub fn flash(req: &Request, level: &str, key: &str) {
    if let Some(session) = req.extensions().get::<Session>() {
        let mut list: Vec<(String, String)> = session.get(FLASH_KEY).unwrap_or_default();
        list.push((level.to_owned(), key.to_owned()));
        session.set(FLASH_KEY, list);
    }
}

pub fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}

fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

fn render_with(
    state: &AppState,
    lang: Lang,
    path: &str,
    template: &str,
    data: Value,
    status: StatusCode,
) -> Response {
    let full = context! {
        lang => lang.code(),
        other_lang => lang.other().code(),
        current_path => path,
        ..data
    };
    match state.templates.render(template, full) {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(template, error = %format!("{e:#}"), "admin template failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                state.catalogs.get(lang, "error.server").to_owned(),
            )
        }
    }
}

/// Renders an admin page with the layout's data (user, navigation, CSRF token, messages).
pub fn render(
    state: &AppState,
    ctx: &AdminCtx,
    template: &str,
    data: Value,
    status: StatusCode,
) -> Response {
    let flash: Vec<Value> = ctx
        .flash
        .iter()
        .map(|(level, key)| context! { level, text => flash_text(state, ctx.lang, key) })
        .collect();
    let data = context! {
        user => context! { id => ctx.user.id, email => ctx.user.email, display_name => ctx.user.display_name },
        csrf_token => ctx.csrf_token,
        nav => ctx.nav(),
        flash,
        ..data
    };
    render_with(state, ctx.lang, &ctx.path, template, data, status)
}

/// A page with one message and no navigation (refusals, CSRF failures).
pub fn message_page(
    state: &AppState,
    req: &Request,
    lang: Lang,
    status: StatusCode,
    key: &str,
) -> Response {
    let data = context! {
        status => status.as_u16(),
        message => state.catalogs.get(lang, key),
        csrf_token => csrf::existing(req, state).unwrap_or_default(),
        logged_in => Auth::of(req).user().is_some(),
    };
    render_with(
        state,
        lang,
        &path_of(req),
        "admin/message.html",
        data,
        status,
    )
}

pub fn csrf_failure(req: &Request, state: &AppState) -> Response {
    message_page(
        state,
        req,
        lang_of(req, state),
        StatusCode::FORBIDDEN,
        "error.csrf",
    )
}

fn error_response(state: &AppState, req: &Request, lang: Lang, e: AdminError) -> Response {
    let (status, key) = match e {
        AdminError::NotFound => (StatusCode::NOT_FOUND, "admin.not_found"),
        AdminError::Forbidden => (StatusCode::FORBIDDEN, "admin.forbidden"),
        AdminError::Conflict => (StatusCode::CONFLICT, "admin.conflict"),
        AdminError::Protected => (StatusCode::CONFLICT, "admin.protected"),
        AdminError::Invalid(_) => (StatusCode::BAD_REQUEST, "error.bad_request"),
        AdminError::Db(err) if err.is_unavailable() => {
            tracing::warn!(error = %err, "database unavailable; answered 503");
            return unavailable(state, req, lang);
        }
        AdminError::Storage(err) => {
            tracing::error!(error = %err, "storing a file failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "error.server")
        }
        AdminError::Db(err) => {
            tracing::error!(error = %err, "admin request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "error.server")
        }
    };
    message_page(state, req, lang, status, key)
}

/// 503 with `Retry-After`: nothing was done; the same request may succeed in a moment.
fn unavailable(state: &AppState, req: &Request, lang: Lang) -> Response {
    let mut resp = message_page(
        state,
        req,
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        "auth.busy",
    );
    resp.headers_mut().insert(
        poem::http::header::RETRY_AFTER,
        poem::http::HeaderValue::from(crate::db::RETRY_AFTER_SECONDS),
    );
    resp
}

/// The one mapping from admin errors that a form does not show inline.
pub fn error_page(state: &AppState, req: &Request, ctx: &AdminCtx, e: AdminError) -> Response {
    error_response(state, req, ctx.lang, e)
}

/// The model as the templates name it.
pub fn model_context(ctx: &AdminCtx, m: &ModelAdmin) -> minijinja::Value {
    minijinja::context! { key => m.key, label => m.label.get(ctx.lang), plural => m.plural.get(ctx.lang), list_url => model_url("admin_list", m, None), note => m.note }
}

/// The model named in the path, or the error page.
pub fn model_or_404(
    state: &AppState,
    req: &Request,
    ctx: &AdminCtx,
    key: &str,
) -> Result<&'static ModelAdmin, Response> {
    super::models::find(key).ok_or_else(|| error_page(state, req, ctx, AdminError::NotFound))
}

/// Runs blocking write work on the blocking pool, with the request's SQL statistics.
pub async fn write<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, AdminError> + Send + 'static,
) -> Result<T, AdminError> {
    state.db.write_blocking(f).await
}
