//! Login sessions in SQLite: the SQL behind poem's session storage (`web::session`). Rows are
//! keyed by a SHA-256 of the cookie value and carry the user id, so every session of a user can
//! be ended server-side. Idle and absolute expiry are checked on every load.

use rusqlite::{params, Connection, OptionalExtension};

use super::AccountError;

/// A stored session: its JSON entries and when it was last seen.
pub struct StoredSession {
    pub data: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// The session if it exists and has not expired (idle or absolute).
pub fn load(
    conn: &Connection,
    id_hash: &str,
    now: i64,
    idle_seconds: i64,
) -> Result<Option<StoredSession>, AccountError> {
    Ok(conn
        .prepare_cached(
            "SELECT data, last_seen_at, expires_at FROM sessions \
             WHERE id_hash = ?1 AND expires_at > ?2 AND last_seen_at > ?2 - ?3",
        )?
        .query_row(params![id_hash, now, idle_seconds], |r| {
            Ok(StoredSession {
                data: r.get(0)?,
                last_seen_at: r.get(1)?,
                expires_at: r.get(2)?,
            })
        })
        .optional()?)
}

/// Inserts or replaces a session's data; a new row expires `absolute_seconds` from now, an
/// existing one keeps its expiry.
pub fn save(
    conn: &Connection,
    id_hash: &str,
    user_id: Option<i64>,
    data: &str,
    now: i64,
    absolute_seconds: i64,
) -> Result<(), AccountError> {
    conn.prepare_cached(
        "INSERT INTO sessions (id_hash, user_id, data, created_at, last_seen_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?4, ?4 + ?5) \
         ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
         last_seen_at = excluded.last_seen_at",
    )?
    .execute(params![id_hash, user_id, data, now, absolute_seconds])?;
    Ok(())
}

pub fn touch(conn: &Connection, id_hash: &str, now: i64) -> Result<(), AccountError> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1")?
        .execute(params![id_hash, now])?;
    Ok(())
}

pub fn delete(conn: &Connection, id_hash: &str) -> Result<(), AccountError> {
    conn.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

/// Ends every session of a user (password change or reset, deactivation, "log out everywhere").
pub fn delete_for_user(conn: &Connection, user_id: i64) -> Result<usize, AccountError> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
        .execute([user_id])?)
}

pub fn count_for_user(conn: &Connection, user_id: i64, now: i64) -> Result<i64, AccountError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM sessions WHERE user_id = ?1 AND expires_at > ?2")?
        .query_row(params![user_id, now], |r| r.get(0))?)
}

/// Deletes expired sessions; returns how many.
pub fn purge_expired(
    conn: &Connection,
    now: i64,
    idle_seconds: i64,
) -> Result<usize, AccountError> {
    Ok(conn
        .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2")?
        .execute(params![now, idle_seconds])?)
}
