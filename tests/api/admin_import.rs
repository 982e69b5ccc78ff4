//! CSV import with a dry run: the export's own file imports back unchanged; an edited file is
//! previewed row by row (added, changed old → new, each bad row with its line and field) with
//! nothing written, then committed in one transaction with its history; Korean Excel's CP949
//! is read; a confirm that no longer holds writes nothing.

use crate::admin_support::{grant, scalar, superuser, text, user_with_password};
use crate::browser::{csrf_of, page};
use crate::helpers::{small_catalog, spawn_app, spawn_with, TestApp};

/// Uploads `bytes` as the file of `/admin/<model>/import`: (status, page).
async fn preview(
    client: &reqwest::Client,
    app: &TestApp,
    model: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let path = format!("/admin/{model}/import");
    let (status, html) = page(client, app, &path).await;
    assert_eq!(status, 200, "{html}");
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_of(&html))
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("courses.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let resp = client
        .post(app.url(&path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Confirms the previewed `text` as the page's form does (multipart): (status, page, location).
async fn confirm(
    client: &reqwest::Client,
    app: &TestApp,
    model: &str,
    text: &str,
) -> (u16, String, Option<String>) {
    let (_, html) = page(client, app, &format!("/admin/{model}/import")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_of(&html))
        .text("csv", text.to_owned());
    let resp = client
        .post(app.url(&format!("/admin/{model}/import/confirm")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, resp.text().await.unwrap(), location)
}

fn counts(html: &str) -> String {
    let at = html.find("class=\"import-counts\"").expect("the counts");
    let rest = &html[at..];
    rest[rest.find('>').unwrap() + 1..rest.find("</p>").unwrap()].to_owned()
}

fn csv_of(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

#[tokio::test]
async fn an_exported_file_imports_back_unchanged() {
    let app = spawn_app().await;
    small_catalog(&app);
    let client = superuser(&app).await;
    let (_, exported) = page(&client, &app, "/admin/course/export.csv").await;
    let logged = scalar(&app, "SELECT COUNT(*) FROM admin_log");
    let courses = scalar(&app, "SELECT COUNT(*) FROM courses");
    let (status, html) = preview(&client, &app, "course", exported.into_bytes()).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(
        counts(&html),
        format!("추가 0건, 변경 0건, 변경 없음 {courses}건, 오류 0건")
    );
    assert!(html.contains("가져올 변경이 없습니다") && !html.contains("name=\"csv\""));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM admin_log"), logged);
}

#[tokio::test]
async fn every_importable_models_export_imports_back_unchanged() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    crate::helpers::people(&app, &ids);
    app.exec(|tx| {
        tx.execute_batch(&format!(
            "INSERT INTO questions (course_id, user_id, title, body) VALUES ({g}, {k}, '환불 되나요?', '본문');
             INSERT INTO answers (question_id, user_id, body) VALUES (last_insert_rowid(), {k}, '네');
             INSERT INTO notices (course_id, author_id, title, body) VALUES ({g}, {k}, '공지', '내용');
             INSERT INTO reviews (course_id, user_id, rating, body) VALUES ({g}, {l}, 5, '좋아요');",
            g = ids.growth,
            k = ids.kim,
            l = ids.lee
        ))
    });
    let client = superuser(&app).await;
    let mut checked = 0;
    for model in hancup::admin::models::REGISTRY
        .iter()
        .filter(|m| hancup::admin::import::importable(m))
    {
        let (_, exported) = page(&client, &app, &format!("/admin/{}/export.csv", model.key)).await;
        let rows = exported.lines().count() - 1;
        assert!(rows > 0, "{}: the fixture has rows", model.key);
        let (status, html) = preview(&client, &app, model.key, exported.into_bytes()).await;
        assert_eq!(status, 200, "{}: {html}", model.key);
        assert_eq!(
            counts(&html),
            format!("추가 0건, 변경 0건, 변경 없음 {rows}건, 오류 0건"),
            "{}",
            model.key
        );
        checked += 1;
    }
    assert!(checked >= 9, "{checked} models");
}

#[tokio::test]
async fn an_edited_file_is_previewed_then_committed_in_one_transaction() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let growth = ids.growth.to_string();
    let kim = ids.kim.to_string();
    let header = vec!["id", "제목", "슬러그", "분야", "난이도", "강사", "상태"];
    let changed = vec![
        growth.as_str(),
        "그로스 마케팅 실전",
        "growth-marketing",
        "마케팅",
        "입문",
        kim.as_str(),
        "공개",
    ];
    let added = vec![
        "",
        "새로 가져온 강의",
        "imported-course",
        "마케팅",
        "중급",
        kim.as_str(),
        "초안",
    ];
    let bad = vec![
        "",
        "",
        "Bad Slug",
        "없는 분야",
        "입문",
        kim.as_str(),
        "초안",
    ];
    let file = csv_of(&[header.clone(), changed.clone(), added.clone(), bad]);
    let before = text(
        &app,
        "SELECT group_concat(title, '|') FROM courses ORDER BY id",
    );
    let logged = scalar(&app, "SELECT COUNT(*) FROM admin_log");
    let (status, html) = preview(&client, &app, "course", file).await;
    assert_eq!(status, 200);
    assert_eq!(counts(&html), "추가 1건, 변경 1건, 변경 없음 0건, 오류 1건");
    let bad_row = &html[html.find("data-line=\"4\"").expect("line 4 is reported")..];
    let bad_row = &bad_row[..bad_row.find("</tr>").unwrap()];
    for said in [
        "제목",
        "필수 입력 항목입니다",
        "슬러그",
        "하이픈",
        "분야",
        "올바른 항목을 선택해 주세요",
    ] {
        assert!(bad_row.contains(said), "{said}: {bad_row}");
    }
    assert!(html.contains("<del>그로스 마케팅 입문</del> → <ins>그로스 마케팅 실전</ins>"));
    assert!(
        !html.contains("name=\"csv\""),
        "no confirm while a row fails"
    );
    assert_eq!(
        text(
            &app,
            "SELECT group_concat(title, '|') FROM courses ORDER BY id"
        ),
        before,
        "the dry run wrote nothing"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM admin_log"), logged);

    // Without the bad row: a confirm form carrying the file, then one commit with history.
    let file = csv_of(&[header, changed, added]);
    let (_, html) = preview(&client, &app, "course", file.clone()).await;
    assert_eq!(counts(&html), "추가 1건, 변경 1건, 변경 없음 0건, 오류 0건");
    let text_csv = String::from_utf8(file).unwrap();
    let (status, body, location) = confirm(&client, &app, "course", &text_csv).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/admin/course"));
    assert_eq!(
        text(
            &app,
            &format!("SELECT title FROM courses WHERE id = {}", ids.growth)
        ),
        "그로스 마케팅 실전"
    );
    assert_eq!(
        text(
            &app,
            "SELECT level || '|' || status FROM courses WHERE slug = 'imported-course'"
        ),
        "intermediate|draft"
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM admin_log") - logged,
        2,
        "one history entry per written row"
    );
    // The same confirm again: the slug is taken now, so the whole file is refused, unwritten.
    let (status, body, _) = confirm(&client, &app, "course", &text_csv).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("이미 쓰이고 있는 값입니다"),
        "the taken slug is named"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM courses WHERE slug = 'imported-course'"
        ),
        1
    );
}

#[tokio::test]
async fn excel_cp949_files_are_read_and_rights_are_per_row() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let kim = ids.kim.to_string();
    let utf8 = String::from_utf8(csv_of(&[
        vec!["제목", "슬러그", "분야", "난이도", "강사", "상태"],
        vec![
            "엑셀에서 저장한 강의",
            "from-excel",
            "마케팅",
            "입문",
            kim.as_str(),
            "초안",
        ],
    ]))
    .unwrap();
    let (cp949, _, lossy) = encoding_rs::EUC_KR.encode(&utf8);
    assert!(
        !lossy && std::str::from_utf8(&cp949).is_err(),
        "really CP949 bytes"
    );
    let (_, html) = preview(&client, &app, "course", cp949.into_owned()).await;
    assert!(
        html.contains("엑셀에서 저장한 강의") || counts(&html).starts_with("추가 1건"),
        "{html}"
    );
    assert_eq!(counts(&html), "추가 1건, 변경 0건, 변경 없음 0건, 오류 0건");

    // Staff who may change courses but not add them: new rows fail, changes pass.
    let staff = user_with_password(&app, "editor@hancup.kr", true, false);
    grant(
        &app,
        staff,
        &["catalog.view_course", "catalog.change_course"],
    );
    let (editor, _) = crate::admin_support::admin_login(&app, "editor@hancup.kr").await;
    let growth = ids.growth.to_string();
    let file = csv_of(&[
        vec!["id", "제목"],
        vec![growth.as_str(), "편집자가 고친 제목"],
        vec!["", "편집자가 만든 강의"],
    ]);
    let (status, html) = preview(&editor, &app, "course", file).await;
    assert_eq!(status, 200);
    assert_eq!(counts(&html), "추가 0건, 변경 1건, 변경 없음 0건, 오류 1건");
}

#[tokio::test]
async fn imported_accounts_get_no_password_but_an_invitation_to_set_one() {
    let app = spawn_app().await;
    small_catalog(&app);
    let client = superuser(&app).await;
    let file = csv_of(&[
        vec!["이메일", "이름", "password_hash"],
        vec!["newbie@example.kr", "새내기", "$argon2id$planted"],
        vec!["second@example.kr", "두 번째", ""],
    ]);
    let (_, html) = preview(&client, &app, "user", file.clone()).await;
    assert_eq!(counts(&html), "추가 2건, 변경 0건, 변경 없음 0건, 오류 0건");
    assert!(
        html.contains("password_hash"),
        "a password column is ignored, and said so"
    );
    let mails = app.state.mailer.outbox().len();
    let (status, body, _) = confirm(&client, &app, "user", &String::from_utf8(file).unwrap()).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        text(&app, "SELECT group_concat(password_hash, '|') FROM users WHERE email IN ('newbie@example.kr', 'second@example.kr')"),
        "!imported|!imported",
        "no password from the file"
    );
    // Logging in is impossible until the person sets a password from the mailed link.
    let (status, _, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            serde_json::json!({"email": "newbie@example.kr", "password": "$argon2id$planted"}),
        )
        .await;
    assert_eq!(status, 400);
    let outbox = app.state.mailer.outbox();
    assert_eq!(outbox.len() - mails, 2, "one invitation each");
    let mail = outbox.iter().find(|m| m.to == "newbie@example.kr").unwrap();
    assert!(mail.subject.contains("비밀번호를 정해 주세요") && mail.body.contains("7일"));
    let start = mail.body.find(&app.base).expect("an absolute link");
    let link = mail.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches(&app.base)
        .to_owned();
    let anon = app.browser();
    let (_, form) = page(&anon, &app, &link).await;
    let resp = anon
        .post(app.url(&link))
        .form(&[
            ("new_password1", "바다 건너 부는 바람과 등대 2026"),
            ("new_password2", "바다 건너 부는 바람과 등대 2026"),
            ("csrf_token", csrf_of(&form).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let (status, _, _) = app
        .post_json("/api/v1/auth/login", None, serde_json::json!({"email": "newbie@example.kr", "password": "바다 건너 부는 바람과 등대 2026"}))
        .await;
    assert_eq!(status, 200, "the person's own password works");
    assert_eq!(page(&anon, &app, &link).await.0, 404, "the link works once");
}

#[tokio::test]
async fn a_korean_file_near_the_upload_limit_is_confirmed_whole() {
    // URL-encoded, Korean text triples; the confirm form is multipart so it does not.
    let app = spawn_with(|c| {
        c.media.max_upload_bytes = 60_000;
        c.server.max_body_bytes = 65_536;
    })
    .await;
    small_catalog(&app);
    let client = superuser(&app).await;
    let mut rows = vec![vec![
        "이름".to_owned(),
        "영문 이름".to_owned(),
        "슬러그".to_owned(),
        "순서".to_owned(),
    ]];
    for i in 0..640 {
        rows.push(vec![
            format!("한국어로 지은 꽤 긴 분야 이름입니다 정말로 {i}"),
            format!("Field {i}"),
            format!("field-{i}"),
            i.to_string(),
        ]);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        w.write_record(r).unwrap();
    }
    let file = w.into_inner().unwrap();
    let encoded: usize = url::form_urlencoded::byte_serialize(&file)
        .map(str::len)
        .sum();
    assert!(
        // The admin's body limit: the upload size and 64 KiB for the rest of the form.
        file.len() < 60_000 && encoded > 60_000 + 64 * 1024,
        "{} bytes, {encoded} URL-encoded: past the admin's body limit only when encoded",
        file.len()
    );
    let (_, html) = preview(&client, &app, "category", file.clone()).await;
    assert_eq!(
        counts(&html),
        "추가 640건, 변경 0건, 변경 없음 0건, 오류 0건"
    );
    let (status, body, _) =
        confirm(&client, &app, "category", &String::from_utf8(file).unwrap()).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM categories WHERE slug LIKE 'field-%'"
        ),
        640
    );
}
