//! CSRF protection, shared by page forms and session-authenticated API calls: a random token in
//! a cookie (`csrftoken`, `__Host-` prefixed under https) that every state-changing request must
//! echo — as the `csrf_token` form field or the `X-CSRFToken` header, Django's names — plus a
//! check that a sent `Origin` is this site. The token rotates at login.
//!
//! Once a session has a user, its token is also kept in the session and a write must carry
//! *that* one: a token from session A is refused in session B even when B's cookie was
//! overwritten with A's (a cookie planted from a sibling subdomain or a man-in-the-middle on
//! plain http). Anonymous forms (login, signup) keep the plain double-submit check, so no
//! session is stored for visitors.

use poem::session::Session;
use poem::web::cookie::{Cookie, SameSite};
use poem::Request;
use subtle::ConstantTimeEq;

use crate::accounts::keys::random_token;
use crate::web::session::{cookie_name, USER_KEY};
use crate::web::AppState;

pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrftoken";
/// The session key holding a logged-in session's token.
const SESSION_KEY: &str = "csrf";

/// The request's session, when it has a user (the only sessions a token is bound to).
fn user_session(req: &Request) -> Option<&Session> {
    req.extensions()
        .get::<Session>()
        .filter(|s| s.get::<i64>(USER_KEY).is_some())
}

fn well_formed(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

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
    if let Some(v) = user_session(req).and_then(|s| s.get::<String>(SESSION_KEY)) {
        return Some(v);
    }
    let v = req.cookie().get(&name)?.value_str().to_owned();
    well_formed(&v).then_some(v)
}

/// The request's token, creating one (and its cookie) when the visitor has none yet; a
/// logged-in session's token is bound to the session (and its cookie follows it).
pub fn token(req: &Request, state: &AppState) -> String {
    if let Some(s) = user_session(req) {
        if let Some(v) = s.get::<String>(SESSION_KEY).filter(|v| well_formed(v)) {
            if req
                .cookie()
                .get(&cookie_name(&state.config, "csrftoken"))
                .map(|c| c.value_str().to_owned())
                != Some(v.clone())
            {
                set_cookie(req, state, &v);
            }
            return v;
        }
        let fresh = random_token(32);
        s.set(SESSION_KEY, fresh.clone());
        set_cookie(req, state, &fresh);
        return fresh;
    }
    let name = cookie_name(&state.config, "csrftoken");
    if let Some(v) = req.cookie().get(&name).map(|c| c.value_str().to_owned()) {
        if well_formed(&v) {
            return v;
        }
    }
    let fresh = random_token(32);
    set_cookie(req, state, &fresh);
    fresh
}

/// A new token after login (or logout), so one planted before is useless after it; bound to
/// the session when the session has a user.
pub fn rotate(req: &Request, state: &AppState) -> String {
    let fresh = random_token(32);
    set_cookie(req, state, &fresh);
    if let Some(s) = user_session(req) {
        s.set(SESSION_KEY, fresh.clone());
    }
    fresh
}

/// Whether a state-changing request carries the right token and, if it says where it comes
/// from, comes from this site.
pub fn verify(req: &Request, state: &AppState, submitted: Option<&str>) -> bool {
    let Some(submitted) = submitted else {
        return false;
    };
    if let Some(bound) = user_session(req).and_then(|s| s.get::<String>(SESSION_KEY)) {
        return bool::from(bound.as_bytes().ct_eq(submitted.as_bytes())) && same_origin(req, state);
    }
    let name = cookie_name(&state.config, "csrftoken");
    let Some(cookie) = req.cookie().get(&name) else {
        return false;
    };
    let expected = cookie.value_str();
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
