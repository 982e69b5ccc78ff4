//! The identities linked to users: one row per provider account, found by (provider, subject)
//! only — never by e-mail — with at most one per provider per user. Linking refuses a provider
//! account linked elsewhere; unlinking refuses the user's last way to log in.

use rusqlite::{params, Connection, OptionalExtension};

use super::{provider_label, Provider, ProviderProfile};
use crate::accounts::users::{self, User, USER_COLUMNS};
use crate::accounts::AccountError;
use crate::fields::{FieldError, FieldErrors};

/// A linked identity as the account page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Identity {
    pub provider: Provider,
    pub email: Option<String>,
    pub created_at: String,
}

/// The user linked to a provider account, if any.
pub fn find_user(
    conn: &Connection,
    provider: Provider,
    subject: &str,
) -> Result<Option<User>, AccountError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM social_identities s JOIN users u ON u.id = s.user_id \
             WHERE s.provider = ?1 AND s.subject = ?2"
        ))?
        .query_row(params![provider.as_str(), subject], |r| {
            users::user_from_row(r, 0)
        })
        .optional()?)
}

fn link_taken(provider: Provider) -> AccountError {
    AccountError::Conflict(FieldErrors::single(
        "provider",
        FieldError::new(
            "identity_taken",
            format!(
                "This {} account is already linked to another user.",
                provider_label(provider)
            ),
        ),
    ))
}

/// Records a link; a provider account linked elsewhere, or a second link to the same provider,
/// is a conflict.
pub fn link(
    conn: &Connection,
    user_id: i64,
    provider: Provider,
    profile: &ProviderProfile,
) -> Result<(), AccountError> {
    if let Some(other) = find_user(conn, provider, &profile.subject)? {
        return if other.id == user_id {
            Ok(())
        } else {
            Err(link_taken(provider))
        };
    }
    let inserted = conn
        .prepare_cached(
            "INSERT INTO social_identities (provider, subject, user_id, email, email_verified) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            provider.as_str(),
            profile.subject,
            user_id,
            profile
                .email
                .as_deref()
                .filter(|e| e.len() <= users::MAX_EMAIL_CHARS),
            profile.email_verified
        ]);
    match inserted {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(AccountError::Conflict(FieldErrors::single(
                "provider",
                FieldError::new(
                    "already_linked",
                    format!(
                        "A {} account is already linked to this user; unlink it first.",
                        provider_label(provider)
                    ),
                ),
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// The identities linked to a user, in provider order.
pub fn identities(conn: &Connection, user_id: i64) -> Result<Vec<Identity>, AccountError> {
    let mut stmt = conn.prepare_cached(
        "SELECT provider, email, created_at FROM social_identities WHERE user_id = ?1 \
         ORDER BY CASE provider WHEN 'kakao' THEN 0 WHEN 'naver' THEN 1 ELSE 2 END",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (provider, email, created_at) = row?;
        if let Some(provider) = Provider::parse(&provider) {
            out.push(Identity {
                provider,
                email,
                created_at,
            });
        }
    }
    Ok(out)
}

/// Removes a link, unless it is the user's last way to log in (no usable password, no other
/// provider). `NotFound` when the user has no such link.
pub fn unlink(conn: &Connection, user_id: i64, provider: Provider) -> Result<(), AccountError> {
    let linked = identities(conn, user_id)?;
    if !linked.iter().any(|i| i.provider == provider) {
        return Err(AccountError::NotFound);
    }
    // A hash starting with '!' is an unusable password (`UNUSABLE_PASSWORD`, Django's rule).
    let has_password = users::password_hash_of(conn, user_id)?.is_some_and(|h| !h.starts_with('!'));
    if !has_password && linked.len() < 2 {
        return Err(AccountError::Invalid(FieldErrors::single(
            "provider",
            FieldError::new(
                "last_login_method",
                "This is your only way to log in: set a password (reset it by e-mail) or link another provider first.",
            ),
        )));
    }
    conn.prepare_cached("DELETE FROM social_identities WHERE user_id = ?1 AND provider = ?2")?
        .execute(params![user_id, provider.as_str()])?;
    Ok(())
}
