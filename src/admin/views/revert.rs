//! `GET /admin/<model>/<id>/history/<entry>/revert`: what undoing one logged change would do,
//! field by field (now → after), and what it leaves alone; `POST` the same path saves it through
//! `admin::save` (`admin::revert` builds the submission), stale-edit check included.

use minijinja::context;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::edit::gate_model as gate;
use super::model_context;
use super::{error_page, flash, model_url, redirect, render, write, AdminCtx};
use crate::accounts::perms::Action;
use crate::admin::changes;
use crate::admin::forms::AdminForm;
use crate::admin::query::as_text;
use crate::admin::registry::ModelAdmin;
use crate::admin::revert::{self, Plan};
use crate::admin::save::save;
use crate::admin::store::{AdminError, NON_FIELD};
use crate::fields::{FieldError, FieldErrors};
use crate::web::AppState;

fn ids(id: &str, entry: &str) -> Option<(i64, i64)> {
    Some((id.parse().ok()?, entry.parse().ok()?))
}

fn preview(
    state: &AppState,
    ctx: &AdminCtx,
    m: &'static ModelAdmin,
    id: i64,
    plan: &Plan,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let time = state.templates.time();
    let show = |name: &str, v: &rusqlite::types::Value| {
        changes::value(m, name, &as_text(v), ctx.lang, time)
    };
    let steps: Vec<minijinja::Value> = plan
        .steps
        .iter()
        .map(|s| {
            context! {
                label => s.field.label.get(ctx.lang),
                now => show(s.field.name, &s.current),
                back => show(s.field.name, &s.back),
                same => s.current == s.back,
            }
        })
        .collect();
    let skipped: Vec<String> = plan
        .skipped
        .iter()
        .map(|n| changes::label(m, n, ctx.lang))
        .collect();
    let data = context! {
        model => model_context(ctx, m),
        object => context! { id, repr => plan.repr, url => model_url("admin_change", m, Some(id)) },
        entry => context! { user => plan.entry.user, created_at => plan.entry.created_at },
        steps,
        skipped,
        fingerprint => plan.fingerprint,
        errors => ctx.field_errors(state, errors),
        history_url => format!("{}/history", model_url("admin_change", m, Some(id))),
        // A field today's rules refuse blocks the revert; a stale preview only needs a look.
        can_revert => errors.iter().all(|(name, _)| name == NON_FIELD)
            && plan.steps.iter().any(|s| s.current != s.back),
    };
    render(state, ctx, "admin/revert.html", data, status)
}

#[handler]
pub fn revert_preview(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id, entry)): Path<(String, String, String)>,
) -> Response {
    let (ctx, m) = match gate(req, &state, &key, Action::Change) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some((id, entry)) = ids(&id, &entry) else {
        return error_page(&state, req, &ctx, AdminError::NotFound);
    };
    let mut errors = FieldErrors::new();
    let time = state.templates.time().clone();
    let planned = state.db.read(|c| {
        revert::plan(
            c,
            m,
            id,
            entry,
            ctx.owner,
            ctx.is_superuser(),
            &time,
            &mut errors,
        )
    });
    match planned {
        Ok(plan) => preview(&state, &ctx, m, id, &plan, &errors, StatusCode::OK),
        Err(e) => error_page(&state, req, &ctx, e),
    }
}

#[handler]
pub async fn revert_apply(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id, entry)): Path<(String, String, String)>,
    form: AdminForm,
) -> Response {
    let (ctx, m) = match gate(req, &state, &key, Action::Change) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some((id, entry)) = ids(&id, &entry) else {
        return error_page(&state, req, &ctx, AdminError::NotFound);
    };
    let seen = form.get("_fingerprint").map(str::to_owned);
    let (user, owner, superuser) = (ctx.user.clone(), ctx.owner, ctx.is_superuser());
    let time = state.templates.time().clone();
    let done = write(&state, move |tx| -> Result<(), AdminError> {
        let mut errors = FieldErrors::new();
        let plan = revert::plan(tx, m, id, entry, owner, superuser, &time, &mut errors)?;
        if !errors.is_empty() {
            return Err(AdminError::Invalid(errors));
        }
        save(tx, m, &user, owner, Some(id), &plan.submission(seen))?;
        Ok(())
    })
    .await;
    match done {
        Ok(()) => {
            flash(req, "success", "admin.reverted");
            redirect(&model_url("admin_change", m, Some(id)))
        }
        Err(e @ (AdminError::Invalid(_) | AdminError::Conflict)) => {
            let (errors, status) = match e {
                AdminError::Invalid(errors) => (errors, StatusCode::BAD_REQUEST),
                _ => (
                    FieldErrors::single(
                        NON_FIELD,
                        FieldError::new(
                            "stale",
                            "Someone else changed this object after you opened it.",
                        ),
                    ),
                    StatusCode::CONFLICT,
                ),
            };
            // Shown again with the object as it is now (a fresh fingerprint).
            let mut ignored = FieldErrors::new();
            let planned = state.db.read(|c| {
                revert::plan(
                    c,
                    m,
                    id,
                    entry,
                    ctx.owner,
                    ctx.is_superuser(),
                    state.templates.time(),
                    &mut ignored,
                )
            });
            match planned {
                Ok(plan) => preview(&state, &ctx, m, id, &plan, &errors, status),
                Err(e) => error_page(&state, req, &ctx, e),
            }
        }
        Err(e) => error_page(&state, req, &ctx, e),
    }
}
