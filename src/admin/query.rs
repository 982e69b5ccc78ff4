//! The change list's query: parameters read from the URL (`q` search, `o` multi-column sort,
//! `p` page, `all`, `date` of the date hierarchy, one parameter per declared filter) are
//! resolved against the registration —
//! an unknown sort column or filter value is dropped, never passed on — and turned into one
//! COUNT and one page query with the declared JOINs. Values are always bound parameters.

use rusqlite::types::Value;
use rusqlite::Connection;

use super::dates::{self, DatePick};
use super::registry::{Display, FilterKind, ModelAdmin, SearchField};
use crate::paging::limit_sql;
use crate::web::i18n::Lang;
use crate::web::local_time::LocalTime;

/// "Show all" lists at most this many rows; larger lists stay paginated.
pub const SHOW_ALL_MAX: i64 = 1000;
/// The CSV export stops here.
pub const CSV_MAX: u64 = 100_000;
pub const DATE_RANGES: &[&str] = &["today", "7d", "month", "year"];

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub search: String,
    /// (column index, descending), most significant first.
    pub order: Vec<(usize, bool)>,
    /// (filter index, validated value).
    pub filters: Vec<(usize, String)>,
    pub page: u64,
    pub all: bool,
    /// The date hierarchy's pick (models that declare one).
    pub date: Option<DatePick>,
    /// Where each date-range filter begins and the pick's range, as stored UTC text, worked
    /// out once in the configured zone.
    range_starts: Vec<(usize, String)>,
    date_bounds: Option<(String, String)>,
}

fn valid_filter_value(kind: FilterKind, v: &str) -> bool {
    match kind {
        FilterKind::Choices(choices) => choices.iter().any(|c| c.value == v),
        FilterKind::Bool => v == "0" || v == "1",
        FilterKind::Fk { .. } => v.parse::<i64>().is_ok(),
        FilterKind::Date => DATE_RANGES.contains(&v),
        FilterKind::Model => super::models::find(v).is_some(),
    }
}

impl ListQuery {
    /// Reads the URL's query; what the registration does not know is ignored. Dates are read
    /// in `time`'s zone.
    pub fn parse(m: &ModelAdmin, query: &str, time: &LocalTime) -> ListQuery {
        let mut q = ListQuery {
            page: 1,
            ..ListQuery::default()
        };
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "q" => q.search = v.trim().chars().take(200).collect(),
                "p" => q.page = v.parse::<u64>().unwrap_or(1).max(1),
                "all" => q.all = v == "1",
                "date" if m.date_hierarchy.is_some() => q.date = DatePick::parse(&v),
                "o" => {
                    for part in v.split(',') {
                        let (desc, name) = match part.strip_prefix('-') {
                            Some(n) => (true, n),
                            None => (false, part),
                        };
                        if let Some(i) = m.column(name).filter(|&i| m.columns[i].sortable) {
                            if !q.order.iter().any(|(j, _)| *j == i) {
                                q.order.push((i, desc));
                            }
                        }
                    }
                }
                name => {
                    if let Some(i) = m.filters.iter().position(|f| f.name == name) {
                        if valid_filter_value(m.filters[i].kind, &v)
                            && !q.filters.iter().any(|(j, _)| *j == i)
                        {
                            q.filters.push((i, v.into_owned()));
                        }
                    }
                }
            }
        }
        // The clock is read only for a list filtered by a date range.
        let mut now = None;
        for (i, v) in &q.filters {
            if let FilterKind::Date = m.filters[*i].kind {
                let now = now.get_or_insert_with(|| {
                    jiff::Timestamp::now().to_zoned_datetime(time.zone().clone())
                });
                q.range_starts.push((*i, dates::range_start(v, now)));
            }
        }
        q.date_bounds = q.date.and_then(|d| d.bounds(time));
        q
    }

    pub fn filter_value(&self, index: usize) -> Option<&str> {
        self.filters
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, v)| v.as_str())
    }

    /// The `o` parameter (`-title,status`), empty for the default order.
    pub fn order_param(&self, m: &ModelAdmin) -> String {
        let o: Vec<String> = self
            .order
            .iter()
            .map(|(i, d)| format!("{}{}", if *d { "-" } else { "" }, m.columns[*i].name))
            .collect();
        o.join(",")
    }

    /// The query string for this list state (filters, search and sort kept; page when > 1).
    pub fn to_query(&self, m: &ModelAdmin) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !self.search.is_empty() {
            pairs.push(("q".into(), self.search.clone()));
        }
        for (i, v) in &self.filters {
            pairs.push((m.filters[*i].name.into(), v.clone()));
        }
        if let Some(d) = self.date {
            pairs.push(("date".into(), d.to_param()));
        }
        if !self.order.is_empty() {
            pairs.push(("o".into(), self.order_param(m)));
        }
        if self.all {
            pairs.push(("all".into(), "1".into()));
        } else if self.page > 1 {
            pairs.push(("p".into(), self.page.to_string()));
        }
        let mut out = String::new();
        for (k, v) in pairs {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.extend(url::form_urlencoded::byte_serialize(k.as_bytes()));
            out.push('=');
            out.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
        }
        if out.is_empty() {
            // A bare `?` is still a link to the list without parameters.
            out.push('?');
        }
        out
    }

    /// The same list with one change, back on page 1 unless the change says otherwise.
    pub fn with(&self, m: &ModelAdmin, change: impl FnOnce(&mut ListQuery)) -> String {
        let mut q = self.clone();
        q.page = 1;
        q.all = false;
        change(&mut q);
        q.to_query(m)
    }

    pub fn with_filter(&self, m: &ModelAdmin, index: usize, value: Option<&str>) -> String {
        self.with(m, |q| {
            q.filters.retain(|(i, _)| *i != index);
            if let Some(v) = value {
                q.filters.push((index, v.to_owned()));
                q.filters.sort_by_key(|(i, _)| *i);
            }
        })
    }

    /// Clicking a header: that column becomes the first sort key (flipped if it already was).
    pub fn with_sort(&self, m: &ModelAdmin, index: usize) -> String {
        self.with(m, |q| {
            let current = q.order.iter().position(|(i, _)| *i == index);
            let desc = match current {
                Some(0) => !q.order[0].1,
                _ => false,
            };
            q.order.retain(|(i, _)| *i != index);
            q.order.insert(0, (index, desc));
        })
    }

    pub fn without_sort(&self, m: &ModelAdmin, index: usize) -> String {
        self.with(m, |q| q.order.retain(|(i, _)| *i != index))
    }
}

fn like_pattern(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// ` WHERE …` for the list's filters, search and the owner rule, with its parameters.
pub fn conditions(m: &ModelAdmin, q: &ListQuery, owner: Option<i64>) -> (String, Vec<Value>) {
    let mut parts: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    if let (Some(rule), Some(user)) = (m.owner, owner) {
        parts.push(format!("({})", rule.predicate));
        params.push(Value::Integer(user));
    }
    if let (Some(column), Some((from, to))) = (m.date_hierarchy, &q.date_bounds) {
        parts.push(format!("{column} >= ? AND {column} < ?"));
        params.push(Value::Text(from.clone()));
        params.push(Value::Text(to.clone()));
    }
    for (i, v) in &q.filters {
        let f = &m.filters[*i];
        match f.kind {
            FilterKind::Choices(_) | FilterKind::Model => {
                parts.push(format!("{} = ?", f.sql));
                params.push(Value::Text(v.clone()));
            }
            FilterKind::Bool | FilterKind::Fk { .. } => {
                parts.push(format!("{} = ?", f.sql));
                params.push(Value::Integer(v.parse().unwrap_or(0)));
            }
            FilterKind::Date => {
                let start = q.range_starts.iter().find(|(j, _)| j == i);
                if let Some((_, start)) = start {
                    parts.push(format!("{} >= ?", f.sql));
                    params.push(Value::Text(start.clone()));
                }
            }
        }
    }
    if !q.search.is_empty() && !m.search.is_empty() {
        let mut any: Vec<String> = Vec::new();
        let mut any_params: Vec<Value> = Vec::new();
        for s in m.search {
            if let SearchField::Fts(table) = s {
                if let Some(expr) = crate::textsearch::match_expression(&q.search) {
                    any.push(format!(
                        "{}.id IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)",
                        m.table
                    ));
                    any_params.push(Value::Text(expr));
                }
            }
        }
        // Every word must be found in one of the LIKE fields (Django's rule).
        let mut words: Vec<String> = Vec::new();
        for word in q.search.split_whitespace() {
            let pattern = like_pattern(word);
            let mut alts: Vec<String> = Vec::new();
            for s in m.search {
                match s {
                    SearchField::Like(e) => {
                        alts.push(format!("{e} LIKE ? ESCAPE '\\'"));
                        any_params.push(Value::Text(pattern.clone()));
                    }
                    SearchField::Related { fk, table, columns } => {
                        let cs: Vec<String> = columns
                            .iter()
                            .map(|c| {
                                any_params.push(Value::Text(pattern.clone()));
                                format!("{c} LIKE ? ESCAPE '\\'")
                            })
                            .collect();
                        alts.push(format!(
                            "{fk} IN (SELECT id FROM {table} WHERE {})",
                            cs.join(" OR ")
                        ));
                    }
                    SearchField::Fts(_) => {}
                }
            }
            if !alts.is_empty() {
                words.push(format!("({})", alts.join(" OR ")));
            }
        }
        if !words.is_empty() {
            any.push(format!("({})", words.join(" AND ")));
        }
        if any.is_empty() {
            parts.push("0".into());
        } else {
            parts.push(format!("({})", any.join(" OR ")));
            params.extend(any_params);
        }
    }
    if parts.is_empty() {
        (String::new(), params)
    } else {
        (format!(" WHERE {}", parts.join(" AND ")), params)
    }
}

fn order_by(m: &ModelAdmin, q: &ListQuery) -> String {
    let mut keys: Vec<String> = q
        .order
        .iter()
        .map(|(i, d)| format!("{} {}", m.columns[*i].sql, if *d { "DESC" } else { "ASC" }))
        .collect();
    if keys.is_empty() {
        for o in m.ordering {
            let (desc, name) = match o.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, *o),
            };
            if let Some(i) = m.column(name) {
                keys.push(format!(
                    "{} {}",
                    m.columns[i].sql,
                    if desc { "DESC" } else { "ASC" }
                ));
            }
        }
    }
    keys.push(format!("{}.id DESC", m.table));
    keys.join(", ")
}

pub struct ListRow {
    pub id: i64,
    pub cells: Vec<Value>,
}

/// The first and last value of the date hierarchy's column in the list (the owner rule and the
/// current pick apply; search and filters do not, so this stays one range over the index).
pub fn date_span(
    conn: &Connection,
    m: &ModelAdmin,
    q: &ListQuery,
    owner: Option<i64>,
) -> rusqlite::Result<Option<(String, String)>> {
    let Some(column) = m.date_hierarchy else {
        return Ok(None);
    };
    let narrowed = ListQuery {
        date: q.date,
        date_bounds: q.date_bounds.clone(),
        ..ListQuery::default()
    };
    let (cond, params) = conditions(m, &narrowed, owner);
    let sql = format!(
        "SELECT MIN({column}), MAX({column}) FROM {} {}{cond}",
        m.table, m.joins
    );
    let (lo, hi): (Option<String>, Option<String>) = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(params), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(lo.zip(hi))
}

pub fn count(
    conn: &Connection,
    m: &ModelAdmin,
    q: &ListQuery,
    owner: Option<i64>,
) -> rusqlite::Result<i64> {
    let (cond, params) = conditions(m, q, owner);
    let sql = format!("SELECT COUNT(*) FROM {} {}{cond}", m.table, m.joins);
    conn.prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(params), |r| r.get(0))
}

/// One page of rows (`limit` = (rows, offset)), or every row up to `CSV_MAX`.
pub fn rows(
    conn: &Connection,
    m: &ModelAdmin,
    q: &ListQuery,
    owner: Option<i64>,
    limit: (u64, u64),
) -> rusqlite::Result<Vec<ListRow>> {
    let mut rows = Vec::new();
    each_row(conn, m, q, owner, limit, |row| {
        rows.push(row);
        true
    })?;
    Ok(rows)
}

/// `rows`, handed to `visit` one at a time as SQLite produces them (the CSV export streams
/// them); `visit` answers `false` to stop early.
pub fn each_row(
    conn: &Connection,
    m: &ModelAdmin,
    q: &ListQuery,
    owner: Option<i64>,
    limit: (u64, u64),
    mut visit: impl FnMut(ListRow) -> bool,
) -> rusqlite::Result<()> {
    let (cond, mut params) = conditions(m, q, owner);
    let cols: Vec<&str> = m.columns.iter().map(|c| c.sql).collect();
    // A deferred join, as the catalog's list does: the page's ids are sorted and cut first
    // (SQLite leaves out joins the filter and the order do not use), then only those rows are
    // joined for their columns, instead of joining every match before sorting.
    let (table, joins, order) = (m.table, m.joins, order_by(m, q));
    let page_ids = format!(
        "SELECT {table}.id AS id FROM {table} {joins}{cond} ORDER BY {order} {} OFFSET ?",
        limit_sql(limit.0 as i64)
    );
    let sql = format!(
        "SELECT {table}.id, {} FROM ({page_ids}) p JOIN {table} ON {table}.id = p.id {joins} \
         ORDER BY {order}",
        cols.join(", ")
    );
    params.push(Value::Integer(limit.1 as i64));
    let mut stmt = conn.prepare_cached(&sql)?;
    let n = m.columns.len();
    let mut found = stmt.query(rusqlite::params_from_iter(params))?;
    while let Some(r) = found.next()? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(r.get::<_, Value>(i + 1)?);
        }
        if !visit(ListRow {
            id: r.get(0)?,
            cells,
        }) {
            break;
        }
    }
    Ok(())
}

/// A value as text for a form input.
pub fn as_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => t.clone(),
        Value::Blob(_) => String::new(),
    }
}

/// A value as the CSV export writes it: numbers plain (no thousands separators), the rest as
/// `display` shows them. The import reads a cell equal to this as "no change", so both use it.
pub fn csv_text(v: &Value, how: Display, lang: Lang, time: &LocalTime) -> String {
    match how {
        Display::Number => as_text(v),
        d => display(v, d, lang, time),
    }
}

/// The name and the id of a `Display::Related` value.
pub fn related_parts(text: &str) -> (&str, Option<i64>) {
    match text.rsplit_once('\u{1f}') {
        Some((name, id)) => (name, id.parse().ok()),
        None => (text, None),
    }
}

/// A value as a reader sees it in a list, a CSV cell or a read-only field.
/// A value as a person reads it; timestamps in the configured zone (`i18n.time_zone`).
pub fn display(v: &Value, how: Display, lang: Lang, time: &LocalTime) -> String {
    match (how, v) {
        (_, Value::Null) => String::new(),
        (Display::Bool, Value::Integer(i)) => {
            let yes = *i != 0;
            match (lang, yes) {
                (Lang::Ko, true) => "예".into(),
                (Lang::Ko, false) => "아니요".into(),
                (Lang::En, true) => "yes".into(),
                (Lang::En, false) => "no".into(),
            }
        }
        (Display::DateTime, Value::Text(t)) => time.datetime(lang, t),
        (Display::Choices(cs), Value::Text(t)) => cs
            .iter()
            .find(|c| c.value == t)
            .map(|c| c.label.get(lang).to_owned())
            .unwrap_or_else(|| t.clone()),
        (Display::Number, Value::Integer(i)) => crate::web::templates::thousands(*i),
        (Display::Vocab(term), v) => term.show(v).unwrap_or_else(|| as_text(v)),
        (Display::Related(_), Value::Text(t)) => related_parts(t).0.to_owned(),
        (Display::ModelKey, Value::Text(t)) => super::changes::model_label(t, lang),
        (Display::LogChanges, Value::Text(t)) => {
            let (key, json) = t.split_once('\u{1f}').unwrap_or(("", t));
            super::changes::summary(key, json, lang, time)
        }
        _ => as_text(v),
    }
}

#[cfg(test)]
mod tests {
    use super::super::models::{COURSE, USER};
    use super::*;

    #[test]
    fn unknown_sort_and_filter_values_are_dropped() {
        let q = ListQuery::parse(
            &COURSE,
            "o=-title,secret;drop,status&status=bogus&level=advanced&q=%20창업%20&p=0",
            &LocalTime::utc(),
        );
        assert_eq!(q.order, vec![(0, true), (3, false)]);
        assert_eq!(q.filters.len(), 1);
        assert_eq!(q.search, "창업");
        assert_eq!(q.page, 1);
        assert_eq!(
            q.to_query(&COURSE),
            "?q=%EC%B0%BD%EC%97%85&level=advanced&o=-title%2Cstatus"
        );
    }

    #[test]
    fn sorting_a_column_makes_it_first_and_flips_it() {
        let q = ListQuery::parse(&USER, "o=email", &LocalTime::utc());
        assert_eq!(q.with_sort(&USER, 0), "?o=-email");
        assert_eq!(q.with_sort(&USER, 1), "?o=display_name%2Cemail");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("50%_a"), "%50\\%\\_a%");
    }
}
