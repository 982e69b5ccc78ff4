//! Living beside Litestream (issue 14): its bookkeeping tables (`_litestream_seq`,
//! `_litestream_lock`) never enter a fixture and never break a load; `restore` recognises a
//! replicated database (its tables, its directory, or `backup.replicated_by`) and refuses until
//! told Litestream is stopped, then says to run `litestream reset`; `check --deploy` accepts
//! replication instead of backups. The real Litestream run is `tests/litestream/run.sh`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_hancup");

fn hancup(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HANCUP_LOG__LEVEL", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run hancup")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// What `litestream replicate` creates in the database it watches.
fn add_litestream_tables(db: &Path) {
    Connection::open(db)
        .unwrap()
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER);
             CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER);
             INSERT OR REPLACE INTO _litestream_seq VALUES (1, 42);",
        )
        .unwrap();
}

fn enrollments(db: &Path) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM enrollments", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn fixtures_skip_litestream_tables_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = hancup(
        d,
        &[
            "seed",
            "--courses",
            "3",
            "--users",
            "4",
            "--enrollments",
            "2",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    add_litestream_tables(&d.join("data/hancup.db"));
    let out = hancup(d, &["dumpdata", "-o", "dump.json"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let dump = std::fs::read_to_string(d.join("dump.json")).unwrap();
    assert!(
        !dump.contains("_litestream"),
        "a dump holds no Litestream table"
    );
    // A dump made before (by hand here) that holds one still loads.
    let mut doc: serde_json::Value = serde_json::from_str(&dump).unwrap();
    doc["tables"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "table": "_litestream_seq", "columns": ["id", "seq"], "rows": [[1, 42]]
        }));
    std::fs::write(d.join("old.json"), doc.to_string()).unwrap();
    let out = hancup(d, &["loaddata", "old.json"], &[]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn restore_of_a_replicated_database_waits_for_litestream_to_be_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = d.join("data/hancup.db");
    let seed = [
        "seed",
        "--courses",
        "2",
        "--users",
        "3",
        "--enrollments",
        "1",
    ];
    assert!(hancup(d, &seed, &[]).status.success());
    assert!(hancup(d, &["backup", "before.db"], &[]).status.success());
    let in_backup = enrollments(&db);
    add_litestream_tables(&db);
    Connection::open(&db)
        .unwrap()
        .execute_batch("DELETE FROM enrollments")
        .unwrap();
    let before = enrollments(&db);
    assert!(in_backup > before);

    let refused = hancup(d, &["restore", "before.db"], &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let t = text(&refused);
    for expect in [
        "Litestream replicates",
        "_litestream_lock, _litestream_seq",
        "stop Litestream",
        "--litestream-stopped",
        "litestream reset",
    ] {
        assert!(t.contains(expect), "{expect}: {t}");
    }
    assert_eq!(
        enrollments(&db),
        before,
        "a refused restore changes nothing"
    );

    let done = hancup(d, &["restore", "--litestream-stopped", "before.db"], &[]);
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("litestream reset"), "{}", text(&done));
    assert_eq!(enrollments(&db), in_backup);
    let strays: Vec<_> = std::fs::read_dir(d.join("data"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("restore-partial"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");

    // Configured rather than detected: a fresh database without the tables.
    let other = tempfile::tempdir().unwrap();
    assert!(hancup(other.path(), &["migrate"], &[]).status.success());
    assert!(hancup(other.path(), &["backup", "b.db"], &[])
        .status
        .success());
    let configured = [("HANCUP_BACKUP__REPLICATED_BY", "litestream")];
    let refused = hancup(other.path(), &["restore", "b.db"], &configured);
    assert!(
        text(&refused).contains("backup.replicated_by"),
        "{}",
        text(&refused)
    );
}

#[test]
fn check_deploy_accepts_litestream_instead_of_backups() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(hancup(d, &["migrate"], &[]).status.success());
    let off = hancup(d, &["check", "--deploy"], &[]);
    assert!(text(&off).contains("backups are off"), "{}", text(&off));

    let configured = hancup(
        d,
        &["check", "--deploy"],
        &[("HANCUP_BACKUP__REPLICATED_BY", "litestream")],
    );
    let t = text(&configured);
    assert!(!t.contains("backups are off"), "{t}");
    assert!(t.contains("replicated by Litestream"), "{t}");

    add_litestream_tables(&d.join("data/hancup.db"));
    let detected = text(&hancup(d, &["check", "--deploy"], &[]));
    assert!(!detected.contains("backups are off"), "{detected}");
    assert!(detected.contains("its tables"), "{detected}");

    let wrong = hancup(d, &["check"], &[("HANCUP_BACKUP__REPLICATED_BY", "litefs")]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong).contains("backup.replicated_by"),
        "{}",
        text(&wrong)
    );
}
