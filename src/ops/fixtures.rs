//! JSON fixtures, Django's `dumpdata` / `loaddata`: every row of the chosen tables (all data
//! tables by default; virtual and shadow tables such as the search index are rebuilt by triggers)
//! in foreign-key order, one row per line, ordered by primary key — so a dump loaded into an
//! empty database dumps to the same bytes. Loading upserts by primary key in one transaction,
//! restores trigger-maintained counters to the dumped values, and checks every reference before
//! committing: an unknown table or column, a bad value or a broken reference changes nothing.
//! Dumps contain password hashes, sessions and the server key: treat them as secrets.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{params_from_iter, Connection};
use serde_json::Value as Json;

use crate::db::{migrate, DbError};

pub const FORMAT: &str = "hancup-fixtures/1";

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("unknown table `{0}` (known: {1})")]
    UnknownTable(String, String),
    #[error("table `{table}` has no column `{column}`")]
    UnknownColumn { table: String, column: String },
    #[error("not a hancup fixture file: {0}")]
    Format(String),
    #[error("the fixture is for schema version {found}, the database is at {current}; migrate or use a matching binary")]
    Schema { found: i64, current: i64 },
    #[error("table `{table}`, row {row}: {message}")]
    BadRow {
        table: String,
        row: usize,
        message: String,
    },
    #[error("broken references, nothing was loaded: {0}")]
    BrokenReferences(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for FixtureError {
    fn from(e: rusqlite::Error) -> Self {
        FixtureError::Db(DbError::Sqlite(e))
    }
}

struct Table {
    name: String,
    columns: Vec<String>,
    /// Primary-key column names, in key order (empty: no declared key).
    key: Vec<String>,
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The data tables in foreign-key order (parents first, then by name). Litestream's bookkeeping
/// tables (`_litestream_seq`, `_litestream_lock`) are not data: a dump never holds them.
fn tables(conn: &Connection) -> Result<Vec<Table>, FixtureError> {
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_litestream\\_%' ESCAPE '\\' \
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut info: BTreeMap<String, Table> = BTreeMap::new();
    for name in &names {
        let mut cols: Vec<(i64, String)> = Vec::new();
        let mut columns = Vec::new();
        let mut stmt = conn.prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")?;
        for row in stmt.query_map([name], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (col, pk) = row?;
            if pk > 0 {
                cols.push((pk, col.clone()));
            }
            columns.push(col);
        }
        cols.sort();
        let deps: BTreeSet<String> = conn
            .prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")?
            .query_map([name], |r| r.get(0))?
            .collect::<Result<BTreeSet<String>, _>>()?
            .into_iter()
            .filter(|p| p != name && names.contains(p))
            .collect();
        parents.insert(name.clone(), deps);
        info.insert(
            name.clone(),
            Table {
                name: name.clone(),
                columns,
                key: cols.into_iter().map(|(_, c)| c).collect(),
            },
        );
    }
    let mut ordered = Vec::new();
    while !info.is_empty() {
        let ready: Vec<String> = info
            .keys()
            .filter(|n| parents[*n].iter().all(|p| !info.contains_key(p)))
            .cloned()
            .collect();
        // A reference cycle would leave nothing ready: take the rest by name.
        let take = if ready.is_empty() {
            info.keys().cloned().collect()
        } else {
            ready
        };
        for n in take {
            ordered.extend(info.remove(&n));
        }
    }
    Ok(ordered)
}

fn to_json(v: ValueRef<'_>) -> Json {
    match v {
        ValueRef::Null => Json::Null,
        ValueRef::Integer(i) => Json::from(i),
        ValueRef::Real(f) => Json::from(f),
        ValueRef::Text(t) => Json::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => {
            serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })
        }
    }
}

fn from_json(v: &Json) -> Result<Sql, String> {
    Ok(match v {
        Json::Null => Sql::Null,
        Json::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().ok_or("number out of range")?),
        },
        Json::String(s) => Sql::Text(s.clone()),
        Json::Object(o) if o.len() == 1 && o.contains_key("base64") => {
            let text = o["base64"].as_str().ok_or("base64 must be a string")?;
            Sql::Blob(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| format!("bad base64: {e}"))?,
            )
        }
        other => return Err(format!("unsupported value {other}")),
    })
}

/// Resolves requested names against the data tables (all of them when none are named).
fn choose<'a>(all: &'a [Table], wanted: &[String]) -> Result<Vec<&'a Table>, FixtureError> {
    for w in wanted {
        if !all.iter().any(|t| &t.name == w) {
            let known: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
            return Err(FixtureError::UnknownTable(w.clone(), known.join(", ")));
        }
    }
    Ok(all
        .iter()
        .filter(|t| wanted.is_empty() || wanted.contains(&t.name))
        .collect())
}

/// The fixture text for `wanted` tables (all when empty). Run it inside one read transaction
/// (`Db::read` is enough: SQLite reads see one snapshot per statement; the CLI holds no writers).
pub fn dump(conn: &Connection, wanted: &[String]) -> Result<String, FixtureError> {
    let all = tables(conn)?;
    let chosen = choose(&all, wanted)?;
    let version = migrate::current_version(conn)?;
    let mut out = format!(
        "{{\n  \"format\": \"{FORMAT}\",\n  \"schema_version\": {version},\n  \"tables\": ["
    );
    for (i, t) in chosen.iter().enumerate() {
        let cols: Vec<String> = t.columns.iter().map(|c| quote(c)).collect();
        let order = if t.key.is_empty() {
            "rowid".to_owned()
        } else {
            t.key
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {order}",
            cols.join(", "),
            quote(&t.name)
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut lines = Vec::new();
        while let Some(row) = rows.next()? {
            let values: Vec<Json> = (0..t.columns.len())
                .map(|c| row.get_ref(c).map(to_json))
                .collect::<Result<_, _>>()?;
            lines.push(format!("        {}", Json::Array(values)));
        }
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&format!(
            "    {{\n      \"table\": {},\n      \"columns\": {},\n      \"rows\": [",
            Json::from(t.name.as_str()),
            serde_json::to_string(&t.columns).expect("strings serialise")
        ));
        if lines.is_empty() {
            out.push_str("]\n    }");
        } else {
            out.push_str(&format!("\n{}\n      ]\n    }}", lines.join(",\n")));
        }
    }
    out.push_str(if chosen.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    Ok(out)
}

/// One table of a parsed fixture, checked against the schema.
struct Load<'a> {
    table: &'a Table,
    columns: Vec<String>,
    rows: Vec<Vec<Sql>>,
}

/// Every table of `text`, checked against the database before anything is written.
fn parse<'a>(
    conn: &Connection,
    all: &'a [Table],
    text: &str,
) -> Result<Vec<Load<'a>>, FixtureError> {
    let doc: Json = serde_json::from_str(text).map_err(|e| FixtureError::Format(e.to_string()))?;
    if doc.get("format").and_then(Json::as_str) != Some(FORMAT) {
        return Err(FixtureError::Format(format!(
            "missing \"format\": \"{FORMAT}\""
        )));
    }
    let found = doc
        .get("schema_version")
        .and_then(Json::as_i64)
        .unwrap_or(-1);
    let current = migrate::current_version(conn)?;
    if found != current {
        return Err(FixtureError::Schema { found, current });
    }
    let list = doc
        .get("tables")
        .and_then(Json::as_array)
        .ok_or_else(|| FixtureError::Format("\"tables\" must be a list".into()))?;
    let mut loads = Vec::new();
    for entry in list {
        let name = entry.get("table").and_then(Json::as_str).unwrap_or("");
        if is_litestream(name) {
            // Dumps made before they were skipped may hold Litestream's tables: not data.
            continue;
        }
        let table = choose(all, &[name.to_owned()])?[0];
        let columns: Vec<String> = entry
            .get("columns")
            .and_then(Json::as_array)
            .map(|c| {
                c.iter()
                    .map(|v| v.as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .ok_or_else(|| {
                FixtureError::Format(format!("table `{name}` has no \"columns\" list"))
            })?;
        for c in &columns {
            if !table.columns.contains(c) {
                return Err(FixtureError::UnknownColumn {
                    table: name.to_owned(),
                    column: c.clone(),
                });
            }
        }
        if table.key.iter().any(|k| !columns.contains(k)) {
            return Err(FixtureError::Format(format!(
                "table `{name}` lacks its key columns"
            )));
        }
        let bad = |row: usize, message: String| FixtureError::BadRow {
            table: name.to_owned(),
            row: row + 1,
            message,
        };
        let mut rows = Vec::new();
        let raw = entry
            .get("rows")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, r) in raw.iter().enumerate() {
            let values = r
                .as_array()
                .ok_or_else(|| bad(i, "a row must be a list".into()))?;
            if values.len() != columns.len() {
                return Err(bad(
                    i,
                    format!("{} values for {} columns", values.len(), columns.len()),
                ));
            }
            rows.push(
                values
                    .iter()
                    .map(from_json)
                    .collect::<Result<_, _>>()
                    .map_err(|m| bad(i, m))?,
            );
        }
        loads.push(Load {
            table,
            columns,
            rows,
        });
    }
    loads.sort_by_key(|l| all.iter().position(|t| t.name == l.table.name));
    Ok(loads)
}

/// Litestream's bookkeeping tables (`_litestream_seq`, `_litestream_lock`).
pub fn is_litestream(table: &str) -> bool {
    table.starts_with("_litestream_")
}

/// Loads fixture `text` in the caller's write transaction; returns rows written per table.
/// On any error the caller's transaction rolls back, so nothing changes.
pub fn load(conn: &Connection, text: &str) -> Result<Vec<(String, usize)>, FixtureError> {
    let all = tables(conn)?;
    let loads = parse(conn, &all, text)?;
    // References are checked once, at the end, so rows may arrive in any order.
    conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    let mut report = Vec::new();
    for l in &loads {
        let mut written = 0;
        for row in &l.rows {
            written += upsert(conn, l, row)?;
        }
        report.push((l.table.name.clone(), written));
    }
    // Inserting children moved trigger-maintained counters on their parents; put back the
    // dumped values (a second pass writes only columns that differ).
    for l in &loads {
        for row in &l.rows {
            upsert(conn, l, row)?;
        }
    }
    let broken: Vec<String> = conn
        .prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check LIMIT 5")?
        .query_map([], |r| {
            Ok(format!(
                "{} row {} points to a missing {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                r.get::<_, String>(2)?
            ))
        })?
        .collect::<Result<_, _>>()?;
    if !broken.is_empty() {
        return Err(FixtureError::BrokenReferences(broken.join("; ")));
    }
    Ok(report)
}

/// Inserts `row`, or updates the columns that differ in the row with the same key. Returns 1
/// when something was written.
fn upsert(conn: &Connection, l: &Load<'_>, row: &[Sql]) -> Result<usize, FixtureError> {
    let t = l.table;
    let name = quote(&t.name);
    let cols: Vec<String> = l.columns.iter().map(|c| quote(c)).collect();
    let bad = |e: rusqlite::Error| FixtureError::BadRow {
        table: t.name.clone(),
        row: 0,
        message: e.to_string(),
    };
    let insert = |conn: &Connection| -> Result<usize, FixtureError> {
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {name} ({}) VALUES ({})",
            cols.join(", "),
            marks.join(", ")
        );
        conn.prepare_cached(&sql)?
            .execute(params_from_iter(row))
            .map_err(bad)
    };
    if t.key.is_empty() {
        return insert(conn);
    }
    let key_idx: Vec<usize> = t
        .key
        .iter()
        .map(|k| l.columns.iter().position(|c| c == k).expect("checked"))
        .collect();
    let key_vals: Vec<&Sql> = key_idx.iter().map(|&i| &row[i]).collect();
    let cond: Vec<String> = t
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} = ?{}", quote(k), i + 1))
        .collect();
    let select = format!(
        "SELECT {} FROM {name} WHERE {}",
        cols.join(", "),
        cond.join(" AND ")
    );
    let existing: Option<Vec<Sql>> = {
        let mut stmt = conn.prepare_cached(&select)?;
        let mut rows = stmt.query(params_from_iter(&key_vals))?;
        match rows.next()? {
            Some(r) => Some(
                (0..cols.len())
                    .map(|i| r.get::<_, Sql>(i))
                    .collect::<Result<_, _>>()?,
            ),
            None => None,
        }
    };
    let Some(existing) = existing else {
        return insert(conn);
    };
    let changed: Vec<usize> = (0..cols.len()).filter(|&i| existing[i] != row[i]).collect();
    if changed.is_empty() {
        return Ok(0);
    }
    let sets: Vec<String> = changed
        .iter()
        .enumerate()
        .map(|(n, &i)| format!("{} = ?{}", cols[i], n + 1))
        .collect();
    let offset = changed.len();
    let cond: Vec<String> = t
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} = ?{}", quote(k), offset + i + 1))
        .collect();
    let sql = format!(
        "UPDATE {name} SET {} WHERE {}",
        sets.join(", "),
        cond.join(" AND ")
    );
    let values: Vec<&Sql> = changed.iter().map(|&i| &row[i]).chain(key_vals).collect();
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))
        .map_err(bad)
}
