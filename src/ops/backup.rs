//! Backups and restore. `backup` writes a consistent online copy (`VACUUM INTO` under a read
//! transaction, while the server keeps serving) to a hidden partial file, checks it with
//! `integrity_check`, then renames it into place — a failed or full-disk backup leaves no file
//! and never touches the live database. The server takes one every `backup.interval_minutes`
//! into `backup.dir`, keeping `backup.keep`. `restore` replaces the database file with a checked
//! backup, refusing while a server holds the serve lock, and keeps the previous file aside.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config::{BackupConfig, DatabaseConfig};
use crate::db::snapshot::{self, FileProblem};
use crate::db::{files, migrate, Db, DbError};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; choose a new file name")]
    Exists(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the copy failed ({0}); nothing was written")]
    Copy(DbError),
    #[error("the copy at {path} is unusable ({problem}); it was removed")]
    BadCopy { path: String, problem: FileProblem },
    #[error("no database at {0}")]
    NoDatabase(String),
    #[error("{path} cannot be restored: {problem}")]
    BadSource { path: String, problem: FileProblem },
    #[error(
        "{path} has schema version {found}, newer than this binary ({supported}); \
         restore it with the newer hancup"
    )]
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error(
        "a hancup server is running on {0}; stop it (every process) before restoring, \
         or take a backup instead"
    )]
    ServerRunning(String),
    #[error("a restore is in progress on {0}")]
    RestoreRunning(String),
    #[error("lock file {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// What a finished backup wrote.
#[derive(Debug, Clone)]
pub struct BackupFile {
    pub path: PathBuf,
    pub bytes: u64,
    pub modified: SystemTime,
}

/// `hancup-20260101T120000Z.db`: names sort by time.
const PREFIX: &str = "hancup-";

fn stamp() -> String {
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::now_utc()
        .format(f)
        .unwrap_or_else(|_| "unknown".into())
}

/// A fresh file name for a backup in `dir`.
pub fn default_path(dir: &Path) -> PathBuf {
    let base = format!("{PREFIX}{}", stamp());
    let mut path = dir.join(format!("{base}.db"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{base}-{n}.db"));
    }
    path
}

/// The backups hancup wrote in `dir`, oldest first.
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<BackupFile> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(PREFIX) && name.ends_with(".db")
        })
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some(BackupFile {
                path: e.path(),
                bytes: meta.len(),
                modified: meta.modified().ok()?,
            })
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The newest backup in `dir`, for metrics and `check --deploy`.
pub fn newest(dir: &Path) -> Option<BackupFile> {
    list(dir).into_iter().max_by_key(|b| b.modified)
}

/// Takes a consistent copy of `db` at `dest`, verified. Blocking: CLI or a blocking thread.
pub fn backup(db: &Db, dest: &Path) -> Result<BackupFile, BackupError> {
    if dest.exists() {
        return Err(BackupError::Exists(dest.display().to_string()));
    }
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    files::create_private_dir(dir).map_err(write_err(dir))?;
    let partial = partial_path(dest);
    let _ = std::fs::remove_file(&partial);
    // Probe first: SQLite's own message for an unwritable place is only "unable to open".
    // It stays, empty and 0600, for VACUUM INTO to fill (SQLite accepts an empty target).
    files::create_private_file(&partial).map_err(write_err(&partial))?;
    if let Err(e) = db.read(|c| snapshot::vacuum_into(c, &partial)) {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Copy(e));
    }
    let verified = snapshot::verify_file(&partial);
    remove_sidecars(&partial);
    if let Err(problem) = verified {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::BadCopy {
            path: dest.display().to_string(),
            problem,
        });
    }
    files::make_private(&partial).map_err(write_err(&partial))?;
    File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(write_err(&partial))?;
    std::fs::rename(&partial, dest).map_err(write_err(dest))?;
    sync_dir(dir);
    let meta = std::fs::metadata(dest).map_err(write_err(dest))?;
    Ok(BackupFile {
        path: dest.to_path_buf(),
        bytes: meta.len(),
        modified: meta.modified().unwrap_or_else(|_| SystemTime::now()),
    })
}

/// Deletes all but the newest `keep` backups in `dir`; returns how many went.
pub fn prune(dir: &Path, keep: usize) -> usize {
    let files = list(dir);
    let excess = files.len().saturating_sub(keep);
    files
        .iter()
        .take(excess)
        .filter(|f| std::fs::remove_file(&f.path).is_ok())
        .count()
}

/// Makes a rename durable (best effort: not every platform can open a directory).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Takes a scheduled backup every `backup.interval_minutes` (none when 0). The first comes at
/// start when the newest backup is older than the interval.
pub fn spawn_schedule(db: Db, cfg: BackupConfig) {
    let minutes = cfg.interval_minutes;
    if minutes == 0 {
        return;
    }
    let every = Duration::from_secs(minutes * 60);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut first = true;
        loop {
            tick.tick().await;
            let dir = cfg.dir.clone();
            if std::mem::take(&mut first) {
                let fresh =
                    newest(&dir).is_some_and(|b| b.modified.elapsed().unwrap_or_default() < every);
                if fresh {
                    continue;
                }
            }
            let (db, keep) = (db.clone(), cfg.keep as usize);
            let task = move || {
                let done = backup(&db, &default_path(&dir));
                (done, prune(&dir, keep))
            };
            match tokio::task::spawn_blocking(task).await {
                Ok((Ok(b), pruned)) => tracing::info!(
                    path = %b.path.display(), bytes = b.bytes, pruned, "scheduled backup written"
                ),
                Ok((Err(e), _)) => tracing::error!(error = %e, "scheduled backup failed"),
                Err(e) => tracing::error!(error = %e, "scheduled backup task failed"),
            }
        }
    });
}

/// `<db>.lock`: every serving process holds it shared; `restore` needs it exclusively.
fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Where a backup to `dest` is written before it is verified and renamed: `.NAME.partial`
/// beside it (the CLI's progress bar follows it).
pub fn partial_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup.db".into());
    dest.with_file_name(format!(".{name}.partial"))
}

/// Where `restore` copies the backup before swapping it in (the CLI's progress bar follows it).
pub fn restore_partial_path(live: &Path) -> PathBuf {
    with_suffix(live, ".restore-partial")
}

/// What shows that Litestream replicates the database at `db`: the configuration
/// (`backup.replicated_by = "litestream"`), its directory beside the file (`.NAME-litestream`),
/// or its tables in the file (`_litestream_seq`, `_litestream_lock`). Empty when none does.
pub fn litestream_signs(db: &Path, configured: bool) -> Vec<String> {
    let mut signs = Vec::new();
    if configured {
        signs.push("backup.replicated_by = \"litestream\"".to_owned());
    }
    if let Some(name) = db.file_name() {
        let dir = db.with_file_name(format!(".{}-litestream", name.to_string_lossy()));
        if dir.is_dir() {
            signs.push(format!("its directory {}", dir.display()));
        }
    }
    if db.exists() {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
        let tables: Vec<String> = rusqlite::Connection::open_with_flags(db, flags)
            .and_then(|c| {
                c.prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name LIKE '\\_litestream\\_%' ESCAPE '\\' ORDER BY name",
                )?
                .query_map([], |r| r.get(0))?
                .collect()
            })
            .unwrap_or_default();
        if !tables.is_empty() {
            signs.push(format!("its tables {}", tables.join(", ")));
        }
    }
    signs
}

/// Removes the `-wal` and `-shm` SQLite may leave beside a file it opened to verify (both are
/// empty once the verifying connection has closed).
fn remove_sidecars(path: &Path) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

/// Held by a serving process for its lifetime, so `restore` can tell it is running.
pub struct ServeLock(#[allow(dead_code)] File);

fn open_lock(db: &Path) -> Result<File, BackupError> {
    let path = lock_path(db);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = files::create_private_dir(dir);
    }
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| BackupError::Lock {
            path: path.display().to_string(),
            source,
        })
}

impl ServeLock {
    /// Shared: any number of servers (old and new during an upgrade) may hold it at once.
    pub fn acquire(db: &Path) -> Result<ServeLock, BackupError> {
        let file = open_lock(db)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(ServeLock(file)),
            Err(TryLockError::WouldBlock) => {
                Err(BackupError::RestoreRunning(db.display().to_string()))
            }
            Err(TryLockError::Error(source)) => Err(BackupError::Lock {
                path: lock_path(db).display().to_string(),
                source,
            }),
        }
    }
}

/// What `restore` did.
#[derive(Debug)]
pub struct Restored {
    pub schema_version: i64,
    /// Where the replaced database now lies, if there was one.
    pub kept_aside: Option<PathBuf>,
}

/// `path` with `suffix` appended to its file name (`hancup.db` → `hancup.db-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Replaces the database file with the backup at `source` (see the module doc).
pub fn restore(cfg: &DatabaseConfig, source: &Path) -> Result<Restored, BackupError> {
    let bad = |problem| BackupError::BadSource {
        path: source.display().to_string(),
        problem,
    };
    let version = snapshot::verify_file(source).map_err(bad)?;
    if version <= migrate::latest_version() {
        snapshot::verify_restorable(source).map_err(|problem| BackupError::BadSource {
            path: source.display().to_string(),
            problem,
        })?;
    }
    if version > migrate::latest_version() {
        return Err(BackupError::TooNew {
            path: source.display().to_string(),
            found: version,
            supported: migrate::latest_version(),
        });
    }
    let live = &cfg.path;
    let lock = open_lock(live)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(BackupError::ServerRunning(live.display().to_string()))
        }
        Err(TryLockError::Error(source)) => {
            return Err(BackupError::Lock {
                path: lock_path(live).display().to_string(),
                source,
            })
        }
    }
    let partial = restore_partial_path(live);
    let _ = std::fs::remove_file(&partial);
    // Copied into a new 0600 file: the backup's own mode is never carried over.
    let copied = files::create_private_file(&partial)
        .and_then(|mut to| {
            std::io::copy(&mut File::open(source)?, &mut to)?;
            to.sync_all()
        })
        .map_err(write_err(&partial));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let verified = snapshot::verify_file(&partial);
    // Opening it to verify may leave an (empty) -wal and -shm beside it: never strays.
    remove_sidecars(&partial);
    if let Err(problem) = verified {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::BadCopy {
            path: partial.display().to_string(),
            problem,
        });
    }
    let kept_aside = if live.exists() {
        let aside = with_suffix(live, &format!(".before-restore-{}", stamp()));
        std::fs::rename(live, &aside).map_err(write_err(live))?;
        // The WAL belongs to the old file: it moves with it, and must never meet the new one.
        let wal = with_suffix(live, "-wal");
        if wal.exists() {
            std::fs::rename(&wal, with_suffix(&aside, "-wal")).map_err(write_err(&wal))?;
        }
        let _ = std::fs::remove_file(with_suffix(live, "-shm"));
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&partial, live).map_err(write_err(live))?;
    if let Some(dir) = live.parent().filter(|d| !d.as_os_str().is_empty()) {
        sync_dir(dir);
    }
    drop(lock);
    Ok(Restored {
        schema_version: version,
        kept_aside,
    })
}

/// The live database must exist before it can be backed up (opening it would create it).
pub fn require_database(cfg: &DatabaseConfig) -> Result<(), BackupError> {
    if cfg.path.exists() {
        Ok(())
    } else {
        Err(BackupError::NoDatabase(cfg.path.display().to_string()))
    }
}
