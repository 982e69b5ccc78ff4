//! `spawn_app()`: the real application on 127.0.0.1:0 with its own temp database, plus
//! fixtures that write through the real data layer.

use hancup::config::{self, Config};
use hancup::db::Db;
use hancup::web::AppState;
use rusqlite::params;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A request slot held by `hold_a_request_slot`; dropping it lets the request finish.
pub struct SlotHold {
    release: Option<std::sync::mpsc::Sender<()>>,
    writer: Option<std::thread::JoinHandle<()>>,
    _request: tokio::task::JoinHandle<()>,
}

impl Drop for SlotHold {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: TempDir,
    _stop: oneshot::Sender<()>,
}

/// A loaded default configuration pointing at a database inside `dir`, debug headers on.
pub fn test_config(dir: &TempDir) -> Config {
    let db = dir.path().join("test.db");
    let env = vec![("HANCUP_DATABASE__PATH".to_owned(), db.display().to_string())];
    let mut cfg = config::load(None, &env).expect("test config").config;
    cfg.server.debug = true;
    cfg.server.shutdown_grace_seconds = 1;
    // Uploads stay inside the test's directory (the default is the working directory's).
    cfg.media.dir = dir.path().join("media");
    cfg.mail.backend = hancup::config::MailBackend::Memory;
    // Admin logins in tests need no second factor unless a test asks for one (admin_mfa.rs).
    cfg.auth.require_mfa_for = "none".into();
    cfg
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = test_config(&dir);
    adjust(&mut cfg);
    spawn_in(dir, cfg).await
}

pub async fn spawn_in(dir: TempDir, cfg: Config) -> TestApp {
    let state = hancup::build_state(cfg).expect("app builds");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("tcp address").port();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(hancup::server::serve_on(
        listener,
        state.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        _dir: dir,
        _stop: stop,
    }
}

impl TestApp {
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    /// Holds one of the server's request slots (`server.max_concurrent_requests`) until the
    /// returned guard is dropped: the database's writer lock is taken, then a registration is
    /// sent, which is admitted and waits for that lock. (A slow body no longer holds a slot:
    /// bodies are read before admission.)
    pub async fn hold_a_request_slot(&self) -> SlotHold {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (locked, is_locked) = std::sync::mpsc::channel::<()>();
        let db = self.db().clone();
        let writer = std::thread::spawn(move || {
            db.write(|_| {
                locked.send(()).unwrap();
                let _ = released.recv();
                Ok::<(), hancup::db::DbError>(())
            })
            .unwrap();
        });
        is_locked.recv().unwrap();
        let client = self.client.clone();
        let url = self.url("/api/v1/auth/register");
        let request = tokio::spawn(async move {
            let _ = client
                .post(url)
                .json(&serde_json::json!({
                    "email": "slot-holder@example.kr",
                    "display_name": "slot",
                    "password": "correct horse battery staple 7",
                    "accept_terms": true,
                    "accept_privacy": true,
                    "age_14_or_older": true,
                }))
                .send()
                .await;
        });
        // Long enough for the registration to be admitted and to reach the lock.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        SlotHold {
            release: Some(release),
            writer: Some(writer),
            _request: request,
        }
    }

    /// A client that keeps cookies, like a browser.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs JSON, optionally with a token; returns status, headers and the JSON body (or Null).
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
        let mut req = self.client.post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// GETs with `Authorization: <scheme> <token>`.
    pub async fn get_auth(
        &self,
        path: &str,
        header: &str,
    ) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
        let resp = self
            .client
            .get(self.url(path))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            headers,
        )
    }

    /// Registers through the API and returns the token.
    pub async fn register(&self, email: &str, name: &str, password: &str) -> String {
        let (status, _, body) = self
            .post_json(
                "/api/v1/auth/register",
                None,
                serde_json::json!({"email": email, "display_name": name, "password": password, "accept_terms": true, "accept_privacy": true, "age_14_or_older": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{path} answered non-JSON ({status}): {body}"));
        (status, json)
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let resp = self.get(path).await;
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// SQL statements the server ran for one request (the debug header).
    pub async fn statements_for(&self, path: &str) -> u64 {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        resp.headers()["x-sql-statements"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Runs SQL in one committed write transaction, as the server's own writes do.
    pub fn exec(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>) {
        self.db()
            .write(|tx| f(tx).map_err(hancup::db::DbError::from))
            .expect("fixture write");
    }

    pub fn seed(&self, courses: u64, users: u64, enrollments: u64) {
        hancup::seed::run(
            self.db(),
            &hancup::seed::SeedOptions {
                courses,
                users,
                enrollments,
                lessons_per_course: (3, 6),
                reset: false,
            },
        )
        .expect("seed");
    }
}

/// A page without the debug toolbar (test apps run in debug mode; its timings vary).
pub fn without_toolbar(html: &str) -> String {
    match (
        html.find("<details class=\"debug-toolbar\""),
        html.rfind("</details>"),
    ) {
        (Some(a), Some(b)) if b > a => format!("{}{}", &html[..a], &html[b + 10..]),
        _ => html.to_owned(),
    }
}

/// Small hand-made catalog fixtures, each one SQL insert through the real schema.
pub struct Fixture<'a> {
    pub tx: &'a rusqlite::Transaction<'a>,
}

impl Fixture<'_> {
    pub fn category(&self, slug: &str, name: &str) -> i64 {
        self.tx
            .execute(
                "INSERT INTO categories (slug, name, name_en) VALUES (?1, ?2, ?1)",
                params![slug, name],
            )
            .unwrap();
        self.tx.last_insert_rowid()
    }

    pub fn user(&self, email: &str, name: &str) -> i64 {
        self.tx
            .execute(
                "INSERT INTO users (email, display_name, password_hash) VALUES (?1, ?2, '!')",
                params![email, name],
            )
            .unwrap();
        self.tx.last_insert_rowid()
    }

    /// A course; `published_at` is also its creation time. `status` is draft|published|archived.
    #[allow(clippy::too_many_arguments)]
    pub fn course(
        &self,
        slug: &str,
        title: &str,
        description: &str,
        category: i64,
        level: &str,
        instructor: i64,
        status: &str,
        published_at: &str,
    ) -> i64 {
        self.tx
            .execute(
                "INSERT INTO courses (slug, title, summary, description, category_id, level, \
                 instructor_id, status, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    slug,
                    title,
                    format!("{title} 요약"),
                    description,
                    category,
                    level,
                    instructor,
                    status,
                    published_at
                ],
            )
            .unwrap();
        self.tx.last_insert_rowid()
    }

    pub fn lesson(
        &self,
        course: i64,
        position: i64,
        title: &str,
        seconds: i64,
        preview: bool,
    ) -> i64 {
        self.tx
            .execute(
                "INSERT INTO lessons (course_id, position, title, duration_seconds, is_preview) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![course, position, title, seconds, preview],
            )
            .unwrap();
        self.tx.last_insert_rowid()
    }

    pub fn enroll(&self, user: i64, course: i64) {
        self.tx
            .execute(
                "INSERT INTO enrollments (user_id, course_id) VALUES (?1, ?2)",
                params![user, course],
            )
            .unwrap();
    }
}

/// Ids of the small catalog most tests share.
pub struct Small {
    pub marketing: i64,
    pub finance: i64,
    pub kim: i64,
    pub lee: i64,
    pub growth: i64,
    pub pitch: i64,
    pub finance_course: i64,
    pub draft: i64,
    pub archived: i64,
}

/// Three published courses (two categories, two instructors), one draft, one archived.
pub fn small_catalog(app: &TestApp) -> Small {
    let mut ids = None;
    app.exec(|tx| {
        let f = Fixture { tx };
        let marketing = f.category("marketing", "마케팅");
        let finance = f.category("finance", "재무");
        let kim = f.user("kim@example.com", "김민지");
        let lee = f.user("lee@example.com", "이서준");
        let growth = f.course(
            "growth-marketing",
            "그로스 마케팅 입문",
            "스타트업 창업을 위한 **그로스** 전략",
            marketing,
            "beginner",
            kim,
            "published",
            "2026-03-01T00:00:00Z",
        );
        let pitch = f.course(
            "pitch-deck",
            "Pitch Deck Masterclass",
            "Investors read the deck before they meet you.",
            marketing,
            "advanced",
            lee,
            "published",
            "2026-05-01T00:00:00Z",
        );
        let finance_course = f.course(
            "startup-finance",
            "창업자를 위한 회계 기초",
            "현금 흐름과 손익을 창업 초기부터 관리합니다.",
            finance,
            "intermediate",
            kim,
            "published",
            "2026-04-01T00:00:00Z",
        );
        let draft = f.course(
            "secret-draft",
            "비공개 마케팅 초안",
            "",
            marketing,
            "beginner",
            kim,
            "draft",
            "2026-06-01T00:00:00Z",
        );
        let archived = f.course(
            "old-course",
            "지난 마케팅 강의",
            "",
            marketing,
            "beginner",
            kim,
            "archived",
            "2026-01-01T00:00:00Z",
        );
        f.lesson(growth, 2, "두 번째: 퍼널 분석", 600, false);
        f.lesson(growth, 1, "첫 번째: 오리엔테이션", 300, true);
        f.enroll(lee, growth);
        f.enroll(kim, pitch);
        f.enroll(lee, pitch);
        ids = Some(Small {
            marketing,
            finance,
            kim,
            lee,
            growth,
            pitch,
            finance_course,
            draft,
            archived,
        });
        Ok(())
    });
    ids.unwrap()
}

impl TestApp {
    /// A user with an API token, made directly (no password hashing) for tests about other things.
    pub fn user_with_token(&self, email: &str, name: &str) -> (i64, String) {
        let key = self.state.accounts.key.clone();
        self.db()
            .write(
                |tx| -> Result<(i64, String), hancup::accounts::AccountError> {
                    tx.execute(
                    "INSERT INTO users (email, display_name, password_hash) VALUES (?1, ?2, '!')",
                    params![email, name],
                )?;
                    let id = tx.last_insert_rowid();
                    let issued = hancup::accounts::tokens::issue(
                        tx,
                        &key,
                        id,
                        "test",
                        hancup::accounts::keys::now(),
                        3600,
                    )?;
                    Ok((id, issued.token))
                },
            )
            .expect("test user")
    }

    /// Sends `method` to `path` with a bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Tokens for the roles community tests need (asker and helper enrolled in growth-marketing,
/// kim its instructor, a staff moderator with notice rights).
pub struct People {
    pub asker: String,
    pub helper: String,
    pub outsider: String,
    pub instructor: String,
    pub staff: String,
}

pub fn people(app: &TestApp, ids: &Small) -> People {
    let (asker_id, asker) = app.user_with_token("asker@x.kr", "질문자");
    let (helper_id, helper) = app.user_with_token("helper@x.kr", "답변자");
    let (_, outsider) = app.user_with_token("outsider@x.kr", "외부인");
    let (staff_id, staff) = app.user_with_token("staff@x.kr", "운영자");
    let key = app.state.accounts.key.clone();
    let instructor = app
        .db()
        .write(|tx| {
            hancup::accounts::tokens::issue(
                tx,
                &key,
                ids.kim,
                "t",
                hancup::accounts::keys::now(),
                3600,
            )
        })
        .unwrap()
        .token;
    app.exec(|tx| {
        for uid in [asker_id, helper_id] {
            tx.execute("INSERT INTO enrollments (user_id, course_id) VALUES (?1, ?2)", [uid, ids.growth])?;
        }
        tx.execute("UPDATE users SET is_staff = 1 WHERE id = ?1", [staff_id])?;
        for perm in ["learning.change_question", "learning.add_notice"] {
            tx.execute(
                "INSERT INTO user_permissions (user_id, permission_id) SELECT ?1, id FROM permissions WHERE codename = ?2",
                rusqlite::params![staff_id, perm],
            )?;
        }
        Ok(())
    });
    People {
        asker,
        helper,
        outsider,
        instructor,
        staff,
    }
}
