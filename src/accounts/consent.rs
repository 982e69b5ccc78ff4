//! What a person agrees to when signing up: the terms of service, the privacy policy and the
//! confirmation of being 14 or older. All three are required on every sign-up surface (pages
//! and API); each is recorded with its time and the documents' version in the same transaction
//! that creates the user.

use rusqlite::{params, Connection};

use crate::fields::{FieldError, FieldErrors};

/// The version of the terms and privacy policy that sign-ups agree to now.
pub const VERSION: &str = "2026-12-01";

/// The consent fields, as surfaces name them (form checkboxes and JSON booleans alike).
pub const FIELDS: [(&str, &str); 3] = [
    ("accept_terms", "terms"),
    ("accept_privacy", "privacy"),
    ("age_14_or_older", "age_14"),
];

/// The three answers as they arrive; `None` when not sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsentInput {
    pub accept_terms: Option<bool>,
    pub accept_privacy: Option<bool>,
    pub age_14_or_older: Option<bool>,
}

impl ConsentInput {
    /// All three given (what a test or a trusted tool creating users passes).
    pub fn all() -> ConsentInput {
        ConsentInput {
            accept_terms: Some(true),
            accept_privacy: Some(true),
            age_14_or_older: Some(true),
        }
    }

    /// Adds a `required` error for each consent not given.
    pub fn check(&self, errors: &mut FieldErrors) {
        let given = [self.accept_terms, self.accept_privacy, self.age_14_or_older];
        for ((field, _), value) in FIELDS.iter().zip(given) {
            if value != Some(true) {
                errors.push(field, FieldError::required());
            }
        }
    }
}

/// Records the three consents of a new user at the current version.
pub fn record(conn: &Connection, user_id: i64) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO consents (user_id, kind, version) VALUES (?1, ?2, ?3)",
    )?;
    for (_, kind) in FIELDS {
        stmt.execute(params![user_id, kind, VERSION])?;
    }
    Ok(())
}
