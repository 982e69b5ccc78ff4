//! Whole-file operations on SQLite databases: a consistent online copy (`VACUUM INTO`, one read
//! transaction, so writers keep going and the copy holds exactly the commits before it began) and
//! checking that a file is an intact SQLite database of a known schema. Callers decide where
//! files go (`ops::backup`); this module only speaks SQLite.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::DbError;

/// Writes a compacted, consistent copy of the database `conn` reads to `dest` (which must not
/// exist). Only reads the source: a full disk fails the copy, never the live database.
pub fn vacuum_into(conn: &Connection, dest: &Path) -> Result<(), DbError> {
    let dest = dest
        .to_str()
        .ok_or_else(|| DbError::Sqlite(rusqlite::Error::InvalidPath(dest.to_path_buf())))?;
    conn.execute("VACUUM INTO ?1", [dest])?;
    Ok(())
}

/// Why a file is not a usable database.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("cannot read {0}")]
    Unreadable(String),
    #[error("not an SQLite database (wrong header)")]
    NotSqlite,
    #[error("SQLite cannot open it: {0}")]
    Open(String),
    #[error("integrity_check failed: {0}")]
    Corrupt(String),
    #[error("it holds schema objects the migrations did not create: {0}")]
    Foreign(String),
}

/// Schema objects (tables, indexes, triggers, views) in `conn` that the migrations up to its
/// schema version did not create, or whose SQL differs from theirs — say, a planted trigger that
/// copies password hashes on every login. Litestream's `_litestream_*` tables are expected.
pub fn foreign_objects(conn: &Connection) -> Result<Vec<String>, DbError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let fresh = Connection::open_in_memory()?;
    crate::textsearch::register_sql_functions(&fresh)?;
    fresh.execute_batch("PRAGMA foreign_keys = ON")?;
    super::migrate::apply_up_to(&fresh, version)?;
    let objects = |c: &Connection| -> Result<Vec<(String, String, String)>, DbError> {
        Ok(c.prepare(
            "SELECT type, name, COALESCE(sql, '') FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?)
    };
    let expected: std::collections::BTreeSet<_> = objects(&fresh)?.into_iter().collect();
    Ok(objects(conn)?
        .into_iter()
        .filter(|o| !(o.0 == "table" && o.1.starts_with("_litestream_")))
        .filter(|o| !expected.contains(o))
        .map(|(kind, name, _)| format!("{kind} {name}"))
        .collect())
}

/// Checks `path` is an SQLite file that passes `integrity_check`; returns its schema version
/// (`PRAGMA user_version`). Opens it read-only and never changes it.
pub fn verify_file(path: &Path) -> Result<i64, FileProblem> {
    use std::io::Read;
    let mut header = [0u8; 16];
    match std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(FileProblem::NotSqlite)
        }
        Err(e) => return Err(FileProblem::Unreadable(format!("{}: {e}", path.display()))),
    }
    if &header != b"SQLite format 3\0" {
        return Err(FileProblem::NotSqlite);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| FileProblem::Open(e.to_string()))?;
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| FileProblem::Corrupt(e.to_string()))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| FileProblem::Corrupt(e.to_string()))?;
    if rows.first().map(String::as_str) != Some("ok") {
        let mut shown: Vec<&str> = rows.iter().map(String::as_str).take(3).collect();
        if rows.len() > 3 {
            shown.push("…");
        }
        return Err(FileProblem::Corrupt(shown.join("; ")));
    }
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| FileProblem::Corrupt(e.to_string()))
}

/// `verify_file`, and refuses a file with schema objects the migrations did not create
/// (`foreign_objects`): what `restore` accepts.
pub fn verify_restorable(path: &Path) -> Result<i64, FileProblem> {
    let version = verify_file(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| FileProblem::Open(e.to_string()))?;
    let foreign = foreign_objects(&conn).map_err(|e| FileProblem::Open(e.to_string()))?;
    if !foreign.is_empty() {
        return Err(FileProblem::Foreign(foreign.join(", ")));
    }
    Ok(version)
}
