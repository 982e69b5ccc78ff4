//! A change-list filter over a foreign key (강의 in questions, reviews, enrolments…): a list of
//! links while the related table is small, a search box past `SHOWN` rows — the server finds
//! matches by the filter's label (with a distinguishing detail, such as the course's slug), so
//! it works without JavaScript; `admin.js` only shows the matches while typing. The search
//! text travels as `<filter>__q`, which `ListQuery::parse` ignores.

use minijinja::{context, Value};

use super::AdminCtx;
use crate::admin::query::ListQuery;
use crate::admin::registry::ModelAdmin;
use crate::admin::store::{self, AdminError};

/// At most this many choices are listed; past it the filter is searched.
pub const SHOWN: usize = 20;
/// The longest search text read.
pub const SEARCH_MAX: usize = 100;

/// A filter's choices: (value, label).
pub type Options = Vec<(String, String)>;

/// The filter's choices (value, label) and, when the table is large, its search box.
pub fn choices(
    conn: &rusqlite::Connection,
    ctx: &AdminCtx,
    m: &ModelAdmin,
    q: &ListQuery,
    raw_query: &str,
    index: usize,
    (table, label_sql): (&str, &str),
) -> Result<(Options, Option<Value>), AdminError> {
    let f = &m.filters[index];
    let param = format!("{}__q", f.name);
    let words: String = url::form_urlencoded::parse(raw_query.as_bytes())
        .find(|(k, _)| *k == param)
        .map(|(_, v)| v.trim().chars().take(SEARCH_MAX).collect())
        .unwrap_or_default();
    let related = ctx.related(table);
    let first = store::choices(conn, table, label_sql, SHOWN as i64 + 1, related)?;
    if first.len() <= SHOWN && words.is_empty() {
        let options = first
            .into_iter()
            .map(|(id, l)| (id.to_string(), l))
            .collect();
        return Ok((options, None));
    }
    let mut found = if words.is_empty() {
        first.into_iter().take(SHOWN).collect()
    } else {
        store::choices_matching(conn, table, label_sql, &words, SHOWN as i64, related)?
    };
    // The chosen row stays listed (and marked) whatever the search shows.
    if let Some(id) = q.filter_value(index).and_then(|v| v.parse::<i64>().ok()) {
        if !found.iter().any(|(i, _)| *i == id) {
            let label = store::label_of(conn, table, label_sql, id, related)?
                .unwrap_or_else(|| format!("#{id}"));
            found.insert(0, (id, label));
        }
    }
    let keep = q.with(m, |_| {});
    let hidden: Vec<Value> = url::form_urlencoded::parse(keep.trim_start_matches('?').as_bytes())
        .map(|(k, v)| context! { name => k.into_owned(), value => v.into_owned() })
        .collect();
    let options = found
        .into_iter()
        .map(|(id, l)| (id.to_string(), l))
        .collect();
    Ok((
        options,
        Some(context! { param, value => words, hidden, shown => SHOWN }),
    ))
}
