//! Users: the parsed values a user is made of (`Email`, `DisplayName`), the `User` row, and the
//! SQL that creates, finds and changes users.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::AccountError;
use crate::fields::{FieldError, FieldErrors};

pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// Characters that show nothing or reorder what is shown: zero-width and joiners, bidi marks,
/// embeddings, overrides and isolates, BOM, soft hyphen, word joiner and invisible operators,
/// Hangul fillers, variation selectors and tags. An address or name holding one can look like
/// another (`admin@hancup.kr` vs `admin\u{200B}@hancup.kr`, or a name reversed by U+202E).
pub fn invisible_or_bidi(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

fn invisible_error() -> FieldError {
    FieldError::new(
        "invisible_characters",
        "Invisible or text-direction characters are not allowed.",
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Hangul,
    Han,
    Kana,
    Other,
}

fn script_of(c: char) -> Option<Script> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F => Script::Cyrillic,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Script::Han,
        0x3040..=0x30FF => Script::Kana,
        _ => Script::Other,
    })
}

/// Whether one domain label mixes scripts the way a look-alike does (Latin with Cyrillic:
/// `hаncup` with a Cyrillic а). Korean (Hangul with Han) and Japanese (Kana with Han) labels
/// are one script for this purpose; labels in different scripts (`한국.kr`) are fine.
fn mixed_scripts(label: &str) -> bool {
    let mut seen: Vec<Script> = label.chars().filter_map(script_of).collect();
    seen.sort();
    seen.dedup();
    !matches!(
        seen.as_slice(),
        [] | [_] | [Script::Hangul, Script::Han] | [Script::Han, Script::Kana]
    )
}

/// A syntactically valid e-mail address: NFKC-normalised (full-width and compatibility forms
/// become their plain letters), trimmed, domain lower-cased; no invisible or text-direction
/// characters anywhere, no label of the domain mixing scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, FieldError> {
        use unicode_normalization::UnicodeNormalization;
        if text.chars().any(invisible_or_bidi) {
            return Err(invisible_error());
        }
        let normalized: String = text.nfkc().collect();
        let text = normalized.trim();
        let invalid = || FieldError::new("invalid_email", "Enter a valid email address.");
        if text.is_empty() {
            return Err(FieldError::required());
        }
        if text.chars().count() > MAX_EMAIL_CHARS {
            return Err(FieldError::max_length(MAX_EMAIL_CHARS));
        }
        if text.contains('\0') {
            return Err(FieldError::null_character());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c));
        if !(domain_ok && local_ok) || domain.split('.').any(mixed_scripts) {
            return Err(invalid());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1–100 characters after trimming, no control, invisible or text-direction
/// characters (a name must show as what it is, in lists and in the admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(text: &str) -> Result<DisplayName, FieldError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FieldError::required());
        }
        if text.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(FieldError::max_length(MAX_DISPLAY_NAME_CHARS));
        }
        if text.chars().any(char::is_control) {
            return Err(FieldError::new(
                "invalid",
                "Control characters are not allowed.",
            ));
        }
        if text.chars().any(invisible_or_bidi) {
            return Err(invisible_error());
        }
        Ok(DisplayName(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user as every surface sees it; never carries the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

pub const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.is_active, u.is_staff, u.is_superuser, u.created_at, u.last_login_at";

pub fn user_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(at)?,
        email: r.get(at + 1)?,
        display_name: r.get(at + 2)?,
        is_active: r.get(at + 3)?,
        is_staff: r.get(at + 4)?,
        is_superuser: r.get(at + 5)?,
        created_at: r.get(at + 6)?,
        last_login_at: r.get(at + 7)?,
    })
}

/// A user to create, already parsed; `password_hash` is a PHC string or `UNUSABLE_PASSWORD`.
pub struct NewUser {
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: String,
    pub is_staff: bool,
    pub is_superuser: bool,
}

fn email_taken() -> FieldErrors {
    FieldErrors::single(
        "email",
        FieldError::new("email_taken", "A user with this email already exists."),
    )
}

/// Whether an account uses this e-mail (case-insensitively, as the column's collation does).
pub fn email_exists(conn: &Connection, email: &str) -> Result<bool, AccountError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)")?
        .query_row([email], |r| r.get(0))?)
}

/// Inserts a user; a taken e-mail (checked, and enforced by the UNIQUE index) is a conflict.
pub fn create_user(conn: &Connection, user: &NewUser) -> Result<i64, AccountError> {
    let taken: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)")?
        .query_row([user.email.as_str()], |r| r.get(0))?;
    if taken {
        return Err(AccountError::Conflict(email_taken()));
    }
    let inserted = conn
        .prepare_cached(
            "INSERT INTO users (email, display_name, password_hash, is_staff, is_superuser) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            user.email.as_str(),
            user.display_name.as_str(),
            user.password_hash,
            user.is_staff,
            user.is_superuser
        ]);
    match inserted {
        Ok(_) => Ok(conn.last_insert_rowid()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(AccountError::Conflict(email_taken()))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn get_user(conn: &Connection, id: i64) -> Result<Option<User>, AccountError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"
        ))?
        .query_row([id], |r| user_from_row(r, 0))
        .optional()?)
}

/// The user and their password hash, for logging in.
pub fn find_for_login(
    conn: &Connection,
    email: &str,
) -> Result<Option<(User, String)>, AccountError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.email = ?1"
        ))?
        .query_row([email], |r| Ok((user_from_row(r, 0)?, r.get(8)?)))
        .optional()?)
}

pub fn password_hash_of(conn: &Connection, id: i64) -> Result<Option<String>, AccountError> {
    Ok(conn
        .prepare_cached("SELECT password_hash FROM users WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

pub fn set_display_name(
    conn: &Connection,
    id: i64,
    name: &DisplayName,
) -> Result<(), AccountError> {
    conn.prepare_cached(
        "UPDATE users SET display_name = ?1, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?2",
    )?
    .execute(params![name.as_str(), id])?;
    Ok(())
}

/// The password an imported account starts with: unusable for logging in, but — unlike other
/// unusable passwords — it may be replaced through a reset or invitation link.
pub const IMPORTED_PASSWORD: &str = "!imported";

/// The one way a password is set anywhere (account page, reset link, admin, CLI): the new hash,
/// and every session and API token of the account ended, in the caller's transaction.
pub fn replace_password(conn: &Connection, id: i64, hash: &str) -> Result<(), AccountError> {
    rehash_password(conn, id, hash)?;
    super::sessions::delete_for_user(conn, id)?;
    super::tokens::revoke_all(conn, id)?;
    Ok(())
}

/// Stores a new hash of the *same* password (stronger parameters at login): sessions stay.
pub fn rehash_password(conn: &Connection, id: i64, hash: &str) -> Result<(), AccountError> {
    conn.prepare_cached(
        "UPDATE users SET password_hash = ?1, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?2",
    )?
    .execute(params![hash, id])?;
    Ok(())
}

pub fn record_login(conn: &Connection, id: i64) -> Result<(), AccountError> {
    conn.prepare_cached(
        "UPDATE users SET last_login_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

pub fn set_active(conn: &Connection, id: i64, active: bool) -> Result<(), AccountError> {
    conn.prepare_cached(
        "UPDATE users SET is_active = ?1, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?2",
    )?
    .execute(params![active, id])?;
    Ok(())
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
        assert!(Email::parse("a@b..kr").is_err());
        assert!(Email::parse("a b@x.kr").is_err());
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
        assert!(DisplayName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn look_alike_addresses_and_names_are_refused_or_normalised() {
        // (input, Ok(normalised) or Err(code))
        let cases: [(&str, Result<&str, &str>); 10] = [
            ("ａｄｍｉｎ@ｈａｎｃｕｐ.ｋｒ", Ok("admin@hancup.kr")),
            ("admin\u{200B}@hancup.kr", Err("invisible_characters")),
            ("admin@han\u{200D}cup.kr", Err("invisible_characters")),
            ("\u{202E}rk.puc@nimda", Err("invisible_characters")),
            ("admin@hancup.kr\u{FEFF}", Err("invisible_characters")),
            ("admin@h\u{0430}ncup.kr", Err("invalid_email")),
            ("admin@παypal.com", Err("invalid_email")),
            ("김@한국.kr", Ok("김@한국.kr")),
            ("a@大韓민국.kr", Ok("a@大韓민국.kr")),
            ("a@пример.рф", Ok("a@пример.рф")),
        ];
        for (input, expected) in cases {
            let got = Email::parse(input);
            match expected {
                Ok(v) => assert_eq!(got.unwrap().as_str(), v, "{input:?}"),
                Err(code) => assert_eq!(got.unwrap_err().code, code, "{input:?}"),
            }
        }
        for name in ["김\u{202E}민지", "관\u{200B}리자", "\u{3164}", "a\u{2066}b"] {
            assert_eq!(
                DisplayName::parse(name).unwrap_err().code,
                "invisible_characters",
                "{name:?}"
            );
        }
    }
}
