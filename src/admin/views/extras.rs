//! The smaller admin views: an object's history page, the autocomplete endpoint foreign-key
//! widgets call (JSON), the markdown preview (sanitised HTML), and the users' separate
//! change-password form.

use minijinja::context;
use poem::http::StatusCode;
use poem::web::{Data, Json, Path};
use poem::{handler, IntoResponse, Request, Response};
use rusqlite::types::Value;

use super::edit::gate_model as gate;
use super::model_context;
use super::{error_page, flash, model_url, redirect, render, write, AdminCtx};
use crate::accounts::perms::Action;
use crate::accounts::{users, Password};
use crate::admin::forms::AdminForm;
use crate::admin::query::{self, ListQuery};
use crate::admin::registry::ModelAdmin;
use crate::admin::store::{self, AdminError};
use crate::admin::{changes, history};
use crate::fields::{FieldError, FieldErrors};
use crate::web::AppState;

#[handler]
pub fn object_history(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    let (ctx, m) = match gate(req, &state, &key, Action::View) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&state, req, &ctx, AdminError::NotFound);
    };
    let loaded = state.db.read(|c| -> Result<_, AdminError> {
        let repr = match store::load(c, m, id, ctx.owner)? {
            Some(o) => o.repr,
            // A deleted object keeps its history; the owner rule still applies to live ones.
            None if ctx.owner.is_none() => String::new(),
            None => return Err(AdminError::NotFound),
        };
        Ok((repr, history::for_object(c, m.key, id)?))
    });
    match loaded {
        Ok((repr, entries)) => {
            let entries: Vec<minijinja::Value> = entries
                .into_iter()
                .map(|e| {
                    let action_label = e
                        .action
                        .strip_prefix("action:")
                        .map(|a| m.action(a).map_or(a, |d| d.label.get(ctx.lang)));
                    let changes: Vec<minijinja::Value> = e
                        .changes
                        .iter()
                        .map(|c| {
                            let time = state.templates.time();
                            context! {
                                label => changes::label(m, &c.field, ctx.lang),
                                old => changes::value(m, &c.field, &c.old, ctx.lang, time),
                                new => changes::value(m, &c.field, &c.new, ctx.lang, time),
                            }
                        })
                        .collect();
                    // A change of the object's own fields can be undone by who may change it.
                    let revert_url = (e.action == "change"
                        && !repr.is_empty()
                        && ctx.can(m, Action::Change)
                        && e.changes.iter().any(|c| m.field(&c.field).is_some()))
                    .then(|| {
                        super::link(super::url(
                            "admin_revert",
                            &[
                                ("model", m.key),
                                ("id", &id.to_string()),
                                ("entry", &e.id.to_string()),
                            ],
                        ))
                    });
                    context! { user => e.user, action => e.action, action_label, changes, created_at => e.created_at, revert_url }
                })
                .collect();
            let data = context! {
                model => model_context(&ctx, m),
                object => context! { id, repr, url => model_url("admin_change", m, Some(id)) },
                entries,
            };
            render(&state, &ctx, "admin/history.html", data, StatusCode::OK)
        }
        Err(e) => error_page(&state, req, &ctx, e),
    }
}

#[derive(serde::Serialize)]
struct Suggestion {
    id: i64,
    label: String,
}

/// `GET /admin/<model>/autocomplete?q=`: up to 20 matches by the model's search fields.
#[handler]
pub fn autocomplete(req: &Request, state: Data<&AppState>, Path(key): Path<String>) -> Response {
    let (ctx, m) = match gate(req, &state, &key, Action::View) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let q = ListQuery::parse(m, req.uri().query().unwrap_or(""), state.templates.time());
    let found = state.db.read(|c| -> Result<Vec<Suggestion>, AdminError> {
        let (cond, params) = query::conditions(m, &q, ctx.owner);
        let sql = format!(
            "SELECT {}.id, {} FROM {} {}{cond} ORDER BY 2 LIMIT 20",
            m.table, m.repr, m.table, m.joins
        );
        let rows = c
            .prepare_cached(&sql)?
            .query_map(rusqlite::params_from_iter(params), |r| {
                Ok(Suggestion {
                    id: r.get(0)?,
                    label: query::as_text(&r.get::<_, Value>(1)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    });
    match found {
        Ok(list) => Json(list).into_response(),
        Err(e) => error_page(&state, req, &ctx, e),
    }
}

/// `POST /admin/preview`: markdown → the same sanitised HTML the site shows.
#[handler]
pub fn preview(req: &Request, state: Data<&AppState>, form: AdminForm) -> Response {
    if let Err(r) = AdminCtx::gate(req, &state) {
        return r;
    }
    let html = crate::markdown::to_safe_html(form.get("text").unwrap_or(""));
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(poem::http::header::CACHE_CONTROL, "no-store")
        .body(html)
}

fn password_page(
    state: &AppState,
    req: &Request,
    ctx: &AdminCtx,
    m: &'static ModelAdmin,
    id: i64,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    match state
        .db
        .read(|c| store::load(c, m, id, ctx.owner).map_err(AdminError::from))
    {
        Ok(Some(obj)) => {
            let data = context! {
                model => model_context(ctx, m),
                object => context! { id, repr => obj.repr, url => model_url("admin_change", m, Some(id)) },
                errors => ctx.field_errors(state, errors),
                password_min => state.config.auth.password_min_length,
                post_url => model_url("admin_password", m, Some(id)),
            };
            render(state, ctx, "admin/password.html", data, status)
        }
        Ok(None) => error_page(state, req, ctx, AdminError::NotFound),
        Err(e) => error_page(state, req, ctx, e),
    }
}

fn password_gate(
    req: &Request,
    state: &AppState,
    key: &str,
    id: &str,
) -> Result<(AdminCtx, &'static ModelAdmin, users::User), Response> {
    let (ctx, m) = gate(req, state, key, Action::Change)?;
    let Some(id) = id.parse::<i64>().ok().filter(|_| m.password) else {
        return Err(error_page(state, req, &ctx, AdminError::NotFound));
    };
    // The target-row rule (a superuser's password only by a superuser, staff only by a
    // superset of their permissions); the POST checks it again inside its transaction.
    let target = state.db.read(|c| -> Result<_, AdminError> {
        let u = users::get_user(c, id)?.ok_or(AdminError::NotFound)?;
        store::may_write(c, m, &ctx.user, id)?;
        Ok(u)
    });
    match target {
        Ok(u) => Ok((ctx, m, u)),
        Err(e) => Err(error_page(state, req, &ctx, e)),
    }
}

#[handler]
pub fn password_form(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    match password_gate(req, &state, &key, &id) {
        Ok((ctx, m, u)) => password_page(
            &state,
            req,
            &ctx,
            m,
            u.id,
            &FieldErrors::new(),
            StatusCode::OK,
        ),
        Err(r) => r,
    }
}

#[handler]
pub async fn password_set(
    req: &Request,
    state: Data<&AppState>,
    Path((key, id)): Path<(String, String)>,
    form: AdminForm,
) -> Response {
    let (ctx, m, target) = match password_gate(req, &state, &key, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (p1, p2) = (
        form.get("password1").unwrap_or(""),
        form.get("password2").unwrap_or(""),
    );
    let min = state.config.auth.password_min_length as usize;
    let parsed = if p1 != p2 {
        Err(FieldErrors::single(
            "password2",
            FieldError::password_mismatch(),
        ))
    } else {
        Password::parse(p1, "password1", min, &target.email, &target.display_name)
    };
    let password = match parsed {
        Ok(p) => p,
        Err(errors) => {
            return password_page(
                &state,
                req,
                &ctx,
                m,
                target.id,
                &errors,
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let Ok(hash) = state.accounts.hashes.hash(password).await else {
        let busy = AdminError::Db(crate::db::DbError::Unavailable("password hashing"));
        return error_page(&state, req, &ctx, busy);
    };
    let (user, tid, repr) = (ctx.user.clone(), target.id, target.email.clone());
    let done = write(&state, move |tx| -> Result<(), AdminError> {
        store::may_write(tx, m, &user, tid)?;
        users::replace_password(tx, tid, &hash)?;
        history::log(
            tx,
            &user,
            m.key,
            tid,
            &repr,
            "change",
            &[history::change("password", "", "")],
        )?;
        Ok(())
    })
    .await;
    match done {
        Ok(()) => {
            flash(req, "success", "admin.password_set");
            redirect(&model_url("admin_change", m, Some(tid)))
        }
        Err(e) => error_page(&state, req, &ctx, e),
    }
}
