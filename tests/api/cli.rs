//! The real `hancup` binary: configuration errors, migrate, check, createsuperuser, seed, the
//! default `serve` with its first-start database and graceful shutdown, and `--help` everywhere.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

#[test]
fn bad_configuration_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("HANCUP_SERVER__BIND", "not-an-address")], "server.bind"),
        (&[("HANCUP_SERVER__BIDN", "127.0.0.1:1")], "server.bidn"),
        (
            &[("HANCUP_DATABASE__POOL_SIZE", "many")],
            "database.pool_size",
        ),
        (
            &[("HANCUP_DATABASE__SYNCHRONOUS", "sometimes")],
            "database.synchronous",
        ),
        (&[("HANCUP_SERVER__DEBUG", "maybe")], "server.debug"),
        (
            &[("HANCUP_SERVER__PUBLIC_URL", "ftp://x")],
            "server.public_url",
        ),
    ];
    for (env, key) in cases {
        let out = hancup(dir.path(), &["check"], env);
        assert_eq!(out.status.code(), Some(2), "{env:?}: {}", text(&out));
        assert!(text(&out).contains(key), "{key} not named: {}", text(&out));
    }
    let file = dir.path().join("bad.toml");
    for (content, key) in [
        ("[server]\nbindd = \"127.0.0.1:1\"\n", "server.bindd"),
        ("[database]\npool_size = \"eight\"\n", "database.pool_size"),
        ("[nope]\nx = 1\n", "nope.x"),
        ("[server\n", "bad.toml"),
    ] {
        std::fs::write(&file, content).unwrap();
        let out = hancup(
            dir.path(),
            &["--config", file.to_str().unwrap(), "check"],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{content}: {}", text(&out));
        assert!(text(&out).contains(key), "{key}: {}", text(&out));
    }
    let out = hancup(
        dir.path(),
        &["serve"],
        &[("HANCUP_CONFIG", "/does/not/exist.toml")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("/does/not/exist.toml"));
}

#[test]
fn config_file_and_env_layer_over_defaults_and_check_names_sources() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.toml");
    std::fs::write(
        &file,
        "[server]\nbind = \"127.0.0.1:9001\"\n[database]\npool_size = 3\n",
    )
    .unwrap();
    let out = hancup(
        dir.path(),
        &["--config", file.to_str().unwrap(), "check"],
        &[("HANCUP_DATABASE__POOL_SIZE", "5")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    let line = |key: &str| {
        t.lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        line("server.bind").contains("9001") && line("server.bind").contains("site.toml"),
        "{t}"
    );
    assert!(
        line("database.pool_size").contains('5')
            && line("database.pool_size").contains("HANCUP_DATABASE__POOL_SIZE")
    );
    assert!(line("log.format").contains("default"));
}

#[test]
fn migrate_creates_the_database_and_refuses_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = hancup(dir.path(), &["migrate"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        dir.path().join("data/hancup.db").exists(),
        "default path relative to the working directory"
    );
    assert!(text(&out).contains("Applied migration 1"));
    let again = hancup(dir.path(), &["migrate"], &[]);
    assert!(text(&again).contains("No migrations to apply"));
    let check = hancup(dir.path(), &["check"], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(text(&check).contains("integrity_check: ok"));

    let conn = Connection::open(dir.path().join("data/hancup.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    for args in [&["migrate"][..], &["check"][..], &["serve"][..]] {
        let out = hancup(dir.path(), args, &[("HANCUP_SERVER__BIND", "127.0.0.1:0")]);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("newer than this binary"),
            "{args:?}: {}",
            text(&out)
        );
    }
}

#[test]
fn createsuperuser_without_prompts_validates_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "createsuperuser",
        "--email",
        "admin@hancup.kr",
        "--display-name",
        "운영자",
        "--no-input",
    ];
    let out = hancup(dir.path(), &args, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("HANCUP_SUPERUSER_PASSWORD"));
    let out = hancup(dir.path(), &args, &[("HANCUP_SUPERUSER_PASSWORD", "12345")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("too short") && text(&out).contains("entirely numeric"),
        "{}",
        text(&out)
    );
    let out = hancup(
        dir.path(),
        &args,
        &[("HANCUP_SUPERUSER_PASSWORD", "한컵 운영 비밀번호 2026")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = hancup(
        dir.path(),
        &args,
        &[("HANCUP_SUPERUSER_PASSWORD", "한컵 운영 비밀번호 2026")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("already exists"));
    let bad = [
        "createsuperuser",
        "--email",
        "not-an-email",
        "--display-name",
        "",
        "--no-input",
    ];
    let out = hancup(
        dir.path(),
        &bad,
        &[("HANCUP_SUPERUSER_PASSWORD", "long enough password")],
    );
    assert!(
        text(&out).contains("email:") && text(&out).contains("display_name:"),
        "{}",
        text(&out)
    );

    let conn = Connection::open(dir.path().join("data/hancup.db")).unwrap();
    let (count, hash, staff): (i64, String, bool) = conn
        .query_row(
            "SELECT COUNT(*), password_hash, is_staff AND is_superuser FROM users",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(count, 1);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(staff);
}

fn dump(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT slug || '|' || title || '|' || status || '|' || lesson_count || '|' || enrollment_count FROM courses ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn seed_is_deterministic_and_refuses_to_mix_with_existing_data() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "seed",
        "--courses",
        "30",
        "--users",
        "20",
        "--enrollments",
        "100",
        "--lessons-per-course",
        "2..4",
    ];
    let a = hancup(dir.path(), &args, &[("HANCUP_DATABASE__PATH", "a.db")]);
    let b = hancup(dir.path(), &args, &[("HANCUP_DATABASE__PATH", "b.db")]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert_eq!(b.status.code(), Some(0), "{}", text(&b));
    assert!(
        text(&a).contains("30 courses") && text(&a).contains("100 enrollments"),
        "{}",
        text(&a)
    );
    let (da, db) = (
        dump(&dir.path().join("a.db")),
        dump(&dir.path().join("b.db")),
    );
    assert_eq!(da.len(), 30);
    assert_eq!(da, db);
    assert!(
        da.iter()
            .any(|row| row.chars().any(|c| ('가'..='힣').contains(&c))),
        "Korean titles"
    );
    let again = hancup(dir.path(), &args, &[("HANCUP_DATABASE__PATH", "a.db")]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("--reset"));
    let reset = hancup(
        dir.path(),
        &[&args[..], &["--reset"]].concat(),
        &[("HANCUP_DATABASE__PATH", "a.db")],
    );
    assert_eq!(reset.status.code(), Some(0));
    assert_eq!(dump(&dir.path().join("a.db")), db);
    let bad = hancup(dir.path(), &["seed", "--lessons-per-course", "9..1"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    let too_many = hancup(
        dir.path(),
        &[
            "seed",
            "--courses",
            "2",
            "--users",
            "2",
            "--enrollments",
            "5",
        ],
        &[("HANCUP_DATABASE__PATH", "c.db")],
    );
    assert_eq!(too_many.status.code(), Some(1));
    assert!(text(&too_many).contains("cannot fit"));
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        &[][..],
        &["serve"],
        &["migrate"],
        &["createsuperuser"],
        &["seed"],
        &["check"],
    ] {
        let out = hancup(dir.path(), &[cmd, &["--help"]].concat(), &[]);
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{cmd:?}"
        );
    }
    let out = hancup(dir.path(), &["frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn bare_hancup_serves_on_defaults_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_LOG__LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut ok = false;
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            ok = buf.starts_with("HTTP/1.1 200");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ok, "the server answered /readyz");
    assert!(
        dir.path().join("data/hancup.db").exists(),
        "database created on first start"
    );
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("shutdown requested"), "{log}");
}

#[test]
fn changepassword_sets_the_password_and_ends_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let create = [
        "createsuperuser",
        "--email",
        "ops@hancup.kr",
        "--display-name",
        "운영",
        "--no-input",
    ];
    let out = hancup(
        dir.path(),
        &create,
        &[("HANCUP_SUPERUSER_PASSWORD", "한컵 운영 비밀번호 2026")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let conn = Connection::open(dir.path().join("data/hancup.db")).unwrap();
    conn.execute(
        "INSERT INTO sessions (id_hash, user_id, data, created_at, last_seen_at, expires_at) VALUES ('h', 1, '{}', 0, 0, 9999999999)",
        [],
    )
    .unwrap();
    let before: String = conn
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    let out = hancup(
        dir.path(),
        &["changepassword", "ops@hancup.kr"],
        &[("HANCUP_NEW_PASSWORD", "123")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("too short"), "{}", text(&out));
    let out = hancup(
        dir.path(),
        &["changepassword", "ops@hancup.kr"],
        &[("HANCUP_NEW_PASSWORD", "새 운영 비밀번호 2027")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after: String = conn
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    assert_ne!(before, after);
    let sessions: i64 = conn
        .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sessions, 0);
    let out = hancup(
        dir.path(),
        &["changepassword", "nobody@hancup.kr"],
        &[("HANCUP_NEW_PASSWORD", "새 운영 비밀번호 2027")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("no user"));
}
