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

    /// `LIMIT <size> OFFSET ?` for this page; bind [`Paging::offset`] to the `?`.
    pub fn limit_offset_sql(self) -> String {
        format!("{} OFFSET ?", limit_sql(self.size))
    }
}

/// `LIMIT n`, written into the SQL rather than bound: SQLite plans with the value of a bound
/// LIMIT, so such a statement is prepared again on every run (its statement cache cannot help).
/// `n` is always a number this program chose — a page size clamped to 1–100 or a constant —
/// never text from a request, and there are few distinct values, so the cache keeps each form.
pub fn limit_sql(n: i64) -> String {
    format!("LIMIT {n}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, StatementStatus};

    #[test]
    fn a_written_limit_keeps_the_statement_prepared_and_a_bound_one_does_not() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (x INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);",
        )
        .unwrap();
        let runs = |sql: &str, args: &[i64]| {
            let mut st = c.prepare(sql).unwrap();
            for _ in 0..3 {
                st.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))
                    .unwrap()
                    .for_each(drop);
            }
            st.get_status(StatementStatus::RePrepare)
        };
        let paging = Paging { page: 2, size: 2 };
        let written = format!("SELECT x FROM t ORDER BY x {}", paging.limit_offset_sql());
        assert_eq!(runs(&written, &[paging.offset()]), 0);
        // What this guards against: were it 0, binding the LIMIT would be fine again.
        assert!(runs("SELECT x FROM t ORDER BY x LIMIT ? OFFSET ?", &[2, 2]) > 0);
    }
}
