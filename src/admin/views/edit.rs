//! Add and change pages for every registered model: the form (GET), and its submission (POST)
//! parsed whole — every field error shown inline with the input kept — then saved with its
//! many-to-many sets and inline rows in one transaction. "Save", "save and add another" and
//! "save and continue editing"; a stale form gets a conflict message instead of overwriting.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::form_view::{build, FormState};
use super::{error_page, flash, model_or_404, model_url, redirect, render, write, AdminCtx};
use crate::accounts::perms::Action;
use crate::accounts::Password;
use crate::admin::forms::AdminForm;
use crate::admin::registry::ModelAdmin;
use crate::admin::save::{parse_submission, save, Submission};
use crate::admin::store::{self, AdminError, NON_FIELD};
use crate::fields::{FieldError, FieldErrors};
use crate::web::AppState;

fn parse_id(id: &str) -> Option<i64> {
    id.parse().ok()
}

#[allow(clippy::too_many_arguments)]
fn page(
    state: &AppState,
    req: &Request,
    ctx: &AdminCtx,
    m: &'static ModelAdmin,
    id: Option<i64>,
    form: Option<&AdminForm>,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let built = state.db.read(|c| -> Result<_, AdminError> {
        let object = match id {
            Some(id) => Some(store::load(c, m, id, ctx.owner)?.ok_or(AdminError::NotFound)?),
            None => None,
        };
        let fs = match form {
            Some(f) => FormState::from_form(m, f),
            None => FormState::from_db(c, m, object.as_ref(), state.templates.time())?,
        };
        build(c, state, ctx, m, object.as_ref(), &fs, errors)
    });
    match built {
        Ok(data) => render(state, ctx, "admin/change_form.html", data, status),
        Err(e) => error_page(state, req, ctx, e),
    }
}

/// The staff gate, the model (or 404) and the permission for `action`, or the page refusing.
pub(super) fn gate_model(
    req: &Request,
    state: &AppState,
    key: &str,
    action: Action,
) -> Result<(AdminCtx, &'static ModelAdmin), Response> {
    let ctx = AdminCtx::gate(req, state)?;
    let m = model_or_404(state, req, &ctx, key)?;
    if let Err(e) = ctx.require(m, action) {
        return Err(error_page(state, req, &ctx, e));
    }
    Ok((ctx, m))
}

#[handler]
pub fn add_form(req: &Request, state: Data<&AppState>, Path(key): Path<String>) -> Response {
    match gate_model(req, &state, &key, Action::Add) {
        Ok((ctx, m)) => page(
            &state,
            req,
            &ctx,
            m,
            None,
            None,
            &FieldErrors::new(),
            StatusCode::OK,
        ),
        Err(r) => r,
    }
}

#[handler]
pub fn change_form(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    match gate_model(req, &state, &key, Action::View) {
        Ok((ctx, m)) => match parse_id(&id) {
            Some(id) => page(
                &state,
                req,
                &ctx,
                m,
                Some(id),
                None,
                &FieldErrors::new(),
                StatusCode::OK,
            ),
            None => error_page(&state, req, &ctx, AdminError::NotFound),
        },
        Err(r) => r,
    }
}

#[handler]
pub async fn add(
    req: &Request,
    state: Data<&AppState>,
    Path(key): Path<String>,
    form: AdminForm,
) -> Response {
    match gate_model(req, &state, &key, Action::Add) {
        Ok((ctx, m)) => submit(&state, req, &ctx, m, None, form).await,
        Err(r) => r,
    }
}

#[handler]
pub async fn change(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id)): Path<(String, String)>,
    form: AdminForm,
) -> Response {
    match gate_model(req, &state, &key, Action::Change) {
        Ok((ctx, m)) => match parse_id(&id) {
            Some(id) => submit(&state, req, &ctx, m, Some(id), form).await,
            None => error_page(&state, req, &ctx, AdminError::NotFound),
        },
        Err(r) => r,
    }
}

/// The new user's password pair, checked by the accounts rules and hashed in the pool.
async fn new_password(
    state: &AppState,
    form: &AdminForm,
    errors: &mut FieldErrors,
) -> Result<Option<String>, AdminError> {
    let p1 = form.get("password1").unwrap_or("");
    let p2 = form.get("password2").unwrap_or("");
    if p1 != p2 {
        errors.push("password2", FieldError::password_mismatch());
        return Ok(None);
    }
    let min = state.config.auth.password_min_length as usize;
    match Password::parse(
        p1,
        "password1",
        min,
        form.get("email").unwrap_or(""),
        form.get("display_name").unwrap_or(""),
    ) {
        Ok(p) if errors.is_empty() => {
            Ok(Some(state.accounts.hashes.hash(p).await.map_err(|_| {
                AdminError::Db(crate::db::DbError::Unavailable("password hashing"))
            })?))
        }
        Ok(_) => Ok(None),
        Err(e) => {
            errors.merge(e);
            Ok(None)
        }
    }
}

/// Posted inline rows this user may not write: an inline is its own model, so any row needs
/// the child's view and change permissions, a new row its add, a removed row its delete.
/// `Forbidden` refuses the whole submission before anything is written.
fn inline_refusal(ctx: &AdminCtx, sub: &Submission) -> Option<AdminError> {
    let refused = sub.inlines.iter().any(|inl| {
        let may = |a| ctx.can(inl.child, a);
        let may_write = may(Action::View) && may(Action::Change);
        inl.rows.iter().any(|r| {
            !may_write
                || (r.id.is_none() && !may(Action::Add))
                || (r.delete && !may(Action::Delete))
        })
    });
    refused.then_some(AdminError::Forbidden)
}

async fn submit(
    state: &AppState,
    req: &Request,
    ctx: &AdminCtx,
    m: &'static ModelAdmin,
    id: Option<i64>,
    form: AdminForm,
) -> Response {
    let mut errors = FieldErrors::new();
    let mut sub = parse_submission(m, &form, ctx.is_superuser(), ctx.owner, &mut errors);
    // An inline the user may not change is left alone (not even renumbered) when nothing was
    // posted for it, and refused whole when something was.
    sub.inlines
        .retain(|inl| !inl.rows.is_empty() || ctx.can(inl.child, Action::Change));
    if let Some(e) = inline_refusal(ctx, &sub) {
        return error_page(state, req, ctx, e);
    }
    if id.is_none() && m.password {
        match new_password(state, &form, &mut errors).await {
            Ok(hash) => sub.password_hash = hash,
            Err(e) => return error_page(state, req, ctx, e),
        }
    }
    if !errors.is_empty() {
        return page(
            state,
            req,
            ctx,
            m,
            id,
            Some(&form),
            &errors,
            StatusCode::BAD_REQUEST,
        );
    }
    let (user, owner) = (ctx.user.clone(), ctx.owner);
    match write(state, move |tx| save(tx, m, &user, owner, id, &sub)).await {
        Ok(saved) => {
            flash(
                req,
                "success",
                if id.is_some() {
                    "admin.changed"
                } else {
                    "admin.added"
                },
            );
            if form.get("_addanother").is_some() {
                redirect(&model_url("admin_add", m, None))
            } else if form.get("_continue").is_some() {
                redirect(&model_url("admin_change", m, Some(saved)))
            } else {
                redirect(&model_url("admin_list", m, None))
            }
        }
        Err(AdminError::Invalid(errors)) => page(
            state,
            req,
            ctx,
            m,
            id,
            Some(&form),
            &errors,
            StatusCode::BAD_REQUEST,
        ),
        Err(AdminError::Conflict) => {
            let errors = FieldErrors::single(
                NON_FIELD,
                FieldError::new(
                    "stale",
                    "Someone else changed this object after you opened it.",
                ),
            );
            // The input is kept; saving again now overwrites knowingly (the fingerprint is fresh).
            let form = form.without("_fingerprint");
            page(
                state,
                req,
                ctx,
                m,
                id,
                Some(&form),
                &errors,
                StatusCode::CONFLICT,
            )
        }
        Err(e) => error_page(state, req, ctx, e),
    }
}
