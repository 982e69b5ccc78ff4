//! Query instrumentation: counts SQL statements and their time. SQLite reports each finished
//! statement to a per-thread tally; `Db` turns the tally into per-call figures and adds them to
//! the current request's `RequestStats`. It never sees SQL text beyond the callback.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::Connection;

thread_local! {
    static STATEMENTS: Cell<u64> = const { Cell::new(0) };
    static NANOS: Cell<u64> = const { Cell::new(0) };
}

fn on_trace(event: TraceEvent<'_>) {
    if let TraceEvent::Profile(stmt, took) = event {
        // SQLite reports the SQL a virtual table (FTS5) runs on its shadow tables too, often
        // late, when the cached statement is next reset. That SQL always names `'main'.` and
        // trigger programs have no text; neither is a statement our code issued.
        let sql = stmt.sql();
        if sql.is_empty() || sql.contains("'main'.") {
            return;
        }
        STATEMENTS.with(|c| c.set(c.get() + 1));
        NANOS.with(|c| c.set(c.get() + took.as_nanos() as u64));
    }
}

/// Installs the profiling callback on a new connection.
pub fn instrument(conn: &Connection) {
    conn.trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(on_trace));
}

/// The calling thread's running totals (statements, nanoseconds).
pub(crate) fn thread_totals() -> (u64, u64) {
    (STATEMENTS.with(Cell::get), NANOS.with(Cell::get))
}

/// Statement count and SQL time for one request, shared with blocking tasks it spawns.
#[derive(Debug, Default)]
pub struct RequestStats {
    statements: AtomicU64,
    nanos: AtomicU64,
}

impl RequestStats {
    pub fn add(&self, statements: u64, nanos: u64) {
        self.statements.fetch_add(statements, Ordering::Relaxed);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
    }
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
    pub fn sql_time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

tokio::task_local! {
    /// Set by the request middleware for the duration of one request.
    pub static CURRENT: Arc<RequestStats>;
}

/// The current request's stats, when called inside one.
pub fn current() -> Option<Arc<RequestStats>> {
    CURRENT.try_with(Arc::clone).ok()
}
