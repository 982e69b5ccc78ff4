//! One add/change submission: parsed from the form (fields the user may set, many-to-many sets,
//! inline rows) and saved in the caller's single transaction — references checked, the stale
//! fingerprint compared, the owner rule re-checked after the write, inline rows added, changed,
//! removed and renumbered, and every change written to the history.

use rusqlite::types::Value;
use rusqlite::Connection;

use super::forms::{parse_fields, AdminForm};
use super::history::{self, Change};
use super::models;
use super::registry::{Field, Inline, ManyToMany, ModelAdmin, Widget};
use super::store::{self, AdminError};
use crate::accounts::User;
use crate::fields::FieldErrors;

/// Most inline rows one form may send.
pub const MAX_INLINE_ROWS: usize = 500;

pub struct InlineRowInput {
    pub index: usize,
    pub id: Option<i64>,
    pub delete: bool,
    pub order: i64,
    pub values: Vec<(&'static str, Value)>,
}

pub struct InlineInput {
    pub inline: &'static Inline,
    pub child: &'static ModelAdmin,
    pub rows: Vec<InlineRowInput>,
}

pub struct Submission {
    pub values: Vec<(&'static str, Value)>,
    pub m2m: Vec<(&'static ManyToMany, Vec<i64>)>,
    pub inlines: Vec<InlineInput>,
    pub fingerprint: Option<String>,
    pub password_hash: Option<String>,
}

/// The fields this user may set on `m` (privilege flags for superusers only; the owner column
/// is set by the rule, not the form).
pub fn editable_fields(
    m: &'static ModelAdmin,
    superuser: bool,
    owner: Option<i64>,
) -> Vec<&'static Field> {
    let owner_col = owner.and(m.owner).and_then(|o| o.column);
    m.fields
        .iter()
        .filter(|f| (superuser || !f.superuser_only) && Some(f.name) != owner_col)
        .collect()
}

/// The child fields an inline row edits: all but the parent key and the order column.
pub fn inline_fields(child: &'static ModelAdmin, inline: &Inline) -> Vec<&'static Field> {
    child
        .fields
        .iter()
        .filter(|f| f.name != inline.fk && Some(f.name) != inline.order)
        .collect()
}

fn blank_row(fields: &[&'static Field], form: &AdminForm, prefix: &str) -> bool {
    fields.iter().all(|f| {
        let v = form.get(&format!("{prefix}{}", f.name)).unwrap_or("");
        match f.widget {
            Widget::Checkbox => v.is_empty(),
            _ => v.trim().is_empty(),
        }
    })
}

pub fn parse_submission(
    m: &'static ModelAdmin,
    form: &AdminForm,
    superuser: bool,
    owner: Option<i64>,
    errors: &mut FieldErrors,
) -> Submission {
    let values = parse_fields(&editable_fields(m, superuser, owner), form, "", errors);
    let m2m = m
        .m2m
        .iter()
        .filter(|x| superuser || !x.superuser_only)
        .map(|x| (x, form.ids(x.name)))
        .collect();
    let mut inlines = Vec::new();
    for inline in m.inlines {
        let Some(child) = models::find(inline.model) else {
            continue;
        };
        let fields = inline_fields(child, inline);
        let total = form
            .get(&format!("{}-TOTAL", inline.model))
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(0)
            .min(MAX_INLINE_ROWS);
        let mut rows = Vec::new();
        for index in 0..total {
            let prefix = format!("{}-{index}-", inline.model);
            let id = form
                .get(&format!("{prefix}id"))
                .and_then(|v| v.parse::<i64>().ok());
            let delete = form.get(&format!("{prefix}DELETE")).is_some();
            if (id.is_none() && (delete || blank_row(&fields, form, &prefix)))
                || (delete && id.is_none())
            {
                continue;
            }
            let order = inline
                .order
                .and_then(|o| form.get(&format!("{prefix}{o}")))
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(index as i64 + 1);
            let values = if delete {
                Vec::new()
            } else {
                parse_fields(&fields, form, &prefix, errors)
            };
            rows.push(InlineRowInput {
                index,
                id,
                delete,
                order,
                values,
            });
        }
        inlines.push(InlineInput {
            inline,
            child,
            rows,
        });
    }
    Submission {
        values,
        m2m,
        inlines,
        fingerprint: form.get("_fingerprint").map(str::to_owned),
        password_hash: None,
    }
}

/// Saves the submission; `id` is `None` for an add. Returns the object's id.
pub fn save(
    conn: &Connection,
    m: &'static ModelAdmin,
    user: &User,
    owner: Option<i64>,
    id: Option<i64>,
    sub: &Submission,
) -> Result<i64, AdminError> {
    let mut errors = FieldErrors::new();
    store::check_references(conn, m, &sub.values, "", &mut errors)?;
    for inl in &sub.inlines {
        for row in inl.rows.iter().filter(|r| !r.delete) {
            let prefix = format!("{}-{}-", inl.inline.model, row.index);
            store::check_references(conn, inl.child, &row.values, &prefix, &mut errors)?;
        }
    }
    if !errors.is_empty() {
        return Err(AdminError::Invalid(errors));
    }
    let (id, mut changes, action) = match id {
        Some(id) => {
            let old = store::load(conn, m, id, owner)?.ok_or(AdminError::NotFound)?;
            store::may_write(conn, m, user, id)?;
            if sub
                .fingerprint
                .as_deref()
                .is_some_and(|fp| fp != store::fingerprint(&old.values))
            {
                return Err(AdminError::Conflict);
            }
            let mut values = sub.values.clone();
            if let Some(complete) = m.complete {
                complete(&mut values);
            }
            // An untouched form writes nothing: not even the `touch` column moves.
            let diff = store::diff(m, &old.values, &values);
            if !diff.is_empty() {
                store::update(conn, m, id, &values, None, "")?;
            }
            (id, diff, "change")
        }
        None => {
            let mut values = sub.values.clone();
            if let (Some(rule), Some(user)) = (m.owner, owner) {
                if let Some(c) = rule.column {
                    values.push((c, Value::Integer(user)));
                }
            }
            if let Some(h) = &sub.password_hash {
                values.push(("password_hash", Value::Text(h.clone())));
            }
            if let Some(complete) = m.complete {
                complete(&mut values);
            }
            (store::insert(conn, m, &values, "")?, Vec::new(), "add")
        }
    };
    if !store::owned(conn, m, id, owner)? {
        return Err(AdminError::Forbidden);
    }
    for (x, wanted) in &sub.m2m {
        changes.extend(store::set_m2m(conn, x, id, wanted)?);
    }
    for inl in &sub.inlines {
        save_inline(conn, inl, id, user, &mut changes)?;
    }
    let repr = store::load(conn, m, id, None)?
        .map(|o| o.repr)
        .unwrap_or_default();
    if action == "add" || !changes.is_empty() {
        history::log(conn, user, m.key, id, &repr, action, &changes)?;
    }
    Ok(id)
}

fn save_inline(
    conn: &Connection,
    inl: &InlineInput,
    parent: i64,
    user: &User,
    changes: &mut Vec<Change>,
) -> Result<(), AdminError> {
    let (child, fk, order) = (inl.child, inl.inline.fk, inl.inline.order);
    let mut rows: Vec<&InlineRowInput> = inl.rows.iter().collect();
    rows.sort_by_key(|r| (r.order, r.index));
    // Rows kept in the order they have touch nothing: an untouched form writes nothing.
    let order = match order {
        Some(o) => {
            let stored: Vec<i64> = conn
                .prepare_cached(&format!(
                    "SELECT id FROM {} WHERE {fk} = ?1 ORDER BY {o}, id",
                    child.table
                ))?
                .query_map([parent], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let wanted: Vec<Option<i64>> =
                rows.iter().filter(|r| !r.delete).map(|r| r.id).collect();
            let same = wanted.len() == stored.len()
                && wanted.iter().zip(&stored).all(|(w, s)| *w == Some(*s));
            (!same).then_some(o)
        }
        None => None,
    };
    // Positions are unique per parent: move every row out of the way first, then write the
    // final order, so any reordering is one pass without collisions.
    if let Some(o) = order {
        conn.prepare_cached(&format!(
            "UPDATE {} SET {o} = {o} + 1000000 WHERE {fk} = ?1",
            child.table
        ))?
        .execute([parent])?;
    }
    let mut rank = 0;
    for row in rows {
        let prefix = format!("{}-{}-", inl.inline.model, row.index);
        if row.delete {
            let Some(rid) = row.id else { continue };
            let Some(old) = store::load(conn, child, rid, None)? else {
                continue;
            };
            let n = conn
                .prepare_cached(&format!(
                    "DELETE FROM {} WHERE id = ?1 AND {fk} = ?2",
                    child.table
                ))?
                .execute([rid, parent])?;
            if n > 0 {
                history::log(conn, user, child.key, rid, &old.repr, "delete", &[])?;
                changes.push(history::change(child.key, &old.repr, ""));
            }
            continue;
        }
        rank += 1;
        let mut values = row.values.clone();
        if let Some(o) = order {
            values.push((o, Value::Integer(2_000_000 + rank)));
        }
        match row.id {
            Some(rid) => {
                let Some(old) = store::load(conn, child, rid, None)? else {
                    return Err(AdminError::NotFound);
                };
                let diff: Vec<Change> = store::diff(child, &old.values, &row.values);
                if diff.is_empty() && order.is_none() {
                    // Nothing to write, but the row must still belong to this parent.
                    if !store::belongs(conn, child, rid, fk, parent)? {
                        return Err(AdminError::NotFound);
                    }
                } else if store::update(conn, child, rid, &values, Some((fk, parent)), &prefix)?
                    == 0
                {
                    return Err(AdminError::NotFound);
                }
                if !diff.is_empty() {
                    let repr = store::load(conn, child, rid, None)?
                        .map(|o| o.repr)
                        .unwrap_or_default();
                    history::log(conn, user, child.key, rid, &repr, "change", &diff)?;
                    changes.push(history::change(child.key, &old.repr, &repr));
                }
            }
            None => {
                values.push((fk, Value::Integer(parent)));
                let rid = store::insert(conn, child, &values, &prefix)?;
                let repr = store::load(conn, child, rid, None)?
                    .map(|o| o.repr)
                    .unwrap_or_default();
                history::log(conn, user, child.key, rid, &repr, "add", &[])?;
                changes.push(history::change(child.key, "", &repr));
            }
        }
    }
    if let Some(o) = order {
        let ids: Vec<i64> = conn
            .prepare_cached(&format!(
                "SELECT id FROM {} WHERE {fk} = ?1 ORDER BY {o}, id",
                child.table
            ))?
            .query_map([parent], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut set = conn.prepare_cached(&format!(
            "UPDATE {} SET {o} = ?1 WHERE id = ?2",
            child.table
        ))?;
        for (i, rid) in ids.iter().enumerate() {
            set.execute([i as i64 + 1, *rid])?;
        }
    }
    Ok(())
}
