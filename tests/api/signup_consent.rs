//! Signing up like on any Korean site (issue 13): terms, privacy and 14-or-older consents are
//! required on the page and the API, every error shows at once with the input kept, and each
//! consent is recorded with its time and version.

use crate::browser::{signup, submit};
use crate::helpers::spawn_app;

#[tokio::test]
async fn sign_up_needs_every_consent_and_records_each_with_time_and_version() {
    let app = spawn_app().await;
    let browser = app.browser();
    let resp = submit(
        &browser,
        &app,
        "/accounts/signup",
        "/accounts/signup",
        &[
            ("email", "consent@example.kr"),
            ("display_name", "정다은"),
            ("password", "짧음"),
            ("password2", "짧음"),
            ("accept_terms", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    for field in ["password", "accept_privacy", "age_14_or_older"] {
        assert!(
            html.contains(&format!("id=\"id_{field}-error\"")),
            "{field}: every error at once"
        );
    }
    assert!(!html.contains("id=\"id_accept_terms-error\""));
    assert!(
        html.contains("value=\"consent@example.kr\"") && html.contains("value=\"정다은\""),
        "the typed e-mail and name are kept"
    );
    assert!(
        html.contains("id=\"id_accept_terms\" type=\"checkbox\" name=\"accept_terms\" value=\"1\" required checked"),
        "a ticked box stays ticked"
    );
    assert!(html.contains("만 14세 이상"));
    let users: i64 = app
        .db()
        .read(|c| -> Result<i64, hancup::db::DbError> {
            Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(users, 0, "nothing written");

    signup(&browser, &app, "consent@example.kr").await;
    let rows: Vec<(String, String, String)> = app
        .db()
        .read(|c| -> Result<_, hancup::db::DbError> {
            let mut stmt = c.prepare(
                "SELECT kind, version, accepted_at FROM consents JOIN users u ON u.id = user_id \
                 WHERE u.email = 'consent@example.kr' ORDER BY kind",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(kinds, ["age_14", "privacy", "terms"]);
    for (_, version, at) in &rows {
        assert_eq!(version, hancup::accounts::consent::VERSION);
        assert!(at.ends_with('Z') && at.len() == 20, "stored in UTC: {at}");
    }

    // The API asks for the same three, naming each one missing.
    let (status, _, answer) = app
        .post_json(
            "/api/v1/auth/register",
            None,
            serde_json::json!({"email": "api@example.kr", "display_name": "에이피아이", "password": "a-long-unusual-passphrase-77", "accept_terms": true, "accept_privacy": false}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(answer["accept_privacy"][0].is_string() && answer["age_14_or_older"][0].is_string());
    assert!(answer.get("accept_terms").is_none(), "{answer}");
}
