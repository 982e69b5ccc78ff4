//! The admin login's second step: after the password, a user who must have a second factor
//! (`auth.require_mfa_for`) or who set one up gives a code from their authenticator app or a
//! recovery code; one who must but has none sets it up here first (QR code as SVG, the secret
//! to type in, then the 10 recovery codes shown once). Until the code is accepted the session
//! holds only the pending login, never the user. Wrong codes are throttled like passwords.

use minijinja::context;
use poem::http::{header, StatusCode};
use poem::session::Session;
use poem::web::Data;
use poem::{handler, Request, Response};
use serde::{Deserialize, Serialize};

use super::{flash, lang_of, path_of, redirect, url};
use crate::accounts::keys::now;
use crate::accounts::mfa::{self, Enrolment};
use crate::accounts::{users, AccountError, User};
use crate::admin::forms::AdminForm;
use crate::web::auth::client_address;
use crate::web::session::USER_KEY;
use crate::web::{csrf, AppState};

const PENDING_KEY: &str = "admin_mfa_pending";
/// Seconds a password-checked login waits for its code.
const PENDING_SECONDS: i64 = 300;

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    user_id: i64,
    next: String,
    at: i64,
}

fn session(req: &Request) -> Option<&Session> {
    req.extensions().get::<Session>()
}

/// Whether this staff user's admin login needs the second step.
pub fn needed(state: &AppState, user: &User) -> Result<bool, AccountError> {
    Ok(mfa::required_for(&state.config.auth.require_mfa_for, user)
        || state.db.read(|c| mfa::enrolled(c, user.id))?)
}

/// Holds a password-checked login for its second step (a new session id, nobody logged in).
pub fn hold(req: &Request, user: &User, next: &str) -> Response {
    if let Some(s) = session(req) {
        s.clear();
        s.set(
            PENDING_KEY,
            Pending {
                user_id: user.id,
                next: next.to_owned(),
                at: now(),
            },
        );
        s.renew();
    }
    redirect(&url("admin_mfa", &[]))
}

/// The pending login's user, if it is fresh and still an active staff account.
fn pending(req: &Request, state: &AppState) -> Option<(User, String)> {
    let p: Pending = session(req)?.get(PENDING_KEY)?;
    if now() - p.at > PENDING_SECONDS {
        return None;
    }
    let user = state.db.read(|c| users::get_user(c, p.user_id)).ok()??;
    (user.is_active && user.is_staff).then_some((user, p.next))
}

fn page(
    state: &AppState,
    req: &Request,
    status: StatusCode,
    enrolment: Option<&Enrolment>,
    recovery_codes: &[String],
    next: &str,
    message: Option<&str>,
) -> Response {
    let lang = lang_of(req, state);
    let data = context! {
        lang => lang.code(),
        other_lang => lang.other().code(),
        current_path => path_of(req),
        csrf_token => csrf::token(req, state),
        setup => enrolment.is_some(),
        secret => enrolment.map(|e| e.secret.clone()),
        otpauth_url => enrolment.map(|e| e.url.clone()),
        qr_svg => enrolment.map(|e| minijinja::Value::from_safe_string(e.qr_svg.clone())),
        recovery_codes,
        next,
        message => message.map(|k| state.catalogs.get(lang, k)),
    };
    match state.templates.render("admin/mfa.html", data) {
        Ok(body) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "admin MFA template failed");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .finish()
        }
    }
}

#[handler]
pub async fn show(req: &Request, state: Data<&AppState>) -> Response {
    let Some((user, next)) = pending(req, &state) else {
        return redirect(&url("admin_login", &[]));
    };
    match state.accounts.begin_enrolment(user).await {
        Ok(enrolment) => page(
            &state,
            req,
            StatusCode::OK,
            enrolment.as_ref(),
            &[],
            &next,
            None,
        ),
        Err(e) => {
            tracing::error!(error = %e, "admin MFA enrolment failed");
            page(
                &state,
                req,
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                &[],
                &next,
                Some("error.server"),
            )
        }
    }
}

fn log_in(req: &Request, state: &AppState, user: &User) {
    if let Some(s) = session(req) {
        s.clear();
        s.set(USER_KEY, user.id);
        s.renew();
    }
    csrf::rotate(req, state);
}

#[handler]
pub async fn submit(req: &Request, state: Data<&AppState>, posted: AdminForm) -> Response {
    let Some((user, next)) = pending(req, &state) else {
        return redirect(&url("admin_login", &[]));
    };
    let code = posted.get("code").unwrap_or("").to_owned();
    let client = client_address(req, state.config.auth.trust_forwarded_for);
    let enrolled = match state.db.read(|c| mfa::enrolled(c, user.id)) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "admin MFA lookup failed");
            return page(
                &state,
                req,
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                &[],
                &next,
                Some("error.server"),
            );
        }
    };
    let outcome = if enrolled {
        state
            .accounts
            .verify_second_factor(user.id, &code, &client)
            .await
            .map(|()| Vec::new())
    } else {
        state
            .accounts
            .confirm_enrolment(user.id, &code, &client)
            .await
    };
    match outcome {
        Ok(codes) => {
            log_in(req, &state, &user);
            if codes.is_empty() {
                flash(req, "success", "flash.logged_in");
                redirect(&next)
            } else {
                page(&state, req, StatusCode::OK, None, &codes, &next, None)
            }
        }
        Err(e) => {
            let (status, key) = match &e {
                AccountError::Invalid(_) => (StatusCode::BAD_REQUEST, "admin.mfa_invalid"),
                AccountError::Throttled { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, "admin.login_throttled")
                }
                _ => {
                    tracing::error!(error = %e, "admin MFA check failed");
                    (StatusCode::INTERNAL_SERVER_ERROR, "error.server")
                }
            };
            let enrolment = if enrolled {
                None
            } else {
                state.accounts.begin_enrolment(user).await.ok().flatten()
            };
            let mut resp = page(
                &state,
                req,
                status,
                enrolment.as_ref(),
                &[],
                &next,
                Some(key),
            );
            if let AccountError::Throttled { retry_after } = e {
                if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            resp
        }
    }
}
