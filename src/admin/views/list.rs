//! The change list (columns, multi-column sort, search, sidebar filters, pagination with the
//! total, "show all"), its CSV export, and bulk actions with their confirmation page. Every
//! identifier in its SQL comes from the registration through `ListQuery::parse`.

use minijinja::{context, Value};
use poem::http::{header, StatusCode};
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::{
    error_page, flash, flash_with, model_or_404, model_url, redirect, render, write, AdminCtx,
};
use crate::accounts::perms::Action;
use crate::admin::actions;
use crate::admin::cascade;
use crate::admin::dates::{self, DatePick};
use crate::admin::forms::AdminForm;
use crate::admin::query::{self, ListQuery, CSV_MAX, DATE_RANGES, SHOW_ALL_MAX};
use crate::admin::registry::{ActionKind, Display, FilterKind, ModelAdmin};
use crate::admin::store::{self, AdminError};
use crate::web::AppState;

fn date_label(range: &str, ctx: &AdminCtx, state: &AppState) -> String {
    let key = match range {
        "today" => "admin.date_today",
        "7d" => "admin.date_7d",
        "month" => "admin.date_month",
        _ => "admin.date_year",
    };
    ctx.t(state, key).to_owned()
}

fn filters_view(
    state: &AppState,
    ctx: &AdminCtx,
    m: &ModelAdmin,
    q: &ListQuery,
    conn: &rusqlite::Connection,
    raw: &str,
) -> Result<Vec<Value>, AdminError> {
    let mut out = Vec::new();
    for (i, f) in m.filters.iter().enumerate() {
        let current = q.filter_value(i);
        let mut options: Vec<(String, String)> = Vec::new();
        let mut search = None;
        match f.kind {
            FilterKind::Choices(cs) => options.extend(
                cs.iter()
                    .map(|c| (c.value.to_owned(), c.label.get(ctx.lang).to_owned())),
            ),
            FilterKind::Bool => {
                options.push(("1".into(), ctx.t(state, "admin.yes").into()));
                options.push(("0".into(), ctx.t(state, "admin.no").into()));
            }
            FilterKind::Fk { table, label_sql } => {
                let (found, box_) =
                    super::fk_filter::choices(conn, ctx, m, q, raw, i, (table, label_sql))?;
                options.extend(found);
                search = box_;
            }
            FilterKind::Model => options.extend(
                crate::admin::models::REGISTRY
                    .iter()
                    .map(|m| (m.key.to_owned(), m.plural.get(ctx.lang).to_owned())),
            ),
            FilterKind::Date => options.extend(
                DATE_RANGES
                    .iter()
                    .map(|r| (r.to_string(), date_label(r, ctx, state))),
            ),
        }
        let mut choices = vec![context! {
            label => ctx.t(state, "admin.all"),
            url => q.with_filter(m, i, None),
            selected => current.is_none(),
        }];
        choices.extend(options.into_iter().map(|(v, label)| {
            context! {
                selected => current == Some(v.as_str()),
                url => q.with_filter(m, i, Some(&v)),
                label,
            }
        }));
        out.push(context! { name => f.name, label => f.label.get(ctx.lang), choices, search });
    }
    Ok(out)
}

fn owner_scope(ctx: &AdminCtx) -> Option<i64> {
    ctx.owner
}

#[handler]
pub async fn changelist(
    req: &Request,
    state: Data<&AppState>,
    Path(key): Path<String>,
) -> Response {
    let ctx = match AdminCtx::gate(req, &state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let m = match model_or_404(&state, req, &ctx, &key) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(e) = ctx.require(m, Action::View) {
        return error_page(&state, req, &ctx, e);
    }
    let mut q = ListQuery::parse(m, req.uri().query().unwrap_or(""), state.templates.time());
    let owner = owner_scope(&ctx);
    // A heavy read: over 100k rows it takes milliseconds of CPU (`Db::read_heavy`).
    let loaded = state
        .db
        .read_heavy(|c| -> Result<_, AdminError> {
            let count = query::count(c, m, &q, owner)?;
            let num_pages = ((count as u64).div_ceil(m.per_page)).max(1);
            let show_all = q.all && count <= SHOW_ALL_MAX;
            let page = q.page.min(num_pages);
            let limit = if show_all {
                (SHOW_ALL_MAX as u64, 0)
            } else {
                (m.per_page, (page - 1) * m.per_page)
            };
            let rows = query::rows(c, m, &q, owner, limit)?;
            let filters = filters_view(&state, &ctx, m, &q, c, req.uri().query().unwrap_or(""))?;
            let span = query::date_span(c, m, &q, owner)?;
            Ok((count, num_pages, show_all, page, rows, filters, span))
        })
        .await;
    let (count, num_pages, show_all, page, rows, filters, span) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&state, req, &ctx, e),
    };
    q.page = page;
    let columns: Vec<Value> = m
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let pos = q.order.iter().position(|(j, _)| *j == i);
            context! {
                label => c.label.get(ctx.lang),
                sortable => c.sortable,
                sort_url => q.with_sort(m, i),
                unsort_url => q.without_sort(m, i),
                dir => pos.map(|p| if q.order[p].1 { "desc" } else { "asc" }),
                priority => pos.map(|p| p + 1),
            }
        })
        .collect();
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let cells: Vec<Value> = r
                .cells
                .iter()
                .zip(m.columns)
                .map(|(v, c)| {
                    let flag = matches!(c.display, Display::Bool).then(|| query::as_text(v) == "1");
                    // Numbers, flags, times and choices are short: one line each.
                    let nowrap = !matches!(
                        c.display,
                        Display::Text | Display::LogChanges | Display::Related(_)
                    );
                    let link = match (c.display, v) {
                        (Display::Related(key), rusqlite::types::Value::Text(t)) => {
                            let target = crate::admin::models::find(key).filter(|t| ctx.can(t, Action::View));
                            match (target, query::related_parts(t).1) {
                                (Some(t), Some(id)) => Some(super::link(model_url("admin_change", t, Some(id)))),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    context! { text => query::display(v, c.display, ctx.lang, state.templates.time()), flag, nowrap, link }
                })
                .collect();
            context! { id => r.id, url => super::link(model_url("admin_change", m, Some(r.id))), cells }
        })
        .collect();
    let page_link = |p: u64| {
        let mut x = q.clone();
        x.page = p;
        x.all = false;
        x.to_query(m)
    };
    let lo = page.saturating_sub(3).max(1);
    let hi = (page + 3).min(num_pages);
    let links: Vec<Value> = (lo..=hi)
        .map(|p| context! { number => p, url => page_link(p), current => p == page })
        .collect();
    let actions: Vec<Value> = m
        .actions
        .iter()
        .filter(|a| ctx.can(m, a.perm))
        .map(|a| context! { name => a.name, label => a.label.get(ctx.lang) })
        .collect();
    let base = model_url("admin_list", m, None);
    let data = context! {
        model => context! {
            key => m.key,
            label => m.label.get(ctx.lang),
            plural => m.plural.get(ctx.lang),
            add_url => ctx.can(m, Action::Add).then(|| model_url("admin_add", m, None)),
        },
        list_url => base.clone(),
        columns,
        rows,
        filters,
        search => q.search.clone(),
        searchable => !m.search.is_empty(),
        hidden_params => q.filters.iter().map(|(i, v)| context! { name => m.filters[*i].name, value => v })
            .chain(q.date.map(|d| context! { name => "date", value => d.to_param() }))
            .collect::<Vec<_>>(),
        date_nav => date_nav(&state, &ctx, m, &q, span),
        order_param => q.order_param(m),
        count,
        page => context! {
            number => page,
            num_pages,
            prev_url => (page > 1 && !show_all).then(|| page_link(page - 1)),
            next_url => (page < num_pages && !show_all).then(|| page_link(page + 1)),
            links => if show_all { vec![] } else { links },
        },
        show_all_url => (!show_all && count <= SHOW_ALL_MAX && num_pages > 1).then(|| q.with(m, |x| x.all = true)),
        showing_all => show_all,
        csv_url => format!("{}{}", model_url("admin_export", m, None), q.with(m, |_| {})),
        import_url => (crate::admin::import::importable(m)
            && (ctx.can(m, Action::Add) || ctx.can(m, Action::Change)))
            .then(|| model_url("admin_import", m, None)),
        actions,
        query => q.to_query(m),
    };
    render(&state, &ctx, "admin/change_list.html", data, StatusCode::OK)
}

/// The date hierarchy above the list: where the pick is (all dates › 2026년 › 12월) and the links
/// one level down, each keeping the search, filters and sort.
fn date_nav(
    state: &AppState,
    ctx: &AdminCtx,
    m: &ModelAdmin,
    q: &ListQuery,
    span: Option<(String, String)>,
) -> Option<Value> {
    m.date_hierarchy?;
    let link_to = |pick: Option<DatePick>| super::link(q.with(m, |x| x.date = pick));
    let mut crumbs =
        vec![context! { label => ctx.t(state, "admin.all_dates"), url => link_to(None) }];
    if let Some(pick) = q.date {
        for p in pick.path() {
            crumbs.push(context! { label => p.label(ctx.lang), url => link_to(Some(p)), current => p == pick });
        }
    }
    let choices: Vec<Value> = span
        .map(|(lo, hi)| dates::choices(q.date, &lo, &hi, state.templates.time()))
        .unwrap_or_default()
        .into_iter()
        .map(|p| context! { label => p.label(ctx.lang), url => link_to(Some(p)) })
        .collect();
    Some(context! { crumbs, choices })
}

/// Quotes a CSV cell (RFC 4180), and defuses cells a spreadsheet would run as a formula.
fn csv_cell(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err();
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Rows per chunk of a streamed export, and chunks buffered for a slow client: memory stays
/// near 8 × 256 rows whatever the export's size.
const CSV_CHUNK_ROWS: usize = 256;
const CSV_BUFFERED_CHUNKS: usize = 8;

/// The change list as CSV (every matching row up to `CSV_MAX`), streamed: rows go out as
/// SQLite produces them, from a heavy-read slot on a blocking thread (`Db::stream_heavy`).
#[handler]
pub async fn export_csv(
    req: &Request,
    state: Data<&AppState>,
    Path(key): Path<String>,
) -> Response {
    let ctx = match AdminCtx::gate(req, &state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let m = match model_or_404(&state, req, &ctx, &key) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(e) = ctx.require(m, Action::View) {
        return error_page(&state, req, &ctx, e);
    }
    let q = ListQuery::parse(m, req.uri().query().unwrap_or(""), state.templates.time());
    let (owner, lang, st) = (ctx.owner, ctx.lang, state.0.clone());
    let chunks = state
        .db
        .stream_heavy(
            CSV_BUFFERED_CHUNKS,
            move |c, sink| -> Result<(), AdminError> {
                // The BOM makes Excel read the file as UTF-8, so Korean text opens intact.
                let mut out = String::from("\u{feff}");
                let header: Vec<String> = std::iter::once("id".to_owned())
                    .chain(m.columns.iter().map(|c| csv_cell(c.label.get(lang))))
                    .collect();
                out.push_str(&header.join(","));
                out.push_str("\r\n");
                let (mut in_chunk, mut open) = (0, true);
                query::each_row(c, m, &q, owner, (CSV_MAX, 0), |r| {
                    out.push_str(&r.id.to_string());
                    for (v, c) in r.cells.iter().zip(m.columns) {
                        let text = query::csv_text(v, c.display, lang, st.templates.time());
                        out.push(',');
                        out.push_str(&csv_cell(&text));
                    }
                    out.push_str("\r\n");
                    in_chunk += 1;
                    if in_chunk == CSV_CHUNK_ROWS {
                        in_chunk = 0;
                        open = sink.send(std::mem::take(&mut out).into());
                    }
                    open
                })?;
                if open && !out.is_empty() {
                    sink.send(out.into());
                }
                Ok(())
            },
        )
        .await;
    let stream = tokio_stream::wrappers::ReceiverStream::new(chunks);
    Response::builder()
        .content_type("text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.csv\"", m.key),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(poem::Body::from_bytes_stream(stream))
}

/// A selected action: the first POST shows what it will do; the second (`confirm`) runs it.
#[handler]
pub async fn run_action(
    req: &Request,
    state: Data<&AppState>,
    Path(key): Path<String>,
    form: AdminForm,
) -> Response {
    let ctx = match AdminCtx::gate(req, &state) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let m = match model_or_404(&state, req, &ctx, &key) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let query = form
        .get("_query")
        .filter(|q| q.starts_with('?') && q.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("")
        .to_owned();
    let back = format!("{}{query}", model_url("admin_list", m, None));
    let Some(action) = form.get("action").and_then(|a| m.action(a)) else {
        flash(req, "error", "admin.no_action");
        return redirect(&back);
    };
    if let Err(e) = ctx.require(m, action.perm) {
        return error_page(&state, req, &ctx, e);
    }
    let ids = form.ids("_selected");
    if ids.is_empty() {
        flash(req, "error", "admin.none_selected");
        return redirect(&back);
    }
    let owner = ctx.owner;
    if form.get("confirm") == Some("yes") {
        let (user, action_def, selected) = (ctx.user.clone(), *action, ids.len());
        let done = write(&state, move |tx| {
            actions::run(tx, m, &action_def, &ids, &user, owner)
        })
        .await;
        return match done {
            Ok(count) => {
                let deleted = matches!(action.kind, ActionKind::Delete);
                flash_with(
                    req,
                    "success",
                    if deleted {
                        "admin.action_deleted"
                    } else {
                        "admin.action_done"
                    },
                    &[
                        ("action", action.label.get(ctx.lang).to_owned()),
                        ("model", m.label.get(ctx.lang).to_owned()),
                        ("selected", selected.to_string()),
                        ("count", count.to_string()),
                    ],
                );
                redirect(&back)
            }
            Err(AdminError::Protected) => {
                flash(req, "error", "admin.protected");
                redirect(&back)
            }
            Err(e) => error_page(&state, req, &ctx, e),
        };
    }
    let loaded = state.db.read(|c| -> Result<_, AdminError> {
        let mut objects = Vec::new();
        for id in &ids {
            let obj = store::load(c, m, *id, owner)?.ok_or(AdminError::NotFound)?;
            // The confirmation page already refuses rows the action could not touch.
            store::may_write(c, m, &ctx.user, *id)?;
            objects.push(context! { id => obj.id, repr => obj.repr });
        }
        let related = match action.kind {
            ActionKind::Delete => cascade::preview(c, m.table, &ids, ctx.lang)?,
            ActionKind::Update(_) => Vec::new(),
        };
        Ok((objects, related))
    });
    let (objects, related) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&state, req, &ctx, e),
    };
    let protected = related.iter().any(|r| r.protected);
    let data = context! {
        model => super::model_context(&ctx, m),
        action => context! { name => action.name, label => action.label.get(ctx.lang), delete => matches!(action.kind, ActionKind::Delete) },
        objects,
        related,
        protected,
        query,
        list_url => back,
        post_url => model_url("admin_list", m, None),
    };
    render(
        &state,
        &ctx,
        "admin/action_confirm.html",
        data,
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(super::csv_cell("창업, 기초"), "\"창업, 기초\"");
        assert_eq!(super::csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_cell("a\"b,c"), "\"a\"\"b,c\"");
        assert_eq!(
            super::csv_cell("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(super::csv_cell("-1"), "-1", "numbers stay numbers");
        assert_eq!(super::csv_cell("@SUM(A1)"), "'@SUM(A1)");
    }
}
