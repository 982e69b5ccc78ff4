//! Query instrumentation: counts SQL statements and their time. SQLite reports each statement's
//! start and finish; the time between them (measured here: SQLite's own profile time has only
//! millisecond resolution) goes to a per-thread tally; `Db` turns the tally into per-call figures and adds them to
//! the current request's `RequestStats`. Only a request created with `RequestStats::capturing`
//! (debug mode) also keeps each statement's text and duration, for the debug toolbar; otherwise
//! no SQL text is copied.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::Connection;

thread_local! {
    static STATEMENTS: Cell<u64> = const { Cell::new(0) };
    static NANOS: Cell<u64> = const { Cell::new(0) };
    /// Statements of the current call, kept only while a capturing request runs SQL here.
    static CAPTURED: RefCell<Option<Vec<Statement>>> = const { RefCell::new(None) };
    /// Statements running on this thread (keyed by their SQL text's address) and their start.
    static RUNNING: RefCell<Vec<(usize, Instant)>> = const { RefCell::new(Vec::new()) };
}

/// Remembers when a statement started; SQLite calls again for each trigger program it runs.
fn started(key: usize) {
    RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        if !r.iter().any(|(k, _)| *k == key) {
            // A statement dropped mid-way never reports its end; don't let such entries pile up.
            if r.len() >= 64 {
                r.clear();
            }
            r.push((key, Instant::now()));
        }
    });
}

/// How long the statement has run, if its start was seen.
fn finished(key: usize) -> Option<Duration> {
    RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        let i = r.iter().position(|(k, _)| *k == key)?;
        Some(r.swap_remove(i).1.elapsed())
    })
}

/// One SQL statement as SQLite reported it (text with `?` placeholders, never the values).
#[derive(Debug, Clone)]
pub struct Statement {
    pub sql: String,
    pub duration: Duration,
}

fn on_trace(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(stmt, _) = &event {
        // The statement's SQL text lives as long as the prepared statement: its address is
        // the statement's identity.
        started(stmt.sql().as_ptr() as usize);
        return;
    }
    if let TraceEvent::Profile(stmt, profiled) = event {
        let sql = stmt.sql();
        let took = finished(sql.as_ptr() as usize).unwrap_or(profiled);
        // SQLite reports the SQL a virtual table (FTS5) runs on its shadow tables too, often
        // late, when the cached statement is next reset. That SQL always names `'main'.` and
        // trigger programs have no text; neither is a statement our code issued.
        if sql.is_empty() || sql.contains("'main'.") {
            return;
        }
        STATEMENTS.with(|c| c.set(c.get() + 1));
        NANOS.with(|c| c.set(c.get() + took.as_nanos() as u64));
        CAPTURED.with(|c| {
            if let Some(list) = c.borrow_mut().as_mut() {
                list.push(Statement {
                    sql: sql.into_owned(),
                    duration: took,
                });
            }
        });
    }
}

/// Runs `f`, keeping the text of the statements it runs on this thread when `capture` is true.
pub(crate) fn capturing<T>(capture: bool, f: impl FnOnce() -> T) -> (T, Vec<Statement>) {
    if !capture {
        return (f(), Vec::new());
    }
    let outer = CAPTURED.with(|c| c.replace(Some(Vec::new())));
    let value = f();
    let list = CAPTURED.with(|c| c.replace(outer)).unwrap_or_default();
    (value, list)
}

/// Installs the profiling callback on a new connection.
pub fn instrument(conn: &Connection) {
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT | TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(on_trace),
    );
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
    /// `Some` only in debug mode: every statement's text and duration.
    captured: Option<parking_lot::Mutex<Vec<Statement>>>,
}

impl RequestStats {
    /// Stats that also keep each statement's text (debug mode only).
    pub fn capturing() -> RequestStats {
        RequestStats {
            captured: Some(parking_lot::Mutex::new(Vec::new())),
            ..RequestStats::default()
        }
    }
    pub fn captures(&self) -> bool {
        self.captured.is_some()
    }
    pub fn record(&self, list: Vec<Statement>) {
        if let Some(c) = &self.captured {
            c.lock().extend(list);
        }
    }
    /// The statements captured so far (empty unless capturing).
    pub fn statements_run(&self) -> Vec<Statement> {
        self.captured
            .as_ref()
            .map(|c| c.lock().clone())
            .unwrap_or_default()
    }
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
