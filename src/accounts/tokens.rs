//! API tokens with django-rest-knox semantics: one token per device, shown once at login, stored
//! only as a keyed hash (HMAC-SHA256 under the server key — fast enough to check on every
//! request, unlike a password hash), with an expiry; revoked one by one or all at once.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::keys::{random_token, rfc3339, SecretKey};
use super::users::{user_from_row, User, USER_COLUMNS};
use super::AccountError;

/// Characters of the token kept in clear so a user can tell their devices apart.
const PREFIX_CHARS: usize = 8;
pub const MAX_TOKEN_NAME_CHARS: usize = 200;
const PURPOSE: &str = "api-token";

/// A device's token as listed to its owner (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub prefix: String,
    pub name: String,
    pub created: String,
    pub expiry: String,
}

/// A token just issued: the only time its clear text exists.
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
    pub expiry: String,
}

pub fn issue(
    conn: &Connection,
    key: &SecretKey,
    user_id: i64,
    name: &str,
    now: i64,
    ttl_seconds: i64,
) -> Result<IssuedToken, AccountError> {
    let token = random_token(32);
    let name: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TOKEN_NAME_CHARS)
        .collect();
    conn.prepare_cached(
        "INSERT INTO api_tokens (user_id, token_hash, token_prefix, name, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        user_id,
        key.sign(PURPOSE, &token),
        &token[..PREFIX_CHARS],
        name,
        now,
        now + ttl_seconds
    ])?;
    Ok(IssuedToken {
        id: conn.last_insert_rowid(),
        token,
        expiry: rfc3339(now + ttl_seconds),
    })
}

/// The active user owning an unexpired token, with the token's id.
pub fn authenticate(
    conn: &Connection,
    key: &SecretKey,
    token: &str,
    now: i64,
) -> Result<Option<(User, i64)>, AccountError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, t.id FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ?1 AND t.expires_at > ?2 AND u.is_active = 1"
        ))?
        .query_row(params![key.sign(PURPOSE, token), now], |r| {
            Ok((user_from_row(r, 0)?, r.get(8)?))
        })
        .optional()?)
}

pub fn list(conn: &Connection, user_id: i64, now: i64) -> Result<Vec<TokenInfo>, AccountError> {
    let rows = conn
        .prepare_cached(
            "SELECT id, token_prefix, name, created_at, expires_at FROM api_tokens \
             WHERE user_id = ?1 AND expires_at > ?2 ORDER BY id DESC",
        )?
        .query_map(params![user_id, now], |r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                prefix: r.get(1)?,
                name: r.get(2)?,
                created: rfc3339(r.get(3)?),
                expiry: rfc3339(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Revokes one of the user's tokens; `false` when the user has no such token.
pub fn revoke(conn: &Connection, user_id: i64, token_id: i64) -> Result<bool, AccountError> {
    Ok(conn
        .prepare_cached("DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2")?
        .execute(params![token_id, user_id])?
        > 0)
}

pub fn revoke_all(conn: &Connection, user_id: i64) -> Result<usize, AccountError> {
    Ok(conn
        .prepare_cached("DELETE FROM api_tokens WHERE user_id = ?1")?
        .execute([user_id])?)
}

pub fn count_for_user(conn: &Connection, user_id: i64, now: i64) -> Result<i64, AccountError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM api_tokens WHERE user_id = ?1 AND expires_at > ?2")?
        .query_row(params![user_id, now], |r| r.get(0))?)
}

pub fn purge_expired(conn: &Connection, now: i64) -> Result<usize, AccountError> {
    Ok(conn
        .prepare_cached("DELETE FROM api_tokens WHERE expires_at <= ?1")?
        .execute([now])?)
}
