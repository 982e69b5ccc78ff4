//! Page numbers and page sizes, parsed the same way for every list (catalog, Q&A, reviews, my
//! courses): `page` ≥ 1 (≤ 1,000,000), `page_size` 1–100 with larger values clamped, DRF's
//! rules and messages.

use crate::fields::{FieldError, FieldErrors};

pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// Larger requests are clamped to this, as DRF's `max_page_size` does.
pub const MAX_PAGE_SIZE: i64 = 100;
/// Page numbers past this are refused outright (no list is that long; keeps offsets small).
pub const MAX_PAGE: i64 = 1_000_000;

/// A page size in 1..=MAX_PAGE_SIZE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(i64);

impl PageSize {
    pub fn parse(text: &str) -> Result<PageSize, FieldError> {
        let n = parse_int(text)?;
        if n < 1 {
            return Err(FieldError::min_value(1));
        }
        Ok(PageSize(n.min(MAX_PAGE_SIZE)))
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        PageSize(DEFAULT_PAGE_SIZE)
    }
}

pub(crate) fn parse_int(text: &str) -> Result<i64, FieldError> {
    text.parse::<i64>()
        .map_err(|_| FieldError::invalid_integer())
}

pub(crate) fn parse_page(text: &str) -> Result<i64, FieldError> {
    let n = parse_int(text)?;
    if n < 1 {
        return Err(FieldError::min_value(1));
    }
    if n > MAX_PAGE {
        return Err(FieldError::max_value(MAX_PAGE));
    }
    Ok(n)
}

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub size: i64,
}

impl Paging {
    /// Parses raw `page` and `page_size` (absent or empty means the default), reporting both.
    pub fn parse(page: Option<&str>, page_size: Option<&str>) -> Result<Paging, FieldErrors> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|s| !s.is_empty())
        }
        let mut errors = FieldErrors::new();
        let page = present(page).map(|t| errors.take("page", parse_page(t)));
        let size = present(page_size).map(|t| errors.take("page_size", PageSize::parse(t)));
        errors.into_result(())?;
        Ok(Paging {
            page: page.flatten().unwrap_or(1),
            size: size.flatten().unwrap_or_default().get(),
        })
    }

    pub fn offset(self) -> i64 {
        (self.page - 1) * self.size
    }
}
