//! What a delete takes with it: the foreign keys pointing at a table are read from the schema
//! itself (`pragma_foreign_key_list`), so the preview is right for every table, registered or
//! not. Rows reached through `ON DELETE CASCADE` are counted (and named, for registered
//! models); rows behind `RESTRICT` / `NO ACTION` make the delete impossible and are reported as
//! protected. Identifiers come from `sqlite_master`; the ids are one bound JSON parameter.

use rusqlite::types::Value;
use rusqlite::Connection;
use serde::Serialize;

use super::models::REGISTRY;
use crate::web::i18n::Lang;

#[derive(Debug, Clone, Serialize)]
pub struct Related {
    /// The registered model's plural label, else the table name.
    pub label: String,
    pub count: i64,
    /// A few of the rows by name (registered models only).
    pub examples: Vec<String>,
    pub protected: bool,
}

struct ForeignKey {
    child: String,
    column: String,
    on_delete: String,
}

fn foreign_keys_to(conn: &Connection, parent: &str) -> rusqlite::Result<Vec<ForeignKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.name, f.\"from\", f.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND f.\"table\" = ?1 ORDER BY m.name",
    )?;
    let rows = stmt.query_map([parent], |r| {
        Ok(ForeignKey {
            child: r.get(0)?,
            column: r.get(1)?,
            on_delete: r.get::<_, String>(2)?.to_ascii_uppercase(),
        })
    })?;
    rows.collect()
}

fn has_id(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = 'id')")?
        .query_row([table], |r| r.get(0))
}

/// Everything deleting `ids` of `table` would remove or is blocked by, depth-first.
pub fn preview(
    conn: &Connection,
    table: &str,
    ids: &[i64],
    lang: Lang,
) -> rusqlite::Result<Vec<Related>> {
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let mut out = Vec::new();
    // (table, predicate selecting the rows to delete)
    let root = format!("{table}.id IN (SELECT value FROM json_each(?1))");
    walk(conn, table, &root, &json, lang, 0, &mut out)?;
    Ok(out)
}

fn walk(
    conn: &Connection,
    table: &str,
    predicate: &str,
    json: &str,
    lang: Lang,
    depth: usize,
    out: &mut Vec<Related>,
) -> rusqlite::Result<()> {
    if depth > 4 {
        return Ok(());
    }
    for fk in foreign_keys_to(conn, table)? {
        let cascade = fk.on_delete == "CASCADE";
        let counted = cascade || fk.on_delete == "RESTRICT" || fk.on_delete == "NO ACTION";
        if !counted {
            continue;
        }
        let child_pred = format!(
            "{child}.{col} IN (SELECT {table}.id FROM {table} WHERE {predicate})",
            child = fk.child,
            col = fk.column
        );
        let count: i64 = conn
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM {} WHERE {child_pred}",
                fk.child
            ))?
            .query_row([json], |r| r.get(0))?;
        if count == 0 {
            continue;
        }
        let model = REGISTRY.iter().find(|m| m.table == fk.child);
        let examples = match model {
            Some(m) => conn
                .prepare_cached(&format!(
                    "SELECT {} FROM {} WHERE {child_pred} ORDER BY {}.id LIMIT 5",
                    m.repr, m.table, m.table
                ))?
                .query_map([json], |r| r.get::<_, Value>(0))?
                .map(|v| v.map(|v| super::query::as_text(&v)))
                .collect::<rusqlite::Result<Vec<String>>>()?,
            None => Vec::new(),
        };
        out.push(Related {
            label: model
                .map(|m| m.plural.get(lang).to_owned())
                .unwrap_or_else(|| fk.child.clone()),
            count,
            examples,
            protected: !cascade,
        });
        if cascade && has_id(conn, &fk.child)? {
            walk(conn, &fk.child, &child_pred, json, lang, depth + 1, out)?;
        }
    }
    Ok(())
}
