//! The words every surface shares: a course's slug, status and level, a title, a lesson's video
//! address and length. Each has one `parse` with its limits as constants; the API, the page
//! forms, the admin registrations and the OpenAPI limits all use these, so the three surfaces
//! cannot disagree on a rule. `COLUMNS` says which stored column holds which word; the admin's
//! boot check refuses a registration that edits one of them through anything else.

use rusqlite::types::Value;
use serde::Serialize;

use crate::fields::FieldError;

/// A course or category address: 1–100 of `a-z`, `0-9` and `-`, not starting or ending with
/// `-`. Surrounding spaces are dropped; anything else is refused, never rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub const MAX: usize = 100;
    /// The rule as a regular expression, for the OpenAPI document (length checked apart).
    pub const PATTERN: &'static str = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$";

    pub fn parse(text: &str) -> Result<Slug, FieldError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FieldError::required());
        }
        let ok = text.len() <= Self::MAX
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if !ok {
            return Err(FieldError::new(
                "invalid_slug",
                format!(
                    "Use 1–{} lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
                    Self::MAX
                ),
            )
            .with_limit(Self::MAX as i64));
        }
        Ok(Slug(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A course's or lesson's title: 1–200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX: usize = 200;

    pub fn parse(text: &str) -> Result<Title, FieldError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FieldError::required());
        }
        if text.contains('\0') {
            return Err(FieldError::null_character());
        }
        if text.chars().any(char::is_control) {
            return Err(FieldError::new(
                "invalid",
                "Control characters are not allowed.",
            ));
        }
        if text.chars().count() > Self::MAX {
            return Err(FieldError::max_length(Self::MAX));
        }
        Ok(Title(text.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A lesson's video: an absolute http(s) address of at most 500 characters. Whether a host
/// may be embedded is decided when the page is drawn (`learning::lessons::video_for`); any
/// other host is shown as a plain link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoUrl(String);

impl VideoUrl {
    pub const MAX: usize = 500;

    pub fn parse(text: &str) -> Result<VideoUrl, FieldError> {
        let text = text.trim();
        if text.chars().count() > Self::MAX {
            return Err(FieldError::max_length(Self::MAX));
        }
        let ok = url::Url::parse(text)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok || text.chars().any(char::is_control) {
            return Err(FieldError::new("invalid_url", "Enter an http(s) URL."));
        }
        Ok(VideoUrl(text.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A lesson's length in seconds, 0–86,400 (a day). Typed as seconds (`432`), as a clock
/// (`7:12`, `1:02:03`) or in Korean or English units (`7분 12초`, `1시간 2분`, `7m 12s`); shown
/// as a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonLength(i64);

impl LessonLength {
    pub const MAX: i64 = 86_400;

    pub fn new(seconds: i64) -> Result<LessonLength, FieldError> {
        if seconds < 0 {
            return Err(FieldError::min_value(0));
        }
        if seconds > Self::MAX {
            return Err(FieldError::max_value(Self::MAX));
        }
        Ok(LessonLength(seconds))
    }

    pub fn parse(text: &str) -> Result<LessonLength, FieldError> {
        let text = text.trim();
        let invalid = || {
            FieldError::new(
                "invalid_duration",
                "Enter a length such as 7:12, 1:02:03, 7분 12초 or seconds.",
            )
        };
        let seconds = if text.contains(':') {
            clock(text).ok_or_else(invalid)?
        } else if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
            text.parse::<i64>().map_err(|_| invalid())?
        } else {
            units(text).ok_or_else(invalid)?
        };
        LessonLength::new(seconds)
    }

    pub fn seconds(self) -> i64 {
        self.0
    }

    /// `7:12`, or `1:02:03` from an hour on.
    pub fn clock(self) -> String {
        let (h, m, s) = (self.0 / 3600, self.0 % 3600 / 60, self.0 % 60);
        if h > 0 {
            format!("{h}:{m:02}:{s:02}")
        } else {
            format!("{m}:{s:02}")
        }
    }
}

/// `m:ss` or `h:mm:ss`; every part but the first below 60.
fn clock(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 5) {
        return None;
    }
    let mut total: i64 = 0;
    for (i, p) in parts.iter().enumerate() {
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: i64 = p.parse().ok()?;
        if i > 0 && (n > 59 || p.len() != 2) {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(n)?;
    }
    Some(total)
}

/// `1시간 2분 3초`, `7분`, `1h 2m 3s`: numbers each followed by a unit, hours before minutes
/// before seconds, spaces optional.
fn units(text: &str) -> Option<i64> {
    const UNITS: &[(&str, i64, usize)] = &[
        ("시간", 3600, 0),
        ("h", 3600, 0),
        ("분", 60, 1),
        ("m", 60, 1),
        ("초", 1, 2),
        ("s", 1, 2),
    ];
    let mut rest = text.trim();
    let mut total: i64 = 0;
    let mut next_rank = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 5 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let &(unit, scale, rank) = UNITS.iter().find(|(u, ..)| rest.starts_with(u))?;
        if rank < next_rank {
            return None;
        }
        next_rank = rank + 1;
        total = total.checked_add(n.checked_mul(scale)?)?;
        rest = rest[unit.len()..].trim_start();
    }
    (next_rank > 0).then_some(total)
}

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stored words, in order (choices for OpenAPI and the admin).
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Result<$name, FieldError> {
                let text = text.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    let shown: String = text.chars().take(40).collect();
                    FieldError::new(
                        "invalid_choice",
                        format!("\"{shown}\" is not a valid choice; expected {}.", Self::NAMES.join(", ")),
                    )
                })
            }
        }
    };
}

word_enum!(
    /// Where a course is in its life: only `published` ones are listed and enrollable.
    CourseStatus { Draft = "draft", Published = "published", Archived = "archived" }
);

word_enum!(
    /// How much a course expects a learner to know.
    Level { Beginner = "beginner", Intermediate = "intermediate", Advanced = "advanced" }
);

/// A word as an editing surface sees it: what an input may hold, how it is stored, how it is
/// shown. The admin's fields name one of these instead of a raw text parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Slug,
    Title,
    VideoUrl,
    LessonLength,
    CourseStatus,
    Level,
}

impl Term {
    /// The longest text an input for it needs.
    pub fn max_chars(self) -> usize {
        match self {
            Term::Slug => Slug::MAX,
            Term::Title => Title::MAX,
            Term::VideoUrl => VideoUrl::MAX,
            Term::LessonLength => 16,
            Term::CourseStatus | Term::Level => 20,
        }
    }

    /// The stored value of non-empty input text.
    pub fn parse(self, text: &str) -> Result<Value, FieldError> {
        Ok(match self {
            Term::Slug => Value::Text(Slug::parse(text)?.into_string()),
            Term::Title => Value::Text(Title::parse(text)?.into_string()),
            Term::VideoUrl => Value::Text(VideoUrl::parse(text)?.into_string()),
            Term::LessonLength => Value::Integer(LessonLength::parse(text)?.seconds()),
            Term::CourseStatus => Value::Text(CourseStatus::parse(text)?.as_str().to_owned()),
            Term::Level => Value::Text(Level::parse(text)?.as_str().to_owned()),
        })
    }

    /// A stored value as a person types and reads it (`432` → `7:12`).
    pub fn show(self, v: &Value) -> Option<String> {
        match (self, v) {
            (Term::LessonLength, Value::Integer(n)) => Some(LessonLength(*n).clock()),
            _ => None,
        }
    }

    /// The stored words of a choice term.
    pub fn choices(self) -> Option<&'static [&'static str]> {
        match self {
            Term::CourseStatus => Some(CourseStatus::NAMES),
            Term::Level => Some(Level::NAMES),
            _ => None,
        }
    }
}

/// Which stored column holds which word: every editing surface must go through its `Term`.
pub const COLUMNS: &[(&str, &str, Term)] = &[
    ("courses", "slug", Term::Slug),
    ("courses", "title", Term::Title),
    ("courses", "status", Term::CourseStatus),
    ("courses", "level", Term::Level),
    ("categories", "slug", Term::Slug),
    ("lessons", "title", Term::Title),
    ("lessons", "video_url", Term::VideoUrl),
    ("lessons", "duration_seconds", Term::LessonLength),
];

/// The word a column holds, if any.
pub fn term_of(table: &str, column: &str) -> Option<Term> {
    COLUMNS
        .iter()
        .find(|(t, c, _)| *t == table && *c == column)
        .map(|(.., term)| *term)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_have_one_rule() {
        assert_eq!(
            Slug::parse(" lean-canvas-1 ").unwrap().as_str(),
            "lean-canvas-1"
        );
        for bad in ["abc-", "-abc", "Lean", "a b", "한글", "a_b", ""] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Slug::parse(&"a".repeat(100)).is_ok());
        assert_eq!(Slug::parse(&"a".repeat(101)).unwrap_err().limit, Some(100));
    }

    #[test]
    fn titles() {
        assert_eq!(
            Title::parse("  린 캔버스 ").unwrap().into_string(),
            "린 캔버스"
        );
        assert_eq!(Title::parse(" ").unwrap_err().code, "required");
        assert_eq!(Title::parse("a\tb").unwrap_err().code, "invalid");
        assert_eq!(
            Title::parse(&"가".repeat(201)).unwrap_err().code,
            "max_length"
        );
        assert!(Title::parse(&"가".repeat(200)).is_ok());
    }

    #[test]
    fn video_urls_are_absolute_http() {
        assert!(VideoUrl::parse("https://www.youtube.com/watch?v=abc").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.example/v",
            "/local",
            "https://",
            "유튜브",
        ] {
            assert_eq!(
                VideoUrl::parse(bad).unwrap_err().code,
                "invalid_url",
                "{bad:?}"
            );
        }
        let long = format!("https://x.example/{}", "a".repeat(500));
        assert_eq!(VideoUrl::parse(&long).unwrap_err().code, "max_length");
    }

    #[test]
    fn lesson_lengths_typed_as_people_type_them() {
        let s = |t: &str| LessonLength::parse(t).map(LessonLength::seconds);
        assert_eq!(s("432"), Ok(432));
        assert_eq!(s("7:12"), Ok(432));
        assert_eq!(s("1:02:03"), Ok(3723));
        assert_eq!(s("7분 12초"), Ok(432));
        assert_eq!(s("7분12초"), Ok(432));
        assert_eq!(s("1시간 2분"), Ok(3720));
        assert_eq!(s("45초"), Ok(45));
        assert_eq!(s("7m 12s"), Ok(432));
        assert_eq!(s("24:00:00"), Ok(86_400));
        for bad in [
            "7:60",
            "7:2",
            "12초 7분",
            "7분 7분",
            "분",
            "1:2:3:4",
            "-5",
            "7.5분",
            "7 12",
        ] {
            assert!(s(bad).is_err(), "{bad:?}");
        }
        assert_eq!(s("24:00:01").unwrap_err().code, "max_value");
        assert_eq!(LessonLength(432).clock(), "7:12");
        assert_eq!(LessonLength(3723).clock(), "1:02:03");
        assert_eq!(LessonLength(5).clock(), "0:05");
        for n in [0, 59, 60, 432, 3599, 3600, 86_400] {
            assert_eq!(s(&LessonLength(n).clock()), Ok(n), "round trip of {n}");
        }
    }

    #[test]
    fn choice_words() {
        assert_eq!(
            CourseStatus::parse("published"),
            Ok(CourseStatus::Published)
        );
        assert_eq!(Level::parse("x").unwrap_err().code, "invalid_choice");
        assert_eq!(Level::NAMES, ["beginner", "intermediate", "advanced"]);
    }
}
