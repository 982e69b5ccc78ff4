//! Korean time (issue 13): dates a person reads are in `i18n.time_zone` (Asia/Seoul by default)
//! on public pages, certificates and the admin's lists and CSV, while stored values and the API
//! stay UTC.

use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app, spawn_with};

#[tokio::test]
async fn dates_read_in_korean_time_and_stored_values_stay_utc() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    // Issued at 00:59 KST on 12-04, which is 15:59 UTC on 12-03.
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name, issued_at)
             VALUES ('kst-midnight', ?1, ?2, '이서준', '그로스 마케팅 입문', '김민지', '2026-12-03T15:59:00Z')",
            [ids.lee, ids.growth],
        )?;
        Ok(())
    });
    let anon = app.browser();
    let (status, html) = page(&anon, &app, "/certificates/kst-midnight").await;
    assert_eq!(status, 200);
    assert!(html.contains("2026.12.04"), "the Korean date");
    assert!(!html.contains(">2026-12-03<"));
    let (_, json) = app.get_json("/api/v1/certificates/kst-midnight").await;
    assert_eq!(
        json["issued_at"], "2026-12-03T15:59:00Z",
        "the API keeps UTC"
    );

    let utc = spawn_with(|c| {
        c.i18n.time_zone = hancup::config::ConfigValue::from_env("UTC").unwrap();
    })
    .await;
    let ids = small_catalog(&utc);
    utc.exec(|tx| {
        tx.execute(
            "INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name, issued_at)
             VALUES ('utc-evening', ?1, ?2, '이서준', '그로스 마케팅 입문', '김민지', '2026-12-03T15:59:00Z')",
            [ids.lee, ids.growth],
        )?;
        Ok(())
    });
    let (_, html) = page(&utc.browser(), &utc, "/certificates/utc-evening").await;
    assert!(html.contains("2026.12.03"), "the configured zone decides");
}

#[tokio::test]
async fn the_admin_lists_and_csv_show_korean_time() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name, issued_at)
             VALUES ('admin-kst', ?1, ?2, '이서준', '그로스 마케팅 입문', '김민지', '2026-12-03T15:59:00Z')",
            [ids.lee, ids.growth],
        )?;
        Ok(())
    });
    let client = crate::admin_support::superuser(&app).await;
    let (status, list) = page(&client, &app, "/admin/certificate").await;
    assert_eq!(status, 200);
    assert!(
        list.contains("2026.12.04 00:59 KST"),
        "the list in Korean time"
    );
    let csv = client
        .get(app.url("/admin/certificate/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("2026.12.04 00:59 KST"), "the CSV too: {csv}");
    assert!(!csv.contains("2026-12-03 15:59"));
}
