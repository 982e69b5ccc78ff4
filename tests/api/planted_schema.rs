//! Planted schema objects (issue 12, low): `restore` refuses a backup holding a trigger, view,
//! table or index the migrations did not create (compared with a freshly migrated schema of the
//! same version), and `loaddata` refuses to load into a database holding one; both change
//! nothing. A clean backup still restores.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_hancup");

fn hancup(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HANCUP_LOG__LEVEL", "warn");
    cmd.output().expect("run hancup")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn count(db: &Path, table: &str) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

const PLANTS: [(&str, &str); 4] = [
    (
        "trigger steal",
        "CREATE TABLE loot (h TEXT); CREATE TRIGGER steal AFTER UPDATE ON users \
         BEGIN INSERT INTO loot VALUES (NEW.password_hash); END;",
    ),
    (
        "view peek",
        "CREATE VIEW peek AS SELECT email, password_hash FROM users;",
    ),
    ("table loot", "CREATE TABLE loot (h TEXT);"),
    (
        "index sneaky",
        "CREATE INDEX sneaky ON users (password_hash);",
    ),
];

#[test]
fn restore_refuses_a_backup_with_planted_schema_objects_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let seed = [
        "seed",
        "--courses",
        "3",
        "--users",
        "4",
        "--enrollments",
        "2",
    ];
    assert!(hancup(d, &seed).status.success());
    assert!(hancup(d, &["backup", "clean.db"]).status.success());
    let live = d.join("data/hancup.db");
    Connection::open(&live)
        .unwrap()
        .execute_batch("DELETE FROM enrollments")
        .unwrap();
    for (i, (object, sql)) in PLANTS.iter().enumerate() {
        let planted = d.join(format!("planted-{i}.db"));
        std::fs::copy(d.join("clean.db"), &planted).unwrap();
        Connection::open(&planted)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        let out = hancup(d, &["restore", planted.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{object}: {}", text(&out));
        assert!(
            text(&out).contains("schema objects the migrations did not create")
                && text(&out).contains(object),
            "{object}: {}",
            text(&out)
        );
        assert_eq!(count(&live, "enrollments"), 0, "nothing changed");
    }
    let out = hancup(d, &["restore", "clean.db"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(count(&live, "enrollments") > 0);
}

#[test]
fn loaddata_refuses_a_database_with_a_planted_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let seed = [
        "seed",
        "--courses",
        "2",
        "--users",
        "3",
        "--enrollments",
        "1",
    ];
    assert!(hancup(d, &seed).status.success());
    assert!(hancup(d, &["dumpdata", "-o", "dump.json"]).status.success());
    let live = d.join("data/hancup.db");
    Connection::open(&live)
        .unwrap()
        .execute_batch(&format!("DELETE FROM enrollments; {}", PLANTS[0].1))
        .unwrap();
    let out = hancup(d, &["loaddata", "dump.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("trigger steal"), "{}", text(&out));
    assert_eq!(count(&live, "enrollments"), 0, "nothing changed");
}
