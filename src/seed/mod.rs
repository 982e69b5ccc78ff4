//! Deterministic demo data for `hancup seed`: categories, users (instructors first), courses with
//! Korean and English titles and markdown, lessons, and enrollments skewed toward popular
//! courses. The same arguments always give the same rows. Everything is written in one
//! transaction with cached statements; the schema's triggers keep counters and search current.

mod corpus;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{params, Transaction};

use crate::accounts::UNUSABLE_PASSWORD;
use crate::db::{Db, DbError};

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub courses: u64,
    pub users: u64,
    pub enrollments: u64,
    pub lessons_per_course: (u64, u64),
    /// Delete existing users, courses and categories first.
    pub reset: bool,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub categories: u64,
    pub users: u64,
    pub courses: u64,
    pub lessons: u64,
    pub enrollments: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already has {0} users or courses; run with --reset to replace them")]
    NotEmpty(i64),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for SeedError {
    fn from(e: rusqlite::Error) -> Self {
        SeedError::Db(DbError::Sqlite(e))
    }
}

/// Parses `MIN..MAX` (or a single number) for `--lessons-per-course`.
pub fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (a, b) = text.split_once("..").unwrap_or((text, text));
    let min: u64 = a
        .trim()
        .parse()
        .map_err(|_| format!("expected MIN..MAX, found {text:?}"))?;
    let max: u64 = b
        .trim()
        .parse()
        .map_err(|_| format!("expected MIN..MAX, found {text:?}"))?;
    if min > max || max > 500 {
        return Err(format!(
            "expected MIN..MAX with MIN <= MAX <= 500, found {text:?}"
        ));
    }
    Ok((min, max))
}

pub fn run(db: &Db, opts: &SeedOptions) -> Result<SeedReport, SeedError> {
    if opts.courses > 0 && opts.users == 0 {
        return Err(SeedError::Invalid(
            "courses need at least one user as instructor".into(),
        ));
    }
    if opts.enrollments > opts.users.saturating_mul(opts.courses) {
        return Err(SeedError::Invalid(format!(
            "{} enrollments cannot fit {} users × {} courses",
            opts.enrollments, opts.users, opts.courses
        )));
    }
    db.write(|tx| {
        // One big transaction touches far more pages than the default 2 MB cache holds; a
        // larger cache for its duration keeps it from spilling pages to the WAL mid-way.
        tx.execute_batch("PRAGMA cache_size = -262144")?;
        let result = fill_checked(tx, opts);
        tx.execute_batch("PRAGMA cache_size = -2000")?;
        result
    })
}

fn fill_checked(tx: &Transaction<'_>, opts: &SeedOptions) -> Result<SeedReport, SeedError> {
    {
        if opts.reset {
            tx.execute_batch(
                "DELETE FROM enrollments; DELETE FROM lessons; DELETE FROM courses;
                 DELETE FROM users; DELETE FROM categories;",
            )?;
        } else {
            let existing: i64 = tx.query_row(
                "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM courses)",
                [],
                |r| r.get(0),
            )?;
            if existing > 0 {
                return Err(SeedError::NotEmpty(existing));
            }
        }
        fill(tx, opts)
    }
}

fn fill(tx: &Transaction<'_>, opts: &SeedOptions) -> Result<SeedReport, SeedError> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x00ac_0b00);
    let mut report = SeedReport::default();

    let mut category_ids = Vec::new();
    for (i, (slug, name, name_en)) in corpus::CATEGORIES.iter().enumerate() {
        tx.prepare_cached(
            "INSERT INTO categories (slug, name, name_en, position) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![slug, name, name_en, i as i64])?;
        category_ids.push(tx.last_insert_rowid());
        report.categories += 1;
    }

    let mut user_ids = Vec::with_capacity(opts.users as usize);
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO users (email, display_name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for n in 1..=opts.users {
            let name = format!(
                "{}{}",
                corpus::SURNAMES[rng.random_range(0..corpus::SURNAMES.len())],
                corpus::GIVEN_NAMES[rng.random_range(0..corpus::GIVEN_NAMES.len())]
            );
            insert.execute(params![
                format!("user{n}@example.com"),
                name,
                UNUSABLE_PASSWORD,
                timestamp(n as i64 * 60)
            ])?;
            user_ids.push(tx.last_insert_rowid());
        }
        report.users = opts.users;
    }
    // The first users teach: one instructor for about every 20 courses.
    let instructors = ((opts.courses / 20).max(1) as usize).min(user_ids.len().max(1));

    let mut course_ids = Vec::with_capacity(opts.courses as usize);
    {
        let mut insert_course = tx.prepare_cached(
            "INSERT INTO courses (slug, title, summary, description, category_id, level, instructor_id, \
             status, published_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        )?;
        let mut insert_lesson = tx.prepare_cached(
            "INSERT INTO lessons (course_id, position, title, body, video_url, duration_seconds, is_preview, section) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for n in 1..=opts.courses {
            let cat = rng.random_range(0..category_ids.len());
            let topics = corpus::TOPICS[cat];
            let (stem, topic) = topics[rng.random_range(0..topics.len())];
            let suffix = corpus::TITLE_SUFFIXES[rng.random_range(0..corpus::TITLE_SUFFIXES.len())];
            let title = format!("{topic}{suffix}");
            let summary = corpus::SUMMARIES[rng.random_range(0..corpus::SUMMARIES.len())];
            let description = description(&mut rng, &title);
            let level = ["beginner", "intermediate", "advanced"][rng.random_range(0..3)];
            let instructor = user_ids[rng.random_range(0..instructors)];
            let roll = rng.random_range(0..100);
            let status = match roll {
                0..=89 => "published",
                90..=96 => "draft",
                _ => "archived",
            };
            // Spread over the two years before the fixed seed date, so output never depends on today.
            let created = timestamp(-(rng.random_range(0..730 * 86_400)));
            let published = (status != "draft").then(|| created.clone());
            insert_course.execute(params![
                format!("{stem}-{n}"),
                title,
                summary,
                description,
                category_ids[cat],
                level,
                instructor,
                status,
                published,
                created
            ])?;
            let course_id = tx.last_insert_rowid();
            course_ids.push(course_id);

            let (min, max) = opts.lessons_per_course;
            let count = rng.random_range(min..=max);
            for pos in 1..=count {
                let lt = corpus::LESSON_TITLES[rng.random_range(0..corpus::LESSON_TITLES.len())];
                let para = corpus::PARAGRAPHS[rng.random_range(0..corpus::PARAGRAPHS.len())];
                let video = if rng.random_range(0..4) == 0 {
                    format!("https://www.youtube.com/watch?v=hancup{course_id:05}{pos:02}")
                } else {
                    String::new()
                };
                insert_lesson.execute(params![
                    course_id,
                    pos as i64,
                    // The number is the position, which pages show ("1강"): not in the title too.
                    lt,
                    format!("## {lt}\n\n{para}\n\n- 핵심 정리\n- 실습 과제\n"),
                    video,
                    rng.random_range(180..1800),
                    pos <= 2,
                    // Parts of five lessons, named without drawing from `rng` (the other
                    // columns of a seed stay what they were before sections existed).
                    corpus::SECTIONS[((pos - 1) / 5) as usize % corpus::SECTIONS.len()]
                ])?;
            }
            report.lessons += count;
        }
        report.courses = opts.courses;
    }

    // Enrollments skewed toward a few popular courses (squared uniform ≈ a long tail).
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO enrollments (user_id, course_id, created_at) VALUES (?1, ?2, ?3)",
    )?;
    let mut made = 0u64;
    let mut attempts = 0u64;
    while made < opts.enrollments {
        attempts += 1;
        let (user, course) = if attempts < opts.enrollments * 4 {
            let u: f64 = rng.random();
            let c = ((u * u) * course_ids.len() as f64) as usize;
            (
                user_ids[rng.random_range(0..user_ids.len())],
                course_ids[c.min(course_ids.len() - 1)],
            )
        } else {
            // Dense requests: walk the pairs in order so the loop always ends.
            let k = attempts - opts.enrollments * 4;
            let k = k % (user_ids.len() as u64 * course_ids.len() as u64);
            (
                user_ids[(k / course_ids.len() as u64) as usize],
                course_ids[(k % course_ids.len() as u64) as usize],
            )
        };
        made += insert.execute(params![
            user,
            course,
            timestamp(-(attempts as i64 % 500_000))
        ])? as u64;
    }
    report.enrollments = made;
    Ok(report)
}

fn description(rng: &mut ChaCha8Rng, title: &str) -> String {
    let mut text = format!("# {title}\n\n");
    for _ in 0..rng.random_range(2..5) {
        text.push_str(corpus::PARAGRAPHS[rng.random_range(0..corpus::PARAGRAPHS.len())]);
        text.push_str("\n\n");
    }
    text.push_str(
        "## 이런 분께 추천합니다\n\n- 예비 창업자\n- 초기 스타트업 팀\n- Side project builders\n",
    );
    text
}

/// RFC 3339 UTC text `offset` seconds from the fixed seed epoch (2026-01-01T00:00:00Z).
fn timestamp(offset: i64) -> String {
    const EPOCH: i64 = 1_767_225_600;
    time::OffsetDateTime::from_unix_timestamp(EPOCH + offset)
        .expect("timestamp in range")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

#[cfg(test)]
mod tests {
    #[test]
    fn range_parsing() {
        assert_eq!(super::parse_range("10..30"), Ok((10, 30)));
        assert_eq!(super::parse_range("5"), Ok((5, 5)));
        assert!(super::parse_range("30..10").is_err());
        assert!(super::parse_range("x").is_err());
    }
}
