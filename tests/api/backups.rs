//! Protecting the data: an online backup taken while a writer inserts holds every row committed
//! before it began and passes integrity_check; `backup`, `restore`, `dumpdata`, `loaddata` and
//! `check --deploy` through the real binary, with their faults (unwritable path, non-SQLite or
//! corrupt file, running server, unknown table, broken reference) changing nothing.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::helpers::spawn_app;

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

fn count(db: &Path, table: &str) -> i64 {
    Connection::open(db)
        .unwrap()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn a_backup_taken_under_writes_holds_every_earlier_commit() {
    let app = spawn_app().await;
    let db = app.db().clone();
    let committed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, committed, stop) = (db.clone(), committed.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                db.write(|tx| {
                    tx.execute(
                        "INSERT INTO categories (slug, name, name_en) VALUES (?1, ?1, ?1)",
                        [format!("c{n}")],
                    )
                    .map_err(hancup::db::DbError::from)
                })
                .unwrap();
                committed.store(n, Ordering::Release);
            }
        })
    };
    while committed.load(Ordering::Acquire) < 50 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("online.db");
    let before = committed.load(Ordering::Acquire);
    let (db2, dest2) = (db.clone(), dest.clone());
    let done = tokio::task::spawn_blocking(move || hancup::ops::backup::backup(&db2, &dest2))
        .await
        .unwrap()
        .expect("backup");
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(done.bytes > 0);
    let rows = count(&dest, "categories") as u64;
    assert!(
        rows >= before,
        "{rows} rows, {before} committed before the backup"
    );
    assert_eq!(
        hancup::db::snapshot::verify_file(&dest).unwrap(),
        hancup::db::migrate::latest_version()
    );
    assert!(
        !dir.path().join(".online.db.partial").exists(),
        "no partial file left"
    );
    let again = hancup::ops::backup::backup(&db, &dest).unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");
}

fn superuser(dir: &Path, email: &str, env: &[(&str, &str)]) {
    let args = [
        "createsuperuser",
        "--email",
        email,
        "--display-name",
        "운영자",
        "--no-input",
    ];
    let mut env = env.to_vec();
    env.push(("HANCUP_SUPERUSER_PASSWORD", "한컵 운영 비밀번호 2026"));
    let out = hancup(dir, &args, &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn backup_and_restore_through_the_cli_with_their_faults() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = d.join("data/hancup.db");
    let out = hancup(d, &["backup"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("no database"), "{}", text(&out));
    superuser(d, "one@hancup.kr", &[]);

    let out = hancup(d, &["backup"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("data/backups/hancup-"),
        "{}",
        text(&out)
    );
    let out = hancup(d, &["backup", "one.db"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = hancup(d, &["backup", "one.db"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("already exists"));
    std::fs::write(d.join("plain.txt"), "not a directory").unwrap();
    let out = hancup(d, &["backup", "plain.txt/x.db"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("cannot write"), "{}", text(&out));

    superuser(d, "two@hancup.kr", &[]);
    assert_eq!(count(&live, "users"), 2);
    let corrupt = d.join("corrupt.db");
    let mut bytes = std::fs::read(d.join("one.db")).unwrap();
    for b in bytes.iter_mut().skip(4096).take(8192) {
        *b = 0x5a;
    }
    std::fs::write(&corrupt, bytes).unwrap();
    for (file, expect) in [
        ("plain.txt", "not an SQLite database"),
        ("corrupt.db", "cannot be restored"),
        ("missing.db", "cannot read"),
    ] {
        let out = hancup(d, &["restore", file], &[]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(text(&out).contains(expect), "{file}: {}", text(&out));
        assert_eq!(count(&live, "users"), 2, "{file} changed nothing");
    }

    let out = hancup(d, &["restore", "one.db"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("before-restore-"), "{}", text(&out));
    assert_eq!(count(&live, "users"), 1, "the backup's data");
    let aside: Vec<_> = std::fs::read_dir(d.join("data"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.contains("before-restore-") && !name.ends_with("-wal")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(count(&aside[0], "users"), 2, "the replaced file kept aside");
    let check = hancup(d, &["check"], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
}

#[test]
fn restore_is_refused_while_a_server_runs_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    superuser(d, "one@hancup.kr", &[]);
    assert_eq!(hancup(d, &["backup", "one.db"], &[]).status.code(), Some(0));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(BIN)
        .current_dir(d)
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_LOG__LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = hancup(d, &["restore", "one.db"], &[]);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("server is running"), "{}", text(&out));
    let out = hancup(d, &["restore", "one.db"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "after it stopped: {}",
        text(&out)
    );
}

#[test]
fn dump_load_dump_is_byte_identical_and_bad_fixtures_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = [("HANCUP_DATABASE__PATH", "a.db")];
    let b = [("HANCUP_DATABASE__PATH", "b.db")];
    let seed = [
        "seed",
        "--courses",
        "12",
        "--users",
        "15",
        "--enrollments",
        "60",
        "--lessons-per-course",
        "2..4",
    ];
    assert_eq!(hancup(d, &seed, &a).status.code(), Some(0));
    superuser(d, "ops@hancup.kr", &a);
    let out = hancup(d, &["dumpdata", "-o", "a.json"], &a);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = hancup(d, &["loaddata", "a.json"], &b);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Loaded"), "{}", text(&out));
    let out = hancup(d, &["dumpdata", "-o", "b.json"], &b);
    assert_eq!(out.status.code(), Some(0));
    let (ja, jb) = (
        std::fs::read(d.join("a.json")).unwrap(),
        std::fs::read(d.join("b.json")).unwrap(),
    );
    assert!(ja.len() > 1000);
    assert!(ja == jb, "dump → load → dump differs");
    let check = hancup(d, &["check"], &b);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    // The search index was rebuilt by the triggers.
    let conn = Connection::open(d.join("b.db")).unwrap();
    let indexed: i64 = conn
        .query_row("SELECT COUNT(*) FROM course_search", [], |r| r.get(0))
        .unwrap_or(-1);
    assert!(indexed != 0, "search index filled");

    let one = hancup(d, &["dumpdata", "categories"], &a);
    assert_eq!(one.status.code(), Some(0));
    let one = String::from_utf8(one.stdout).unwrap();
    assert!(one.contains("\"table\": \"categories\"") && !one.contains("\"users\""));
    let out = hancup(d, &["dumpdata", "no_such_table"], &a);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("unknown table `no_such_table`"));

    let doc = String::from_utf8(ja).unwrap();
    let unknown = doc.replacen("\"table\": \"categories\"", "\"table\": \"nope\"", 1);
    // An enrollment whose user does not exist.
    let mut parsed: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let enrollments = parsed["tables"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["table"] == "enrollments")
        .unwrap();
    let user_col = enrollments["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "user_id")
        .unwrap();
    enrollments["rows"][0][user_col] = serde_json::json!(999999);
    let broken = parsed.to_string();
    std::fs::write(d.join("unknown.json"), unknown).unwrap();
    std::fs::write(d.join("broken.json"), broken).unwrap();
    std::fs::write(d.join("junk.json"), "{ not json").unwrap();
    let before = hancup(d, &["dumpdata"], &b).stdout;
    for (file, expect) in [
        ("unknown.json", "unknown table `nope`"),
        ("broken.json", "broken references"),
        ("junk.json", "not a hancup fixture"),
    ] {
        let out = hancup(d, &["loaddata", file], &b);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", text(&out));
        assert!(text(&out).contains(expect), "{file}: {}", text(&out));
        assert!(text(&out).contains("nothing changed"));
        assert!(
            hancup(d, &["dumpdata"], &b).stdout == before,
            "{file} changed data"
        );
    }
}

#[test]
fn check_deploy_names_each_problem_and_passes_once_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    superuser(d, "one@hancup.kr", &[]);
    use std::os::unix::fs::PermissionsExt;
    // As an operator's careless copy would leave it (hancup itself creates it 0600).
    let open = std::fs::Permissions::from_mode(0o644);
    std::fs::set_permissions(d.join("data/hancup.db"), open).unwrap();
    let out = hancup(
        d,
        &["check", "--deploy"],
        &[("HANCUP_SERVER__DEBUG", "true")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    for expect in [
        "ERROR   server.debug is on",
        "ERROR   backups are off",
        "ERROR   server.public_url and server.allowed_hosts are both empty",
        "open to other users",
        "mail.backend = \"log\"",
    ] {
        assert!(t.contains(expect), "{expect}: {t}");
    }
    let weak = hancup(
        d,
        &["check", "--deploy"],
        &[(
            "HANCUP_SERVER__SECRET_KEY",
            "change-me-change-me-change-me-change-me",
        )],
    );
    assert!(text(&weak).contains("placeholder"), "{}", text(&weak));

    let good = [
        ("HANCUP_SERVER__PUBLIC_URL", "https://hancup.example"),
        ("HANCUP_BACKUP__INTERVAL_MINUTES", "60"),
        ("HANCUP_MAIL__BACKEND", "smtp"),
        ("HANCUP_MAIL__SMTP_HOST", "localhost"),
    ];
    assert_eq!(hancup(d, &["backup"], &good).status.code(), Some(0));
    // As an operator would: `chmod 600 data/hancup.db*` (a -wal left by an earlier command
    // keeps the mode it was made with).
    for entry in std::fs::read_dir(d.join("data")).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("hancup.db") {
            let private = std::fs::Permissions::from_mode(0o600);
            std::fs::set_permissions(entry.path(), private).unwrap();
        }
    }
    let out = hancup(d, &["check", "--deploy"], &good);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("0 error(s)"));
}

#[test]
fn serve_refuses_debug_on_a_public_bind_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("HANCUP_SERVER__DEBUG", "true"),
        ("HANCUP_SERVER__BIND", "0.0.0.0:1"),
    ];
    let out = hancup(dir.path(), &["serve"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--force-debug"), "{}", text(&out));
    let out = hancup(dir.path(), &[], &env);
    assert_eq!(out.status.code(), Some(2), "bare hancup too");
    assert!(
        !dir.path().join("data/hancup.db").exists(),
        "refused before touching anything"
    );
}
