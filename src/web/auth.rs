//! Who is making a request: an API token (`Authorization: Bearer <token>` or `Token <token>`,
//! as knox and DRF clients send it) or the login session. The middleware resolves it once per
//! request into `Auth`, which pages, API and admin read; it decides nothing about permissions.
//! A session's user is remembered (`Shared::session_users`) until the next commit through the
//! server's `Db`, so deactivating, changing or deleting an account shows on the next request.

use poem::http::header;
use poem::session::Session;
use poem::{Endpoint, IntoResponse, Request, Response, Result};

use crate::accounts::users::{self, User};
use crate::web::session::USER_KEY;
use crate::web::AppState;

#[derive(Debug, Clone)]
pub enum Auth {
    Anonymous,
    Session(User),
    Token {
        user: User,
        token_id: i64,
    },
    /// An Authorization token was sent but is unknown, expired or revoked.
    BadToken,
}

impl Auth {
    pub fn user(&self) -> Option<&User> {
        match self {
            Auth::Session(u) | Auth::Token { user: u, .. } => Some(u),
            Auth::Anonymous | Auth::BadToken => None,
        }
    }

    pub fn of(req: &Request) -> Auth {
        req.extensions()
            .get::<Auth>()
            .cloned()
            .unwrap_or(Auth::Anonymous)
    }
}

/// The token of an `Authorization: Bearer|Token <token>` header, if that is what was sent.
fn bearer(req: &Request) -> Option<String> {
    let value = req.header(header::AUTHORIZATION)?;
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.trim().to_owned())
}

fn resolve(req: &Request, state: &AppState) -> Auth {
    if let Some(token) = bearer(req) {
        return match state.accounts.token_user(&token) {
            Ok(Some((user, token_id))) => Auth::Token { user, token_id },
            Ok(None) => Auth::BadToken,
            Err(e) => {
                tracing::error!(error = %e, "token lookup failed");
                Auth::BadToken
            }
        };
    }
    let Some(session) = req.extensions().get::<Session>() else {
        return Auth::Anonymous;
    };
    let Some(id) = session.get::<i64>(USER_KEY) else {
        return Auth::Anonymous;
    };
    // Read before the database: a lookup that races a commit is stored under the older count.
    let commits = state.db.commits();
    let found = match state.session_users.get(&id, commits) {
        Some(user) => Ok(Some(user)),
        None => state.db.read(|c| users::get_user(c, id)).inspect(|found| {
            if let Some(user) = found.as_ref().filter(|u| u.is_active) {
                state.session_users.put(id, commits, user.clone());
            }
        }),
    };
    match found {
        Ok(Some(user)) if user.is_active => Auth::Session(user),
        Ok(_) => {
            // The account is gone or deactivated: the session must not outlive it.
            session.purge();
            Auth::Anonymous
        }
        Err(e) => {
            tracing::error!(error = %e, "session user lookup failed");
            Auth::Anonymous
        }
    }
}

/// Middleware: puts the request's `Auth` in its extensions; every answer to a request with a
/// user (session or token) gets `Cache-Control: private, no-store`, so no shared cache or
/// browser history keeps a logged-in page. Static files and media keep their long public
/// caching: they are addressed by content and the same for everyone.
pub async fn authenticate<E: Endpoint>(next: E, mut req: Request) -> Result<Response> {
    let auth = match req.data::<AppState>() {
        Some(state) => resolve(&req, state),
        None => Auth::Anonymous,
    };
    crate::web::toolbar::note_user(&auth);
    let personal = auth.user().is_some() && !is_shared_asset(req.uri().path());
    req.extensions_mut().insert(auth);
    let mut resp = next.call(req).await.map(IntoResponse::into_response)?;
    // A content-addressed asset (`immutable`, e.g. the API docs' Swagger files) is the same
    // for everyone, logged in or not; it keeps its year-long caching.
    let shared = resp
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("immutable"));
    if personal && !shared {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(resp)
}

fn is_shared_asset(path: &str) -> bool {
    path.starts_with("/static/") || path.starts_with("/media/")
}

/// The client's address for throttling: the socket peer, or, when configured to trust a
/// proxy, the LAST `X-Forwarded-For` hop — the one our proxy appended. Earlier hops are
/// whatever the client sent, so taking the first would let each guess name a fresh address.
/// (Several `X-Forwarded-For` lines count as one list, in order.)
pub fn client_address(req: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let last = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 64);
        if let Some(hop) = last {
            return hop.to_owned();
        }
    }
    req.remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
