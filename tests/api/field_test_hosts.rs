//! Issue 12, finding 3 replayed from outside: with `server.public_url` empty (the default), a
//! reset request sent with `Host: attacker.example` mailed a link to attacker.example. Now any
//! request with a Host the server does not answer is refused with 400 before routing — reset
//! or not — and no mail is sent; links come from `public_url`, else from an allowed Host;
//! `check --deploy` errors when neither `public_url` nor `allowed_hosts` is set.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::browser::{csrf_of, page, signup};
use crate::helpers::{spawn_with, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_hancup");

/// A reset request for `email` sent with `host` as its Host header: (status, mails sent).
async fn reset_with_host(app: &TestApp, email: &str, host: &str) -> (u16, usize) {
    let client = app.browser();
    let (_, html) = page(&client, app, "/accounts/password-reset").await;
    let token = csrf_of(&html);
    let before = app.state.mailer.outbox().len();
    let resp = client
        .post(app.url("/accounts/password-reset"))
        .header("host", host)
        .form(&[("email", email), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        app.state.mailer.outbox().len() - before,
    )
}

#[tokio::test]
async fn a_foreign_host_is_refused_everywhere_and_mails_nothing() {
    // (allowed_hosts, public_url, host sent, expected status, where the mailed link points)
    let cases: [(&str, &str, &str, u16, Option<&str>); 6] = [
        ("", "", "attacker.example", 400, None),
        ("", "", "attacker.example:80", 400, None),
        ("", "", "localhost", 200, Some("http://localhost/")),
        (
            "hancup.example",
            "",
            "hancup.example",
            200,
            Some("http://hancup.example/"),
        ),
        ("hancup.example", "", "attacker.example", 400, None),
        ("", "https://hancup.kr", "attacker.example", 400, None),
    ];
    for (allowed, public, host, status, link) in cases {
        let app = spawn_with(|c| {
            c.server.allowed_hosts = allowed.into();
            c.server.public_url = public.into();
        })
        .await;
        signup(&app.browser(), &app, "victim@example.kr").await;
        let case = format!("allowed_hosts={allowed:?} public_url={public:?} Host: {host}");
        let (got, mails) = reset_with_host(&app, "victim@example.kr", host).await;
        assert_eq!(got, status, "{case}");
        assert_eq!(mails, usize::from(status == 200), "{case}");
        if let Some(prefix) = link {
            let mail = app.state.mailer.outbox().pop().unwrap();
            assert!(
                mail.body
                    .contains(&format!("{prefix}accounts/password-reset/")),
                "{case}: {}",
                mail.body
            );
            assert!(!mail.body.contains("attacker"), "{case}");
        }
        // Every request, not only the reset: a page, the API, a static file.
        for path in ["/", "/api/v1/courses", "/healthz"] {
            let resp = app
                .client
                .get(app.url(path))
                .header("host", host)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), status, "{case} GET {path}");
        }
    }
}

fn check_deploy(dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(["check", "--deploy"])
        .stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run hancup")
}

#[test]
fn check_deploy_errors_when_no_host_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let error = "ERROR   server.public_url and server.allowed_hosts are both empty";
    // (environment, the host finding expected)
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Env, Option<&str>); 3] = [
        (&[], Some(error)),
        (
            &[("HANCUP_SERVER__ALLOWED_HOSTS", "hancup.example")],
            Some("WARNING server.public_url is empty"),
        ),
        (
            &[("HANCUP_SERVER__PUBLIC_URL", "https://hancup.example")],
            None,
        ),
    ];
    for (env, expect) in cases {
        let out = check_deploy(dir.path(), env);
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        match expect {
            Some(line) => assert!(text.contains(line), "{env:?}: {text}"),
            None => assert!(!text.contains("allowed_hosts"), "{env:?}: {text}"),
        }
        if expect == Some(error) {
            assert_eq!(out.status.code(), Some(1), "{text}");
        }
    }
    let bad = check_deploy(
        dir.path(),
        &[("HANCUP_SERVER__ALLOWED_HOSTS", "https://hancup.example/")],
    );
    let text = String::from_utf8_lossy(&bad.stderr);
    assert_ne!(bad.status.code(), Some(0));
    assert!(text.contains("server.allowed_hosts"), "{text}");
}
