//! The data layer: maintained counters stay equal to a recount, concurrent writers never see
//! SQLITE_BUSY, old databases migrate forward with their rows, and pragmas are as documented.

use std::sync::Arc;

use hancup::db::{migrate, Db, DbError};
use rusqlite::{params, Connection};

use crate::helpers::{small_catalog, spawn_app, spawn_in, spawn_with, test_config, Fixture};

fn counters_match_recount(db: &Db) {
    let mismatches: Vec<(i64, i64, i64, i64, i64, i64, i64)> = db
        .read(|c| -> Result<_, DbError> {
            let mut stmt = c.prepare(
                "SELECT id, lesson_count, (SELECT COUNT(*) FROM lessons l WHERE l.course_id = c.id),
                        enrollment_count, (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id AND e.archived_at IS NULL),
                        total_duration_seconds,
                        (SELECT COALESCE(SUM(duration_seconds), 0) FROM lessons l WHERE l.course_id = c.id)
                 FROM courses c",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows
                .into_iter()
                .filter(|&(_, a, b, c, d, e, f)| a != b || c != d || e != f)
                .collect())
        })
        .unwrap();
    assert!(
        mismatches.is_empty(),
        "course counters drifted: {mismatches:?}"
    );
    let cats: Vec<(i64, i64, i64)> = db
        .read(|c| -> Result<_, DbError> {
            let mut stmt = c.prepare(
                "SELECT id, published_course_count,
                        (SELECT COUNT(*) FROM courses c WHERE c.category_id = k.id AND c.status = 'published')
                 FROM categories k",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.into_iter().filter(|&(_, a, b)| a != b).collect())
        })
        .unwrap();
    assert!(cats.is_empty(), "category counters drifted: {cats:?}");
}

#[tokio::test]
async fn maintained_counters_equal_a_recount_after_every_kind_of_write() {
    let app = spawn_app().await;
    let ids = small_catalog(&app);
    counters_match_recount(app.db());
    app.exec(|tx| {
        let f = Fixture { tx };
        f.lesson(ids.pitch, 1, "intro", 120, true);
        let moved = f.lesson(ids.pitch, 2, "moved", 200, false);
        tx.execute(
            "UPDATE lessons SET course_id = ?1, position = 3 WHERE id = ?2",
            params![ids.growth, moved],
        )?;
        tx.execute(
            "UPDATE lessons SET duration_seconds = 999 WHERE course_id = ?1 AND position = 1",
            [ids.growth],
        )?;
        tx.execute(
            "DELETE FROM lessons WHERE course_id = ?1 AND position = 2",
            [ids.growth],
        )?;
        f.enroll(ids.kim, ids.finance_course);
        // Archiving and restoring move the count; an archived row moved or deleted does not.
        tx.execute(
            "UPDATE enrollments SET archived_at = '2026-12-01T00:00:00Z' WHERE user_id = ?1 AND course_id = ?2",
            [ids.kim, ids.finance_course],
        )?;
        tx.execute(
            "UPDATE enrollments SET course_id = ?1 WHERE user_id = ?2 AND course_id = ?3",
            params![ids.growth, ids.kim, ids.finance_course],
        )?;
        tx.execute(
            "UPDATE enrollments SET archived_at = NULL WHERE user_id = ?1 AND course_id = ?2",
            [ids.kim, ids.growth],
        )?;
        tx.execute(
            "UPDATE enrollments SET archived_at = '2026-12-01T00:00:00Z' WHERE user_id = ?1 AND course_id = ?2",
            [ids.kim, ids.growth],
        )?;
        tx.execute(
            "DELETE FROM enrollments WHERE user_id = ?1 AND course_id = ?2",
            [ids.kim, ids.growth],
        )?;
        f.enroll(ids.kim, ids.finance_course);
        tx.execute(
            "DELETE FROM enrollments WHERE user_id = ?1 AND course_id = ?2",
            [ids.lee, ids.pitch],
        )?;
        tx.execute(
            "UPDATE courses SET status = 'published' WHERE id = ?1",
            [ids.draft],
        )?;
        tx.execute(
            "UPDATE courses SET status = 'archived' WHERE id = ?1",
            [ids.pitch],
        )?;
        tx.execute(
            "UPDATE courses SET category_id = ?1 WHERE id = ?2",
            [ids.finance, ids.growth],
        )?;
        tx.execute("DELETE FROM courses WHERE id = ?1", [ids.archived])?;
        Ok(())
    });
    counters_match_recount(app.db());
    hancup::seed::run(
        app.db(),
        &hancup::seed::SeedOptions {
            courses: 40,
            users: 30,
            enrollments: 300,
            lessons_per_course: (1, 5),
            reset: true,
        },
    )
    .unwrap();
    counters_match_recount(app.db());
    let (_, cats) = app.get_json("/api/v1/categories").await;
    let total: i64 = cats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["course_count"].as_i64().unwrap())
        .sum();
    let (_, list) = app.get_json("/api/v1/courses").await;
    assert_eq!(total, list["count"].as_i64().unwrap());
}

#[test]
fn concurrent_writers_never_see_busy_even_across_handles() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = test_config(&dir);
    // Two handles with their own writer locks and pools behave like two processes.
    let a = Db::open_and_migrate(&cfg.database).unwrap();
    let b = Db::open(&cfg.database).unwrap();
    a.write(|tx| -> Result<(), DbError> {
        tx.execute_batch(
            "INSERT INTO categories (slug, name, name_en) VALUES ('c', 'c', 'c');
             INSERT INTO users (email, display_name, password_hash) VALUES ('i@x.kr', 'i', '!');
             INSERT INTO courses (slug, title, category_id, level, instructor_id, status, published_at)
             VALUES ('k', 'k', 1, 'beginner', 1, 'published', '2026-01-01T00:00:00Z');",
        )?;
        Ok(())
    })
    .unwrap();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let db = if t % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                for i in 0..40 {
                    // Read then write in one transaction: the pattern that fails at once under
                    // a deferred BEGIN.
                    db.write(|tx| -> Result<(), DbError> {
                        let n: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
                        tx.execute(
                            "INSERT INTO users (email, display_name, password_hash) VALUES (?1, ?2, '!')",
                            params![format!("w{t}-{i}@x.kr"), format!("n{n}")],
                        )?;
                        tx.execute(
                            "INSERT INTO enrollments (user_id, course_id) VALUES (last_insert_rowid(), 1)",
                            [],
                        )?;
                        Ok(())
                    })
                    .expect("no write fails");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let (users, count): (i64, i64) = a
        .read(|c| -> Result<_, DbError> {
            Ok(c.query_row(
                "SELECT (SELECT COUNT(*) FROM users), enrollment_count FROM courses",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!((users, count), (1 + 8 * 40, 8 * 40));
}

#[tokio::test]
async fn a_version_1_database_migrates_forward_with_its_rows_intact() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = test_config(&dir);
    {
        let conn = Connection::open(&cfg.database.path).unwrap();
        hancup::textsearch::register_sql_functions(&conn).unwrap();
        migrate::apply_up_to(&conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO categories (slug, name, name_en) VALUES ('marketing', '마케팅', 'Marketing');
             INSERT INTO users (email, display_name, password_hash) VALUES ('old@x.kr', '옛 사용자', '!');
             INSERT INTO courses (slug, title, summary, description, category_id, level, instructor_id, status, published_at)
             VALUES ('legacy', '오래된 창업 강의', '요약', '본문', 1, 'beginner', 1, 'published', '2025-01-01T00:00:00Z');
             INSERT INTO lessons (course_id, position, title, duration_seconds) VALUES (1, 1, '하나', 60), (1, 2, '둘', 90);
             INSERT INTO enrollments (user_id, course_id) VALUES (1, 1);",
        )
        .unwrap();
        assert_eq!(migrate::current_version(&conn).unwrap(), 1);
    }
    let app = spawn_in(dir, cfg).await;
    let (_, body) = app.get_json("/api/v1/courses/legacy").await;
    assert_eq!(body["title"], "오래된 창업 강의");
    assert_eq!(body["instructor"]["display_name"], "옛 사용자");
    assert_eq!(body["lesson_count"], 2, "counters backfilled");
    assert_eq!(body["enrollment_count"], 1);
    let (_, found) = app.get_json("/api/v1/courses?search=창업").await;
    assert_eq!(found["count"], 1, "old rows are in the new search index");
    let (_, cats) = app.get_json("/api/v1/categories").await;
    assert_eq!(cats[0]["course_count"], 1);
    counters_match_recount(app.db());
}

#[tokio::test]
async fn connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let app = spawn_app().await;
    let (mode, fk, timeout, sync): (String, i64, i64, i64) = app
        .db()
        .read(|c| -> Result<_, DbError> {
            Ok((
                c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
                c.query_row("PRAGMA busy_timeout", [], |r| r.get(0))?,
                c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!((mode.as_str(), fk, timeout, sync), ("wal", 1, 5000, 1));
    let mmap: i64 = app
        .db()
        .read(|c| -> Result<_, DbError> { Ok(c.query_row("PRAGMA mmap_size", [], |r| r.get(0))?) })
        .unwrap();
    assert_eq!(mmap, 256 << 20, "database.mmap_size_mb = 256 by default");
    let off = spawn_with(|c| c.database.mmap_size_mb = 0).await;
    let mmap: i64 = off
        .db()
        .read(|c| -> Result<_, DbError> { Ok(c.query_row("PRAGMA mmap_size", [], |r| r.get(0))?) })
        .unwrap();
    assert_eq!(mmap, 0, "0 turns the map off");
    let version: String = app
        .db()
        .read(|c| -> Result<_, DbError> {
            Ok(c.query_row("SELECT sqlite_version()", [], |r| r.get(0))?)
        })
        .unwrap();
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(
        (parts[0], parts[1], parts[2]) >= (3, 51, 3),
        "SQLite {version} has the WAL-reset bug"
    );
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_behind() {
    let app = spawn_app().await;
    small_catalog(&app);
    let result = app.db().write(|tx| -> Result<(), DbError> {
        tx.execute(
            "INSERT INTO categories (slug, name, name_en) VALUES ('half', '반', 'half')",
            [],
        )?;
        tx.execute(
            "INSERT INTO categories (slug, name, name_en) VALUES ('marketing', 'dup', 'dup')",
            [],
        )?;
        Ok(())
    });
    assert!(result.is_err());
    let (_, cats) = app.get_json("/api/v1/categories").await;
    assert!(!cats.to_string().contains("half"));
}

#[tokio::test]
async fn readiness_fails_when_the_schema_is_behind() {
    let app = spawn_app().await;
    let db = Arc::new(app.db().clone());
    db.write(|tx| -> Result<(), DbError> {
        tx.pragma_update(None, "user_version", 1)?;
        Ok(())
    })
    .unwrap();
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("unavailable"))
    );
}
