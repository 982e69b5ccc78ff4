//! The limits the domain parsers enforce on request bodies, declared in the document too
//! (`maxLength`, `minimum`, `maximum`, `pattern`) so clients and their generators can check input
//! before sending it, and fuzzers generate input that reaches past the first 400. The numbers
//! are the parsers' own constants; a schema here is never stricter than "what the server takes
//! after trimming", and a value the document allows is never refused for its length or range.

use serde_json::{json, Value};

use crate::accounts::users::{MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_CHARS};
use crate::learning::{authoring, notices, qa, reviews};
use crate::vocab::{CourseStatus, Level, Slug};

enum Limit {
    /// At most this many characters (Unicode scalar values, as JSON Schema counts them).
    Chars(usize),
    /// A whole number in this range.
    Range(i64, i64),
    /// A course slug (`vocab::Slug`): lowercase ASCII letters, digits and hyphens, not starting
    /// or ending with one.
    Slug(usize),
    /// One of these words (`vocab::CourseStatus`, `vocab::Level`).
    Choices(&'static [&'static str]),
}

/// (schema, property, limit) for every bounded field of a request body.
const LIMITS: &[(&str, &str, Limit)] = &[
    ("RegisterRequest", "email", Limit::Chars(MAX_EMAIL_CHARS)),
    (
        "RegisterRequest",
        "display_name",
        Limit::Chars(MAX_DISPLAY_NAME_CHARS),
    ),
    (
        "ProfileUpdate",
        "display_name",
        Limit::Chars(MAX_DISPLAY_NAME_CHARS),
    ),
    ("QuestionInput", "title", Limit::Chars(qa::MAX_TITLE)),
    ("QuestionInput", "body", Limit::Chars(qa::MAX_BODY)),
    ("AnswerInput", "body", Limit::Chars(qa::MAX_BODY)),
    ("NoticeInput", "title", Limit::Chars(notices::MAX_TITLE)),
    ("NoticeInput", "body", Limit::Chars(notices::MAX_BODY)),
    ("ReviewInput", "body", Limit::Chars(reviews::MAX_BODY)),
    (
        "ReviewInput",
        "rating",
        Limit::Range(*reviews::RATINGS.start(), *reviews::RATINGS.end()),
    ),
    ("CourseWrite", "slug", Limit::Slug(authoring::MAX_SLUG)),
    ("CourseWrite", "title", Limit::Chars(authoring::MAX_TITLE)),
    (
        "CourseWrite",
        "summary",
        Limit::Chars(authoring::MAX_SUMMARY),
    ),
    (
        "CourseWrite",
        "description",
        Limit::Chars(authoring::MAX_DESCRIPTION),
    ),
    ("CourseWrite", "level", Limit::Choices(Level::NAMES)),
    ("CourseWrite", "status", Limit::Choices(CourseStatus::NAMES)),
    ("LessonWrite", "title", Limit::Chars(authoring::MAX_TITLE)),
    (
        "LessonWrite",
        "body",
        Limit::Chars(authoring::MAX_LESSON_BODY),
    ),
    (
        "LessonWrite",
        "video_url",
        Limit::Chars(authoring::MAX_VIDEO_URL),
    ),
    (
        "LessonWrite",
        "section",
        Limit::Chars(authoring::MAX_SECTION),
    ),
    (
        "LessonWrite",
        "duration_seconds",
        Limit::Range(0, authoring::MAX_DURATION),
    ),
];

/// Writes [`LIMITS`] into the document's component schemas.
pub(super) fn declare(schemas: &mut serde_json::Map<String, Value>) {
    for (schema, property, limit) in LIMITS {
        let Some(prop) = schemas
            .get_mut(*schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(*property))
            .and_then(Value::as_object_mut)
        else {
            continue; // `every_limit_names_a_real_property` fails instead
        };
        let extra = match limit {
            Limit::Chars(max) => json!({ "maxLength": max }),
            Limit::Range(min, max) => json!({ "minimum": min, "maximum": max }),
            Limit::Slug(max) => {
                json!({ "maxLength": max, "pattern": Slug::PATTERN })
            }
            Limit::Choices(words) => json!({ "enum": words }),
        };
        prop.extend(extra.as_object().cloned().unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_names_a_real_property() {
        let doc: Value = serde_json::from_str(&crate::api::spec_json()).unwrap();
        for (schema, property, _) in LIMITS {
            let prop = &doc["components"]["schemas"][*schema]["properties"][*property];
            assert!(
                prop.is_object(),
                "{schema}.{property} is not in the document"
            );
            assert!(
                prop.get("maxLength").is_some()
                    || prop.get("maximum").is_some()
                    || prop.get("enum").is_some(),
                "{schema}.{property} carries its limit"
            );
        }
    }
}
