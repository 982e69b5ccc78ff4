//! The dashboard: the models this user may see, grouped by area with their add and change
//! links, and the user's own recent actions.

use minijinja::context;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{handler, Request, Response};

use super::{error_page, render, url, AdminCtx};
use crate::admin::history;
use crate::admin::models;
use crate::admin::store::AdminError;
use crate::web::AppState;

#[handler]
pub fn dashboard(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = match AdminCtx::gate(req, &state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let recent = match state
        .db
        .read(|c| history::recent_for_user(c, ctx.user.id).map_err(AdminError::from))
    {
        Ok(r) => r,
        Err(e) => return error_page(&state, req, &ctx, e),
    };
    let recent: Vec<_> = recent
        .into_iter()
        .map(|e| {
            let link = (e.action != "delete")
                .then(|| models::find(&e.model))
                .flatten()
                .map(|m| {
                    url(
                        "admin_change",
                        &[("model", m.key), ("id", &e.object_id.to_string())],
                    )
                });
            let kind = if e.action.starts_with("action:") {
                "action"
            } else {
                e.action.as_str()
            };
            context! {
                kind,
                action => e.action.clone(),
                object => e.object_repr,
                model => models::find(&e.model).map(|m| m.label.get(ctx.lang)).unwrap_or(""),
                when => e.created_at,
                link,
            }
        })
        .collect();
    render(
        &state,
        &ctx,
        "admin/index.html",
        context! { groups => ctx.nav(), recent },
        StatusCode::OK,
    )
}
