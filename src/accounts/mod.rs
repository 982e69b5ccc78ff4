//! User accounts: the parsed values a user is made of (e-mail, display name, password), password
//! hashing with argon2id, and the SQL that creates users. The accounts issue grows this into
//! sessions, tokens and permissions; it stays free of HTTP.

mod password;

pub use password::{hash_password, verify_password, Password, UNUSABLE_PASSWORD};

use rusqlite::{params, Connection};

use crate::db::DbError;
use crate::fields::{FieldError, FieldErrors};

pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("conflict: {0}")]
    Conflict(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for AccountError {
    fn from(e: rusqlite::Error) -> Self {
        AccountError::Db(DbError::Sqlite(e))
    }
}

/// A syntactically valid e-mail address, trimmed, domain lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, FieldError> {
        let text = text.trim();
        let invalid = || FieldError {
            code: "invalid_email",
            message: "Enter a valid email address.".into(),
        };
        if text.is_empty() {
            return Err(FieldError {
                code: "required",
                message: "This field may not be blank.".into(),
            });
        }
        if text.chars().count() > MAX_EMAIL_CHARS {
            return Err(FieldError {
                code: "max_length",
                message: format!(
                    "Ensure this field has no more than {MAX_EMAIL_CHARS} characters."
                ),
            });
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@');
        if !(domain_ok && local_ok) {
            return Err(invalid());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(text: &str) -> Result<DisplayName, FieldError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FieldError {
                code: "required",
                message: "This field may not be blank.".into(),
            });
        }
        if text.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(FieldError {
                code: "max_length",
                message: format!(
                    "Ensure this field has no more than {MAX_DISPLAY_NAME_CHARS} characters."
                ),
            });
        }
        if text.chars().any(char::is_control) {
            return Err(FieldError {
                code: "invalid",
                message: "Control characters are not allowed.".into(),
            });
        }
        Ok(DisplayName(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user to create, already parsed; `password_hash` is a PHC string or `UNUSABLE_PASSWORD`.
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: String,
    pub is_staff: bool,
    pub is_superuser: bool,
}

/// Inserts a user; a taken e-mail is a conflict on the `email` field.
pub fn create_user(conn: &Connection, user: &NewUser) -> Result<i64, AccountError> {
    let taken: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)")?
        .query_row([user.email.as_str()], |r| r.get(0))?;
    if taken {
        return Err(AccountError::Conflict(FieldErrors::single(
            "email",
            "email_taken",
            "A user with this email already exists.",
        )));
    }
    conn.prepare_cached(
        "INSERT INTO users (email, display_name, password_hash, is_staff, is_superuser) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        user.email.as_str(),
        user.display_name.as_str(),
        user.password_hash,
        user.is_staff,
        user.is_superuser
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Number of active superusers (for `check` and the first-run hint).
pub fn count_superusers(conn: &Connection) -> Result<i64, AccountError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM users WHERE is_superuser = 1 AND is_active = 1",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        assert_eq!(
            Email::parse(" Kim@Example.COM ").unwrap().as_str(),
            "Kim@example.com"
        );
        assert!(Email::parse("no-at-sign").is_err());
        assert!(Email::parse("a@b").is_err());
        assert_eq!(
            Email::parse(&format!("{}@x.kr", "a".repeat(300)))
                .unwrap_err()
                .code,
            "max_length"
        );
        assert!(Email::parse("김@한국.kr").is_ok());
    }

    #[test]
    fn display_name_rules() {
        assert_eq!(DisplayName::parse(" 김민지 ").unwrap().as_str(), "김민지");
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse(&"가".repeat(101)).is_err());
        assert!(DisplayName::parse(&"가".repeat(100)).is_ok());
    }
}
