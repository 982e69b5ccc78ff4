//! Crash safety: the real binary is killed with SIGKILL at random moments while concurrent API
//! writers record every write it acknowledged; after each restart the database must pass
//! `integrity_check`, carry the current schema, and hold every acknowledged write. `synchronous =
//! NORMAL` in WAL mode may lose commits on power loss, never on a process crash — this proves the
//! second half. 20 cycles here; `HANCUP_CRASH_CYCLES` asks for more.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hancup::accounts::keys::{now, SecretKey};
use hancup::accounts::tokens;
use hancup::db::{migrate, Db, DbError};
use rand::{Rng, SeedableRng};
use rusqlite::{params, Connection};

const BIN: &str = env!("CARGO_BIN_EXE_hancup");

fn start(db: &Path, port: u16) -> Child {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("HANCUP_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env("HANCUP_DATABASE__PATH", db)
        .env("HANCUP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("HANCUP_LOG__LEVEL", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hancup");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("hancup did not start listening");
}

#[derive(Default)]
struct Acknowledged {
    enrollments: HashSet<(i64, i64)>,
    progress: HashSet<(i64, i64)>,
    questions: HashSet<i64>,
}

/// (id, token) of a user, or (id, slug) of a course.
type Ids = Vec<(i64, String)>;

/// Users with tokens and published courses with lessons, made before the first start.
fn prepare(dir: &Path) -> (std::path::PathBuf, Ids, Ids) {
    let db_path = dir.join("crash.db");
    let env = vec![(
        "HANCUP_DATABASE__PATH".to_owned(),
        db_path.display().to_string(),
    )];
    let cfg = hancup::config::load(None, &env).unwrap().config;
    let db = Db::open_and_migrate(&cfg.database).unwrap();
    hancup::seed::run(
        &db,
        &hancup::seed::SeedOptions {
            courses: 12,
            users: 8,
            enrollments: 0,
            lessons_per_course: (3, 3),
            reset: false,
        },
    )
    .unwrap();
    db.write(|tx| -> Result<_, hancup::accounts::AccountError> {
        let key = SecretKey::resolve(tx, "")?;
        let mut users = Vec::new();
        for i in 0..8 {
            tx.execute(
                "INSERT INTO users (email, display_name, password_hash) VALUES (?1, ?2, '!')",
                params![format!("crash{i}@example.kr"), format!("크래시{i}")],
            )?;
            let id = tx.last_insert_rowid();
            users.push((
                id,
                tokens::issue(tx, &key, id, "crash", now(), 86_400)?.token,
            ));
        }
        let mut stmt =
            tx.prepare("SELECT id, slug FROM courses WHERE status = 'published' ORDER BY id")?;
        let courses = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(i64, String)>>>()?;
        drop(stmt);
        Ok((db_path.clone(), users, courses))
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let cycles: usize = std::env::var("HANCUP_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let (db_path, users, courses) = prepare(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xc2a5);

    for cycle in 0..cycles {
        let mut child = start(&db_path, port);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for (w, (uid, token)) in users.iter().cloned().enumerate() {
            let (client, base, acked, stop, courses) = (
                client.clone(),
                base.clone(),
                acked.clone(),
                stop.clone(),
                courses.clone(),
            );
            writers.push(tokio::spawn(async move {
                let mut n = cycle * 7 + w;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let (cid, slug) = &courses[n % courses.len()];
                    let enroll = client.post(format!("{base}/api/v1/courses/{slug}/enrollment")).bearer_auth(&token).send().await;
                    if matches!(enroll, Ok(ref r) if r.status().is_success()) {
                        acked.lock().unwrap().enrollments.insert((uid, *cid));
                    } else {
                        continue;
                    }
                    let position = (n % 3) as i64 + 1;
                    let done = client
                        .put(format!("{base}/api/v1/courses/{slug}/lessons/{position}/progress"))
                        .bearer_auth(&token)
                        .send()
                        .await;
                    if matches!(done, Ok(ref r) if r.status().is_success()) {
                        acked.lock().unwrap().progress.insert((uid, position + *cid * 1000));
                    }
                    let asked = client
                        .post(format!("{base}/api/v1/courses/{slug}/questions"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"title": format!("질문 {cycle}-{n}"), "body": "크래시 중에도 남아야 합니다"}))
                        .send()
                        .await;
                    if let Ok(r) = asked {
                        if r.status().as_u16() == 201 {
                            if let Ok(body) = r.json::<serde_json::Value>().await {
                                if let Some(id) = body["id"].as_i64() {
                                    acked.lock().unwrap().questions.insert(id);
                                }
                            }
                        }
                    }
                }
            }));
        }
        // Kill mid-work, not before any: on a loaded machine the server may take longer to start
        // than the random delay, so first wait (bounded) for this cycle's first acknowledgements
        // (questions: each one is new, where enrolments repeat across cycles).
        let before = acked.lock().unwrap().questions.len();
        let started = std::time::Instant::now();
        while acked.lock().unwrap().questions.len() < before + 3
            && started.elapsed() < Duration::from_secs(20)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..600))).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }
        check(&db_path, &acked.lock().unwrap(), cycle);
    }
    let acked = acked.lock().unwrap();
    assert!(
        acked.enrollments.len() > 20,
        "the writers got work done: {}",
        acked.enrollments.len()
    );
    assert!(!acked.questions.is_empty());
}

fn check(db_path: &Path, acked: &Acknowledged, cycle: usize) {
    let conn = Connection::open(db_path).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "cycle {cycle}");
    let version = migrate::current_version(&conn)
        .map_err(|e: DbError| e.to_string())
        .unwrap();
    assert_eq!(version, migrate::latest_version(), "cycle {cycle}");
    let enrolled: HashSet<(i64, i64)> = conn
        .prepare("SELECT user_id, course_id FROM enrollments")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let lost: Vec<_> = acked.enrollments.difference(&enrolled).collect();
    assert!(
        lost.is_empty(),
        "cycle {cycle}: acknowledged enrollments lost: {lost:?}"
    );
    let progress: HashSet<(i64, i64)> = conn
        .prepare("SELECT p.user_id, l.position + p.course_id * 1000 FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let lost: Vec<_> = acked.progress.difference(&progress).collect();
    assert!(
        lost.is_empty(),
        "cycle {cycle}: acknowledged progress lost: {lost:?}"
    );
    let questions: HashSet<i64> = conn
        .prepare("SELECT id FROM questions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let lost: Vec<_> = acked.questions.difference(&questions).collect();
    assert!(
        lost.is_empty(),
        "cycle {cycle}: acknowledged questions lost: {lost:?}"
    );
    let counters: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM courses c WHERE enrollment_count != (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id AND e.archived_at IS NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(counters, 0, "cycle {cycle}: counters drifted");
}
