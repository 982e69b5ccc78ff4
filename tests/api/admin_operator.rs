//! The operator's admin (issue 18): an untouched save writes nothing, changes are logged old →
//! new with Korean labels and local times, date inputs take Korean time with seconds, foreign-key
//! filters stay usable past a few choices, and the message catalogs follow the glossary.

use crate::admin_support::{admin_login, make_staff, post, scalar, superuser, text};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app, without_toolbar};

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(unescape(tag[at..].split('"').next()?))
}

/// What a browser would submit for the form `id` of `html`, untouched: text inputs, checked
/// boxes, selected options and text areas (a small scraper, enough for the admin's forms).
pub fn form_fields(html: &str, id: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .expect("the form is there");
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with("<template") {
            let close = rest.find("</template>").unwrap();
            rest = &rest[close..];
            continue;
        }
        let disabled = tag.contains(" disabled");
        if let (false, Some(name)) = (disabled, attr(tag, "name")) {
            if tag.starts_with("<input") {
                let kind = attr(tag, "type").unwrap_or_default();
                let value = attr(tag, "value").unwrap_or_default();
                let checkable = kind == "checkbox" || kind == "radio";
                if !checkable || tag.contains(" checked") {
                    out.push((name, value));
                }
            } else if tag.starts_with("<textarea") {
                let body = &rest[end + 1..];
                let text = &body[..body.find("</textarea>").unwrap()];
                out.push((name, unescape(text)));
            } else if tag.starts_with("<select") {
                let body = &rest[end + 1..rest.find("</select>").unwrap()];
                let mut chosen = None;
                for opt in body.split("<option").skip(1) {
                    let head = &opt[..opt.find('>').unwrap()];
                    let v = attr(&format!(" {head}"), "value").unwrap_or_default();
                    if chosen.is_none() || head.contains(" selected") {
                        chosen = Some((v, head.contains(" selected")));
                    }
                    if head.contains(" selected") {
                        break;
                    }
                }
                out.push((name, chosen.map(|c| c.0).unwrap_or_default()));
            }
        }
        rest = &rest[1..];
    }
    out
}

fn refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn an_untouched_save_writes_nothing_and_logs_nothing() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    // A time with seconds, 00:59:30 Korean time on the next day.
    app.exec(|tx| {
        tx.execute(
            "UPDATE courses SET published_at = '2026-12-03T15:59:30Z', \
             updated_at = '2026-01-01T00:00:00Z' WHERE id = ?1",
            [ids.growth],
        )?;
        Ok(())
    });
    let path = format!("/admin/course/{}", ids.growth);
    let (_, html) = page(&client, &app, &path).await;
    assert!(
        html.contains("value=\"2026-12-04T00:59:30\""),
        "the input shows Korean time with its seconds"
    );
    assert!(html.contains("step=\"1\""), "seconds are editable");
    let fields = form_fields(&html, "change-form");
    let logged = scalar(&app, "SELECT COUNT(*) FROM admin_log");
    let (status, body, _) = post(&client, &app, &path, &path, &refs(&fields)).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM admin_log"),
        logged,
        "no history entry"
    );
    assert_eq!(
        text(
            &app,
            &format!(
                "SELECT published_at || ' ' || updated_at FROM courses WHERE id = {}",
                ids.growth
            )
        ),
        "2026-12-03T15:59:30Z 2026-01-01T00:00:00Z",
        "nothing written, not even the touch column"
    );
    let positions = text(
        &app,
        &format!(
            "SELECT group_concat(title, '|') FROM (SELECT title FROM lessons WHERE course_id = {} ORDER BY position)",
            ids.growth
        ),
    );
    assert_eq!(positions, "첫 번째: 오리엔테이션|두 번째: 퍼널 분석");

    // A typed Korean time is stored as UTC.
    let mut changed = fields.clone();
    for (k, v) in changed.iter_mut() {
        if k == "published_at" {
            *v = "2026-12-04T09:00:05".into();
        }
    }
    let (status, body, _) = post(&client, &app, &path, &path, &refs(&changed)).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        text(
            &app,
            &format!("SELECT published_at FROM courses WHERE id = {}", ids.growth)
        ),
        "2026-12-04T00:00:05Z"
    );
    let (_, history) = page(&client, &app, &format!("{path}/history")).await;
    assert!(
        history.contains("공개 시각")
            && history.contains("2026.12.04 00:59 KST")
            && history.contains("2026.12.04 09:00 KST"),
        "{history}"
    );
    assert!(
        !without_toolbar(&history).contains("published_at"),
        "{history}"
    );
}

#[tokio::test]
async fn a_lesson_title_change_is_logged_old_to_new() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let path = format!("/admin/course/{}", ids.growth);
    let (_, html) = page(&client, &app, &path).await;
    let mut fields = form_fields(&html, "change-form");
    for (k, v) in fields.iter_mut() {
        if v == "첫 번째: 오리엔테이션" && k.ends_with("-title") {
            *v = "첫 번째: 시작하기".into();
        }
    }
    let (status, body, _) = post(&client, &app, &path, &path, &refs(&fields)).await;
    assert_eq!(status, 303, "{body}");
    let (_, history) = page(&client, &app, &format!("{path}/history")).await;
    assert!(
        history.contains("<del>첫 번째: 오리엔테이션</del> → <ins>첫 번째: 시작하기</ins>"),
        "{history}"
    );
    // The log's own list reads labels, not the model key or JSON.
    let (_, log) = page(&client, &app, "/admin/logentry").await;
    assert!(
        log.contains("제목: 첫 번째: 오리엔테이션 → 첫 번째: 시작하기"),
        "{log}"
    );
    assert!(
        !log.contains("&quot;field&quot;") && !log.contains("\"field\""),
        "{log}"
    );
    assert!(!log.contains("<td>lesson</td>") && !log.contains("<td>course</td>"));
}

#[tokio::test]
async fn a_course_filter_past_twenty_courses_is_searched_by_title_with_its_slug() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    app.exec(|tx| {
        for i in 0..200 {
            // Titles from ㄱ to ㄷ sort first; the ㅎ ones come last, twice the same title.
            let title = match i {
                198 | 199 => "회계 기초 실습".to_owned(),
                _ => format!("기획 {i:03}"),
            };
            tx.execute(
                "INSERT INTO courses (slug, title, summary, description, category_id, level, \
                 instructor_id, status) VALUES (?1, ?2, '', '', ?3, 'beginner', ?4, 'draft')",
                rusqlite::params![format!("c-{i:03}"), title, ids.marketing, ids.kim],
            )?;
        }
        Ok(())
    });
    let (_, html) = page(&client, &app, "/admin/question").await;
    assert!(
        html.contains("name=\"course__q\""),
        "a search box instead of a cut list"
    );
    assert!(
        !html.contains("회계 기초 실습"),
        "only the first 20 are listed"
    );
    let (status, found) = page(
        &client,
        &app,
        "/admin/question?course__q=%ED%9A%8C%EA%B3%84",
    )
    .await;
    assert_eq!(status, 200);
    let a = scalar(&app, "SELECT id FROM courses WHERE slug = 'c-198'");
    assert!(
        found.contains("회계 기초 실습 · c-198") && found.contains("회계 기초 실습 · c-199"),
        "the same title told apart by the slug: {found}"
    );
    assert!(found.contains(&format!("?course={a}")), "{found}");
    // Chosen, the course stays listed and marked while the list is filtered.
    let (_, chosen) = page(&client, &app, &format!("/admin/question?course={a}")).await;
    assert!(
        chosen.contains("aria-current=\"true\">회계 기초 실습 · c-198"),
        "{chosen}"
    );
    // A search with LIKE's wildcards finds nothing rather than everything.
    let (_, none) = page(&client, &app, "/admin/question?course__q=%25").await;
    assert!(!none.contains("기획 000"));
}

/// The "쓰지 않는 말" cells of docs/GLOSSARY.md's tables (comma-separated, `—` for none, a
/// parenthesised remark after a word dropped).
fn forbidden_words() -> Vec<String> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/GLOSSARY.md")).unwrap();
    let mut out = Vec::new();
    for table in doc.split("\n\n").filter(|b| b.starts_with('|')) {
        let mut lines = table.lines();
        let header: Vec<&str> = lines.next().unwrap().split('|').map(str::trim).collect();
        let col = header
            .iter()
            .position(|h| h.starts_with("쓰지 않는 말"))
            .expect("a 쓰지 않는 말 column");
        for row in lines.skip(1) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            for word in cells[col].split(", ") {
                let word = word.split(" (").next().unwrap().trim();
                if !word.is_empty() && word != "—" {
                    out.push(word.to_owned());
                }
            }
        }
    }
    out
}

#[test]
fn catalogs_and_admin_labels_follow_the_glossary() {
    let words = forbidden_words();
    for w in ["강좌", "레슨", "을(를)", "만든 날짜", "작업을 마쳤습니다"] {
        assert!(
            words.iter().any(|x| x == w),
            "the glossary forbids {w}: {words:?}"
        );
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let ko = std::fs::read_to_string(format!("{root}/assets/locale/ko.toml")).unwrap();
    let mut texts: Vec<(String, String)> = ko
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (format!("ko.toml {k}"), v.to_owned()))
        .collect();
    // The admin's Korean labels: the first argument of every `l("…", "…")`.
    for file in ["catalog", "learning", "accounts", "mod"] {
        let src = std::fs::read_to_string(format!("{root}/src/admin/models/{file}.rs")).unwrap();
        for part in src.split("l(\"").skip(1) {
            let ko_label = part.split('"').next().unwrap();
            texts.push((format!("src/admin/models/{file}.rs"), ko_label.to_owned()));
        }
    }
    let mut found = Vec::new();
    for (place, text) in &texts {
        for w in &words {
            if text.contains(w.as_str()) {
                found.push(format!("{place}: {w} in {text}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "words the glossary rules out:\n{}",
        found.join("\n")
    );
}

#[tokio::test]
async fn a_bad_page_number_is_named_in_korean_and_bulk_actions_say_how_many() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let (_, body) = app.get_text("/courses?page=abc").await;
    assert!(body.contains("페이지 번호"), "{body}");
    assert!(!body.contains("page 값"), "{body}");

    let client = superuser(&app).await;
    let selected = [ids.growth.to_string(), ids.draft.to_string()];
    let mut form: Vec<(&str, &str)> = vec![("action", "publish"), ("confirm", "yes")];
    for id in &selected {
        form.push(("_selected", id));
    }
    let (status, _, _) = post(&client, &app, "/admin/course", "/admin/course", &form).await;
    assert_eq!(status, 303);
    let (_, list) = page(&client, &app, "/admin/course").await;
    assert!(
        list.contains("&#x27;선택한 강의 공개&#x27;: 선택한 강의 2개 중 1개를 바꿨습니다.")
            || list.contains("'선택한 강의 공개': 선택한 강의 2개 중 1개를 바꿨습니다."),
        "how many of the selected rows changed: {list}"
    );
}

/// The number shown for `metric` in window `which` (`today` or `month`) on the dashboard.
#[tokio::test]
async fn lists_show_progress_and_filter_questions_by_answer_state() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    app.exec(|tx| {
        // lee is enrolled in growth (2 lessons) and completed one: 50%.
        let lesson: i64 = tx.query_row(
            "SELECT id FROM lessons WHERE course_id = ?1 AND position = 1",
            [ids.growth],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO lesson_progress (user_id, lesson_id, course_id) VALUES (?1, ?2, ?3)",
            [ids.lee, lesson, ids.growth],
        )?;
        for (title, answers) in [("답 없는 질문", 0), ("답 있는 질문", 1), ("채택된 질문", 1)] {
            tx.execute(
                "INSERT INTO questions (course_id, user_id, title, body) VALUES (?1, ?2, ?3, '본문')",
                rusqlite::params![ids.growth, ids.lee, title],
            )?;
            let q = tx.last_insert_rowid();
            if answers > 0 {
                tx.execute(
                    "INSERT INTO answers (question_id, user_id, body) VALUES (?1, ?2, '답변')",
                    [q, ids.kim],
                )?;
                if title == "채택된 질문" {
                    tx.execute(
                        "UPDATE questions SET accepted_answer_id = ?1 WHERE id = ?2",
                        [tx.last_insert_rowid(), q],
                    )?;
                }
            }
        }
        Ok(())
    });
    let (_, list) = page(
        &client,
        &app,
        &format!("/admin/enrollment?course={}", ids.growth),
    )
    .await;
    assert!(list.contains("진도율") && list.contains(">50%<"), "{list}");
    let (_, done) = page(&client, &app, "/admin/enrollment?completed=1").await;
    assert!(done.contains("0건"), "nobody finished yet");
    for (state, shown, hidden) in [
        ("unanswered", "답 없는 질문", "답 있는 질문"),
        ("answered", "답 있는 질문", "채택된 질문"),
        ("accepted", "채택된 질문", "답 없는 질문"),
    ] {
        let (_, html) = page(&client, &app, &format!("/admin/question?answered={state}")).await;
        assert!(
            html.contains(&format!("<td>{shown}</td>"))
                && !html.contains(&format!("<td>{hidden}</td>")),
            "{state}"
        );
    }
    let (_, html) = page(&client, &app, "/admin/question").await;
    assert!(html.contains("미답변") && html.contains("답변됨") && html.contains("채택됨"));
}

#[tokio::test]
async fn the_instructor_is_shown_by_name_linked_for_those_who_may_see_users() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let (_, list) = page(&client, &app, "/admin/course").await;
    assert!(
        list.contains(&format!("<a href=\"/admin/user/{}\">김민지</a>", ids.kim)),
        "linked to the instructor's user page"
    );
    assert!(
        !list.contains("김민지\u{1f}"),
        "the id stays out of the text"
    );
    let (_, csv) = page(&client, &app, "/admin/course/export.csv").await;
    assert!(csv.contains(",김민지,") && !csv.contains('\u{1f}'), "{csv}");
    // Sorted by the instructor's name, not their id.
    let (_, sorted) = page(&client, &app, "/admin/course?o=instructor").await;
    assert!(sorted.find("김민지").unwrap() < sorted.find("이서준").unwrap());
    // An instructor may not see users: the name, no link.
    make_staff(&app, ids.lee, false);
    app.db()
        .write(|tx| hancup::accounts::perms::add_to_role(tx, ids.lee, "instructors"))
        .unwrap();
    let (lee, _) = admin_login(&app, "lee@example.com").await;
    let (_, theirs) = page(&lee, &app, "/admin/course").await;
    assert!(theirs.contains("이서준") && !theirs.contains("href=\"/admin/user/"));
}

#[tokio::test]
async fn the_course_form_comes_in_sections_with_its_save_bar() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let (_, form) = page(&client, &app, "/admin/course/add").await;
    let at = |needle: &str| {
        form.find(needle)
            .unwrap_or_else(|| panic!("{needle} is missing"))
    };
    let basics = at(">기본 정보</legend>");
    let grouping = at(">분류와 강사</legend>");
    let publishing = at(">공개</legend>");
    assert!(basics < at("id=\"id_title\"") && at("id=\"id_description\"") < grouping);
    assert!(grouping < at("id=\"id_category_id\"") && at("id=\"id_instructor_id\"") < publishing);
    assert!(
        publishing < at("id=\"id_status\"")
            && at("id=\"id_published_at\"") < at("class=\"submit-row\"")
    );
    for button in [
        "name=\"_save\"",
        "name=\"_continue\"",
        "name=\"_addanother\"",
    ] {
        assert!(
            at("class=\"submit-row\"") < at(button),
            "{button} in the save bar"
        );
    }
    // Each inline lesson opens in its own page (the roomy editor with its preview).
    let (_, change) = page(&client, &app, &format!("/admin/course/{}", ids.growth)).await;
    let lesson = scalar(
        &app,
        &format!(
            "SELECT id FROM lessons WHERE course_id = {} ORDER BY position LIMIT 1",
            ids.growth
        ),
    );
    assert!(change.contains(&format!("href=\"/admin/lesson/{lesson}\">열기</a>")));
    // A model without sections is one untitled group, as before.
    let (_, category) = page(&client, &app, "/admin/category/add").await;
    assert!(!category.contains("form-section__title"));
}

#[tokio::test]
async fn the_date_hierarchy_narrows_by_korean_year_month_and_day() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    app.exec(|tx| {
        tx.execute("DELETE FROM enrollments", [])?;
        // 16:00 UTC on 02-03 is 01:00 on 02-04 in Korea; 14:00 UTC is still 02-03.
        for (i, at) in [
            "2025-11-20T10:00:00Z",
            "2026-02-03T14:00:00Z",
            "2026-02-03T16:00:00Z",
        ]
        .iter()
        .enumerate()
        {
            tx.execute(
                "INSERT INTO users (email, display_name, password_hash) VALUES (?1, '날짜', '!')",
                [format!("d{i}@example.kr")],
            )?;
            tx.execute(
                "INSERT INTO enrollments (user_id, course_id, created_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![tx.last_insert_rowid(), ids.growth, at],
            )?;
        }
        Ok(())
    });
    let count = |html: &str| -> i64 {
        let at = html.find("class=\"result-count\"").unwrap();
        let text = &html[at..];
        let digits: String = text[text.find('>').unwrap() + 1..]
            .chars()
            .take_while(|c| *c != '<')
            .filter(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    let (_, all) = page(&client, &app, "/admin/enrollment").await;
    assert_eq!(count(&all), 3);
    let nav = &all[all
        .find("class=\"date-hierarchy\"")
        .expect("the date hierarchy")..];
    assert!(nav.contains("?date=2025\">2025년</a>") && nav.contains("?date=2026\">2026년</a>"));
    let (_, year) = page(&client, &app, "/admin/enrollment?date=2026").await;
    assert_eq!(count(&year), 2);
    assert!(year.contains("?date=2026-02\">2월</a>") && !year.contains(">1월</a>"));
    let (_, month) = page(&client, &app, "/admin/enrollment?date=2026-02").await;
    assert_eq!(count(&month), 2);
    assert!(
        month.contains(">3일</a>") && month.contains(">4일</a>") && !month.contains(">5일</a>")
    );
    assert!(
        month.contains("aria-current=\"true\">2월</strong>"),
        "where the pick is"
    );
    let (_, day) = page(&client, &app, "/admin/enrollment?date=2026-02-04").await;
    assert_eq!(count(&day), 1, "a Korean day, not a UTC one");
    // The pick keeps the search and sort; a date that does not exist is no pick.
    let (_, searched) = page(
        &client,
        &app,
        "/admin/enrollment?q=d1&o=-created_at&date=2026",
    )
    .await;
    assert!(searched.contains("href=\"?q=d1&date=2026-02&o=-created_at\">2월</a>"));
    for bad in ["2026-13", "2026-02-30", "x"] {
        let (status, html) = page(&client, &app, &format!("/admin/enrollment?date={bad}")).await;
        assert_eq!((status, count(&html)), (200, 3), "{bad}");
    }
    // Models without dates have no hierarchy.
    let (_, categories) = page(&client, &app, "/admin/category").await;
    assert!(!categories.contains("date-hierarchy"));
}

#[tokio::test]
async fn objects_with_a_public_page_link_to_it_and_drafts_do_not() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    let link = |html: &str| -> Option<String> {
        let at = html.find(">사이트에서 보기</a>")?;
        let head = &html[..at];
        let href = head.rfind("href=\"")? + 6;
        Some(head[href..].split('"').next()?.replace("&#x2f;", "/"))
    };
    let (_, course) = page(&client, &app, &format!("/admin/course/{}", ids.growth)).await;
    let path = link(&course).expect("a published course links to its page");
    assert_eq!(path, "/courses/growth-marketing");
    assert_eq!(app.get(&path).await.status(), 200);
    let (_, draft) = page(&client, &app, &format!("/admin/course/{}", ids.draft)).await;
    assert_eq!(link(&draft), None, "a draft has no public page");
    let lesson = scalar(
        &app,
        &format!(
            "SELECT id FROM lessons WHERE course_id = {} ORDER BY position LIMIT 1",
            ids.growth
        ),
    );
    let (_, lesson_page) = page(&client, &app, &format!("/admin/lesson/{lesson}")).await;
    assert_eq!(
        link(&lesson_page).as_deref(),
        Some("/courses/growth-marketing/lessons/1")
    );
    let (_, category) = page(&client, &app, &format!("/admin/category/{}", ids.marketing)).await;
    let path = link(&category).expect("a category links to the filtered catalog");
    assert_eq!(app.get(&path).await.status(), 200);
}
