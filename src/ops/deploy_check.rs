//! `hancup check --deploy`: what to fix before (and while) running in production, one finding
//! per line, like Django's `check --deploy`. Errors make the command exit non-zero; warnings are
//! worth reading. It reads configuration, the database and the file system, and changes nothing.
//!
//! The secret key: an empty `server.secret_key` is fine on one machine — a random 256-bit key is
//! generated on first start and kept in the database (then it travels with backups). Set it when
//! several machines must share it; a set key must not be a placeholder or low-entropy text.

use std::path::Path;
use std::time::Duration;

use crate::config::{Config, MailBackend};
use crate::db::{migrate, Db, DbError};
use crate::ops::backup;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tag = match self.level {
            Level::Ok => "ok     ",
            Level::Warning => "WARNING",
            Level::Error => "ERROR  ",
        };
        write!(f, "{tag} {}", self.text)
    }
}

fn finding(level: Level, text: impl Into<String>) -> Finding {
    Finding {
        level,
        text: text.into(),
    }
}

/// Free space below this is an error; below ten times it a warning.
const MIN_FREE_BYTES: u64 = 512 << 20;

/// Runs every check. The database is opened only when it exists.
pub fn run(config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    settings(config, &mut out);
    hosts(config, &mut out);
    sign_in(config, &mut out);
    backups(config, &mut out);
    files(config, &mut out);
    if config.database.path.exists() {
        match database(config) {
            Ok(found) => out.extend(found),
            Err(e) => out.push(finding(Level::Error, format!("database: {e}"))),
        }
    } else {
        out.push(finding(
            Level::Error,
            format!(
                "no database at {}; run `hancup migrate` and `hancup createsuperuser`",
                config.database.path.display()
            ),
        ));
    }
    out
}

/// A secret that is a placeholder or has too little variety to be random.
pub fn weak_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let placeholder = [
        "change", "secret", "example", "default", "hancup", "password", "xxxx",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let distinct = key.chars().collect::<std::collections::BTreeSet<_>>().len();
    placeholder || distinct < 12
}

/// Where absolute links (reset mails) get their host: `server.public_url`, else the request's
/// Host among `server.allowed_hosts`; with neither set only loopback is answered.
fn hosts(c: &Config, out: &mut Vec<Finding>) {
    let s = &c.server;
    match (s.public_url.is_empty(), s.allowed_hosts.trim().is_empty()) {
        (true, true) => out.push(finding(
            Level::Error,
            "server.public_url and server.allowed_hosts are both empty: only loopback Host headers are answered (400 for others); set public_url (or allowed_hosts behind a proxy)",
        )),
        (true, false) => out.push(finding(
            Level::Warning,
            "server.public_url is empty: links take the request's Host (one of server.allowed_hosts), and cookies are sent without Secure",
        )),
        _ => {}
    }
}

/// Sign-in providers, CORS and the admin's second factor: a provider enabled without its keys
/// cannot work; one reached over plain http, or whose redirect URI would be built from the
/// request's Host or over http, leaks codes and tokens; provider keys come from configuration
/// and the environment only, never the database.
fn sign_in(c: &Config, out: &mut Vec<Finding>) {
    let providers = [
        (
            "kakao",
            c.kakao.enabled,
            c.kakao.client_id.as_str(),
            c.kakao.client_secret.as_str(),
            vec![
                &c.kakao.authorize_url,
                &c.kakao.token_url,
                &c.kakao.userinfo_url,
                &c.kakao.tokeninfo_url,
                &c.kakao.jwks_url,
            ],
        ),
        (
            "naver",
            c.naver.enabled,
            c.naver.client_id.as_str(),
            c.naver.client_secret.as_str(),
            vec![
                &c.naver.authorize_url,
                &c.naver.token_url,
                &c.naver.userinfo_url,
            ],
        ),
        (
            "google",
            c.google.enabled,
            c.google.client_id.as_str(),
            c.google.client_secret.as_str(),
            vec![
                &c.google.authorize_url,
                &c.google.token_url,
                &c.google.userinfo_url,
                &c.google.tokeninfo_url,
                &c.google.jwks_url,
            ],
        ),
    ];
    for (name, enabled, id, secret, urls) in providers {
        if !enabled {
            continue;
        }
        if id.is_empty() || secret.is_empty() {
            out.push(finding(
                Level::Error,
                format!("auth.providers.{name} is enabled without client_id and client_secret (set the secret as HANCUP_AUTH_PROVIDERS_{}__CLIENT_SECRET)", name.to_ascii_uppercase()),
            ));
        }
        if name == "kakao" && c.kakao.app_id.is_empty() {
            out.push(finding(
                Level::Warning,
                "auth.providers.kakao.app_id is empty: Kakao access tokens from the app (POST /api/v1/auth/social/kakao with access_token) are all refused",
            ));
        }
        for url in urls.iter().filter(|u| !u.starts_with("https://")) {
            out.push(finding(
                Level::Warning,
                format!("auth.providers.{name} endpoint {url} is not https: codes and tokens would cross the network in clear"),
            ));
        }
        if !c.server.public_url.starts_with("https://") {
            out.push(finding(
                Level::Warning,
                format!("auth.providers.{name} is enabled but server.public_url is not an https URL: the sign-in redirect URI is built from it (else from the request's Host) and must be https and registered with the provider"),
            ));
        }
    }
    for origin in crate::web::cors::parse_origins(&c.server.cors_origins).unwrap_or_default() {
        let local =
            origin.starts_with("http://localhost") || origin.starts_with("http://127.0.0.1");
        if origin.starts_with("http://") {
            out.push(finding(
                if local { Level::Warning } else { Level::Error },
                format!("server.cors_origins lists {origin}: a plain-http origin may call the API with visitors' credentials"),
            ));
        }
    }
    if c.auth.require_mfa_for == "none" {
        out.push(finding(
            Level::Warning,
            "auth.require_mfa_for = \"none\": superusers enter the admin with a password alone",
        ));
    }
}

fn settings(c: &Config, out: &mut Vec<Finding>) {
    let s = &c.server;
    if s.debug {
        out.push(finding(
            Level::Error,
            "server.debug is on: pages show SQL and users to everyone",
        ));
    }
    if !s.secret_key.is_empty() && weak_secret(&s.secret_key) {
        out.push(finding(
            Level::Error,
            "server.secret_key looks like a placeholder or low-entropy text; use 32+ random characters (or leave it empty on one machine)",
        ));
    }
    let local = s.bind.ip().is_loopback();
    if s.public_url.starts_with("http://") {
        out.push(finding(
            Level::Error,
            "server.public_url is http://: serve over https (a TLS proxy) so session cookies get Secure and the __Host- prefix",
        ));
    }
    if c.auth.trust_forwarded_for && !local {
        out.push(finding(
            Level::Warning,
            "auth.trust_forwarded_for with a public bind: clients can forge X-Forwarded-For to dodge login throttling; bind to loopback behind the proxy",
        ));
    }
    if !local && c.metrics.token.is_empty() {
        out.push(finding(
            Level::Warning,
            "server.bind is public and metrics.token is empty: /metrics answers loopback clients only",
        ));
    }
    if s.max_concurrent_requests == 0 {
        out.push(finding(
            Level::Warning,
            "server.max_concurrent_requests = 0: overload queues without bound",
        ));
    }
    match c.mail.backend {
        MailBackend::Memory => out.push(finding(
            Level::Error,
            "mail.backend = \"memory\" is for tests: no mail leaves the process",
        )),
        MailBackend::Log => out.push(finding(
            Level::Warning,
            "mail.backend = \"log\": password-reset mail is only written to the log",
        )),
        MailBackend::Smtp => {}
    }
}

fn backups(c: &Config, out: &mut Vec<Finding>) {
    let b = &c.backup;
    let newest = backup::newest(&b.dir);
    let litestream = backup::litestream_signs(&c.database.path, b.replicated_by == "litestream");
    if !litestream.is_empty() {
        // Continuous replication replaces scheduled backups (docs/DEPLOY.md).
        out.push(finding(
            Level::Ok,
            format!("replicated by Litestream ({})", litestream.join("; ")),
        ));
        return;
    }
    if b.interval_minutes == 0 {
        out.push(finding(
            Level::Error,
            "backups are off (backup.interval_minutes = 0); set it, or run `hancup backup` from cron into backup.dir",
        ));
    }
    // Stale: older than two intervals, or a day when backups come from elsewhere (cron).
    let limit = match b.interval_minutes {
        0 => Duration::from_secs(24 * 3600),
        m => Duration::from_secs(m * 60 * 2),
    };
    match newest {
        None => out.push(finding(
            Level::Warning,
            format!("no backup yet in {}", b.dir.display()),
        )),
        Some(f) => {
            let age = f.modified.elapsed().unwrap_or_default();
            if age > limit {
                out.push(finding(
                    Level::Error,
                    format!(
                        "the newest backup {} is {} h old",
                        f.path.display(),
                        age.as_secs() / 3600
                    ),
                ));
            } else {
                out.push(finding(
                    Level::Ok,
                    format!("newest backup {} ({} bytes)", f.path.display(), f.bytes),
                ));
            }
        }
    }
}

fn files(c: &Config, out: &mut Vec<Finding>) {
    let db = &c.database.path;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let db_dir = db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut paths = vec![
            db.clone(),
            with_suffix(db, "-wal"),
            with_suffix(db, "-shm"),
            db_dir.to_path_buf(),
            c.backup.dir.clone(),
        ];
        if let Ok(entries) = std::fs::read_dir(&c.backup.dir) {
            paths.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
        let mut private = 0;
        for path in paths {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            let fix = if meta.is_dir() {
                "chmod 700"
            } else {
                "chmod 600"
            };
            if mode & 0o077 != 0 {
                out.push(finding(
                    Level::Error,
                    format!(
                        "{} is open to other users (mode {mode:o}); {fix} it",
                        path.display()
                    ),
                ));
            } else {
                private += 1;
            }
        }
        out.push(finding(
            Level::Ok,
            format!("{private} database and backup files and directories are private"),
        ));
    }
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Some(free) = free_bytes(dir) {
        let mib = free >> 20;
        if free < MIN_FREE_BYTES {
            out.push(finding(
                Level::Error,
                format!("only {mib} MiB free beside the database"),
            ));
        } else if free < MIN_FREE_BYTES * 10 {
            out.push(finding(
                Level::Warning,
                format!("{mib} MiB free beside the database"),
            ));
        } else {
            out.push(finding(
                Level::Ok,
                format!("{mib} MiB free beside the database"),
            ));
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

/// Free bytes for unprivileged users on the file system holding `dir`.
#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a valid C string and `stat` a properly sized, writable statvfs.
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(not(unix))]
fn free_bytes(_: &Path) -> Option<u64> {
    None
}

fn database(c: &Config) -> Result<Vec<Finding>, DbError> {
    let db = Db::open(&c.database)?;
    let mut out = Vec::new();
    db.read(|conn| -> Result<(), DbError> {
        let version = migrate::current_version(conn)?;
        let latest = migrate::latest_version();
        if version < latest {
            out.push(finding(
                Level::Error,
                format!(
                    "{} pending migration(s): run `hancup migrate`",
                    latest - version
                ),
            ));
            return Ok(());
        }
        if version > latest {
            out.push(finding(
                Level::Error,
                "the database is newer than this binary",
            ));
            return Ok(());
        }
        let superusers: i64 = conn.query_row(
            "SELECT COUNT(*) FROM users WHERE is_superuser = 1 AND is_active = 1",
            [],
            |r| r.get(0),
        )?;
        if superusers == 0 {
            out.push(finding(
                Level::Error,
                "no active superuser: run `hancup createsuperuser`",
            ));
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod sign_in_tests {
    use super::*;

    fn config(env: &[(&str, &str)]) -> Config {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        crate::config::load(None, &env).unwrap().config
    }

    fn texts(c: &Config) -> Vec<String> {
        let mut out = Vec::new();
        sign_in(c, &mut out);
        out.into_iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn a_provider_over_http_or_without_https_public_url_is_warned_about() {
        let found = texts(&config(&[
            ("HANCUP_AUTH_PROVIDERS_GOOGLE__ENABLED", "true"),
            ("HANCUP_AUTH_PROVIDERS_GOOGLE__CLIENT_ID", "id"),
            ("HANCUP_AUTH_PROVIDERS_GOOGLE__CLIENT_SECRET", "secret"),
            (
                "HANCUP_AUTH_PROVIDERS_GOOGLE__TOKEN_URL",
                "http://oauth2.example/token",
            ),
        ]));
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("WARNING") && f.contains("http://oauth2.example/token")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.contains("server.public_url is not an https URL")),
            "{found:?}"
        );
        let fine = texts(&config(&[
            ("HANCUP_AUTH_PROVIDERS_GOOGLE__ENABLED", "true"),
            ("HANCUP_AUTH_PROVIDERS_GOOGLE__CLIENT_ID", "id"),
            ("HANCUP_AUTH_PROVIDERS_GOOGLE__CLIENT_SECRET", "secret"),
            ("HANCUP_SERVER__PUBLIC_URL", "https://hancup.example"),
        ]));
        assert!(fine.is_empty(), "{fine:?}");
    }

    #[test]
    fn a_provider_without_keys_is_an_error_and_no_mfa_a_warning() {
        let found = texts(&config(&[
            ("HANCUP_AUTH_PROVIDERS_NAVER__ENABLED", "true"),
            ("HANCUP_SERVER__PUBLIC_URL", "https://hancup.example"),
            ("HANCUP_AUTH__REQUIRE_MFA_FOR", "none"),
        ]));
        assert!(
            found.iter().any(|f| f.starts_with("ERROR")
                && f.contains("HANCUP_AUTH_PROVIDERS_NAVER__CLIENT_SECRET")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|f| f.contains("require_mfa_for")),
            "{found:?}"
        );
        assert!(
            texts(&config(&[])).is_empty(),
            "defaults: nothing enabled, MFA for superusers"
        );
    }
}
