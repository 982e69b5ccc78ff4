//! Heavy reads (CSV export, admin change list, search, metrics) run in the bounded heavy-read
//! pool off the async workers: while a big export is in flight, public pages are answered, and
//! the export streams with a bounded buffer (a client that stops reading stalls the export,
//! rather than the server building the whole file in memory).

use std::time::{Duration, Instant};

use crate::admin_support::superuser;
use crate::helpers::spawn_app;

/// Users with long names, so the export (~300 bytes a row) is far bigger than every socket
/// buffer between the server and a client that stops reading.
const USERS: i64 = 50_000;

#[tokio::test]
async fn a_big_export_streams_while_public_pages_are_answered() {
    let app = spawn_app().await;
    app.exec(|tx| {
        tx.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO users (email, display_name, password_hash) \
             SELECT printf('learner-%06d@example.kr', i), \
                    printf('%06d ', i) || replace(hex(zeroblob(28)), '00', '창업가'), '!' FROM n",
            [USERS],
        )?;
        Ok(())
    });
    let admin = superuser(&app).await;

    // The export's headers arrive; its body is left unread.
    let export = admin
        .get(app.url("/admin/user/export.csv"))
        .send()
        .await
        .expect("export starts");
    assert_eq!(export.status(), 200);
    assert!(
        export.headers().get("content-length").is_none(),
        "a streamed body has no length up front"
    );
    let stalled_since = Instant::now();
    while stalled_since.elapsed() < Duration::from_millis(500) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            app.db().heavy_reads_running(),
            1,
            "the export is still reading, held back by its unread client"
        );
    }

    // Meanwhile the public pages answer (this test's runtime has ONE thread: an export on the
    // executor would hold it until the export was done).
    let asked = Instant::now();
    let list = app.get("/api/v1/courses").await;
    assert_eq!(list.status(), 200);
    let home = app.get("/").await;
    assert_eq!(home.status(), 200);
    assert!(asked.elapsed() < Duration::from_secs(5));
    assert_eq!(
        app.db().heavy_reads_running(),
        1,
        "the export has not been built ahead of its client: it streams"
    );

    // Read on: every row arrives, and the slot is given back.
    let body = export.text().await.expect("the whole export");
    assert!(body.starts_with("\u{feff}id,"));
    assert!(body.contains("learner-050000@example.kr"));
    assert_eq!(
        body.lines().count() as i64,
        1 + USERS + 1,
        "header, the learners and the superuser"
    );
    for _ in 0..50 {
        if app.db().heavy_reads_running() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.db().heavy_reads_running(), 0);
}

#[tokio::test]
async fn a_client_that_leaves_mid_export_frees_the_slot() {
    let app = spawn_app().await;
    app.exec(|tx| {
        tx.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO users (email, display_name, password_hash) \
             SELECT printf('learner-%06d@example.kr', i), \
                    printf('%06d ', i) || replace(hex(zeroblob(28)), '00', '창업가'), '!' FROM n",
            [USERS],
        )?;
        Ok(())
    });
    let admin = superuser(&app).await;
    let export = admin
        .get(app.url("/admin/user/export.csv"))
        .send()
        .await
        .expect("export starts");
    assert_eq!(export.status(), 200);
    drop(export);
    drop(admin);
    let gone = Instant::now();
    while app.db().heavy_reads_running() != 0 {
        assert!(
            gone.elapsed() < Duration::from_secs(10),
            "the export stops when its client is gone"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The next heavy read gets the slot.
    let (status, _) = app.get_json("/api/v1/courses?search=창업").await;
    assert_eq!(status, 200);
}
