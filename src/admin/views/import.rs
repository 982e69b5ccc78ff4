//! `GET /admin/<model>/import`: the upload form and the columns a file may have; `POST` the
//! same path: the dry run — every row run through the real save inside a transaction that is
//! rolled back — shown as a preview (added, changed with old → new, unchanged, each bad row with
//! its line and field); `POST …/import/confirm`: the same file again, committed in one
//! transaction only when no row fails.

use minijinja::{context, Value};
use poem::http::StatusCode;
use poem::web::{Data, Multipart, Path};
use poem::{handler, Request, Response};

use super::edit::gate_model as gate;
use super::model_context;
use super::{error_page, flash_with, model_url, redirect, render, AdminCtx};
use crate::accounts::perms::Action;
use crate::admin::changes;
use crate::admin::import::{self, Importer, Outcome, Report};
use crate::admin::registry::ModelAdmin;
use crate::admin::save::editable_fields;
use crate::admin::store::AdminError;
use crate::db::DbError;
use crate::fields::{FieldError, FieldErrors};
use crate::web::{csrf, AppState};

/// Rows shown in a preview; the counts cover them all.
const PREVIEW_ROWS: usize = 300;

/// How a run inside the transaction ended: rolled back with its report (a dry run, or a
/// confirmed run with a failing row), or an error.
enum Stop {
    Rolled(Report),
    Admin(AdminError),
}

impl From<DbError> for Stop {
    fn from(e: DbError) -> Self {
        Stop::Admin(AdminError::Db(e))
    }
}

impl From<AdminError> for Stop {
    fn from(e: AdminError) -> Self {
        Stop::Admin(e)
    }
}

fn gate_import(
    req: &Request,
    state: &AppState,
    key: &str,
) -> Result<(AdminCtx, &'static ModelAdmin), Response> {
    let (ctx, m) = gate(req, state, key, Action::View)?;
    if !import::importable(m) || !(ctx.can(m, Action::Add) || ctx.can(m, Action::Change)) {
        return Err(error_page(state, req, &ctx, AdminError::Forbidden));
    }
    Ok((ctx, m))
}

fn page(
    state: &AppState,
    ctx: &AdminCtx,
    m: &'static ModelAdmin,
    report: Option<&Report>,
    csv_text: Option<&str>,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang;
    let time = state.templates.time();
    let columns: Vec<Value> = editable_fields(m, ctx.is_superuser(), ctx.owner)
        .into_iter()
        .map(|f| context! { name => f.name, label => f.label.get(lang), required => f.required })
        .collect();
    let preview = report.map(|r| {
        let rows: Vec<Value> = r
            .rows
            .iter()
            .take(PREVIEW_ROWS)
            .map(|row| {
                let (kind, id, lines, errs) = match &row.outcome {
                    // A dry run's new id is rolled back with it: not shown.
                    Outcome::Added(_) => ("added", None, Vec::new(), None),
                    Outcome::Changed(id, diff) => (
                        "changed",
                        Some(*id),
                        diff.iter()
                            .map(|c| {
                                context! {
                                    label => changes::label(m, &c.field, lang),
                                    old => changes::value(m, &c.field, &c.old, lang, time),
                                    new => changes::value(m, &c.field, &c.new, lang, time),
                                }
                            })
                            .collect(),
                        None,
                    ),
                    Outcome::Unchanged(id) => ("unchanged", Some(*id), Vec::new(), None),
                    Outcome::Failed(e) => {
                        let problems: Vec<Value> = state
                            .catalogs
                            .field_errors(lang, e)
                            .into_iter()
                            .flat_map(|(field, texts)| {
                                let label = match field.as_str() {
                                    crate::admin::store::NON_FIELD => String::new(),
                                    f => changes::label(m, f, lang),
                                };
                                texts
                                    .into_iter()
                                    .map(move |t| context! { label => label.clone(), message => t })
                            })
                            .collect();
                        ("failed", None, Vec::new(), Some(problems))
                    }
                };
                context! { line => row.line, kind, id, changes => lines, problems => errs }
            })
            .collect();
        let count = |k: &str| {
            r.count(|o| {
                matches!(
                    (k, o),
                    ("added", Outcome::Added(_))
                        | ("changed", Outcome::Changed(..))
                        | ("unchanged", Outcome::Unchanged(_))
                        | ("failed", Outcome::Failed(_))
                )
            })
        };
        context! {
            rows,
            more => r.rows.len().saturating_sub(PREVIEW_ROWS),
            added => count("added"), changed => count("changed"),
            unchanged => count("unchanged"), failed => count("failed"),
            ignored => r.ignored.clone(),
            ready => r.failed() == 0 && count("added") + count("changed") > 0,
        }
    });
    let data = context! {
        model => model_context(ctx, m),
        columns,
        preview,
        csv_text,
        errors => ctx.field_errors(state, errors),
        post_url => model_url("admin_import", m, None),
        confirm_url => model_url("admin_import_confirm", m, None),
        max_rows => import::MAX_ROWS,
    };
    render(state, ctx, "admin/import.html", data, status)
}

#[handler]
pub fn import_form(req: &Request, state: Data<&AppState>, Path(key): Path<String>) -> Response {
    match gate_import(req, &state, &key) {
        Ok((ctx, m)) => page(
            &state,
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

/// Runs the file; `commit` keeps the writes when no row failed. Returns the report and
/// whether it was committed.
async fn run(
    state: &AppState,
    ctx: &AdminCtx,
    m: &'static ModelAdmin,
    text: String,
    commit: bool,
) -> Result<(Report, bool), AdminError> {
    let ctx_user = ctx.user.clone();
    let (owner, superuser, lang) = (ctx.owner, ctx.is_superuser(), ctx.lang);
    let (can_add, can_change) = (
        ctx.can(m, Action::Add) && m.allows(Action::Add),
        ctx.can(m, Action::Change) && m.allows(Action::Change),
    );
    let time = state.templates.time().clone();
    let outcome = state
        .db
        .write_blocking(move |tx| -> Result<Report, Stop> {
            let who = Importer {
                user: &ctx_user,
                owner,
                superuser,
                can_add,
                can_change,
                lang,
                time: &time,
            };
            let report = import::run(tx, m, &who, &text)?;
            if commit && report.failed() == 0 {
                Ok(report)
            } else {
                Err(Stop::Rolled(report))
            }
        })
        .await;
    match outcome {
        Ok(report) => Ok((report, true)),
        Err(Stop::Rolled(report)) => Ok((report, false)),
        Err(Stop::Admin(e)) => Err(e),
    }
}

/// Reads a multipart form whose CSRF token comes before the part `name` (the upload, or the
/// confirmed file's text): the part's bytes, or the page that refuses the request.
async fn read_part(
    req: &Request,
    state: &AppState,
    multipart: &mut Multipart,
    name: &str,
) -> Result<Option<Vec<u8>>, Response> {
    let (mut token, mut body) = (None, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(part)) => match part.name() {
                Some(csrf::FORM_FIELD) => token = part.text().await.ok(),
                Some(n) if n == name && !csrf::verify(req, state, token.as_deref()) => {
                    return Err(super::csrf_failure(req, state));
                }
                Some(n) if n == name => body = part.bytes().await.ok(),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return Ok(None),
        }
    }
    if !csrf::verify(req, state, token.as_deref()) {
        return Err(super::csrf_failure(req, state));
    }
    Ok(body.filter(|b| !b.is_empty()))
}

#[handler]
pub async fn import_preview(
    req: &Request,
    state: Data<&AppState>,
    Path(key): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let (ctx, m) = match gate_import(req, &state, &key) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let bytes = match read_part(req, &state, &mut multipart, "file").await {
        Ok(Some(b)) => b,
        Ok(None) => {
            let errors =
                FieldErrors::single("file", FieldError::new("required", "Choose a CSV file."));
            return page(
                &state,
                &ctx,
                m,
                None,
                None,
                &errors,
                StatusCode::BAD_REQUEST,
            );
        }
        Err(r) => return r,
    };
    let text = import::decode(&bytes);
    match run(&state, &ctx, m, text.clone(), false).await {
        Ok((report, _)) => page(
            &state,
            &ctx,
            m,
            Some(&report),
            Some(&text),
            &FieldErrors::new(),
            StatusCode::OK,
        ),
        Err(AdminError::Invalid(errors)) => page(
            &state,
            &ctx,
            m,
            None,
            None,
            &errors,
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => error_page(&state, req, &ctx, e),
    }
}

/// Mails each account the import created a link to set its password (in Korean: the people
/// are Korean learners; the page they open follows their own language choice).
fn invite(state: &AppState, req: &Request, report: &Report) {
    let catalogs = &state.catalogs;
    let lang = crate::web::i18n::Lang::Ko;
    for row in &report.rows {
        let Outcome::Added(id) = row.outcome else {
            continue;
        };
        match state.accounts.invitation(id) {
            Ok(Some((user, token))) => {
                let path = crate::web::routes::url_for(
                    "password_reset_confirm",
                    &[("uid", &user.id.to_string()), ("token", &token)],
                )
                .unwrap_or_default();
                let body = catalogs
                    .get(lang, "mail.invite_body")
                    .replace("{name}", &user.display_name)
                    .replace("{url}", &format!("{}{path}", state.base_url(req)))
                    .replace(
                        "{days}",
                        &crate::accounts::reset_flows::INVITE_TTL_DAYS.to_string(),
                    );
                state.mailer.send(crate::mail::Mail {
                    to: user.email.clone(),
                    subject: catalogs.get(lang, "mail.invite_subject").to_owned(),
                    body,
                });
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, user = id, "an invitation could not be made"),
        }
    }
}

/// The confirm form is multipart too: the file's text travels as it is, not tripled by URL
/// encoding (Korean text would outgrow the admin's body limit).
#[handler]
pub async fn import_confirm(
    req: &Request,
    state: Data<&AppState>,
    Path(key): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let (ctx, m) = match gate_import(req, &state, &key) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let text = match read_part(req, &state, &mut multipart, "csv").await {
        Ok(b) => String::from_utf8(b.unwrap_or_default()).unwrap_or_default(),
        Err(r) => return r,
    };
    match run(&state, &ctx, m, text.clone(), true).await {
        Ok((report, true)) => {
            if m.password {
                invite(&state, req, &report);
            }
            let added = report.count(|o| matches!(o, Outcome::Added(_)));
            let changed = report.count(|o| matches!(o, Outcome::Changed(..)));
            flash_with(
                req,
                "success",
                "admin.imported",
                &[
                    ("added", added.to_string()),
                    ("changed", changed.to_string()),
                ],
            );
            redirect(&model_url("admin_list", m, None))
        }
        // Something changed since the preview: show it again, nothing written.
        Ok((report, false)) => page(
            &state,
            &ctx,
            m,
            Some(&report),
            Some(&text),
            &FieldErrors::new(),
            StatusCode::CONFLICT,
        ),
        Err(AdminError::Invalid(errors)) => page(
            &state,
            &ctx,
            m,
            None,
            None,
            &errors,
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => error_page(&state, req, &ctx, e),
    }
}
