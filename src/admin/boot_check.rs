//! The boot check: every `ModelAdmin` declaration proved against the real schema before the
//! server answers — tables and columns exist, every SQL fragment prepares, names are unique and
//! refer to what they claim, domain words are edited through their `vocab::Term` — the way
//! Django's `admin/checks.py` does. The first problem stops start-up, naming the culprit.

use rusqlite::Connection;

use super::registry::{
    ActionKind, Field, FilterKind, ModelAdmin, SearchField, Widget, RESERVED_PARAMS,
};
use crate::accounts::perms::Action;
use crate::vocab::term_of;

fn table_columns(conn: &Connection, table: &str) -> Result<Vec<String>, String> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .map_err(|e| e.to_string())?;
    let cols: Vec<String> = stmt
        .query_map([table], |r| r.get(0))
        .and_then(Iterator::collect)
        .map_err(|e| e.to_string())?;
    if cols.is_empty() {
        return Err(format!("unknown table {table:?}"));
    }
    Ok(cols)
}

fn prepares(conn: &Connection, what: &str, sql: &str) -> Result<(), String> {
    conn.prepare(sql)
        .map(|_| ())
        .map_err(|e| format!("{what}: {e}"))
}

/// Proves one declaration against the schema: tables and columns exist, every SQL fragment
/// prepares, names are unique and refer to what they claim. The error names the culprit.
pub fn check_model(conn: &Connection, m: &ModelAdmin, all: &[&ModelAdmin]) -> Result<(), String> {
    let err = |e: String| format!("admin model {:?}: {e}", m.key);
    let cols = table_columns(conn, m.table).map_err(err)?;
    if !cols.iter().any(|c| c == "id") {
        return Err(err("the table needs an integer `id` key".into()));
    }
    let from = format!("FROM {} {}", m.table, m.joins);
    let mut exprs: Vec<&str> = vec![m.repr];
    exprs.extend(m.columns.iter().map(|c| c.sql));
    exprs.extend(m.readonly.iter().map(|c| c.sql));
    exprs.extend(m.filters.iter().map(|f| f.sql));
    for e in &exprs {
        prepares(
            conn,
            &format!("expression {e:?}"),
            &format!("SELECT {e} {from} LIMIT 0"),
        )
        .map_err(err)?;
    }
    for s in m.search {
        let sql = match s {
            SearchField::Like(e) => format!("SELECT 1 {from} WHERE {e} LIKE 'x' LIMIT 0"),
            SearchField::Related { fk, table, columns } => {
                let any: Vec<String> = columns.iter().map(|c| format!("{c} LIKE 'x'")).collect();
                format!(
                    "SELECT 1 {from} WHERE {fk} IN (SELECT id FROM {table} WHERE {}) LIMIT 0",
                    any.join(" OR ")
                )
            }
            SearchField::Fts(t) => format!(
                "SELECT 1 {from} WHERE {}.id IN (SELECT rowid FROM {t} WHERE {t} MATCH 'x') LIMIT 0",
                m.table
            ),
        };
        prepares(conn, "search field", &sql).map_err(err)?;
    }
    for f in m.filters {
        if RESERVED_PARAMS.contains(&f.name)
            || m.filters.iter().filter(|g| g.name == f.name).count() > 1
        {
            return Err(err(format!(
                "filter name {:?} is reserved or repeated",
                f.name
            )));
        }
        if let FilterKind::Fk { table, label_sql } = f.kind {
            prepares(
                conn,
                "filter choices",
                &format!("SELECT id, {label_sql} FROM {table} LIMIT 0"),
            )
            .map_err(err)?;
        }
    }
    if let Some(u) = m.site_url {
        prepares(conn, "site url", &format!("SELECT {u} {from} LIMIT 0")).map_err(err)?;
    }
    if let Some(d) = m.date_hierarchy {
        prepares(
            conn,
            "date hierarchy",
            &format!("SELECT MIN({d}), MAX({d}) {from} WHERE {d} >= 'x' LIMIT 0"),
        )
        .map_err(err)?;
    }
    for o in m.ordering {
        let name = o.trim_start_matches('-');
        if m.column(name).is_none() {
            return Err(err(format!("ordering names unknown column {name:?}")));
        }
    }
    for f in m.fields {
        if !cols.iter().any(|c| c == f.name) {
            return Err(err(format!(
                "form field {:?} is not a column of {}",
                f.name, m.table
            )));
        }
        check_vocab(m.table, f).map_err(err)?;
        if let Widget::Fk {
            table, label_sql, ..
        } = f.widget
        {
            prepares(
                conn,
                "foreign key choices",
                &format!("SELECT id, {label_sql} FROM {table} LIMIT 0"),
            )
            .map_err(err)?;
        }
    }
    for s in m.sections {
        for name in s.fields {
            if m.field(name).is_none() {
                return Err(err(format!("section field {name:?} is not a form field")));
            }
            if m.sections
                .iter()
                .flat_map(|s| s.fields)
                .filter(|n| *n == name)
                .count()
                > 1
            {
                return Err(err(format!("field {name:?} is in two sections")));
            }
        }
    }
    for x in m.m2m {
        let through = table_columns(conn, x.through).map_err(err)?;
        if !through.iter().any(|c| c == x.own) || !through.iter().any(|c| c == x.other) {
            return Err(err(format!(
                "many-to-many {:?}: unknown columns of {}",
                x.name, x.through
            )));
        }
        prepares(
            conn,
            "many-to-many choices",
            &format!("SELECT id, {} FROM {} LIMIT 0", x.label_sql, x.table),
        )
        .map_err(err)?;
    }
    for i in m.inlines {
        let Some(child) = all.iter().find(|c| c.key == i.model) else {
            return Err(err(format!(
                "inline {:?} is not a registered model",
                i.model
            )));
        };
        let child_cols = table_columns(conn, child.table).map_err(err)?;
        for c in std::iter::once(i.fk).chain(i.order) {
            if !child_cols.iter().any(|x| x == c) {
                return Err(err(format!(
                    "inline {:?}: {c:?} is not a column of {}",
                    i.model, child.table
                )));
            }
        }
    }
    for a in m.actions {
        if let ActionKind::Update(set) = a.kind {
            prepares(
                conn,
                &format!("action {:?}", a.name),
                &format!("UPDATE {} SET {set} WHERE 0", m.table),
            )
            .map_err(err)?;
        }
    }
    if let Some(o) = m.owner {
        prepares(
            conn,
            "owner rule",
            &format!("SELECT 1 {from} WHERE {} LIMIT 0", o.predicate),
        )
        .map_err(err)?;
        if let Some(c) = o.column {
            if m.field(c).is_none() {
                return Err(err(format!("owner column {c:?} is not a form field")));
            }
        }
    }
    for u in m.uploads {
        if !cols.iter().any(|c| c == u.field) {
            return Err(err(format!(
                "upload {:?} is not a column of {}",
                u.field, m.table
            )));
        }
    }
    if let Some(t) = m.touch {
        if !cols.iter().any(|c| c == t) {
            return Err(err(format!("touch column {t:?} is unknown")));
        }
    }
    if let Some(a) = m.actions.iter().find(|a| !m.allows(a.perm)) {
        return Err(err(format!(
            "action {:?} needs {:?}, which the model never allows",
            a.name, a.perm
        )));
    }
    let changeable = !m.fields.is_empty()
        || !m.m2m.is_empty()
        || !m.inlines.is_empty()
        || !m.uploads.is_empty()
        || m.password;
    if changeable && !m.allows(Action::Change) && !m.allows(Action::Add) {
        return Err(err(
            "declares form fields but is never added or changed".into()
        ));
    }
    if all.iter().filter(|o| o.key == m.key).count() > 1 {
        return Err(err("registered twice".into()));
    }
    Ok(())
}

/// A column that holds a domain word (`vocab::COLUMNS`) is edited through that word: a choice
/// word by a select of exactly its words, any other by `Widget::Vocab` of that term.
fn check_vocab(table: &str, f: &Field) -> Result<(), String> {
    let Some(term) = term_of(table, f.name) else {
        return Ok(());
    };
    let ok = match (term.choices(), f.widget) {
        (Some(words), Widget::Select(cs)) => cs.iter().map(|c| c.value).eq(words.iter().copied()),
        (None, Widget::Vocab(t)) => t == term && f.parse.is_none(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "form field {:?} holds the domain word {term:?}; edit it through vocab::Term::{term:?}, not a parser of the admin's own",
            f.name
        ))
    }
}

/// Checks every declaration; the first problem stops start-up.
pub fn check_all(conn: &Connection, all: &[&ModelAdmin]) -> Result<(), String> {
    for m in all {
        check_model(conn, m, all)?;
    }
    Ok(())
}
