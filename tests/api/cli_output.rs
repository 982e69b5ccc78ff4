//! What the binary shows (issue 12 low items, issue 14): `hancup check` never prints the secret
//! key, the metrics token or the SMTP password (`(set)` / `(empty)`); log lines carry no ANSI
//! colour codes when stderr is not a terminal; `/metrics` from loopback with any forwarding
//! header (`X-Real-IP` included) is treated as proxied and refused without the token.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::spawn_app;

const BIN: &str = env!("CARGO_BIN_EXE_hancup");

fn command(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn check_shows_whether_secrets_are_set_never_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = [
        (
            "HANCUP_SERVER__SECRET_KEY",
            "k3y-0f-the-server-kx8Q2mVt7pZr4bNw",
        ),
        ("HANCUP_METRICS__TOKEN", "metrics-token-Zq81vLm2"),
        ("HANCUP_MAIL__SMTP_PASSWORD", "smtp-pass-Yt55aQ"),
    ];
    let out = command(dir.path())
        .arg("check")
        .envs(secrets)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for (_, secret) in secrets {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
    }
    for key in ["server.secret_key", "metrics.token", "mail.smtp_password"] {
        let line = text.lines().find(|l| l.contains(key)).unwrap();
        assert!(line.contains("(set)"), "{line}");
    }
    let out = command(dir.path()).arg("check").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().find(|l| l.contains("metrics.token")).unwrap();
    assert!(line.contains("(empty)"), "{line}");
}

#[test]
fn log_lines_have_no_colour_codes_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = command(dir.path())
        .arg("serve")
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_LOG__LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("hancup is serving"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI codes in a piped log: {log:?}"
    );
}

#[tokio::test]
async fn metrics_refuse_loopback_requests_that_a_proxy_relayed() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), 200);
    for (header, value) in [
        ("x-real-ip", "203.0.113.9"),
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
    ] {
        let resp = app
            .client
            .get(app.url("/metrics"))
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{header}");
    }
}
