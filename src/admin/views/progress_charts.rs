//! The dashboard's progress charts drawn on the server: the completion funnel of the
//! most-enrolled courses (one row of four bars per course, as shares of its enrolments) and one
//! course's drop-off (learners who completed at least k lessons, one bar per k). Each comes with
//! a title, a description in words and its numbers as a table, so it reads without JS, colour
//! or sight. The numbers are `admin::funnel`'s.

use minijinja::{context, Value};

use super::{link, url, AdminCtx};
use crate::admin::funnel::{DropOff, Funnel};
use crate::web::AppState;

const STAGES: [&str; 4] = [
    "admin.dash_stage_enrolled",
    "admin.dash_stage_started",
    "admin.dash_stage_halfway",
    "admin.dash_stage_completed",
];

fn percent(n: i64, of: i64) -> i64 {
    if of > 0 {
        n * 100 / of
    } else {
        0
    }
}

/// Rows of the funnel chart: a 400-wide view box (legible from a phone to a desktop); per
/// course a title line and four 12-unit bars 15 apart, then a gap.
pub fn funnel_view(state: &AppState, ctx: &AdminCtx, funnels: &[Funnel], chosen: i64) -> Value {
    let t = |k: &str| ctx.t(state, k).to_owned();
    let stages: Vec<String> = STAGES.iter().map(|k| t(k)).collect();
    let mut y = 0.0;
    let mut rows = Vec::new();
    let mut sentences = Vec::new();
    for f in funnels {
        let counts = [f.enrolled, f.started, f.halfway, f.completed];
        let bars: Vec<Value> = counts
            .iter()
            .zip(&stages)
            .enumerate()
            .map(|(i, (n, stage))| {
                let w = 230.0 * (*n as f64) / (f.enrolled.max(1) as f64);
                let bar = context! {
                    stage, n, pct => percent(*n, f.enrolled), i,
                    y => format!("{:.0}", y + 20.0 + i as f64 * 15.0),
                    w => format!("{:.1}", w.max(1.0)),
                    ty => format!("{:.0}", y + 30.0 + i as f64 * 15.0),
                };
                bar
            })
            .collect();
        // The whole title is in the table; the chart's line holds about 60 letters.
        let short: String = if f.title.chars().count() > 60 {
            f.title.chars().take(58).chain(['…']).collect()
        } else {
            f.title.clone()
        };
        rows.push(context! {
            title => f.title,
            short,
            ty => format!("{:.0}", y + 14.0),
            bars,
            enrolled => f.enrolled, started => f.started, halfway => f.halfway,
            completed => f.completed,
            pct_started => percent(f.started, f.enrolled),
            pct_halfway => percent(f.halfway, f.enrolled),
            pct_completed => percent(f.completed, f.enrolled),
            link => link(format!("{}?course={}", url("admin_index", &[]), f.course_id)),
            chosen => f.course_id == chosen,
        });
        sentences.push(
            t("admin.dash_funnel_sentence")
                .replace("{course}", &f.title)
                .replace("{enrolled}", &f.enrolled.to_string())
                .replace("{completed}", &f.completed.to_string())
                .replace("{pct}", &percent(f.completed, f.enrolled).to_string()),
        );
        y += 20.0 + 4.0 * 15.0 + 12.0;
    }
    context! {
        rows,
        height => format!("{:.0}", y.max(1.0)),
        desc => if sentences.is_empty() { t("admin.dash_no_courses") } else { sentences.join(" ") },
    }
}

/// Bars of the drop-off chart: a 600×160 view box, one bar per number of lessons.
pub fn drop_off_view(state: &AppState, ctx: &AdminCtx, d: &DropOff) -> Value {
    let t = |k: &str| ctx.t(state, k).to_owned();
    let n = d.remaining.len().max(1) as f64;
    let width = 600.0 / n;
    let top = d.enrolled.max(1) as f64;
    let bars: Vec<Value> = d
        .remaining
        .iter()
        .enumerate()
        .map(|(i, left)| {
            let h = 140.0 * (*left as f64) / top;
            context! {
                k => i + 1, n => left, pct => percent(*left, d.enrolled),
                label => t("admin.dash_lesson_n").replace("{n}", &(i + 1).to_string()),
                x => format!("{:.1}", i as f64 * width + 1.0),
                w => format!("{:.1}", (width - 2.0).max(1.0)),
                y => format!("{:.1}", 150.0 - h),
                h => format!("{:.1}", h),
            }
        })
        .collect();
    let first = d.remaining.first().copied().unwrap_or(0);
    let last = d.remaining.last().copied().unwrap_or(0);
    // The steepest step: after how many lessons the most learners stop.
    let worst = d
        .remaining
        .windows(2)
        .enumerate()
        .max_by_key(|(_, w)| w[0] - w[1])
        .filter(|(_, w)| w[0] > w[1])
        .map(|(i, w)| (i + 1, w[0] - w[1]));
    let mut desc = t("admin.dash_dropoff_desc")
        .replace("{enrolled}", &d.enrolled.to_string())
        .replace("{first}", &first.to_string())
        .replace("{lessons}", &d.remaining.len().to_string())
        .replace("{last}", &last.to_string());
    if let Some((done, lost)) = worst {
        desc.push(' ');
        desc.push_str(
            &t("admin.dash_dropoff_worst")
                .replace("{k}", &done.to_string())
                .replace("{n}", &lost.to_string()),
        );
    }
    context! {
        title => t("admin.dash_dropoff_title").replace("{course}", &d.title),
        enrolled => d.enrolled,
        bars,
        desc,
        change => link(url("admin_change", &[("model", "course"), ("id", &d.course_id.to_string())])),
    }
}
