//! Versioned schema migrations. `schema.sql` is the ordered list of migrations, each starting
//! with a `-- migration: N name` line; `PRAGMA user_version` records how many are applied.
//! Pending ones run inside the caller's write transaction, so a failed upgrade changes nothing.
//! A database newer than this binary is refused rather than guessed at.

use rusqlite::Connection;

use super::DbError;

/// The schema, embedded so the binary needs no file beside it.
pub const SCHEMA_SQL: &str = include_str!("../../schema.sql");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: String,
    pub sql: String,
}

/// Splits `schema.sql` at its `-- migration:` markers. Panics on a malformed file, which a unit
/// test catches before any release.
pub fn migrations() -> Vec<Migration> {
    let mut out: Vec<Migration> = Vec::new();
    for line in SCHEMA_SQL.lines() {
        if let Some(rest) = line.strip_prefix("-- migration:") {
            let rest = rest.trim();
            let (num, name) = rest.split_once(' ').unwrap_or((rest, ""));
            let version: i64 = num.parse().expect("migration number");
            assert_eq!(
                version,
                out.len() as i64 + 1,
                "migrations must be numbered 1, 2, 3…"
            );
            out.push(Migration {
                version,
                name: name.trim().to_owned(),
                sql: String::new(),
            });
        } else if let Some(current) = out.last_mut() {
            current.sql.push_str(line);
            current.sql.push('\n');
        }
    }
    out
}

/// The schema version this binary brings a database to.
pub fn latest_version() -> i64 {
    migrations().len() as i64
}

pub fn current_version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Applies every migration above the database's version, up to `target`. Returns the versions
/// applied. The caller owns the transaction.
pub fn apply_up_to(conn: &Connection, target: i64) -> Result<Vec<i64>, DbError> {
    let found = current_version(conn)?;
    let supported = latest_version();
    if found > supported {
        return Err(DbError::TooNew { found, supported });
    }
    let mut applied = Vec::new();
    for m in migrations()
        .into_iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        conn.execute_batch(&m.sql)
            .and_then(|_| conn.pragma_update(None, "user_version", m.version))
            .map_err(|source| DbError::Migration {
                version: m.version,
                name: m.name.clone(),
                source,
            })?;
        tracing::info!(version = m.version, name = %m.name, "applied migration");
        applied.push(m.version);
    }
    Ok(applied)
}

pub fn apply_pending(conn: &Connection) -> Result<Vec<i64>, DbError> {
    apply_up_to(conn, latest_version())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_parses_into_numbered_migrations() {
        let all = migrations();
        assert!(!all.is_empty());
        for m in &all {
            assert!(!m.name.is_empty(), "migration {} has no name", m.version);
            assert!(m.sql.trim().len() > 10, "migration {} is empty", m.version);
        }
    }

    #[test]
    fn migrations_apply_to_an_empty_database() {
        let conn = Connection::open_in_memory().unwrap();
        crate::textsearch::register_sql_functions(&conn).unwrap();
        let applied = apply_pending(&conn).unwrap();
        assert_eq!(applied.len() as i64, latest_version());
        assert!(
            apply_pending(&conn).unwrap().is_empty(),
            "second run applies nothing"
        );
    }

    #[test]
    fn newer_database_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        let err = apply_pending(&conn).unwrap_err();
        assert!(matches!(err, DbError::TooNew { .. }));
        assert!(err.to_string().contains("newer than this binary"));
    }
}
