//! Logged-in pages built from kept ones: home and catalog are the cached anonymous page with the
//! visitor's own user menu spliced in (`render_shared`); a learner's lesson page, My courses
//! and Q&A list are kept per user and write generation with a marker for the CSRF token
//! (`render_kept`). Only pages whose every input is the database, the user, the path and the
//! language may be kept; they go stale at the next write, like every cached answer.

use bytes::Bytes;
use minijinja::{context, Value};
use poem::http::StatusCode;
use poem::Response;

use super::{
    cached, html, render, render_body, render_cached, template_failed, user_value, PageCtx,
};
use crate::web::AppState;

/// For pages whose content is the same for every visitor (home, catalog): the cached anonymous
/// page, for a visitor as it is, for a logged-in user with their own user menu spliced in.
pub fn cached_shared(state: &AppState, ctx: &PageCtx, generation: u64) -> Option<Response> {
    if !ctx.splices() {
        return cached(state, ctx, generation);
    }
    let shared = state.cache.get(&ctx.cache_key(), generation)?;
    splice_user_menu(state, ctx, &shared).map(|body| html(StatusCode::OK, body))
}

/// `render_cached` for pages whose content is the same for every visitor: a logged-in user's
/// page is the anonymous one (rendered and cached as such) with their user menu spliced in, so
/// the next logged-in request costs what a cache hit does plus that small menu.
pub fn render_shared(
    state: &AppState,
    ctx: &PageCtx,
    generation: u64,
    template: &str,
    data: Value,
) -> Response {
    if !ctx.splices() {
        return render_cached(state, ctx, generation, template, data);
    }
    let anonymous = ctx.anonymous();
    let shared = match render_body(state, &anonymous, template, data.clone()) {
        Ok(body) => Bytes::from(body),
        Err(e) => return template_failed(state, ctx, template, e),
    };
    state
        .cache
        .put(anonymous.cache_key(), generation, shared.clone());
    match splice_user_menu(state, ctx, &shared) {
        Some(body) => html(StatusCode::OK, body),
        None => render(state, ctx, template, data, StatusCode::OK),
    }
}

/// The anonymous page `shared` with its `<nav class="user-menu">…</nav>` replaced by this
/// user's, rendered from the same `_user_menu.html` that `base.html` includes; `None` when the
/// page has no such menu.
fn splice_user_menu(state: &AppState, ctx: &PageCtx, shared: &[u8]) -> Option<String> {
    const START: &str = "<nav class=\"user-menu\"";
    const END: &str = "</nav>";
    let page = std::str::from_utf8(shared).ok()?;
    let start = page.find(START)?;
    let end = start + page[start..].find(END)? + END.len();
    let menu = state
        .templates
        .render_plain(
            "_user_menu.html",
            context! {
                lang => ctx.lang.code(),
                current_path => ctx.current_path.as_str(),
                user => user_value(ctx),
                csrf_token => ctx.csrf_token.as_str(),
            },
        )
        .map_err(|e| tracing::error!(error = %format!("{e:#}"), "user menu failed"))
        .ok()?;
    let mut out = String::with_capacity(page.len() + menu.len());
    out.push_str(&page[..start]);
    out.push_str(&menu);
    out.push_str(&page[end..]);
    Some(out)
}

/// Stands for the session's CSRF token in a kept logged-in page: random per process, so no
/// text on a page can spell it.
pub(super) fn csrf_marker() -> &'static str {
    static MARKER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MARKER.get_or_init(|| format!("csrf-{:032x}", rand::random::<u128>()))
}

/// Where a kept logged-in page of `kind` lives in the response cache: only pages whose every
/// input is the database, the user, the path and the language may be kept this way.
fn kept_key(ctx: &PageCtx, kind: &str) -> Option<String> {
    let user = ctx.user.as_ref().filter(|_| ctx.splices())?;
    Some(format!(
        "kept {kind} {} {} {}",
        ctx.lang.code(),
        ctx.current_path,
        user.id
    ))
}

/// A logged-in page of `kind` rendered for this user at `generation`, if one is kept, with
/// this session's CSRF token put in.
pub fn kept(state: &AppState, ctx: &PageCtx, generation: u64, kind: &str) -> Option<Response> {
    let page = state.cache.get(&kept_key(ctx, kind)?, generation)?;
    let body = String::from_utf8_lossy(&page).replace(csrf_marker(), &ctx.csrf_token);
    Some(html(StatusCode::OK, body))
}

/// Renders a successful logged-in page and keeps it for this user and write generation (with
/// a marker for the CSRF token), so the next request for it skips its SQL and its template;
/// any write makes it stale, as it does every cached answer.
pub fn render_kept(
    state: &AppState,
    ctx: &PageCtx,
    generation: u64,
    kind: &str,
    template: &str,
    data: Value,
) -> Response {
    let Some(key) = kept_key(ctx, kind) else {
        return render(state, ctx, template, data, StatusCode::OK);
    };
    match render_body(state, &ctx.with_token(csrf_marker()), template, data) {
        Ok(page) => {
            let body = page.replace(csrf_marker(), &ctx.csrf_token);
            state.cache.put(key, generation, page.into());
            html(StatusCode::OK, body)
        }
        Err(e) => template_failed(state, ctx, template, e),
    }
}
