//! The admin login and logout. Login is the accounts flow (throttled, constant-time) through
//! the same session and CSRF machinery as the site; an account that is not staff is refused
//! with a clear message and not logged in. A user who needs a second factor goes on to `mfa`.

use minijinja::context;
use poem::http::{header, StatusCode};
use poem::session::Session;
use poem::web::Data;
use poem::{handler, Request, Response};

use super::{flash, lang_of, path_of, redirect, url};
use crate::accounts::{AccountError, User};
use crate::admin::forms::AdminForm;
use crate::web::auth::{client_address, Auth};
use crate::web::session::USER_KEY;
use crate::web::{csrf, AppState};

fn next_of(raw: Option<&str>) -> String {
    let fallback = url("admin_index", &[]);
    match raw {
        Some(n)
            if n.starts_with("/admin")
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => fallback,
    }
}

fn query_next(req: &Request) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
}

fn page(
    state: &AppState,
    req: &Request,
    status: StatusCode,
    email: &str,
    next: &str,
    message: Option<&str>,
) -> Response {
    let lang = lang_of(req, state);
    let data = context! {
        lang => lang.code(),
        other_lang => lang.other().code(),
        current_path => path_of(req),
        csrf_token => csrf::token(req, state),
        email,
        next,
        message => message.map(|k| state.catalogs.get(lang, k)),
        logged_in_as => Auth::of(req).user().map(|u| u.email.clone()),
    };
    match state.templates.render("admin/login.html", data) {
        Ok(body) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "admin login template failed");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .finish()
        }
    }
}

#[handler]
pub fn login_form(req: &Request, state: Data<&AppState>) -> Response {
    let next = next_of(query_next(req).as_deref());
    if let Some(u) = Auth::of(req).user() {
        if u.is_staff {
            return redirect(&next);
        }
    }
    page(&state, req, StatusCode::OK, "", &next, None)
}

fn log_in(req: &Request, state: &AppState, user: &User) {
    if let Some(s) = req.extensions().get::<Session>() {
        s.clear();
        s.set(USER_KEY, user.id);
        s.renew();
    }
    csrf::rotate(req, state);
}

#[handler]
pub async fn login(req: &Request, state: Data<&AppState>, form: AdminForm) -> Response {
    let next = next_of(form.get("next"));
    let email = form.get("email").unwrap_or("").to_owned();
    let client = client_address(req, state.config.auth.trust_forwarded_for);
    let refuse = |status, key| page(&state, req, status, &email, &next, Some(key));
    match state
        .accounts
        .authenticate(form.get("email"), form.get("password"), &client)
        .await
    {
        Ok(user) if user.is_staff => match super::mfa::needed(&state, &user) {
            Ok(true) => super::mfa::hold(req, &user, &next),
            Ok(false) => {
                log_in(req, &state, &user);
                flash(req, "success", "flash.logged_in");
                redirect(&next)
            }
            Err(e) => {
                tracing::error!(error = %e, "admin login failed");
                refuse(StatusCode::INTERNAL_SERVER_ERROR, "error.server")
            }
        },
        Ok(_) => refuse(StatusCode::FORBIDDEN, "admin.login_not_staff"),
        Err(AccountError::Invalid(_)) | Err(AccountError::InvalidCredentials) => {
            refuse(StatusCode::BAD_REQUEST, "admin.login_invalid")
        }
        Err(AccountError::Inactive) => refuse(StatusCode::FORBIDDEN, "auth.inactive"),
        Err(AccountError::Throttled { retry_after }) => {
            let mut resp = refuse(StatusCode::TOO_MANY_REQUESTS, "admin.login_throttled");
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(AccountError::Busy) => {
            let mut resp = refuse(StatusCode::SERVICE_UNAVAILABLE, "auth.busy");
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "admin login failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "error.server")
        }
    }
}

#[handler]
pub fn logout(req: &Request, state: Data<&AppState>, _form: AdminForm) -> Response {
    if let Some(s) = req.extensions().get::<Session>() {
        s.clear();
        s.renew();
    }
    csrf::rotate(req, &state);
    redirect(&url("admin_login", &[]))
}
