//! Visitor pages: Korean by default, English by cookie or Accept-Language, catalog filters and
//! pagination, the course page, the friendly 404, headers and embedded assets.

use crate::helpers::{small_catalog, spawn_app};

async fn page(
    app: &crate::helpers::TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut req = app.client.get(format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The `href` values of links in a page (decoded from the HTML entity escaping).
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|s| {
            s.split('"')
                .next()
                .unwrap()
                .replace("&#x2f;", "/")
                .replace("&amp;", "&")
        })
        .collect()
}

#[tokio::test]
async fn home_is_korean_and_lists_newest_and_most_enrolled() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (status, html) = page(&app, "/", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"ko\">"));
    assert!(html.contains("새로 나온 강의") && html.contains("수강생이 많은 인기 강의"));
    for title in [
        "그로스 마케팅 입문",
        "Pitch Deck Masterclass",
        "창업자를 위한 회계 기초",
    ] {
        assert!(html.contains(title), "{title} missing");
    }
    assert!(!html.contains("비공개 마케팅 초안"), "drafts are not shown");
    let popular = html.split("수강생이 많은 인기 강의").nth(1).unwrap();
    assert!(
        popular.find("Pitch Deck").unwrap() < popular.find("그로스 마케팅").unwrap(),
        "most enrolled first"
    );
}

#[tokio::test]
async fn empty_site_home_explains_how_to_add_courses() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("hancup seed"));
}

#[tokio::test]
async fn english_by_accept_language_or_cookie_korean_otherwise() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (_, html) = page(&app, "/courses", &[("accept-language", "en-US,en;q=0.9")]).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("All courses"));
    let (_, html) = page(
        &app,
        "/courses",
        &[("cookie", "lang=en"), ("accept-language", "ko")],
    )
    .await;
    assert!(html.contains("<html lang=\"en\">"), "the cookie wins");
    let (_, html) = page(&app, "/courses", &[("accept-language", "fr-FR")]).await;
    assert!(html.contains("<html lang=\"ko\">") && html.contains("전체 강의"));
}

#[tokio::test]
async fn language_switch_sets_a_cookie_and_returns_only_to_local_paths() {
    let app = spawn_app().await;
    let resp = app.get("/lang/en?next=%2Fcourses%3Flevel%3Dbeginner").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/courses?level=beginner");
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("lang=en;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    for evil in [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(evil.as_bytes()).collect();
        let resp = app.get(&format!("/lang/en?next={encoded}")).await;
        assert_eq!(resp.headers()["location"], "/", "{evil}");
    }
    assert_eq!(app.get("/lang/fr").await.status(), 404);
}

#[tokio::test]
async fn catalog_filters_and_pagination_keep_each_other() {
    let app = spawn_app().await;
    app.seed(80, 30, 40);
    let (status, html) = page(
        &app,
        "/courses?level=beginner&search=%EC%B0%BD%EC%97%85",
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let links: Vec<String> = hrefs(&html)
        .into_iter()
        .filter(|h| h.contains("page=2"))
        .collect();
    assert!(!links.is_empty(), "a second page exists");
    for link in &links {
        assert!(
            link.contains("level=beginner") && link.contains("search=%EC%B0%BD%EC%97%85"),
            "{link}"
        );
    }
    assert!(
        html.contains("value=\"창업\""),
        "the search box keeps the query"
    );
    let (status, second) = page(&app, &links[0], &[]).await;
    assert_eq!(status, 200);
    assert!(second.contains("aria-current=\"page\""));
}

#[tokio::test]
async fn catalog_bad_filter_shows_a_message_with_the_input_kept() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (status, html) = page(
        &app,
        "/courses?level=expert&search=%EB%A7%88%EC%BC%80%ED%8C%85",
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("난이도는 입문, 중급, 고급 중에서 선택해 주세요."));
    assert!(html.contains("value=\"마케팅\""));
    let (status, html) = page(&app, "/courses?page=abc", &[("cookie", "lang=en")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("page"), "the message names the field");
    let (status, _) = page(&app, "/courses?page=50", &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn course_page_shows_curriculum_instructor_and_counts() {
    let app = spawn_app().await;
    small_catalog(&app);
    let (status, html) = page(&app, "/courses/growth-marketing", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("그로스 마케팅 입문") && html.contains("김민지"));
    assert!(
        html.contains("<strong>그로스</strong>"),
        "markdown description rendered"
    );
    let first = html.find("첫 번째: 오리엔테이션").unwrap();
    let second = html.find("두 번째: 퍼널 분석").unwrap();
    assert!(first < second, "curriculum by position");
    assert!(html.contains("미리보기"), "preview mark");
    assert!(
        html.contains("5:00") && html.contains("10:00"),
        "lesson durations"
    );
}

#[tokio::test]
async fn unknown_pages_get_the_friendly_404_in_the_visitors_language() {
    let app = spawn_app().await;
    small_catalog(&app);
    for path in [
        "/nope",
        "/courses/secret-draft",
        "/courses/growth-marketing/extra",
    ] {
        let (status, html) = page(&app, path, &[]).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("페이지를 찾을 수 없습니다"), "{path}");
    }
    let (_, html) = page(&app, "/nope", &[("accept-language", "en")]).await;
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn pages_carry_security_headers_and_no_third_party_assets() {
    let app = spawn_app().await;
    small_catalog(&app);
    for path in ["/", "/courses", "/courses/pitch-deck", "/nope"] {
        let resp = app.get(path).await;
        let h = resp.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        let html = resp.text().await.unwrap();
        for attr in ["src=\"http", "href=\"http"] {
            assert!(
                !html.contains(attr),
                "{path} loads something from another host"
            );
        }
        assert!(
            !html.contains("<script>") && !html.contains(" style=\""),
            "{path}: inline code"
        );
    }
}

#[tokio::test]
async fn static_assets_are_embedded_with_validators() {
    let app = spawn_app().await;
    let resp = app.get("/static/app.css").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(format!("{}/static/app.css", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/static/nope.css").await.status(), 404);
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["schema_version"],
        hancup::db::migrate::latest_version()
    );
}

#[tokio::test]
async fn english_pages_use_english_category_names_and_grouped_numbers() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    app.exec(|tx| {
        tx.execute(
            "UPDATE categories SET name_en = 'Growth & Marketing' WHERE id = ?1",
            [ids.marketing],
        )?;
        tx.execute(
            "UPDATE courses SET enrollment_count = 13200 WHERE id = ?1",
            [ids.growth],
        )?;
        Ok(())
    });
    let (_, html) = page(&app, "/courses/growth-marketing", &[("cookie", "lang=en")]).await;
    assert!(
        html.contains("Growth &amp; Marketing"),
        "English category name"
    );
    assert!(!html.contains("마케팅</a>"), "not the Korean one");
    assert!(html.contains("13,200"), "grouped digits");
    let (_, html) = page(&app, "/courses/growth-marketing", &[]).await;
    assert!(html.contains("마케팅") && html.contains("13,200"));
}
