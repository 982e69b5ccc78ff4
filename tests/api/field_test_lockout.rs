//! Issue 12, finding 5 replayed from outside: after a lock has expired, 60 parallel wrong
//! guesses over HTTP. Checking and recording an attempt is one write transaction
//! (`throttle::reserve`), so exactly one guess is checked (400) and the other 59 are refused
//! with 429 and `Retry-After`. The expired lock is made by ageing the row, not by sleeping.

use serde_json::json;

use crate::helpers::{spawn_with, TestApp};

const PARALLEL: usize = 60;

async fn storm(app: &TestApp, email: &str) -> (usize, usize, Vec<u16>) {
    let mut tasks = Vec::new();
    for _ in 0..PARALLEL {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        let body = json!({"email": email, "password": "wrong password!"});
        tasks.push(tokio::spawn(async move {
            let resp = client.post(url).json(&body).send().await.unwrap();
            (
                resp.status().as_u16(),
                resp.headers().contains_key("retry-after"),
            )
        }));
    }
    let (mut checked, mut refused, mut other) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.unwrap() {
            (400, _) => checked += 1,
            (429, true) => refused += 1,
            (s, _) => other.push(s),
        }
    }
    (checked, refused, other)
}

#[tokio::test]
async fn parallel_guesses_get_exactly_the_checks_the_limit_allows() {
    let app = spawn_with(|c| {
        c.auth.account_failure_limit = 5;
        c.auth.address_failure_limit = 1000;
        c.auth.hash_concurrency = 2;
        c.auth.hash_wait_ms = 60_000;
    })
    .await;
    app.register("race@example.kr", "경쟁", "창업은 한 컵의 커피에서")
        .await;
    // (case, set-up of the account's row, guesses that may be checked)
    let cases: [(&str, Option<&str>, usize); 2] = [
        (
            "a lock that has just expired",
            Some(
                "INSERT INTO login_failures (key, failures, locked_until, updated_at) \
                 VALUES ('email:race@example.kr', 7, CAST(strftime('%s','now') AS INTEGER) - 1, \
                 CAST(strftime('%s','now') AS INTEGER) - 1)",
            ),
            1,
        ),
        ("no failure yet", None, 5),
    ];
    for (case, setup, allowed) in cases {
        app.exec(|tx| {
            tx.execute("DELETE FROM login_failures", [])?;
            if let Some(sql) = setup {
                tx.execute(sql, [])?;
            }
            Ok(())
        });
        let (checked, refused, other) = storm(&app, "race@example.kr").await;
        assert!(other.is_empty(), "{case}: {other:?}");
        assert_eq!(checked, allowed, "{case}: guesses checked");
        assert_eq!(refused, PARALLEL - allowed, "{case}: refused with 429");
        let (failures, locked): (i64, i64) = app
            .db()
            .read(|c| -> Result<_, hancup::db::DbError> {
                Ok(c.query_row(
                    "SELECT failures, locked_until > CAST(strftime('%s','now') AS INTEGER) \
                     FROM login_failures WHERE key = 'email:race@example.kr'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        assert_eq!(locked, 1, "{case}: locked again");
        assert!(failures >= allowed as i64, "{case}: {failures}");
    }
}
