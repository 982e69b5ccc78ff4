//! CSRF protection, shared by page forms and session-authenticated API calls: a random token in
//! a cookie (`csrftoken`, `__Host-` prefixed under https) that every state-changing request must
//! echo — as the `csrf_token` form field or the `X-CSRFToken` header, Django's names — plus a
//! check that a sent `Origin` is this site. The token rotates at login.

use poem::web::cookie::{Cookie, SameSite};
use poem::Request;
use subtle::ConstantTimeEq;

use crate::accounts::keys::random_token;
use crate::web::session::cookie_name;
use crate::web::AppState;

pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrftoken";

fn set_cookie(req: &Request, state: &AppState, value: &str) {
    let mut cookie = Cookie::new_with_str(cookie_name(&state.config, "csrftoken"), value);
    cookie.set_path("/");
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(state.config.server.is_https());
    cookie.set_max_age(std::time::Duration::from_secs(365 * 24 * 3600));
    req.cookie().add(cookie);
}

/// The visitor's token, if they already have a well-formed one.
pub fn existing(req: &Request, state: &AppState) -> Option<String> {
    let name = cookie_name(&state.config, "csrftoken");
    let v = req.cookie().get(&name)?.value_str().to_owned();
    let well_formed = v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then_some(v)
}

/// The request's token, creating one (and its cookie) when the visitor has none yet.
pub fn token(req: &Request, state: &AppState) -> String {
    if let Some(v) = existing(req, state) {
        return v;
    }
    let fresh = random_token(32);
    set_cookie(req, state, &fresh);
    fresh
}

/// A new token after login, so one planted before login is useless after it.
pub fn rotate(req: &Request, state: &AppState) -> String {
    let fresh = random_token(32);
    set_cookie(req, state, &fresh);
    fresh
}

/// Whether a state-changing request carries the right token and, if it says where it comes
/// from, comes from this site.
pub fn verify(req: &Request, state: &AppState, submitted: Option<&str>) -> bool {
    let name = cookie_name(&state.config, "csrftoken");
    let Some(cookie) = req.cookie().get(&name) else {
        return false;
    };
    let expected = cookie.value_str();
    let Some(submitted) = submitted else {
        return false;
    };
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) {
        return false;
    }
    same_origin(req, state)
}

fn same_origin(req: &Request, state: &AppState) -> bool {
    let Some(origin) = req.header("origin") else {
        return true;
    };
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let origin_host = match origin.port() {
        Some(p) => format!("{}:{p}", origin.host_str().unwrap_or("")),
        None => origin.host_str().unwrap_or("").to_owned(),
    };
    if let Ok(public) = url::Url::parse(&state.config.server.public_url) {
        if public.origin() == origin.origin() {
            return true;
        }
    }
    req.header(poem::http::header::HOST)
        .is_some_and(|host| host.eq_ignore_ascii_case(&origin_host))
}
