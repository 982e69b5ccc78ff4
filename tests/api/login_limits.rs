//! Login under pressure: throttling with growing lockouts, the bound on concurrent password
//! hashing (queue, then 503), and hash upgrades when the parameters change.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_with};

const PW: &str = "창업은 한 컵의 커피에서";

#[tokio::test]
async fn failed_logins_lock_out_with_retry_after_and_a_success_resets() {
    let app = spawn_with(|c| {
        c.auth.account_failure_limit = 3;
        c.auth.lockout_base_seconds = 30;
    })
    .await;
    app.register("lock@example.kr", "잠금", PW).await;
    let wrong = json!({"email": "lock@example.kr", "password": "wrong password!"});
    for _ in 0..3 {
        let (status, _, _) = app
            .post_json("/api/v1/auth/login", None, wrong.clone())
            .await;
        assert_eq!(status, 400);
    }
    let right = json!({"email": "lock@example.kr", "password": PW});
    let (status, headers, body) = app
        .post_json("/api/v1/auth/login", None, right.clone())
        .await;
    assert_eq!(status, 429, "locked even with the right password: {body}");
    // The lock starts when the attempt that crossed the limit was counted, before its hash.
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((25..=30).contains(&retry), "{retry}");
    assert!(body["detail"].as_str().unwrap().contains("throttled"));
    // The lock runs out (aged in the database rather than slept through).
    app.exec(|tx| {
        tx.execute(
            "UPDATE login_failures SET locked_until = CAST(strftime('%s','now') AS INTEGER) - 1",
            [],
        )?;
        Ok(())
    });
    let (status, _, _) = app
        .post_json("/api/v1/auth/login", None, right.clone())
        .await;
    assert_eq!(status, 200, "released after the lockout");
    // The success reset the account's count: two more failures do not lock it again.
    for _ in 0..2 {
        app.post_json("/api/v1/auth/login", None, wrong.clone())
            .await;
    }
    let (status, _, _) = app.post_json("/api/v1/auth/login", None, right).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_lockout_grows_with_each_further_failure() {
    let app = spawn_with(|c| {
        c.auth.account_failure_limit = 2;
        // Long enough that no lock runs out while the next guess is hashed on a loaded machine
        // (a 1 s lock did, and the extra checked guess doubled every length); the test ages the
        // rows instead of waiting.
        c.auth.lockout_base_seconds = 30;
        c.auth.lockout_max_seconds = 3600;
    })
    .await;
    let wrong = json!({"email": "grow@example.kr", "password": "wrong password!"});
    let mut waits = Vec::new();
    for _ in 0..3 {
        loop {
            let (status, headers, _) = app
                .post_json("/api/v1/auth/login", None, wrong.clone())
                .await;
            if status == 429 {
                assert!(headers.contains_key("retry-after"));
                // The lock's length as set (Retry-After counts down while hashes run), then
                // the lock runs out: aged in the database rather than slept through.
                let length = crate::admin_support::scalar(
                    &app,
                    "SELECT locked_until - updated_at FROM login_failures WHERE key = 'email:grow@example.kr'",
                );
                waits.push(length);
                app.exec(|tx| {
                    tx.execute(
                        "UPDATE login_failures SET locked_until = CAST(strftime('%s','now') AS INTEGER) - 1 \
                         WHERE key = 'email:grow@example.kr'",
                        [],
                    )?;
                    Ok(())
                });
                break;
            }
        }
    }
    assert_eq!(
        waits,
        [30, 60, 120],
        "an unknown e-mail is locked out like a real one"
    );
}

#[tokio::test]
async fn fifty_concurrent_logins_stay_within_the_hashing_bound() {
    let app = spawn_with(|c| {
        c.auth.hash_concurrency = 2;
        c.auth.hash_wait_ms = 60_000;
    })
    .await;
    app.register("storm@example.kr", "폭주", PW).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        let password = if i % 2 == 0 { PW } else { "wrong password!" };
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"email": "storm@example.kr", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| [200, 400, 429].contains(s)),
        "{statuses:?}"
    );
    assert!(
        app.state.accounts.hashes.peak_concurrency() <= 2,
        "peak {}",
        app.state.accounts.hashes.peak_concurrency()
    );
    assert!(app.state.accounts.hashes.peak_concurrency() >= 1);
}

#[tokio::test]
async fn a_login_storm_past_the_wait_gets_503_with_retry_after() {
    let app = spawn_with(|c| {
        c.auth.hash_concurrency = 1;
        c.auth.hash_wait_ms = 1;
    })
    .await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&json!({"email": "x@example.kr", "password": "whatever pass"}))
                .send()
                .await
                .unwrap();
            (
                resp.status().as_u16(),
                resp.headers().get("retry-after").is_some(),
            )
        }));
    }
    let mut busy = 0;
    for t in tasks {
        let (status, retry) = t.await.unwrap();
        assert!([400, 429, 503].contains(&status), "{status}");
        if status == 503 {
            assert!(retry, "503 carries Retry-After");
            busy += 1;
        }
    }
    assert!(busy > 0, "some requests found no free slot");
    let (status, _) = app.get_json("/api/v1/courses").await;
    assert_eq!(status, 200, "catalog reads are unaffected");
}

#[tokio::test]
async fn outdated_hashes_are_upgraded_at_the_next_login() {
    let app = spawn_app().await;
    let cheap = hancup::accounts::HashParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    }
    .hash(PW);
    app.exec(|tx| {
        tx.execute("INSERT INTO users (email, display_name, password_hash) VALUES ('old@example.kr', '옛', ?1)", [&cheap])?;
        Ok(())
    });
    let (status, _, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "old@example.kr", "password": PW}),
        )
        .await;
    assert_eq!(status, 200);
    let hash: String = app
        .db()
        .read(|c| -> Result<String, hancup::db::DbError> {
            Ok(c.query_row("SELECT password_hash FROM users", [], |r| r.get(0))?)
        })
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let (status, _, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "old@example.kr", "password": PW}),
        )
        .await;
    assert_eq!(status, 200, "the new hash verifies");
}

/// The nice values of this process's threads whose name starts with `prefix`.
#[cfg(target_os = "linux")]
fn nice_of_threads(prefix: &str) -> Vec<i64> {
    let mut nices = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name; nice is the 19th field of the line.
        if let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) {
            if let Some(nice) = rest.split(' ').nth(16).and_then(|v| v.parse().ok()) {
                nices.push(nice);
            }
        }
    }
    nices
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn hashing_runs_on_its_own_threads_at_the_configured_lower_priority() {
    let app = spawn_with(|c| {
        c.auth.hash_concurrency = 2;
        c.auth.hash_nice = 13;
    })
    .await;
    let mut at_13 = 0;
    for _ in 0..50 {
        at_13 = nice_of_threads("hancup-hash-")
            .iter()
            .filter(|&&n| n == 13)
            .count();
        if at_13 >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(at_13 >= 2, "two hashing threads at nice 13");
    // The thread serving requests (this test's runtime) keeps its priority.
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let rest = stat.rsplit_once(") ").unwrap().1;
    assert_eq!(rest.split(' ').nth(16), Some("0"), "{stat}");
    // And the threads do the work: a registration hashes, a login verifies.
    app.register("nice@example.kr", "양보", PW).await;
    let (status, _, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"email": "nice@example.kr", "password": PW}),
        )
        .await;
    assert_eq!(status, 200);
}
