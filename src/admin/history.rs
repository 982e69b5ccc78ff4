//! The audit log: every add, change, delete and action done in the admin is one `admin_log` row
//! (who, when, which object, which fields went from what to what), written in the same
//! transaction as the change itself, so a change without its record cannot exist.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::accounts::User;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// Long texts are cut in the log; the change is still recorded.
fn clip(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

pub fn change(field: &str, old: &str, new: &str) -> Change {
    Change {
        field: field.to_owned(),
        old: clip(old),
        new: clip(new),
    }
}

pub fn log(
    conn: &Connection,
    user: &User,
    model: &str,
    object_id: i64,
    repr: &str,
    action: &str,
    changes: &[Change],
) -> rusqlite::Result<()> {
    let changes = serde_json::to_string(changes).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "INSERT INTO admin_log (user_id, user_label, model, object_id, object_repr, action, changes) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        user.id,
        user.email,
        model,
        object_id,
        clip(repr),
        action,
        changes
    ])?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub user: String,
    pub model: String,
    pub object_id: i64,
    pub object_repr: String,
    pub action: String,
    pub changes: Vec<Change>,
    pub created_at: String,
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let changes: String = r.get(6)?;
    Ok(Entry {
        id: r.get(0)?,
        user: r.get(1)?,
        model: r.get(2)?,
        object_id: r.get(3)?,
        object_repr: r.get(4)?,
        action: r.get(5)?,
        changes: serde_json::from_str(&changes).unwrap_or_default(),
        created_at: r.get(7)?,
    })
}

const ENTRY_COLUMNS: &str =
    "id, user_label, model, object_id, object_repr, action, changes, created_at";

/// One object's history, newest first.
pub fn for_object(conn: &Connection, model: &str, id: i64) -> rusqlite::Result<Vec<Entry>> {
    conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM admin_log WHERE model = ?1 AND object_id = ?2 ORDER BY id DESC LIMIT 500"
    ))?
    .query_map(params![model, id], entry)?
    .collect()
}

/// One entry by its id.
pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Entry>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM admin_log WHERE id = ?1"
    ))?
    .query_row([id], entry)
    .optional()
}

/// What this user did last, for the dashboard.
pub fn recent_for_user(conn: &Connection, user_id: i64) -> rusqlite::Result<Vec<Entry>> {
    conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM admin_log WHERE user_id = ?1 ORDER BY id DESC LIMIT 10"
    ))?
    .query_map([user_id], entry)?
    .collect()
}
