//! Deleting one object: the GET shows everything that goes with it (the cascade, read from the
//! schema) and what protects it; the POST deletes it in one transaction with its history.

use minijinja::context;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::model_context;
use super::{error_page, flash, model_or_404, model_url, redirect, render, write, AdminCtx};
use crate::accounts::perms::Action;
use crate::admin::cascade;
use crate::admin::forms::AdminForm;
use crate::admin::registry::ModelAdmin;
use crate::admin::store::{self, AdminError};
use crate::web::AppState;

fn gate(
    req: &Request,
    state: &AppState,
    key: &str,
    id: &str,
) -> Result<(AdminCtx, &'static ModelAdmin, i64), Response> {
    let ctx = AdminCtx::gate(req, state)?;
    let m = model_or_404(state, req, &ctx, key)?;
    if let Err(e) = ctx.require(m, Action::Delete) {
        return Err(error_page(state, req, &ctx, e));
    }
    match id.parse() {
        Ok(id) => Ok((ctx, m, id)),
        Err(_) => Err(error_page(state, req, &ctx, AdminError::NotFound)),
    }
}

#[handler]
pub fn confirm(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    let (ctx, m, id) = match gate(req, &state, &key, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let loaded = state.db.read(|c| -> Result<_, AdminError> {
        let obj = store::load(c, m, id, ctx.owner)?.ok_or(AdminError::NotFound)?;
        store::may_write(c, m, &ctx.user, id)?;
        Ok((obj.repr, cascade::preview(c, m.table, &[id], ctx.lang)?))
    });
    match loaded {
        Ok((repr, related)) => {
            let protected = related.iter().any(|r| r.protected);
            let data = context! {
                model => model_context(&ctx, m),
                object => context! { id, repr, url => model_url("admin_change", m, Some(id)) },
                related,
                protected,
                post_url => model_url("admin_delete", m, Some(id)),
            };
            let status = if protected {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            };
            render(&state, &ctx, "admin/delete_confirm.html", data, status)
        }
        Err(e) => error_page(&state, req, &ctx, e),
    }
}

#[handler]
pub async fn delete(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id)): Path<(String, String)>,
    _form: AdminForm,
) -> Response {
    let (ctx, m, id) = match gate(req, &state, &key, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (user, owner) = (ctx.user.clone(), ctx.owner);
    match write(&state, move |tx| store::delete(tx, m, &[id], &user, owner)).await {
        Ok(_) => {
            flash(req, "success", "admin.deleted");
            redirect(&model_url("admin_list", m, None))
        }
        Err(e) => error_page(&state, req, &ctx, e),
    }
}
