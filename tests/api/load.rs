//! A bounded load test on the real binary (issue 8): 128 concurrent clients — four times the
//! benchmark's 32 — send about 4,000 mixed reads and writes in a few seconds. Every answer must be
//! a success or the documented overload 503 with `Retry-After`; the server's peak memory stays
//! under a ceiling; and right after the burst it answers normally.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hancup::accounts::keys::{now, SecretKey};
use hancup::accounts::tokens;
use hancup::db::Db;
use rusqlite::params;

const BIN: &str = env!("CARGO_BIN_EXE_hancup");
const CLIENTS: usize = 128;
const REQUESTS_PER_CLIENT: usize = 32;
/// Peak resident memory allowed for the server under this load (debug build included).
const RSS_CEILING_KB: u64 = 256 * 1024;

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_at_four_times_the_benchmark_concurrency_gets_only_successes_or_503s() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("load.db");
    let env = vec![(
        "HANCUP_DATABASE__PATH".to_owned(),
        db_path.display().to_string(),
    )];
    let cfg = hancup::config::load(None, &env).unwrap().config;
    let db = Db::open_and_migrate(&cfg.database).unwrap();
    hancup::seed::run(
        &db,
        &hancup::seed::SeedOptions {
            courses: 40,
            users: 20,
            enrollments: 100,
            lessons_per_course: (3, 5),
            reset: false,
        },
    )
    .unwrap();
    let tokens: Vec<String> = db
        .write(
            |tx| -> Result<Vec<String>, hancup::accounts::AccountError> {
                let key = SecretKey::resolve(tx, "")?;
                let mut out = Vec::new();
                for i in 0..CLIENTS {
                    tx.execute(
                    "INSERT INTO users (email, display_name, password_hash) VALUES (?1, ?2, '!')",
                    params![format!("load{i}@example.kr"), format!("부하{i}")],
                )?;
                    let id = tx.last_insert_rowid();
                    out.push(tokens::issue(tx, &key, id, "load", now(), 3600)?.token);
                }
                Ok(out)
            },
        )
        .unwrap();
    let slugs: Vec<String> = db
        .read(|c| -> Result<Vec<String>, hancup::db::DbError> {
            let mut s = c.prepare("SELECT slug FROM courses WHERE status = 'published'")?;
            let v = s
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(v)
        })
        .unwrap();
    drop(db);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env("HANCUP_DATABASE__PATH", &db_path)
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_LOG__LEVEL", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let burst = Instant::now();
    let mut tasks = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let (client, base, slugs) = (client.clone(), base.clone(), slugs.clone());
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..REQUESTS_PER_CLIENT {
                let slug = &slugs[(i + n) % slugs.len()];
                let req = match n % 4 {
                    0 => client.get(format!("{base}/api/v1/courses?page={}", n % 2 + 1)),
                    1 => client.get(format!("{base}/api/v1/courses/{slug}")),
                    2 => client
                        .post(format!("{base}/api/v1/courses/{slug}/enrollment"))
                        .bearer_auth(&token),
                    _ => client.get(format!("{base}/courses/{slug}")),
                };
                match req.send().await {
                    Ok(r) => {
                        let retry = r.headers().contains_key("retry-after");
                        statuses.push((r.status().as_u16(), retry));
                    }
                    Err(e) => panic!("transport error under load: {e}"),
                }
            }
            statuses
        }));
    }
    let mut total = 0;
    let mut overloaded = 0;
    for t in tasks {
        for (status, retry) in t.await.unwrap() {
            total += 1;
            match status {
                200 | 201 => {}
                503 => {
                    assert!(retry, "a 503 carries Retry-After");
                    overloaded += 1;
                }
                other => panic!("unexpected status {other} under load"),
            }
        }
    }
    let took = burst.elapsed();
    let rss = peak_rss_kb(child.id());
    // Right after the burst the server answers at once.
    let after = Instant::now();
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(
        after.elapsed() < Duration::from_secs(2),
        "recovered at once"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(total, CLIENTS * REQUESTS_PER_CLIENT);
    assert!(rss > 0 && rss < RSS_CEILING_KB, "peak RSS {rss} kB");
    eprintln!("load: {total} requests in {took:?}, {overloaded} overload 503s, peak RSS {rss} kB");
}
