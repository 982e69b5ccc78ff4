//! Parsing the catalog's list parameters, shared by the API and the pages so the two can never
//! disagree on a rule. Every field is checked and every failure reported, keyed by field.

use crate::fields::{FieldError, FieldErrors};
pub use crate::paging::MAX_PAGE_SIZE;
use crate::paging::{parse_int, parse_page, PageSize};
pub use crate::vocab::Level;
use crate::vocab::Slug;

pub const MAX_SEARCH_CHARS: usize = 200;

/// A list ordering from the whitelist; the SQL for each lives in the store, never in input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    PublishedAt {
        desc: bool,
    },
    Title {
        desc: bool,
    },
    EnrollmentCount {
        desc: bool,
    },
    /// By average rating; courses nobody rated come last either way.
    Rating {
        desc: bool,
    },
}

impl Ordering {
    pub const CHOICES: [&'static str; 8] = [
        "published_at",
        "-published_at",
        "title",
        "-title",
        "enrollment_count",
        "-enrollment_count",
        "rating",
        "-rating",
    ];

    pub fn parse(text: &str) -> Result<Ordering, FieldError> {
        let (desc, field) = match text.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, text),
        };
        match field {
            "published_at" => Ok(Ordering::PublishedAt { desc }),
            "title" => Ok(Ordering::Title { desc }),
            "enrollment_count" => Ok(Ordering::EnrollmentCount { desc }),
            "rating" => Ok(Ordering::Rating { desc }),
            _ => Err(FieldError::new(
                "invalid_ordering",
                format!(
                    "\"{}\" is not a valid ordering; expected one of: {}.",
                    clip(text),
                    Self::CHOICES.join(", ")
                ),
            )),
        }
    }
}

impl Default for Ordering {
    fn default() -> Self {
        Ordering::PublishedAt { desc: true }
    }
}

/// The list parameters as they arrive (query string), before any checking. Empty values count
/// as absent, the way an HTML form's "all" option sends them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RawCourseQuery {
    pub page: Option<String>,
    pub page_size: Option<String>,
    pub category: Option<String>,
    pub level: Option<String>,
    pub instructor: Option<String>,
    pub search: Option<String>,
    pub ordering: Option<String>,
}

/// Checked list parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseQuery {
    pub page: i64,
    pub page_size: PageSize,
    pub category: Option<String>,
    pub level: Option<Level>,
    pub instructor: Option<i64>,
    /// What the visitor typed (trimmed), kept for forms and links.
    pub search: Option<String>,
    /// `None` orders by relevance when searching, else newest first.
    pub ordering: Option<Ordering>,
}

impl CourseQuery {
    pub fn parse(raw: &RawCourseQuery) -> Result<CourseQuery, FieldErrors> {
        fn present(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let mut errors = FieldErrors::new();
        let page = present(&raw.page).map(|t| errors.take("page", parse_page(t)));
        let page_size =
            present(&raw.page_size).map(|t| errors.take("page_size", PageSize::parse(t)));
        let category = present(&raw.category).map(|t| errors.take("category", parse_slug(t)));
        let level = present(&raw.level).map(|t| errors.take("level", Level::parse(t)));
        let instructor = present(&raw.instructor).map(|t| errors.take("instructor", parse_id(t)));
        let search = present(&raw.search).map(|t| errors.take("search", parse_search(t)));
        let ordering = present(&raw.ordering).map(|t| errors.take("ordering", Ordering::parse(t)));
        errors.into_result(())?;
        Ok(CourseQuery {
            page: page.flatten().unwrap_or(1),
            page_size: page_size.flatten().unwrap_or_default(),
            category: category.flatten(),
            level: level.flatten(),
            instructor: instructor.flatten(),
            search: search.flatten(),
            ordering: ordering.flatten(),
        })
    }
}

fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

fn parse_id(text: &str) -> Result<i64, FieldError> {
    let n = parse_int(text)?;
    if n < 1 {
        return Err(FieldError::min_value(1));
    }
    Ok(n)
}

/// A category filter: a slug by the one rule, or a choice that cannot exist.
fn parse_slug(text: &str) -> Result<String, FieldError> {
    Slug::parse(text)
        .map(Slug::into_string)
        .map_err(|_| FieldError::invalid_choice())
}

fn parse_search(text: &str) -> Result<String, FieldError> {
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(FieldError::max_length(MAX_SEARCH_CHARS));
    }
    if text.contains('\0') {
        return Err(FieldError::null_character());
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawCourseQuery {
        let mut r = RawCourseQuery::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "page" => r.page = v,
                "page_size" => r.page_size = v,
                "level" => r.level = v,
                "ordering" => r.ordering = v,
                "search" => r.search = v,
                "category" => r.category = v,
                "instructor" => r.instructor = v,
                _ => unreachable!(),
            }
        }
        r
    }

    #[test]
    fn defaults_and_clamping() {
        let q = CourseQuery::parse(&raw(&[])).unwrap();
        assert_eq!((q.page, q.page_size.get()), (1, 20));
        assert_eq!(q.ordering, None);
        let q = CourseQuery::parse(&raw(&[("page_size", "1000")])).unwrap();
        assert_eq!(q.page_size.get(), MAX_PAGE_SIZE);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let err = CourseQuery::parse(&raw(&[
            ("page", "0"),
            ("page_size", "x"),
            ("level", "expert"),
            ("ordering", "password"),
            ("instructor", "-3"),
        ]))
        .unwrap_err();
        let fields: Vec<&String> = err.iter().map(|(k, _)| k).collect();
        assert_eq!(
            fields,
            ["instructor", "level", "ordering", "page", "page_size"]
        );
    }

    #[test]
    fn empty_values_mean_absent() {
        let q =
            CourseQuery::parse(&raw(&[("level", ""), ("search", "  "), ("category", "")])).unwrap();
        assert_eq!((q.level, q.search, q.category), (None, None, None));
    }
}
