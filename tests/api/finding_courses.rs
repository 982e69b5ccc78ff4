//! Finding a course (issue 13): the catalog sorts by rating, the course page has a cover and lock
//! marks, and the API docs are small, compressed, cached for good and link back to the site.

use crate::browser::{page, signup, submit};
use crate::helpers::{small_catalog, spawn_app};

#[tokio::test]
async fn the_catalog_sorts_by_rating_with_unrated_courses_last() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute(
            "INSERT INTO reviews (course_id, user_id, rating) VALUES (?1, ?2, 3)",
            [ids.growth, ids.kim],
        )?;
        tx.execute(
            "INSERT INTO reviews (course_id, user_id, rating) VALUES (?1, ?2, 5)",
            [ids.pitch, ids.lee],
        )?;
        Ok(())
    });
    let slugs = |body: &serde_json::Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, best) = app.get_json("/api/v1/courses?ordering=-rating").await;
    assert_eq!(status, 200);
    let best = slugs(&best);
    assert_eq!(&best[..2], ["pitch-deck", "growth-marketing"]);
    let (_, worst) = app.get_json("/api/v1/courses?ordering=rating").await;
    let worst = slugs(&worst);
    assert_eq!(&worst[..2], ["growth-marketing", "pitch-deck"]);
    assert_eq!(best.len(), worst.len());
    assert_ne!(best.last(), Some(&"pitch-deck".to_owned()), "unrated last");

    // The page form offers the three orders and keeps the chosen one.
    let (status, html) = page(&app.browser(), &app, "/courses?ordering=-rating").await;
    assert_eq!(status, 200);
    assert!(html.contains("<option value=\"-rating\" selected>"), "kept");
    assert!(html.contains("최신순") && html.contains("인기순") && html.contains("평점순"));
    let pitch = html.find("pitch-deck").unwrap();
    let growth = html.find("growth-marketing").unwrap();
    assert!(pitch < growth, "best rated first on the page too");
    assert!(html.contains("data-autosubmit") && html.contains("catalog.js"));
}

#[tokio::test]
async fn api_docs_are_small_compressed_cached_for_good_and_link_home() {
    use std::io::Read;
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let get = |path: String, gzip: bool| {
        let mut req = client.get(app.url(&path));
        if gzip {
            req = req.header("accept-encoding", "gzip, deflate, br");
        }
        req.send()
    };
    let page = get("/api/docs".into(), false).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.text().await.unwrap();
    assert!(html.len() < 4096, "the page is small: {} bytes", html.len());
    assert!(html.contains("href=\"/\""), "a link back to the site");
    assert!(!html.contains("<script>"), "no inline script");
    let assets: Vec<String> = html
        .split('"')
        .filter(|s| s.starts_with("/api/docs/"))
        .map(str::to_owned)
        .collect();
    assert_eq!(assets.len(), 3, "{assets:?}");
    for asset in &assets {
        let plain = get(asset.clone(), false).await.unwrap();
        assert_eq!(plain.status(), 200, "{asset}");
        assert_eq!(
            plain.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(plain.headers().get("content-encoding").is_none());
        let plain = plain.bytes().await.unwrap();
        // Compressed in the background after start: plain until then, gzip soon after.
        let mut packed = get(asset.clone(), true).await.unwrap();
        for _ in 0..300 {
            if packed.headers().contains_key("content-encoding") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            packed = get(asset.clone(), true).await.unwrap();
        }
        assert_eq!(packed.headers()["content-encoding"], "gzip", "{asset}");
        assert_eq!(packed.headers()["vary"], "Accept-Encoding");
        let packed = packed.bytes().await.unwrap();
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, plain.to_vec(), "{asset}");
        if asset.ends_with("bundle.js") {
            assert!(plain.len() > 500_000, "the real Swagger UI bundle");
            assert!(
                packed.len() * 3 < plain.len(),
                "{} → {}",
                plain.len(),
                packed.len()
            );
        }
    }
    // Another version is not this binary's: not found, never stale contents.
    let stale = get("/api/docs/000000000000/init.js".into(), false)
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);
    let mut spec = get("/api/openapi.json".into(), true).await.unwrap();
    for _ in 0..300 {
        if spec.headers().contains_key("content-encoding") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        spec = get("/api/openapi.json".into(), true).await.unwrap();
    }
    assert_eq!(spec.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn the_course_page_has_a_cover_and_locks_lessons_until_enrolment() {
    let app = spawn_app().await;
    small_catalog(&app);
    let anon = app.browser();
    let (status, html) = page(&anon, &app, "/courses/growth-marketing").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("course-hero__cover"),
        "a generated cover without a thumbnail"
    );
    // Lesson 1 is a preview, lesson 2 is not.
    assert_eq!(html.matches("class=\"lesson__lock\"").count(), 1);
    assert!(
        html.contains("수강 신청 후 볼 수 있음"),
        "the lock is read out"
    );
    let browser = app.browser();
    signup(&browser, &app, "cover@example.kr").await;
    submit(
        &browser,
        &app,
        "/courses/growth-marketing",
        "/courses/growth-marketing/enroll",
        &[],
    )
    .await;
    let (_, html) = page(&browser, &app, "/courses/growth-marketing").await;
    assert_eq!(
        html.matches("class=\"lesson__lock\"").count(),
        0,
        "enrolled: open"
    );
}
