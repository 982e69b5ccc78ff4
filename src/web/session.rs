//! poem's session storage over the SQLite pool: the cookie carries a 256-bit random id, the
//! database keeps only its SHA-256 (`accounts::sessions`). Loading enforces idle and absolute
//! expiry; the last-seen time is refreshed at most once a minute so reads stay reads. The
//! cookie is HttpOnly and SameSite=Lax, and `Secure` with the `__Host-` prefix under https.
//! Loaded sessions are remembered in memory (`Memo`) until the next commit through the server's
//! `Db` (any write, private bookkeeping included: a logout, a password change, a purge), at most
//! `cache.ttl_ms`, and never past their idle or absolute expiry or the once-a-minute touch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use poem::session::{CookieConfig, ServerSession, SessionStorage};
use poem::web::cookie::SameSite;
use serde_json::Value;

use crate::accounts::keys::{now, sha256_hex};
use crate::accounts::{sessions, AccountError};
use crate::config::Config;
use crate::db::Db;
use crate::web::cache::PartCache;

/// The session entry holding the logged-in user's id.
pub const USER_KEY: &str = "uid";
/// How stale `last_seen_at` may get before a request refreshes it.
const TOUCH_AFTER_SECONDS: i64 = 60;

/// Sessions remembered between commits, at most this many (when full, it starts over).
const MEMO_ENTRIES: usize = 20_000;

#[derive(Clone)]
pub struct SqliteSessions {
    db: Db,
    idle_seconds: i64,
    absolute_seconds: i64,
    /// Loaded sessions by id hash, valid for one `Db::commits` value.
    memo: Arc<PartCache<String, Arc<Remembered>>>,
}

/// A session as loaded from the database, with what decides whether it may still be used.
struct Remembered {
    entries: BTreeMap<String, Value>,
    last_seen_at: i64,
    expires_at: i64,
}

impl Remembered {
    /// Usable at `at` without the database: not expired (absolute or idle), and not due for
    /// its last-seen refresh, which goes through the database.
    fn usable(&self, at: i64, idle_seconds: i64) -> bool {
        let idle = at - self.last_seen_at;
        self.expires_at > at && idle < idle_seconds && idle <= TOUCH_AFTER_SECONDS
    }
}

impl SqliteSessions {
    pub fn new(db: Db, config: &Config) -> SqliteSessions {
        SqliteSessions {
            db,
            idle_seconds: config.session.idle_minutes as i64 * 60,
            absolute_seconds: config.session.absolute_hours as i64 * 3600,
            memo: Arc::new(PartCache::new(
                Duration::from_millis(config.cache.ttl_ms),
                MEMO_ENTRIES,
            )),
        }
    }
}

fn storage_error(e: AccountError) -> poem::Error {
    tracing::error!(error = %e, "session storage failed");
    poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
}

impl SessionStorage for SqliteSessions {
    async fn load_session<'a>(
        &'a self,
        session_id: &'a str,
    ) -> poem::Result<Option<BTreeMap<String, Value>>> {
        if session_id.len() > 128 {
            return Ok(None);
        }
        let hash = sha256_hex(session_id);
        let at = now();
        // Read before the database: a load that races a commit is stored under the older
        // count, which is already stale.
        let commits = self.db.commits();
        if let Some(known) = self.memo.get(&hash, commits) {
            if known.usable(at, self.idle_seconds) {
                return Ok(Some(known.entries.clone()));
            }
        }
        let found = self
            .db
            .read(|c| sessions::load(c, &hash, at, self.idle_seconds))
            .map_err(storage_error)?;
        let Some(found) = found else {
            return Ok(None);
        };
        if at - found.last_seen_at > TOUCH_AFTER_SECONDS {
            let hash = hash.clone();
            self.db
                .write_private_blocking(move |tx| sessions::touch(tx, &hash, at))
                .await
                .map_err(storage_error)?;
            // The touch was a commit: this load is remembered from the next request on.
            return Ok(serde_json::from_str(&found.data).ok());
        }
        let entries: Option<BTreeMap<String, Value>> = serde_json::from_str(&found.data).ok();
        if let Some(entries) = &entries {
            let known = Remembered {
                entries: entries.clone(),
                last_seen_at: found.last_seen_at,
                expires_at: found.expires_at,
            };
            self.memo.put(hash, commits, Arc::new(known));
        }
        Ok(entries)
    }

    async fn update_session<'a>(
        &'a self,
        session_id: &'a str,
        entries: &'a BTreeMap<String, Value>,
        _expires: Option<Duration>,
    ) -> poem::Result<()> {
        let hash = sha256_hex(session_id);
        let user_id = entries.get(USER_KEY).and_then(Value::as_i64);
        let data = serde_json::to_string(entries).unwrap_or_else(|_| "{}".into());
        let absolute = self.absolute_seconds;
        self.db
            .write_private_blocking(move |tx| {
                sessions::save(tx, &hash, user_id, &data, now(), absolute)
            })
            .await
            .map_err(storage_error)
    }

    async fn remove_session<'a>(&'a self, session_id: &'a str) -> poem::Result<()> {
        let hash = sha256_hex(session_id);
        self.db
            .write_private_blocking(move |tx| sessions::delete(tx, &hash))
            .await
            .map_err(storage_error)
    }
}

/// A cookie name that gets the `__Host-` prefix under https (Secure, no Domain, Path=/).
pub fn cookie_name(config: &Config, base: &str) -> String {
    if config.server.is_https() {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The session middleware with hancup's cookie settings.
pub fn middleware(db: Db, config: &Config) -> ServerSession<SqliteSessions> {
    let cookie = CookieConfig::new()
        .name(cookie_name(config, "hancup_session"))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.server.is_https())
        .max_age(Duration::from_secs(config.session.absolute_hours * 3600));
    ServerSession::new(cookie, SqliteSessions::new(db, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_session_expires_and_goes_back_for_its_touch() {
        let known = Remembered {
            entries: BTreeMap::new(),
            last_seen_at: 1_000,
            expires_at: 1_030,
        };
        assert!(known.usable(1_010, 3_600));
        assert!(!known.usable(1_030, 3_600), "absolute expiry");
        assert!(!known.usable(1_010, 10), "idle expiry");
        let long = Remembered {
            expires_at: 99_999,
            ..known
        };
        assert!(long.usable(1_000 + TOUCH_AFTER_SECONDS, 3_600));
        assert!(
            !long.usable(1_001 + TOUCH_AFTER_SECONDS, 3_600),
            "due for its last-seen refresh: through the database"
        );
    }
}
