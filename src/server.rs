//! The HTTP server: the one router mounting every surface under its named routes, and serving
//! it with graceful shutdown on SIGINT/SIGTERM (in-flight requests finish within the grace
//! period).

use std::time::Duration;

use poem::error::{NotFoundError, ParsePathError};
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{get, post, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};

use crate::pages::accounts;
use crate::web::assets::serve_static;
use crate::web::routes::pattern;
use crate::web::{auth, middleware, session, AppState};
use crate::{admin, api, ops, pages};

pub fn endpoint(state: AppState) -> impl Endpoint {
    let debug = state.config.server.debug;
    let https = state.config.server.is_https();
    let max_body = state.config.server.max_body_bytes as usize;
    // Admin uploads may be larger than other bodies, up to the media limit (plus form overhead).
    let max_admin_body = max_body.max(state.config.media.max_upload_bytes as usize + 64 * 1024);
    let route = admin::routes(Route::new());
    route
        .nest_no_strip("/api", api::routes())
        .at(pattern("healthz"), ops::healthz)
        .at(pattern("readyz"), ops::readyz)
        .at(pattern("static"), serve_static)
        .at(pattern("home"), pages::catalog::home)
        .at(pattern("catalog"), pages::catalog::catalog_list)
        .at(pattern("course_detail"), pages::catalog::course_detail)
        .at(pattern("set_language"), pages::catalog::set_language)
        .at(
            pattern("signup"),
            get(accounts::signup_form).post(accounts::signup),
        )
        .at(
            pattern("login"),
            get(accounts::login_form).post(accounts::login),
        )
        .at(pattern("logout"), post(accounts::logout))
        .at(
            pattern("account"),
            get(accounts::account).post(accounts::account_update),
        )
        .at(
            pattern("password_change"),
            get(accounts::password_change_form).post(accounts::password_change),
        )
        .at(pattern("logout_all"), post(accounts::logout_all))
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
        .around(move |ep, req| {
            let limit = if req.uri().path().starts_with("/admin/") {
                max_admin_body
            } else {
                max_body
            };
            middleware::limit_body(ep, req, limit)
        })
        .data(state.clone())
        .around(move |ep, req| middleware::observe(ep, req, debug, https))
}

/// Answers paths no route matched, or whose percent-encoding does not decode to a route: JSON
/// under `/api`, the friendly page elsewhere.
async fn not_found_fallback<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let is_api = req.uri().path().starts_with("/api/");
    // Only the language and path are kept; the page is rendered on a miss alone.
    let page = req
        .data::<AppState>()
        .map(|s| (s.clone(), pages::PageCtx::light(&req, s)));
    match next.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(e) if e.is::<NotFoundError>() || e.is::<ParsePathError>() => match (is_api, page) {
            (true, _) => Ok(api::json_error(StatusCode::NOT_FOUND, "Not found.")),
            (false, Some((state, ctx))) => Ok(pages::not_found_page(&state, &ctx)),
            (false, None) => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// Deletes expired sessions, tokens and lockouts every `session.purge_minutes`.
fn spawn_purge(state: AppState) {
    let every = Duration::from_secs(state.config.session.purge_minutes * 60);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
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

/// Resolves when the process is asked to stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Binds the configured address and serves until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TcpListener::bind(state.config.server.bind)
        .into_acceptor()
        .await?;
    serve_on(acceptor, state, shutdown).await
}

/// Serves on an acceptor that is already bound (tests bind port 0 and read the port first).
pub async fn serve_on(
    acceptor: impl Acceptor + 'static,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.config.server.shutdown_grace_seconds);
    spawn_purge(state.clone());
    let addrs: Vec<String> = acceptor
        .local_addr()
        .iter()
        .map(|a| a.to_string())
        .collect();
    tracing::info!(address = %addrs.join(", "), "hancup is serving");
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint(state), shutdown, Some(grace))
        .await
}
