//! Login throttling: failed logins are counted per account and per client address; past the
//! limit each further failure locks that key out for twice as long as the last (from
//! `lockout_base_seconds` up to `lockout_max_seconds`). A success clears the account's count.
//! Counts older than an hour start again from zero. Checking and recording an attempt is one
//! step (`reserve`, in one write transaction), so parallel guesses cannot slip past a lock.

use rusqlite::{params, Connection, OptionalExtension};

use super::AccountError;
use crate::config::AuthConfig;

/// Failures older than this no longer count.
const WINDOW_SECONDS: i64 = 3600;

pub fn account_key(email: &str) -> String {
    format!("email:{}", email.to_lowercase())
}

pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// Seconds until the first locked key of `keys` opens again, if any is locked.
pub fn locked_for(conn: &Connection, keys: &[&str], now: i64) -> Result<Option<i64>, AccountError> {
    let mut longest = None;
    for key in keys {
        let until: Option<i64> = conn
            .prepare_cached("SELECT locked_until FROM login_failures WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if let Some(until) = until.filter(|u| *u > now) {
            longest = Some(longest.map_or(until - now, |l: i64| l.max(until - now)));
        }
    }
    Ok(longest)
}

/// Records one failure for `key`; returns the lockout in seconds when this failure causes one.
pub fn record_failure(
    conn: &Connection,
    key: &str,
    limit: u64,
    cfg: &AuthConfig,
    now: i64,
) -> Result<Option<i64>, AccountError> {
    let failures: i64 = conn
        .prepare_cached(
            "INSERT INTO login_failures (key, failures, locked_until, updated_at) VALUES (?1, 1, 0, ?2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN updated_at < ?2 - ?3 THEN 1 ELSE failures + 1 END, \
               updated_at = ?2 \
             RETURNING failures",
        )?
        .query_row(params![key, now, WINDOW_SECONDS], |r| r.get(0))?;
    let over = failures - limit as i64;
    if over < 0 {
        return Ok(None);
    }
    let seconds = (cfg.lockout_base_seconds as i64)
        .saturating_mul(1i64 << over.min(30))
        .min(cfg.lockout_max_seconds as i64)
        .max(1);
    conn.prepare_cached("UPDATE login_failures SET locked_until = ?2 WHERE key = ?1")?
        .execute(params![key, now + seconds])?;
    Ok(Some(seconds))
}

/// One key's attempt counted in advance by `reserve`, so a success can give it back.
#[derive(Debug, Clone)]
pub struct Reservation {
    key: String,
    previous_until: i64,
    /// The lock this attempt set, if it was the one that crossed the limit.
    pub locked_until: Option<i64>,
}

/// The check-and-record of one login attempt, as one step inside the caller's write
/// transaction (`BEGIN IMMEDIATE`, so attempts are serialised): when any key is locked, the
/// seconds to wait; otherwise the attempt is counted as a failure on every key *before* the
/// password is checked. Parallel guesses therefore cannot all read "not locked": once a lock
/// has expired, the next attempt sets the next lock and every attempt behind it is refused —
/// exactly one is checked. A success (or an attempt that was never checked) calls `release`.
pub fn reserve(
    conn: &Connection,
    keys: &[(&str, u64)],
    cfg: &AuthConfig,
    now: i64,
) -> Result<Result<Vec<Reservation>, i64>, AccountError> {
    let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    if let Some(retry_after) = locked_for(conn, &names, now)? {
        return Ok(Err(retry_after));
    }
    let mut out = Vec::with_capacity(keys.len());
    for (key, limit) in keys {
        let previous_until: i64 = conn
            .prepare_cached("SELECT locked_until FROM login_failures WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let locked = record_failure(conn, key, *limit, cfg, now)?;
        out.push(Reservation {
            key: (*key).to_owned(),
            previous_until,
            locked_until: locked.map(|s| now + s),
        });
    }
    Ok(Ok(out))
}

/// Gives back attempts counted by `reserve`: one failure fewer, and the lock this attempt set
/// (if it still stands) back to what it was.
pub fn release(conn: &Connection, reserved: &[Reservation]) -> Result<(), AccountError> {
    for r in reserved {
        conn.prepare_cached(
            "UPDATE login_failures SET failures = MAX(failures - 1, 0), \
             locked_until = CASE WHEN ?2 IS NOT NULL AND locked_until = ?2 THEN ?3 ELSE locked_until END \
             WHERE key = ?1",
        )?
        .execute(params![r.key, r.locked_until, r.previous_until])?;
    }
    Ok(())
}

/// Reset mails asked for one address (whether or not it has an account, so the answer never
/// tells) and from one client address, per fixed one-hour window.
pub const RESET_PER_ACCOUNT: i64 = 3;
pub const RESET_PER_ADDRESS: i64 = 10;
const RESET_WINDOW_SECONDS: i64 = 3600;

pub fn reset_account_key(email: &str) -> String {
    format!("reset:email:{}", email.to_lowercase())
}

pub fn reset_address_key(addr: &str) -> String {
    format!("reset:addr:{addr}")
}

/// Counts one reset request on each `(key, limit)` in one step of the caller's write
/// transaction. A key's window (its end kept in `locked_until`) starts at its first request;
/// when any key is past its limit, the seconds until that window ends.
pub fn count_reset(
    conn: &Connection,
    keys: &[(&str, i64)],
    now: i64,
) -> Result<Option<i64>, AccountError> {
    let mut wait = None;
    for (key, limit) in keys {
        let (count, window_end): (i64, i64) = conn
            .prepare_cached(
                "INSERT INTO login_failures (key, failures, locked_until, updated_at) \
                 VALUES (?1, 1, ?2 + ?3, ?2) \
                 ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE WHEN locked_until <= ?2 THEN 1 ELSE failures + 1 END, \
                   locked_until = CASE WHEN locked_until <= ?2 THEN ?2 + ?3 ELSE locked_until END, \
                   updated_at = ?2 \
                 RETURNING failures, locked_until",
            )?
            .query_row(params![key, now, RESET_WINDOW_SECONDS], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        if count > *limit {
            let left = (window_end - now).max(1);
            wait = Some(wait.map_or(left, |w: i64| w.max(left)));
        }
    }
    Ok(wait)
}

pub fn clear(conn: &Connection, key: &str) -> Result<(), AccountError> {
    conn.prepare_cached("DELETE FROM login_failures WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

pub fn purge_stale(conn: &Connection, now: i64) -> Result<usize, AccountError> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM login_failures WHERE updated_at < ?1 - ?2 AND locked_until < ?1",
        )?
        .execute(params![now, WINDOW_SECONDS])?)
}
