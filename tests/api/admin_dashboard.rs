//! The operator's dashboard (issue 18): today's and 30 days' numbers equal to a recount in
//! Korean days, the enrolments chart, the queues, the completion funnel and a course's
//! drop-off — and an instructor sees only their own courses, also when asking for another's.

use crate::admin_support::{admin_login, make_staff, scalar, superuser};
use crate::browser::page;
use crate::helpers::{small_catalog, spawn_app};

fn shown(html: &str, metric: &str, which: &str) -> Option<i64> {
    let at = html.find(&format!("data-metric=\"{metric}\""))?;
    let rest = &html[at..];
    let v = rest.find(&format!("data-value=\"{which}\">"))? + which.len() + 14;
    rest[v..].split('<').next()?.replace(',', "").parse().ok()
}

/// The recount: a Korean day begins at 15:00 UTC (KST has no daylight saving).
const KST_TODAY: &str =
    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+9 hours', 'start of day', '-9 hours')";
const KST_30D: &str =
    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+9 hours', 'start of day', '-29 days', '-9 hours')";

#[tokio::test]
async fn dashboard_numbers_equal_a_recount_and_instructors_see_their_own() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    let client = superuser(&app).await;
    app.exec(|tx| {
        // Learners and enrolments spread over 70 days, some today, some before the window.
        for (i, hours_ago) in [0, 1, 20, 30, 24 * 5, 24 * 29, 24 * 31, 24 * 45, 24 * 70]
            .iter()
            .enumerate()
        {
            let at = format!("strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-{hours_ago} hours')");
            tx.execute(
                &format!(
                    "INSERT INTO users (email, display_name, password_hash, created_at) \
                     VALUES ('l{i}@example.kr', '수강생 {i}', '!', {at})"
                ),
                [],
            )?;
            let user = tx.last_insert_rowid();
            let course = if i % 2 == 0 { ids.growth } else { ids.pitch };
            tx.execute(
                &format!(
                    "INSERT INTO enrollments (user_id, course_id, created_at) VALUES (?1, ?2, {at})"
                ),
                [user, course],
            )?;
            if i % 3 == 0 {
                tx.execute(
                    &format!(
                        "INSERT INTO certificates (code, user_id, course_id, learner_name, \
                         course_title, instructor_name, issued_at) \
                         VALUES ('code-{i}', ?1, ?2, '수강생', '강의', '강사', {at})"
                    ),
                    [user, course],
                )?;
            }
            let lesson: i64 = tx.query_row(
                "SELECT id FROM lessons WHERE course_id = ?1 LIMIT 1",
                [ids.growth],
                |r| r.get(0),
            )?;
            if i % 2 == 0 {
                tx.execute(
                    &format!(
                        "INSERT INTO lesson_progress (user_id, lesson_id, course_id, completed_at) \
                         VALUES (?1, ?2, ?3, {at})"
                    ),
                    [user, lesson, ids.growth],
                )?;
            }
            tx.execute(
                &format!(
                    "INSERT INTO questions (course_id, user_id, title, body, created_at) \
                     VALUES (?1, ?2, '질문 {i}', '본문', {at})"
                ),
                [course, user],
            )?;
        }
        Ok(())
    });
    let (status, html) = page(&client, &app, "/admin").await;
    assert_eq!(status, 200);
    for (metric, table, time) in [
        ("signups", "users", "created_at"),
        ("enrollments", "enrollments", "created_at"),
        ("completions", "certificates", "issued_at"),
    ] {
        for (which, bound) in [("today", KST_TODAY), ("month", KST_30D)] {
            let recount = scalar(
                &app,
                &format!("SELECT COUNT(*) FROM {table} WHERE {time} >= {bound}"),
            );
            assert_eq!(
                shown(&html, metric, which),
                Some(recount),
                "{metric} {which}"
            );
        }
    }
    let active = scalar(
        &app,
        &format!(
            "SELECT COUNT(DISTINCT user_id) FROM lesson_progress WHERE completed_at >= {KST_30D}"
        ),
    );
    assert_eq!(shown(&html, "active", "month"), Some(active));
    assert!(active > 0 && active < 9, "the fixture spans the window");
    // The chart: an SVG with a title and a description, and its numbers as a table.
    assert!(
        html.contains("<svg class=\"chart__svg\"") && html.contains("<desc id=\"chart-svg-desc\">")
    );
    let in_chart: i64 = html
        .split("<td class=\"nowrap\">")
        .skip(1)
        .map(|c| {
            c.split('<')
                .next()
                .unwrap()
                .replace(',', "")
                .parse::<i64>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        in_chart,
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM enrollments WHERE created_at >= {KST_30D}")
        )
    );
    // The oldest unanswered question comes first, with its age; the queue is bounded.
    let queue_at = html.find("id=\"q-unanswered\"").unwrap();
    let queue = &html[queue_at..html[queue_at..].find("</section>").unwrap() + queue_at];
    assert!(queue.contains("(9건"), "{queue}");
    assert!(
        queue.find("질문 8").unwrap() < queue.find("질문 1").unwrap(),
        "oldest first: {queue}"
    );
    assert!(
        queue.contains("70일 전") || queue.contains("2일 전"),
        "{queue}"
    );

    // The completion funnel and the drop-off chart: the same numbers as a recount.
    let cell = |html: &str, chart: &str, row: &str, attr: &str| -> Option<i64> {
        let table = &html[html.find(&format!("data-chart=\"{chart}\""))?..];
        let table = &table[..table.find("</table>")?];
        let row = &table[table.find(row)?..];
        let v = &row[row.find(&format!("{attr}\">"))? + attr.len() + 2..];
        v.split([' ', '<']).next()?.replace(',', "").parse().ok()
    };
    let recount = |sql: &str| scalar(&app, &sql.replace("{c}", &ids.growth.to_string()));
    let growth_title = "그로스 마케팅 입문";
    for (stage, sql) in [
        (
            "enrolled",
            "SELECT COUNT(*) FROM enrollments WHERE course_id = {c}",
        ),
        (
            "started",
            "SELECT COUNT(*) FROM enrollments WHERE course_id = {c} AND completed_lessons >= 1",
        ),
        (
            "completed",
            "SELECT COUNT(*) FROM enrollments e JOIN courses c ON c.id = e.course_id \
             WHERE e.course_id = {c} AND e.completed_lessons >= c.lesson_count",
        ),
    ] {
        assert_eq!(
            cell(
                &html,
                "funnel",
                growth_title,
                &format!("data-stage=\"{stage}")
            ),
            Some(recount(sql)),
            "funnel {stage}"
        );
    }
    assert!(
        recount(
            "SELECT COUNT(*) FROM enrollments WHERE course_id = {c} AND completed_lessons >= 1"
        ) > 0
    );
    assert!(
        html.contains("<desc id=\"funnel-svg-desc\">")
            && html.contains("<desc id=\"dropoff-svg-desc\">")
    );
    // The drop-off of the course asked for: learners with at least k lessons done.
    let (_, picked) = page(&client, &app, &format!("/admin?course={}", ids.growth)).await;
    assert!(
        picked.contains("그로스 마케팅 입문: 수업별 남은 수강생"),
        "the course asked for"
    );
    assert_eq!(
        cell(&picked, "dropoff", "수업 1개 이상", "data-k=\"1"),
        Some(recount(
            "SELECT COUNT(*) FROM enrollments WHERE course_id = {c} AND completed_lessons >= 1"
        ))
    );

    // An instructor sees the numbers of their own courses only (lee teaches pitch).
    make_staff(&app, ids.lee, false);
    app.db()
        .write(|tx| hancup::accounts::perms::add_to_role(tx, ids.lee, "instructors"))
        .unwrap();
    let (lee, _) = admin_login(&app, "lee@example.com").await;
    let (_, mine) = page(&lee, &app, "/admin").await;
    let own = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM enrollments WHERE course_id = {} AND created_at >= {KST_30D}",
            ids.pitch
        ),
    );
    assert_eq!(shown(&mine, "enrollments", "month"), Some(own));
    assert_eq!(
        shown(&mine, "signups", "month"),
        None,
        "sign-ups are not theirs"
    );
    assert!(
        !mine.contains("질문 0"),
        "a question on someone else's course"
    );
    assert!(
        !mine.contains(growth_title),
        "another instructor's course is in no chart"
    );
    let (_, probe) = page(&lee, &app, &format!("/admin?course={}", ids.growth)).await;
    assert!(
        !probe.contains("수업별 남은 수강생") || !probe.contains(growth_title),
        "nor its drop-off when asked for by id"
    );
}
