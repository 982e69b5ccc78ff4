//! Secrets on disk (issue 12 finding 8): under umask 022 the real binary creates the database,
//! its `-wal` and `-shm`, backups and `dumpdata` output 0600 and their directories 0700;
//! `restore` does not carry a backup's mode over and leaves no stray files; `check --deploy`
//! names each file or directory open to other users.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hancup");

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(args).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HANCUP_LOG__LEVEL", "warn")
        .env("HANCUP_DATABASE__PATH", "var/data/hancup.db")
        .env("HANCUP_BACKUP__DIR", "var/backups");
    // SAFETY: umask(2) is async-signal-safe and touches no memory.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = command(dir, args).output().expect("run hancup");
    assert!(
        out.status.success(),
        "hancup {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_on_disk_are_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &["migrate"]);
    assert_eq!(mode(&d.join("var")), 0o700);
    assert_eq!(mode(&d.join("var/data")), 0o700);
    assert_eq!(mode(&d.join("var/data/hancup.db")), 0o600);

    // A running server's -wal and -shm.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = command(d, &["serve"])
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.map(|r| r.status() == 200).unwrap_or(false) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resp = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({
            "email": "modes@example.kr",
            "display_name": "모드",
            "password": "창업은 한 컵의 커피에서",
            "accept_terms": true,
            "accept_privacy": true,
            "age_14_or_older": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    for f in ["hancup.db", "hancup.db-wal", "hancup.db-shm"] {
        assert_eq!(mode(&d.join("var/data").join(f)), 0o600, "{f}");
    }
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    server.wait().unwrap();

    run(d, &["backup", "var/backups/one.db"]);
    assert_eq!(mode(&d.join("var/backups")), 0o700);
    assert_eq!(mode(&d.join("var/backups/one.db")), 0o600);
    run(d, &["dumpdata", "--output", "dump.json"]);
    assert_eq!(mode(&d.join("dump.json")), 0o600);

    // An operator copies a backup carelessly; check --deploy names it, restore ignores its mode.
    let backup = d.join("var/backups/one.db");
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o644)).unwrap();
    let check = command(d, &["check", "--deploy"]).output().unwrap();
    let text = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(
        text.contains("one.db is open to other users (mode 644)"),
        "{text}"
    );
    run(d, &["restore", "var/backups/one.db"]);
    assert_eq!(mode(&d.join("var/data/hancup.db")), 0o600);
    let strays: Vec<String> = std::fs::read_dir(d.join("var/data"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restore-partial"))
        .collect();
    assert!(strays.is_empty(), "stray files after restore: {strays:?}");
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o600)).unwrap();
    let check = command(d, &["check", "--deploy"]).output().unwrap();
    let text = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(!text.contains("open to other users"), "{text}");
}
