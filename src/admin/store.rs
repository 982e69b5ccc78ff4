//! Reading and writing one registered object: load it (within the owner rule), fingerprint it
//! for stale-edit detection, and save a whole submission — fields, many-to-many sets and
//! inline rows — in the caller's one transaction, with its history. Constraint failures become
//! field errors; nothing is half-saved because the caller rolls back on any error.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::history::{self, Change};
use super::query::as_text;
use super::registry::{Inline, ManyToMany, ModelAdmin, Widget};
use crate::accounts::User;
use crate::db::DbError;
use crate::fields::{FieldError, FieldErrors};
use crate::paging::limit_sql;

pub const NON_FIELD: &str = "__all__";
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid: {0}")]
    Invalid(FieldErrors),
    /// The object changed since the form was opened.
    #[error("conflict")]
    Conflict,
    /// Rows that may not be deleted hold on to the object.
    #[error("protected")]
    Protected,
    /// A file could not be stored (uploads); the cause is logged.
    #[error("storage: {0}")]
    Storage(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for AdminError {
    fn from(e: rusqlite::Error) -> Self {
        AdminError::Db(DbError::Sqlite(e))
    }
}

impl From<crate::accounts::AccountError> for AdminError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as A;
        match e {
            A::Invalid(f) | A::Conflict(f) => AdminError::Invalid(f),
            A::NotFound => AdminError::NotFound,
            A::Db(d) => AdminError::Db(d),
            A::Busy | A::Throttled { .. } => AdminError::Db(DbError::Unavailable("busy")),
            A::ProviderUnavailable => AdminError::Db(DbError::Unavailable("sign-in provider")),
            A::InvalidCredentials | A::Inactive => AdminError::Forbidden,
        }
    }
}

pub struct Object {
    pub id: i64,
    pub repr: String,
    /// In the order of `ModelAdmin::fields`.
    pub values: Vec<Value>,
    pub readonly: Vec<Value>,
    pub uploads: Vec<String>,
}

fn owner_clause(m: &ModelAdmin, owner: Option<i64>) -> (String, Option<i64>) {
    match (m.owner, owner) {
        (Some(rule), Some(user)) => (format!(" AND ({})", rule.predicate), Some(user)),
        _ => (String::new(), None),
    }
}

/// The object, if it exists and the owner rule lets this user see it.
pub fn load(
    conn: &Connection,
    m: &ModelAdmin,
    id: i64,
    owner: Option<i64>,
) -> rusqlite::Result<Option<Object>> {
    let mut exprs: Vec<String> = vec![m.repr.to_owned()];
    exprs.extend(m.fields.iter().map(|f| format!("{}.{}", m.table, f.name)));
    exprs.extend(m.readonly.iter().map(|c| c.sql.to_owned()));
    exprs.extend(m.uploads.iter().map(|u| format!("{}.{}", m.table, u.field)));
    let (clause, user) = owner_clause(m, owner);
    let sql = format!(
        "SELECT {} FROM {} {} WHERE {}.id = ?{clause}",
        exprs.join(", "),
        m.table,
        m.joins,
        m.table
    );
    let mut p = vec![Value::Integer(id)];
    p.extend(user.map(Value::Integer));
    let (nf, nr) = (m.fields.len(), m.readonly.len());
    conn.prepare_cached(&sql)?
        .query_row(params_from_iter(p), |r| {
            let get = |i: usize| r.get::<_, Value>(i);
            Ok(Object {
                id,
                repr: as_text(&get(0)?),
                values: (1..=nf).map(get).collect::<rusqlite::Result<_>>()?,
                readonly: (nf + 1..=nf + nr)
                    .map(get)
                    .collect::<rusqlite::Result<_>>()?,
                uploads: (nf + nr + 1..=nf + nr + m.uploads.len())
                    .map(|i| get(i).map(|v| as_text(&v)))
                    .collect::<rusqlite::Result<_>>()?,
            })
        })
        .optional()
}

/// A digest of what the form showed; a different digest at save time means someone else
/// changed the object meanwhile.
pub fn fingerprint(values: &[Value]) -> String {
    let mut h = Sha256::new();
    for v in values {
        h.update(as_text(v).as_bytes());
        h.update([0x1f]);
    }
    crate::hex::encode(&h.finalize()[..16])
}

/// Which rows of a related table a user may see named (choices, filter options, the label of
/// an id): decided by `AdminCtx::related` from the registration of that table.
#[derive(Debug, Clone, Copy)]
pub enum Related {
    /// The user may not view that model: no label is shown for an id.
    Hidden,
    All,
    /// Only rows matching the owner rule `predicate` (one `?`) for this user.
    Owned(&'static str, i64),
}

impl Related {
    fn clause(self) -> (String, Option<i64>) {
        match self {
            Related::Owned(predicate, user) => (format!(" WHERE ({predicate})"), Some(user)),
            _ => (String::new(), None),
        }
    }
}

/// Rows of `table` to choose from, by label, at most `limit` (large tables use autocomplete),
/// within the owner rule: an instructor is never offered another instructor's course. (A
/// select's choices need no view permission on the related model, as in Django: the change
/// permission on the form is the right to pick one; `Hidden` acts as `All` here.)
pub fn choices(
    conn: &Connection,
    table: &str,
    label_sql: &str,
    limit: i64,
    related: Related,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let (clause, user) = related.clause();
    conn.prepare_cached(&format!(
        "SELECT id, {label_sql} FROM {table}{clause} ORDER BY 2, 1 {}",
        limit_sql(limit)
    ))?
    .query_map(params_from_iter(user), |r| {
        Ok((r.get(0)?, as_text(&r.get::<_, Value>(1)?)))
    })?
    .collect()
}

/// `choices` whose label contains `word` (case-insensitive for ASCII; `%` and `_` literal).
pub fn choices_matching(
    conn: &Connection,
    table: &str,
    label_sql: &str,
    word: &str,
    limit: i64,
    related: Related,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let (clause, user) = related.clause();
    let joiner = if clause.is_empty() { " WHERE" } else { " AND" };
    let mut pattern = String::from("%");
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    let mut params: Vec<Value> = user.into_iter().map(Value::Integer).collect();
    params.push(Value::Text(pattern));
    conn.prepare_cached(&format!(
        "SELECT id, {label_sql} FROM {table}{clause}{joiner} ({label_sql}) LIKE ? ESCAPE '\\' \
         ORDER BY 2, 1 {}",
        limit_sql(limit)
    ))?
    .query_map(params_from_iter(params), |r| {
        Ok((r.get(0)?, as_text(&r.get::<_, Value>(1)?)))
    })?
    .collect()
}

/// The label of row `id` of `table`, if the user may see it: a re-rendered form names a
/// submitted id only when its object is visible to the user, so ids cannot be probed for
/// titles or e-mails.
pub fn label_of(
    conn: &Connection,
    table: &str,
    label_sql: &str,
    id: i64,
    related: Related,
) -> rusqlite::Result<Option<String>> {
    if let Related::Hidden = related {
        return Ok(None);
    }
    let (clause, user) = related.clause();
    let clause = if clause.is_empty() {
        " WHERE id = ?".to_owned()
    } else {
        format!("{clause} AND id = ?")
    };
    let mut p: Vec<i64> = user.into_iter().collect();
    p.push(id);
    conn.prepare_cached(&format!("SELECT {label_sql} FROM {table}{clause}"))?
        .query_row(params_from_iter(p), |r| Ok(as_text(&r.get::<_, Value>(0)?)))
        .optional()
}

pub fn m2m_selected(conn: &Connection, x: &ManyToMany, id: i64) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached(&format!(
        "SELECT {} FROM {} WHERE {} = ?1 ORDER BY 1",
        x.other, x.through, x.own
    ))?
    .query_map([id], |r| r.get(0))?
    .collect()
}

/// The rows of an inline (id and values in the child's field order), in display order.
pub fn inline_rows(
    conn: &Connection,
    child: &ModelAdmin,
    inline: &Inline,
    parent: i64,
) -> rusqlite::Result<Vec<(i64, Vec<Value>)>> {
    let cols: Vec<String> = child.fields.iter().map(|f| f.name.to_owned()).collect();
    let order = inline.order.unwrap_or("id");
    conn.prepare_cached(&format!(
        "SELECT id, {} FROM {} WHERE {} = ?1 ORDER BY {order}, id",
        cols.join(", "),
        child.table,
        inline.fk
    ))?
    .query_map([parent], |r| {
        let values = (1..=cols.len())
            .map(|i| r.get::<_, Value>(i))
            .collect::<rusqlite::Result<_>>()?;
        Ok((r.get(0)?, values))
    })?
    .collect()
}

/// A UNIQUE violation names its column: that becomes the field's error; other constraint
/// failures are reported for the whole form.
pub fn constraint_error(e: rusqlite::Error, prefix: &str) -> AdminError {
    if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e {
        if f.code == rusqlite::ErrorCode::ConstraintViolation {
            let mut errors = FieldErrors::new();
            if let Some(cols) = msg.strip_prefix("UNIQUE constraint failed: ") {
                for c in cols.split(", ") {
                    let column = c.rsplit('.').next().unwrap_or(c);
                    errors.push(
                        &format!("{prefix}{column}"),
                        FieldError::new("unique", "This value is already used."),
                    );
                }
            } else {
                errors.push(NON_FIELD, FieldError::new("constraint", msg.clone()));
            }
            return AdminError::Invalid(errors);
        }
    }
    AdminError::from(e)
}

/// Foreign keys that point nowhere become field errors before any write.
pub fn check_references(
    conn: &Connection,
    m: &ModelAdmin,
    values: &[(&'static str, Value)],
    prefix: &str,
    errors: &mut FieldErrors,
) -> rusqlite::Result<()> {
    for (name, v) in values {
        let Some(f) = m.field(name) else { continue };
        if let (Widget::Fk { table, .. }, Value::Integer(id)) = (f.widget, v) {
            let exists: bool = conn
                .prepare_cached(&format!(
                    "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"
                ))?
                .query_row([id], |r| r.get(0))?;
            if !exists {
                errors.push(&format!("{prefix}{name}"), FieldError::invalid_choice());
            }
        }
    }
    Ok(())
}

pub fn insert(
    conn: &Connection,
    m: &ModelAdmin,
    values: &[(&'static str, Value)],
    prefix: &str,
) -> Result<i64, AdminError> {
    let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    let marks = vec!["?"; names.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({marks})",
        m.table,
        names.join(", ")
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values.iter().map(|(_, v)| v)))
        .map_err(|e| constraint_error(e, prefix))?;
    Ok(conn.last_insert_rowid())
}

/// Whether row `id` of `m` points at `parent` through `fk` (an inline row of that parent).
pub fn belongs(
    conn: &Connection,
    m: &ModelAdmin,
    id: i64,
    fk: &str,
    parent: i64,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(&format!(
        "SELECT EXISTS(SELECT 1 FROM {} WHERE id = ?1 AND {fk} = ?2)",
        m.table
    ))?
    .query_row([id, parent], |r| r.get(0))
}

/// Updates the given columns (and the touch column); `extra` narrows the row (parent key).
pub fn update(
    conn: &Connection,
    m: &ModelAdmin,
    id: i64,
    values: &[(&'static str, Value)],
    extra: Option<(&str, i64)>,
    prefix: &str,
) -> Result<usize, AdminError> {
    let mut sets: Vec<String> = values.iter().map(|(n, _)| format!("{n} = ?")).collect();
    if let Some(t) = m.touch {
        sets.push(format!("{t} = {NOW}"));
    }
    if sets.is_empty() {
        return Ok(1);
    }
    let mut p: Vec<Value> = values.iter().map(|(_, v)| v.clone()).collect();
    p.push(Value::Integer(id));
    let narrow = match extra {
        Some((col, v)) => {
            p.push(Value::Integer(v));
            format!(" AND {col} = ?")
        }
        None => String::new(),
    };
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ?{narrow}",
        m.table,
        sets.join(", ")
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(p))
        .map_err(|e| constraint_error(e, prefix))
}

/// The registration's target-row rule for a write to `id` by `user`: `Forbidden` when refused.
pub fn may_write(
    conn: &Connection,
    m: &ModelAdmin,
    user: &User,
    id: i64,
) -> Result<(), AdminError> {
    match m.row_rule {
        Some(rule) if !rule(conn, user, id)? => Err(AdminError::Forbidden),
        _ => Ok(()),
    }
}

/// Whether the owner rule still holds for the row after a write.
pub fn owned(
    conn: &Connection,
    m: &ModelAdmin,
    id: i64,
    owner: Option<i64>,
) -> rusqlite::Result<bool> {
    let (clause, user) = owner_clause(m, owner);
    let Some(user) = user else { return Ok(true) };
    conn.prepare_cached(&format!(
        "SELECT EXISTS (SELECT 1 FROM {} WHERE {}.id = ?1{})",
        m.table,
        m.table,
        clause.replace('?', "?2")
    ))?
    .query_row(params![id, user], |r| r.get(0))
}

/// Replaces a many-to-many set; returns the change for the history when it differs.
pub fn set_m2m(
    conn: &Connection,
    x: &ManyToMany,
    id: i64,
    wanted: &[i64],
) -> rusqlite::Result<Option<Change>> {
    let old = m2m_selected(conn, x, id)?;
    if old == wanted {
        return Ok(None);
    }
    conn.prepare_cached(&format!("DELETE FROM {} WHERE {} = ?1", x.through, x.own))?
        .execute([id])?;
    let mut ins = conn.prepare_cached(&format!(
        "INSERT OR IGNORE INTO {} ({}, {}) SELECT ?1, id FROM {} WHERE id = ?2",
        x.through, x.own, x.other, x.table
    ))?;
    for w in wanted {
        ins.execute(params![id, w])?;
    }
    let labels = |ids: &[i64]| -> rusqlite::Result<String> {
        let json = serde_json::to_string(ids).unwrap_or_default();
        conn.prepare_cached(&format!(
            "SELECT COALESCE(group_concat(l, ', '), '') FROM (SELECT {} AS l FROM {} WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY 1)",
            x.label_sql, x.table
        ))?
        .query_row([json], |r| r.get(0))
    };
    let new = m2m_selected(conn, x, id)?;
    Ok(Some(history::change(
        x.name,
        &labels(&old)?,
        &labels(&new)?,
    )))
}

/// The history entries between two sets of field values.
/// The object's public page path (`ModelAdmin::site_url`), when it has one now. Only a
/// site-relative path is returned.
pub fn site_url(conn: &Connection, m: &ModelAdmin, id: i64) -> rusqlite::Result<Option<String>> {
    let Some(expr) = m.site_url else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {expr} FROM {} {} WHERE {}.id = ?1",
        m.table, m.joins, m.table
    );
    let path: Option<String> = conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(path.filter(|p| p.starts_with('/') && !p.starts_with("//")))
}

pub fn diff(m: &ModelAdmin, old: &[Value], new: &[(&'static str, Value)]) -> Vec<Change> {
    let mut out = Vec::new();
    for (name, v) in new {
        if let Some(i) = m.fields.iter().position(|f| f.name == *name) {
            let (o, n) = (as_text(&old[i]), as_text(v));
            if o != n {
                out.push(history::change(name, &o, &n));
            }
        }
    }
    out
}

/// Deletes rows (the caller checked permissions and the preview), logging each.
pub fn delete(
    conn: &Connection,
    m: &ModelAdmin,
    ids: &[i64],
    user: &User,
    owner: Option<i64>,
) -> Result<usize, AdminError> {
    let mut n = 0;
    for id in ids {
        let Some(obj) = load(conn, m, *id, owner)? else {
            return Err(AdminError::NotFound);
        };
        may_write(conn, m, user, *id)?;
        let deleted = conn
            .prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", m.table))?
            .execute([id])
            .map_err(|e| match constraint_error(e, "") {
                AdminError::Invalid(_) => AdminError::Protected,
                other => other,
            })?;
        history::log(conn, user, m.key, *id, &obj.repr, "delete", &[])?;
        n += deleted;
    }
    Ok(n)
}
