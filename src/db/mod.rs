//! The one place that opens SQLite connections: the r2d2 pool, per-connection pragmas and SQL
//! functions, the single writer lock, and the write generation caches key on. Domain modules
//! run their SQL through `Db::read` / `Db::write`; nothing else calls `Connection::open`.
//! **Invariant:** a pooled connection lives only inside one synchronous closure, so it can never
//! be held across an `.await`.

pub mod errors;
pub mod files;
pub mod migrate;
pub mod snapshot;
pub mod stats;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::config::{DatabaseConfig, Synchronous};

/// Older SQLite has the WAL-reset bug that can lose commits under a pool of writers.
pub const MIN_SQLITE: (u32, u32, u32) = (3, 51, 3);

pub type Pool = r2d2::Pool<SqliteConnectionManager>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("SQLite {found} is older than the required {required}")]
    OldSqlite { found: String, required: String },
    #[error(
        "the database schema is version {found}, newer than this binary knows ({supported}); \
         run the newer hancup, or restore a backup made by this version"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: String,
        source: rusqlite::Error,
    },
    /// A bounded resource other than the database stayed busy (the password-hashing pool, a
    /// sign-in provider): nothing was done; like a locked database it is a 503 everywhere.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Join(String),
}

impl DbError {
    /// The database could not be had in time — another process (a CLI `loaddata`, a restore, a
    /// backup tool) holds the write lock past `database.busy_timeout_ms`, or every pooled
    /// connection stayed busy. Nothing was written; the same request may succeed in a moment, so
    /// every surface answers 503 with `Retry-After`, not 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            DbError::Pool(_) | DbError::Unavailable(_) => true,
            _ => false,
        }
    }
}

/// Seconds a client is told to wait after a 503 for an unavailable database.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// Whether a write can change what cached public answers show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visibility {
    Public,
    Private,
}

/// Shared handle to the database: cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    /// One logical writer: writers queue here instead of spinning on SQLITE_BUSY.
    writer: Arc<Mutex<()>>,
    /// Bumped after every committed write through this handle; caches key on it.
    generation: Arc<AtomicU64>,
    /// Bumped after every commit, private bookkeeping included: what the session memo keys on
    /// (a logout or a password change is a private write).
    commits: Arc<AtomicU64>,
    /// Time writers waited for `writer` (exported by `ops::metrics`).
    writer_wait: prometheus::Histogram,
    /// Slots for heavy reads (`database.heavy_reads`), and how many run now.
    heavy: Arc<tokio::sync::Semaphore>,
    heavy_running: Arc<AtomicU64>,
}

fn configure(conn: &mut Connection, cfg: &DatabaseConfig) -> rusqlite::Result<()> {
    let sync = match cfg.synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    // WAL lets readers run while one writer commits; foreign keys are off by default in SQLite.
    // The memory map lets big reads (admin lists over 100k rows) skip a read() and a copy per
    // page: 2.7x on the admin's enrollments list (docs/BENCHMARKS.md).
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA foreign_keys = ON;
         PRAGMA synchronous = {sync};
         PRAGMA temp_store = MEMORY;
         PRAGMA mmap_size = {};",
        cfg.mmap_size_mb << 20
    ))?;
    conn.busy_timeout(Duration::from_millis(cfg.busy_timeout_ms))?;
    conn.set_prepared_statement_cache_capacity(64);
    crate::textsearch::register_sql_functions(conn)?;
    stats::instrument(conn);
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database file and its pool, without migrating.
    pub fn open(cfg: &DatabaseConfig) -> Result<Db, DbError> {
        errors::install();
        check_sqlite_version()?;
        if let Some(dir) = cfg.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            files::create_private_dir(dir).map_err(|source| DbError::Directory {
                path: dir.display().to_string(),
                source,
            })?;
        }
        // Created 0600 before SQLite opens it; SQLite gives -wal and -shm the same mode.
        files::touch_private(&cfg.path).map_err(|source| DbError::Directory {
            path: cfg.path.display().to_string(),
            source,
        })?;
        let cfg_init = cfg.clone();
        let manager = SqliteConnectionManager::file(&cfg.path)
            .with_init(move |conn| configure(conn, &cfg_init));
        let pool = r2d2::Pool::builder()
            .max_size(cfg.pool_size as u32)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        Ok(Db {
            pool,
            writer: Arc::new(Mutex::new(())),
            generation: Arc::new(AtomicU64::new(1)),
            commits: Arc::new(AtomicU64::new(1)),
            writer_wait: prometheus::Histogram::with_opts(
                prometheus::HistogramOpts::new(
                    "db_writer_lock_wait_seconds",
                    "Time a write waited for the in-process writer lock.",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ]),
            )
            .expect("valid histogram"),
            heavy: Arc::new(tokio::sync::Semaphore::new(cfg.heavy_reads.max(1) as usize)),
            heavy_running: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Opens and brings the schema up to date; what `serve` and most commands use.
    pub fn open_and_migrate(cfg: &DatabaseConfig) -> Result<Db, DbError> {
        let db = Db::open(cfg)?;
        db.write(|tx| migrate::apply_pending(tx).map(|_| ()))?;
        Ok(db)
    }

    /// Runs read-only work on a pooled connection, on the calling thread. On a worker of the
    /// multi-threaded runtime the worker first hands its other tasks to a fresh thread
    /// (`block_in_place`), so reads never stall the executor: new connections are still accepted
    /// and answered (past `server.max_concurrent_requests`, with a 503 at once) while every
    /// admitted request is in SQLite.
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let work = || {
            let conn = self.pool.get().map_err(DbError::from)?;
            measured(|| f(&conn))
        };
        let on_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if on_worker {
            tokio::task::block_in_place(work)
        } else {
            work()
        }
    }

    /// A read that may take long (an admin change list over 100k rows, a search with many
    /// matches, a metrics scrape): it waits for one of `database.heavy_reads` slots, so heavy
    /// reads never take every core from the public pages, then runs as `read` does, off the
    /// async workers. The wait is inside the request, so the overload bound counts it.
    pub async fn read_heavy<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let _slot = self.heavy_slot().await;
        self.read(f)
    }

    /// `read_heavy` for a closure that owns its data, on tokio's blocking pool: what a caller
    /// uses that must not block the calling thread even on a single-threaded runtime.
    pub async fn read_heavy_blocking<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let slot = self.heavy_slot().await;
        let db = self.clone();
        let request = stats::current();
        let task = move || {
            let _slot = slot;
            let run = || -> Result<T, E> {
                let conn = db.pool.get().map_err(DbError::from)?;
                measured(|| f(&conn))
            };
            match request {
                Some(s) => stats::CURRENT.sync_scope(s, run),
                None => run(),
            }
        };
        tokio::task::spawn_blocking(task)
            .await
            .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }

    /// Streams what `f` produces from one heavy read (a CSV export): `f` runs on a blocking
    /// thread holding a heavy-read slot and a pooled connection, and hands chunks to its
    /// `ChunkSink`; at most `buffered` chunks wait for the client, so memory stays flat however
    /// many rows there are, and a slow client slows the read instead of growing a buffer. When
    /// the client goes away the sink says so and `f` should stop; when `f` fails, the stream
    /// ends with an error (the body is cut off, not completed).
    pub async fn stream_heavy<E>(
        &self,
        buffered: usize,
        f: impl FnOnce(&Connection, &mut ChunkSink) -> Result<(), E> + Send + 'static,
    ) -> tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>
    where
        E: From<DbError> + std::fmt::Display + Send + 'static,
    {
        let (tx, rx) = tokio::sync::mpsc::channel(buffered.max(1));
        let slot = self.heavy_slot().await;
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let mut sink = ChunkSink { tx };
            let result = db
                .pool
                .get()
                .map_err(|e| E::from(DbError::from(e)))
                .and_then(|conn| measured(|| f(&conn, &mut sink)));
            if let Err(e) = result {
                tracing::error!(error = %e, "streamed read failed");
                let _ = sink
                    .tx
                    .blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        });
        rx
    }

    async fn heavy_slot(&self) -> HeavySlot {
        let permit = self
            .heavy
            .clone()
            .acquire_owned()
            .await
            .expect("the heavy-read semaphore is never closed");
        self.heavy_running.fetch_add(1, Ordering::AcqRel);
        HeavySlot {
            _permit: permit,
            running: self.heavy_running.clone(),
        }
    }

    /// Heavy reads running now (metrics; tests).
    pub fn heavy_reads_running(&self) -> u64 {
        self.heavy_running.load(Ordering::Acquire)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction under the writer lock and commits when it
    /// returns `Ok`. Blocking: call it from a blocking thread (see `write_blocking`) or the CLI.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        self.write_with(Visibility::Public, f)
    }

    /// `write` for bookkeeping no public answer shows (sessions, API tokens, login throttling,
    /// last-login times): it commits without invalidating cached answers, so a login storm does
    /// not empty the catalog cache dozens of times a second.
    pub fn write_private<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        self.write_with(Visibility::Private, f)
    }

    fn write_with<T, E>(
        &self,
        visibility: Visibility,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        let waiting = std::time::Instant::now();
        let _writer = self.writer.lock();
        self.writer_wait.observe(waiting.elapsed().as_secs_f64());
        let result = measured(|| {
            // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
            // would fail with SQLITE_BUSY at its first write, ignoring the busy timeout.
            let counted = |e: rusqlite::Error| {
                errors::count_busy(&e);
                DbError::from(e)
            };
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(counted)?;
            let value = f(&tx)?;
            tx.commit().map_err(counted)?;
            Ok(value)
        });
        if result.is_ok() {
            self.commits.fetch_add(1, Ordering::Release);
            if visibility == Visibility::Public {
                self.generation.fetch_add(1, Ordering::Release);
            }
        }
        result
    }

    /// `write` on tokio's blocking pool, keeping the request's SQL statistics.
    pub async fn write_blocking<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.blocking(Visibility::Public, f).await
    }

    /// `write_private` on tokio's blocking pool.
    pub async fn write_private_blocking<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.blocking(Visibility::Private, f).await
    }

    async fn blocking<T, E>(
        &self,
        visibility: Visibility,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        let request = stats::current();
        let task = move || match request {
            Some(s) => stats::CURRENT.sync_scope(s, || db.write_with(visibility, f)),
            None => db.write_with(visibility, f),
        };
        tokio::task::spawn_blocking(task)
            .await
            .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }

    /// The writer-lock wait histogram, for the metrics registry.
    pub fn writer_wait(&self) -> prometheus::Histogram {
        self.writer_wait.clone()
    }

    /// Changes whenever a write through this handle commits.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Changes whenever any write through this handle commits, private ones included.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Pool statistics (connections, idle) for readiness and metrics.
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }
}

/// One heavy-read slot, held until the read is done.
struct HeavySlot {
    _permit: tokio::sync::OwnedSemaphorePermit,
    running: Arc<AtomicU64>,
}

impl Drop for HeavySlot {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Where a streamed heavy read puts its output (`Db::stream_heavy`).
pub struct ChunkSink {
    tx: tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>,
}

impl ChunkSink {
    /// Hands one chunk to the client, waiting while the buffer is full; `false` when the client
    /// is gone (stop reading).
    pub fn send(&mut self, chunk: bytes::Bytes) -> bool {
        self.tx.blocking_send(Ok(chunk)).is_ok()
    }
}

/// Runs `f` and charges its SQL statements to the current request, if any.
fn measured<T>(f: impl FnOnce() -> T) -> T {
    let request = stats::current();
    let capture = request.as_ref().is_some_and(|r| r.captures());
    let (s0, n0) = stats::thread_totals();
    let (value, statements) = stats::capturing(capture, f);
    let (s1, n1) = stats::thread_totals();
    if let Some(request) = request {
        request.add(s1 - s0, n1 - n0);
        request.record(statements);
    }
    value
}

/// The linked SQLite's version as (major, minor, patch).
pub fn sqlite_version() -> (u32, u32, u32) {
    let n = rusqlite::version_number() as u32;
    (n / 1_000_000, (n / 1000) % 1000, n % 1000)
}

fn check_sqlite_version() -> Result<(), DbError> {
    let found = sqlite_version();
    if found < MIN_SQLITE {
        return Err(DbError::OldSqlite {
            found: rusqlite::version().to_owned(),
            required: format!("{}.{}.{}", MIN_SQLITE.0, MIN_SQLITE.1, MIN_SQLITE.2),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_sqlite_is_new_enough() {
        assert!(super::sqlite_version() >= super::MIN_SQLITE);
        assert!(super::check_sqlite_version().is_ok());
    }
}
