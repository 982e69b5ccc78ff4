//! Database errors by kind, for the metrics (`hancup_db_errors_total{kind}`): SQLite's own error
//! log (`SQLITE_CONFIG_LOG`) reports every error any connection meets — a busy timeout that ran
//! out, a constraint, an I/O error, corruption, a full disk — whichever module ran the statement,
//! so the count needs no cooperation from the domain code; busy and locked, which SQLite returns
//! without logging, are counted where `Db` begins and commits a write. The log is process-wide and can only
//! be installed before SQLite initialises: `Db::open` installs it first thing (in `serve` and
//! every command that is the case; where something opened SQLite earlier the counts stay 0).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

/// The kinds counted, by SQLite primary result code.
pub const KINDS: [&str; 8] = [
    "busy",
    "locked",
    "constraint",
    "io",
    "corrupt",
    "full",
    "readonly",
    "other",
];

static COUNTS: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];
static INSTALL: Once = Once::new();

/// Installs the error log callback once per process (see the module doc).
pub fn install() {
    INSTALL.call_once(|| {
        // SAFETY: `record` makes no SQLite call and only touches atomics, so it is thread-safe
        // as config_log requires; a failure (SQLite already initialised) leaves counting off.
        let _ = unsafe { rusqlite::trace::config_log(Some(record)) };
    });
}

/// Counts a busy or locked error met by `Db` itself (beginning or committing a write): SQLite
/// returns those without logging them.
pub fn count_busy(error: &rusqlite::Error) {
    if let rusqlite::Error::SqliteFailure(e, _) = error {
        match e.extended_code & 0xff {
            5 => COUNTS[0].fetch_add(1, Ordering::Relaxed),
            6 => COUNTS[1].fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }
}

fn record(code: std::os::raw::c_int, _message: &str) {
    let kind = match code & 0xff {
        5 => 0,                        // SQLITE_BUSY
        6 => 1,                        // SQLITE_LOCKED
        19 => 2,                       // SQLITE_CONSTRAINT
        10 => 3,                       // SQLITE_IOERR
        11 | 26 => 4,                  // SQLITE_CORRUPT, SQLITE_NOTADB
        13 => 5,                       // SQLITE_FULL
        8 => 6,                        // SQLITE_READONLY
        27 | 28 | 100 | 101 => return, // notices, warnings, row, done: not errors
        _ => 7,
    };
    COUNTS[kind].fetch_add(1, Ordering::Relaxed);
}

/// Errors counted so far, by kind.
pub fn counts() -> impl Iterator<Item = (&'static str, u64)> {
    KINDS
        .iter()
        .zip(COUNTS.iter())
        .map(|(k, c)| (*k, c.load(Ordering::Relaxed)))
}
