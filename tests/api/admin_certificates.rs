//! Certificates in the admin: listed with the learner and course as issued, searched by code,
//! e-mail or course, filtered, sorted and exported; a read-only page (never added or edited);
//! deletion withdraws the code publicly, is logged, and a learner who completes a lesson again
//! gets a new code. The permission gate and the login redirect, and the upgrade that gave the
//! table its integer id.

use crate::admin_support::{
    admin_login, grant, post, scalar, statements, superuser, text, user_with_password,
};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app, Small, TestApp};

/// A learner who finishes growth-marketing (two lessons) through the API; returns their token
/// and certificate code.
async fn earn(app: &TestApp, email: &str, name: &str) -> (String, String) {
    let (_, token) = app.user_with_token(email, name);
    let enrolled = app
        .call(
            "POST",
            "/api/v1/courses/growth-marketing/enrollment",
            Some(&token),
            None,
        )
        .await
        .0;
    assert!(enrolled < 300, "{enrolled}");
    let code = complete(app, &token).await;
    (token, code.expect("a certificate"))
}

/// Marks both lessons complete (again is fine); the certificate code, if any.
async fn complete(app: &TestApp, token: &str) -> Option<String> {
    let mut last = serde_json::Value::Null;
    for position in [1, 2] {
        let (status, body) = app
            .call(
                "PUT",
                &format!("/api/v1/courses/growth-marketing/lessons/{position}/progress"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        last = body;
    }
    last["certificate_code"].as_str().map(str::to_owned)
}

fn id_of(app: &TestApp, code: &str) -> i64 {
    scalar(
        app,
        &format!("SELECT id FROM certificates WHERE code = '{code}'"),
    )
}

/// A path as the change form writes it into an attribute.
fn escaped(path: &str) -> String {
    path.replace('/', "&#x2f;")
}

struct Two {
    ids: Small,
    first: String,
    second: String,
    second_token: String,
}

async fn two_certificates(app: &TestApp) -> Two {
    let ids = small_catalog(app);
    let (_, first) = earn(app, "done@x.kr", "완주자").await;
    let (second_token, second) = earn(app, "second@x.kr", "두번째수료자").await;
    Two {
        ids,
        first,
        second,
        second_token,
    }
}

#[tokio::test]
async fn the_list_shows_searches_filters_sorts_and_exports_certificates() {
    let app = spawn_app().await;
    let two = two_certificates(&app).await;
    let client = superuser(&app).await;

    let (status, dash) = page(&client, &app, "/admin").await;
    assert_eq!(status, 200);
    assert!(dash.contains("/admin/certificate"), "on the dashboard");
    assert!(
        !dash.contains("/admin/certificate/add"),
        "completion issues them"
    );

    let (status, list) = page(&client, &app, "/admin/certificate").await;
    assert_eq!(status, 200);
    for shown in [
        two.first.as_str(),
        "done@x.kr",
        "완주자",
        "그로스 마케팅 입문",
        &two.second,
    ] {
        assert!(list.contains(shown), "{shown}: {list}");
    }
    let first_id = id_of(&app, &two.first);
    assert!(list.contains(&format!("/admin/certificate/{first_id}\"")));

    let (_, by_code) = page(
        &client,
        &app,
        &format!("/admin/certificate?q={}", two.first),
    )
    .await;
    assert!(
        by_code.contains("done@x.kr") && !by_code.contains(&two.second),
        "the code finds its certificate and only it"
    );
    assert!(by_code.contains(">1건<"), "{by_code}");
    let (_, by_email) = page(&client, &app, "/admin/certificate?q=second%40x").await;
    assert!(by_email.contains(&two.second) && !by_email.contains(&two.first));
    let (_, by_course) = page(&client, &app, "/admin/certificate?q=그로스").await;
    assert!(by_course.contains(">2건<"), "{by_course}");
    let (_, nothing) = page(&client, &app, "/admin/certificate?q=Pitch").await;
    assert!(!nothing.contains(&two.first) && !nothing.contains(&two.second));

    let growth = two.ids.growth;
    let (_, filtered) = page(
        &client,
        &app,
        &format!("/admin/certificate?course={growth}&issued=today"),
    )
    .await;
    assert!(filtered.contains(">2건<"), "{filtered}");
    let (_, other) = page(
        &client,
        &app,
        &format!("/admin/certificate?course={}", two.ids.pitch),
    )
    .await;
    assert!(!other.contains(&two.first), "another course has none");

    let (_, sorted) = page(&client, &app, "/admin/certificate?o=learner_name").await;
    let (a, b) = (
        sorted.find("두번째수료자").unwrap(),
        sorted.find("완주자").unwrap(),
    );
    assert!(a < b, "ascending learner name");
    let (_, sorted) = page(&client, &app, "/admin/certificate?o=-learner_name").await;
    assert!(sorted.find("완주자").unwrap() < sorted.find("두번째수료자").unwrap());

    let resp = client
        .get(app.url(&format!("/admin/certificate/export.csv?q={}", two.first)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let csv = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "header and the one certificate: {csv}");
    assert!(lines[0].contains("인증 코드") && lines[0].contains("발급일"));
    assert!(
        lines[1].contains(&two.first)
            && lines[1].contains("done@x.kr")
            && lines[1].contains("그로스 마케팅 입문"),
        "{csv}"
    );

    let few = statements(&client, &app, "/admin/certificate?q=zzzz-nobody").await;
    let many = statements(&client, &app, "/admin/certificate").await;
    assert_eq!(
        few, many,
        "the learner's e-mail is joined, not fetched per row"
    );
}

#[tokio::test]
async fn a_certificate_page_is_read_only() {
    let app = spawn_app().await;
    let two = two_certificates(&app).await;
    let client = superuser(&app).await;
    let id = id_of(&app, &two.first);
    let path = format!("/admin/certificate/{id}");
    let (status, body) = page(&client, &app, &path).await;
    assert_eq!(status, 200);
    for shown in [
        two.first.as_str(),
        "완주자",
        "done@x.kr",
        "그로스 마케팅 입문",
        "김민지",
        "수료증은 수강생이 강의를 마치면 발급되며",
    ] {
        assert!(body.contains(shown), "{shown}: {body}");
    }
    assert!(
        !body.contains("name=\"_save\"") && !body.contains("<input class=\"input\""),
        "nothing to edit, not even for a superuser"
    );
    assert!(
        body.contains(&escaped(&format!("{path}/delete"))),
        "the delete link: {body}"
    );
    assert!(body.contains(&escaped(&format!("{path}/history"))));

    let (status, _) = page(&client, &app, "/admin/certificate/add").await;
    assert_eq!(status, 403, "never added in the admin");
    let (status, _, _) = post(
        &client,
        &app,
        &path,
        &path,
        &[("learner_name", "위조"), ("_save", "1")],
    )
    .await;
    assert_eq!(status, 403, "never changed in the admin");
    assert_eq!(
        text(
            &app,
            &format!("SELECT learner_name FROM certificates WHERE id = {id}")
        ),
        "완주자"
    );
    let (status, _) = page(&client, &app, "/admin/certificate/999999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn deleting_withdraws_the_code_is_logged_and_completion_issues_a_new_one() {
    let app = spawn_app().await;
    let two = two_certificates(&app).await;
    let client = superuser(&app).await;
    let id = id_of(&app, &two.second);
    let path = format!("/admin/certificate/{id}/delete");
    let (status, preview) = page(&client, &app, &path).await;
    assert_eq!(status, 200);
    assert!(
        preview.contains(&two.second),
        "the code is named: {preview}"
    );
    assert!(
        preview.contains("수료 기록은 그대로이므로"),
        "the operator is told"
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/certificates/{}", two.second))
            .await
            .0,
        200,
        "the preview deletes nothing"
    );

    let (status, _, location) = post(&client, &app, &path, &path, &[]).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/admin/certificate"));
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM certificates WHERE code = '{}'",
                two.second
            )
        ),
        0
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/certificates/{}", two.second))
            .await
            .0,
        404,
        "the withdrawn code no longer verifies"
    );
    let (status, _) = page(&client, &app, &format!("/certificates/{}", two.second)).await;
    assert_eq!(status, 404);
    assert_eq!(
        app.get_json(&format!("/api/v1/certificates/{}", two.first))
            .await
            .0,
        200,
        "the other certificate stays"
    );

    let logged = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM admin_log WHERE model = 'certificate' AND action = 'delete' \
             AND object_id = {id} AND user_label = 'root@hancup.kr' \
             AND object_repr LIKE '%{}%'",
            two.second
        ),
    );
    assert_eq!(logged, 1, "the deletion is in the log, with the code");
    let (_, log) = page(&client, &app, "/admin/logentry?model=certificate").await;
    assert!(log.contains(&two.second), "{log}");

    let again = complete(&app, &two.second_token).await.expect("re-issued");
    assert_ne!(again, two.second, "a new code");
    assert_eq!(
        app.get_json(&format!("/api/v1/certificates/{again}"))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn deleting_a_course_previews_its_certificates() {
    let app = spawn_app().await;
    let two = two_certificates(&app).await;
    let client = superuser(&app).await;
    let (status, body) = page(
        &client,
        &app,
        &format!("/admin/course/{}/delete", two.ids.growth),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("수료증") && body.contains(&two.first),
        "certificates go with the course, by name: {body}"
    );
}

#[tokio::test]
async fn staff_without_the_certificate_permissions_are_refused() {
    let app = spawn_app().await;
    let two = two_certificates(&app).await;
    let id = id_of(&app, &two.first);
    let detail = format!("/admin/certificate/{id}");
    let delete = format!("{detail}/delete");

    let other = user_with_password(&app, "enrollments@hancup.kr", true, false);
    grant(&app, other, &["learning.view_enrollment"]);
    let (client, _) = admin_login(&app, "enrollments@hancup.kr").await;
    for path in [
        "/admin/certificate",
        "/admin/certificate/export.csv",
        &detail,
        &delete,
    ] {
        let (status, body) = page(&client, &app, path).await;
        assert_eq!(status, 403, "{path}");
        assert!(!body.contains(&two.first), "{path} leaks the code");
    }
    let (_, dash) = page(&client, &app, "/admin").await;
    assert!(!dash.contains("/admin/certificate"));

    let viewer = user_with_password(&app, "viewer@hancup.kr", true, false);
    grant(&app, viewer, &["learning.view_certificate"]);
    let (client, _) = admin_login(&app, "viewer@hancup.kr").await;
    let (status, list) = page(&client, &app, "/admin/certificate").await;
    assert_eq!(status, 200);
    assert!(list.contains(&two.first));
    assert!(
        !list.contains("delete_selected"),
        "no delete action without the permission"
    );
    let (status, body) = page(&client, &app, &detail).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&escaped(&format!("{detail}/history"))) && !body.contains(&escaped(&delete)),
        "no delete link"
    );
    let (status, _) = page(&client, &app, &delete).await;
    assert_eq!(status, 403);
    let (status, _, _) = post(&client, &app, &detail, &delete, &[]).await;
    assert_eq!(status, 403);
    let bulk = [
        ("action", "delete_selected"),
        ("_selected", &id.to_string()),
        ("confirm", "yes"),
    ];
    let (status, _, _) = post(
        &client,
        &app,
        "/admin/certificate",
        "/admin/certificate",
        &bulk,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM certificates"),
        2,
        "nothing deleted"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM admin_log WHERE model = 'certificate'"
        ),
        0
    );
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_admin_login() {
    let app = spawn_app().await;
    let two = two_certificates(&app).await;
    let id = id_of(&app, &two.first);
    let client = app.browser();
    for path in [
        "/admin/certificate".to_owned(),
        format!("/admin/certificate/{id}"),
        "/admin/certificate/export.csv".to_owned(),
    ] {
        let resp = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{path}");
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/admin/login?next="), "{location}");
        assert!(!resp.text().await.unwrap().contains(&two.first));
    }
}

/// A database from before migration 6 keeps its certificates (codes unchanged) and numbers
/// them in the order they were issued.
#[test]
fn upgrading_numbers_existing_certificates_in_issue_order() {
    use hancup::db::migrate;
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    hancup::textsearch::register_sql_functions(&conn).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    migrate::apply_up_to(&conn, 5).unwrap();
    conn.execute_batch(
        "INSERT INTO users (email, display_name, password_hash) VALUES ('a@x.kr', '먼저', '!'), ('b@x.kr', '나중', '!');
         INSERT INTO categories (slug, name, name_en) VALUES ('c', 'c', 'c');
         INSERT INTO courses (slug, title, summary, description, category_id, level, instructor_id, status)
           VALUES ('k', '강좌', '', '', 1, 'beginner', 1, 'draft'), ('k2', '강좌2', '', '', 1, 'beginner', 1, 'draft');
         INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name, issued_at) VALUES
           ('zzz-later', 1, 1, '나중', '강좌', '강사', '2026-02-01T00:00:00Z'),
           ('aaa-earlier', 2, 1, '먼저', '강좌', '강사', '2026-01-01T00:00:00Z');",
    )
    .unwrap();
    // As the server does it: in one write transaction, foreign keys on.
    let tx = conn.transaction().unwrap();
    migrate::apply_pending(&tx).unwrap();
    tx.commit().unwrap();
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT id, code FROM certificates ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![(1, "aaa-earlier".to_owned()), (2, "zzz-later".to_owned())]
    );
    let dup = conn.execute(
        "INSERT INTO certificates (code, user_id, course_id, learner_name, course_title, instructor_name) \
         VALUES ('aaa-earlier', 3, 2, 'x', 'x', 'x')",
        [],
    );
    assert!(dup.is_err(), "the code is still unique");
}
