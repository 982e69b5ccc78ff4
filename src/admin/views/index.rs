//! The dashboard: today's and the last 30 days' numbers with their trend, enrolments per day as
//! a server-drawn SVG chart (title, description and the same numbers as a table behind a
//! toggle), the completion funnel and one course's drop-off (`?course=`; `progress_charts`),
//! the queues to act on (`admin::dashboard`), the models this user may see grouped by area with
//! their add and change links, and the user's own recent actions.

use minijinja::context;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{handler, Request, Response};

use super::progress_charts::{drop_off_view, funnel_view};
use super::{error_page, render, url, AdminCtx};
use crate::admin::dashboard::{self as numbers, Dashboard, Metric, Windows};
use crate::admin::funnel;
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
    let now = jiff::Timestamp::now();
    let windows = Windows::at(now, state.templates.time().zone());
    // The course whose drop-off is drawn: the one asked for, else the most enrolled.
    let asked: Option<i64> = req
        .uri()
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "course"))
        .and_then(|(_, v)| v.parse().ok());
    let loaded = state.db.read(|c| -> Result<_, AdminError> {
        let recent = history::recent_for_user(c, ctx.user.id)?;
        let numbers = numbers::load(c, &windows, ctx.owner)?;
        let funnels = funnel::funnels(c, ctx.owner)?;
        let chosen = asked.or(funnels.first().map(|f| f.course_id));
        let drop = match chosen {
            Some(course) => funnel::drop_off(c, course, ctx.owner)?,
            None => None,
        };
        Ok((recent, numbers, funnels, drop))
    });
    let (recent, numbers, funnels, drop) = match loaded {
        Ok(r) => r,
        Err(e) => return error_page(&state, req, &ctx, e),
    };
    let numbers = numbers_view(&state, &ctx, &numbers, now);
    let chosen = drop.as_ref().map_or(0, |d| d.course_id);
    let funnel = funnel_view(&state, &ctx, &funnels, chosen);
    let dropoff = drop.map(|d| drop_off_view(&state, &ctx, &d));
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
        context! { groups => ctx.nav(), recent, numbers, funnel, dropoff },
        StatusCode::OK,
    )
}

/// How long ago `at` was, in the largest whole unit: `3일`, `5시간`, `12분` (`3 d`, `5 h`…).
fn age(lang: crate::web::i18n::Lang, at: &str, now: jiff::Timestamp) -> String {
    let Ok(t) = at.parse::<jiff::Timestamp>() else {
        return String::new();
    };
    let secs = (now.as_second() - t.as_second()).max(0);
    let (n, ko, en) = match secs {
        s if s >= 86_400 => (s / 86_400, "일", " d"),
        s if s >= 3_600 => (s / 3_600, "시간", " h"),
        s => ((s / 60).max(1), "분", " min"),
    };
    match lang {
        crate::web::i18n::Lang::Ko => format!("{n}{ko}"),
        crate::web::i18n::Lang::En => format!("{n}{en}"),
    }
}

fn metric_view(key: &str, label: &str, m: Metric) -> minijinja::Value {
    // The trend: the last 30 days against the 30 before, in whole percent.
    let trend = (m.previous > 0).then(|| (m.month - m.previous) * 100 / m.previous);
    context! {
        key, label, today => m.today, month => m.month, previous => m.previous, trend,
        direction => match m.month.cmp(&m.previous) {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Less => "down",
            std::cmp::Ordering::Equal => "flat",
        },
    }
}

/// Chart geometry (a 600×160 view box, one bar per day) and the numbers for the template.
fn numbers_view(
    state: &AppState,
    ctx: &AdminCtx,
    d: &Dashboard,
    now: jiff::Timestamp,
) -> minijinja::Value {
    let t = |k: &'static str| ctx.t(state, k).to_owned();
    let mut metrics = Vec::new();
    if let Some(s) = d.signups {
        metrics.push(metric_view("signups", &t("admin.dash_signups"), s));
    }
    metrics.push(metric_view(
        "enrollments",
        &t("admin.dash_enrollments"),
        d.enrollments,
    ));
    metrics.push(metric_view(
        "completions",
        &t("admin.dash_completions"),
        d.completions,
    ));
    metrics.push(metric_view("active", &t("admin.dash_active"), d.active));
    let max = d.per_day.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let width = 600.0 / d.per_day.len().max(1) as f64;
    let bars: Vec<minijinja::Value> = d
        .per_day
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let h = (*n as f64 / max as f64) * 140.0;
            context! {
                day, n,
                x => format!("{:.1}", i as f64 * width + 1.0),
                w => format!("{:.1}", (width - 2.0).max(1.0)),
                y => format!("{:.1}", 150.0 - h),
                h => format!("{:.1}", h),
            }
        })
        .collect();
    let total: i64 = d.per_day.iter().map(|(_, n)| n).sum();
    let busiest = d.per_day.iter().max_by_key(|(_, n)| *n);
    let desc = if total == 0 {
        t("admin.dash_chart_empty")
    } else {
        t("admin.dash_chart_desc")
            .replace("{total}", &total.to_string())
            .replace("{max}", &busiest.map_or(0, |b| b.1).to_string())
            .replace("{day}", busiest.map_or("", |b| b.0.as_str()))
    };
    let item = |key: &'static str, q: &numbers::QueueItem| {
        let link = url("admin_change", &[("model", key), ("id", &q.id.to_string())]);
        context! { title => q.title, course => q.course, link, age => age(ctx.lang, &q.at, now) }
    };
    context! {
        metrics,
        bars,
        max,
        desc,
        unanswered => d.unanswered.iter().map(|q| item("question", q)).collect::<Vec<_>>(),
        unanswered_count => d.unanswered_count,
        new_reviews => d.new_reviews.iter().map(|q| item("review", q)).collect::<Vec<_>>(),
        drafts => d.drafts.iter().map(|q| item("course", q)).collect::<Vec<_>>(),
    }
}
