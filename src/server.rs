//! The HTTP server: the one router mounting every surface under its named routes, and serving
//! it with graceful shutdown on SIGINT/SIGTERM: the listening socket is drained and closed first
//! (so a second process sharing the port takes every new connection), then in-flight requests
//! finish within the grace period. Background tasks (session purge, scheduled backups) start
//! here.

use std::sync::Arc;
use std::time::Duration;

use poem::error::{NotFoundError, ParsePathError};
use poem::http::StatusCode;
use poem::listener::Acceptor;
use poem::{get, post, Endpoint, EndpointExt, IntoResponse, PathPattern, Request, Response, Route};

use crate::ops::listener::Handoff;
use crate::pages::{accounts, qa};
use crate::web::assets::serve_static;
use crate::web::cors::CorsPolicy;
use crate::web::hosts::AllowedHosts;
use crate::web::overload::Limiter;
use crate::web::routes::pattern;
use crate::web::{auth, middleware, session, AppState};
use crate::{admin, api, ops, pages};

pub fn endpoint(state: AppState) -> impl Endpoint {
    let limiter = Limiter::new(state.config.server.max_concurrent_requests);
    let observed = state.clone();
    let hosts = Arc::new(AllowedHosts::from_config(&state.config.server));
    let cors = Arc::new(CorsPolicy::from_list(&state.config.server.cors_origins));
    let checked = state.clone();
    let max_body = state.config.server.max_body_bytes as usize;
    let bodies = middleware::BodyRules {
        max: max_body,
        // Admin uploads may be larger than other bodies, up to the media limit (plus form overhead).
        max_admin: max_body.max(state.config.media.max_upload_bytes as usize + 64 * 1024),
        deadline: match state.config.server.body_timeout_seconds {
            0 => None,
            s => Some(Duration::from_secs(s)),
        },
    };
    let route = admin::routes(Route::new());
    route
        .nest_no_strip("/api", api::routes())
        .at(pattern("healthz"), ops::healthz)
        .at(pattern("readyz"), ops::readyz)
        .at(pattern("metrics"), ops::metrics::metrics)
        .at(pattern("static"), serve_static)
        .at(pattern("home"), pages::catalog::home)
        .at(pattern("catalog"), pages::catalog::catalog_list)
        .at(pattern("course_detail"), pages::course::course_detail)
        .at(pattern("enroll"), post(pages::course::enroll))
        .at(pattern("leave"), post(pages::course::leave))
        .at(
            pattern("progress_delete"),
            get(pages::course::progress_delete_form).post(pages::course::progress_delete),
        )
        .at(pattern("review_create"), post(pages::course::review_create))
        .at(pattern("review_update"), post(pages::course::review_update))
        .at(pattern("review_delete"), post(pages::course::review_delete))
        .at(pattern("lesson"), get(pages::lessons::lesson))
        .at(
            pattern("lesson_complete"),
            post(pages::lessons::lesson_complete),
        )
        .at(pattern("my_courses"), get(pages::lessons::my_courses))
        .at(pattern("certificate"), get(pages::lessons::certificate))
        .at(pattern("questions"), get(qa::questions).post(qa::ask))
        .at(pattern("question"), get(qa::question))
        .at(
            pattern("question_edit"),
            get(qa::question_edit_form).post(qa::question_edit),
        )
        .at(pattern("question_delete"), post(qa::question_delete))
        .at(pattern("question_hide"), post(qa::question_hide))
        .at(pattern("question_accept"), post(qa::accept))
        .at(pattern("answer_create"), post(qa::answer_create))
        .at(
            pattern("answer_edit"),
            get(qa::answer_edit_form).post(qa::answer_edit),
        )
        .at(pattern("answer_delete"), post(qa::answer_delete))
        .at(pattern("answer_hide"), post(qa::answer_hide))
        .at(pattern("set_language"), pages::catalog::set_language)
        .at(
            pattern("signup"),
            get(accounts::signup_form).post(accounts::signup),
        )
        .at(
            pattern("login"),
            get(accounts::login_form).post(accounts::login),
        )
        .at(
            pattern("logout"),
            get(accounts::logout_confirm).post(accounts::logout),
        )
        .at(
            pattern("account"),
            get(accounts::account).post(accounts::account_update),
        )
        .at(
            pattern("password_change"),
            get(accounts::password_change_form).post(accounts::password_change),
        )
        .at(pattern("logout_all"), post(accounts::logout_all))
        .at(pattern("social_start"), post(pages::social::start))
        .at(pattern("social_callback"), get(pages::social::callback))
        .at(
            pattern("social_complete"),
            get(pages::social::complete_form).post(pages::social::complete),
        )
        .at(pattern("social_unlink"), post(pages::social::unlink))
        .at(pattern("deactivate"), post(accounts::deactivate))
        .at(
            pattern("password_reset"),
            get(accounts::password_reset_form).post(accounts::password_reset),
        )
        .at(
            pattern("password_reset_confirm"),
            get(accounts::password_reset_confirm_form).post(accounts::password_reset_confirm),
        )
        .around(not_found_fallback)
        .around(auth::authenticate)
        .with(session::middleware(state.db.clone(), &state.config))
        .data(state.clone())
        .around(move |ep, req| crate::web::cors::cors(ep, req, cors.clone()))
        .around(move |ep, req| refuse_unknown_hosts(ep, req, hosts.clone(), checked.clone()))
        .around(move |ep, req| {
            middleware::observe(ep, req, observed.clone(), limiter.clone(), bodies)
        })
}

/// 400 for a `Host` the server does not answer (`web::hosts`), before anything else runs, so
/// no request can choose the host of a link it makes the server build.
async fn refuse_unknown_hosts<E: Endpoint>(
    next: E,
    req: Request,
    hosts: Arc<AllowedHosts>,
    state: AppState,
) -> poem::Result<Response> {
    if let Some(host) = req.header(poem::http::header::HOST) {
        if !hosts.allows(host) {
            let lang = crate::web::i18n::Lang::negotiate(
                None,
                req.header(poem::http::header::ACCEPT_LANGUAGE),
                state.config.i18n.default_language,
            );
            let message = state.catalogs.get(lang, "error.bad_host").to_owned();
            return Ok(if req.uri().path().starts_with("/api/") {
                api::json_error(StatusCode::BAD_REQUEST, &message)
            } else {
                Response::builder()
                    .status(StatusCode::BAD_REQUEST)
                    .content_type("text/plain; charset=utf-8")
                    .body(message)
            });
        }
    }
    Ok(next.call(req).await?.into_response())
}

/// Answers paths no route matched, or whose percent-encoding does not decode to a route, with
/// JSON under `/api`; outside `/api` every error that reached here without a page of its own
/// (no route, wrong method, an unreadable path or body, a server fault) becomes the styled
/// error page with the same status, so a browser never shows poem's plain-text answers.
async fn not_found_fallback<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let is_api = req.uri().path().starts_with("/api/");
    // Only the language and path are kept; the page is rendered on an error alone.
    let page = req
        .data::<AppState>()
        .map(|s| (s.clone(), pages::PageCtx::light(&req, s)));
    match next.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(e) if is_api && (e.is::<NotFoundError>() || e.is::<ParsePathError>()) => {
            Ok(api::json_error(StatusCode::NOT_FOUND, "Not found."))
        }
        Err(e) if is_api => Err(e),
        Err(e) => match page {
            Some((state, ctx)) => {
                let pattern = e.data::<PathPattern>().cloned();
                let status = if e.is::<ParsePathError>() {
                    StatusCode::NOT_FOUND
                } else {
                    e.status()
                };
                let own = e.into_response();
                let is_page = own
                    .content_type()
                    .is_some_and(|t| t.starts_with("text/html"));
                let mut resp = if is_page {
                    own
                } else {
                    pages::status_page(&state, &ctx, status)
                };
                if let Some(p) = pattern {
                    resp.set_data(p);
                }
                Ok(resp)
            }
            None => Err(e),
        },
    }
}

/// Deletes expired sessions, tokens and lockouts every `session.purge_minutes`.
fn spawn_purge(state: AppState) {
    let every = Duration::from_secs(state.config.session.purge_minutes * 60);
    tokio::spawn(async move {
        // The first sweep comes after one interval, not at start: every write invalidates the
        // response cache, and a sweep racing the first requests would empty it for nothing.
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tick.tick().await;
            match state.accounts.purge_expired().await {
                Ok((sessions, tokens)) if sessions + tokens > 0 => {
                    tracing::info!(sessions, tokens, "purged expired sessions and tokens")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "purging expired sessions failed"),
            }
        }
    });
}

/// Resolves when the process is asked to stop (SIGINT or SIGTERM). The handlers are installed
/// when this is called, not when first polled: a signal that arrives as soon as the socket
/// answers must not kill the process with its default action.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    let streams = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (int, term) = streams;
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(int) => {},
                _ = wait(term) => {},
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested; finishing in-flight requests");
    }
}

/// Serves on `listener` until `shutdown` resolves; then closes the socket (after serving every
/// connection already queued on it) and lets in-flight requests finish within the grace period.
/// `main` passes the socket from `ops::listener::bind`; tests bind 127.0.0.1:0 and read the port.
pub async fn serve_on(
    listener: std::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.config.server.shutdown_grace_seconds);
    let settle = crate::ops::listener::SETTLE.min(grace);
    let (acceptor, closed) = Handoff::new(listener, shutdown, settle)?;
    spawn_purge(state.clone());
    crate::ops::backup::spawn_schedule(state.db.clone(), state.config.backup.clone());
    let addrs: Vec<String> = acceptor
        .local_addr()
        .iter()
        .map(|a| a.to_string())
        .collect();
    tracing::info!(address = %addrs.join(", "), "hancup is serving");
    let deadlines = crate::ops::connection::Deadlines::from_seconds(
        state.config.server.header_timeout_seconds,
        state.config.server.idle_timeout_seconds,
    );
    crate::ops::connection::serve(acceptor, endpoint(state), closed, grace, deadlines).await
}
