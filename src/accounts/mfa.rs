//! Two-factor authentication for staff: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one
//! step of clock skew each way, via `totp-rs`), its QR code rendered here as SVG (`qrcode`), and
//! 10 single-use recovery codes stored as HMACs under the server key. Who must use it is
//! `auth.require_mfa_for` (`superusers`, `staff` or `none`); anyone who enrolled is asked too.
//! A TOTP code is accepted only for a step later than the last one accepted, so a code seen
//! over a shoulder cannot be replayed; wrong codes count against the login throttle.

use rusqlite::{params, Connection, OptionalExtension};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use super::keys::{random_token, SecretKey};
use super::{throttle, AccountError, Accounts, User};
use crate::fields::{FieldError, FieldErrors};

/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Seconds per TOTP step.
const STEP: u64 = 30;
/// Longest code input looked at (a recovery code with its dash and spaces).
const MAX_CODE_CHARS: usize = 32;

/// Whose admin login needs a second factor (`auth.require_mfa_for`).
pub fn parse_requirement(text: &str) -> Result<(), String> {
    match text {
        "superusers" | "staff" | "none" => Ok(()),
        _ => Err("must be \"superusers\", \"staff\" or \"none\"".into()),
    }
}

/// Whether `user` must have a second factor to enter the admin under `requirement`.
pub fn required_for(requirement: &str, user: &User) -> bool {
    match requirement {
        "staff" => user.is_staff || user.is_superuser,
        "none" => false,
        _ => user.is_superuser,
    }
}

fn totp(secret: &str) -> Result<TOTP, AccountError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|_| AccountError::NotFound)?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP, bytes).map_err(|_| AccountError::NotFound)
}

/// A user's TOTP state: the secret, whether confirmed, the last step accepted.
struct State {
    secret: String,
    confirmed: bool,
    last_step: i64,
}

fn state(conn: &Connection, user_id: i64) -> Result<Option<State>, AccountError> {
    Ok(conn
        .prepare_cached(
            "SELECT secret, confirmed_at IS NOT NULL, last_step FROM mfa_totp WHERE user_id = ?1",
        )?
        .query_row([user_id], |r| {
            Ok(State {
                secret: r.get(0)?,
                confirmed: r.get(1)?,
                last_step: r.get(2)?,
            })
        })
        .optional()?)
}

/// Whether the user has a confirmed second factor.
pub fn enrolled(conn: &Connection, user_id: i64) -> Result<bool, AccountError> {
    Ok(state(conn, user_id)?.is_some_and(|s| s.confirmed))
}

/// What an enrolment page shows: the secret (to type in), its `otpauth://` URL and QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: String,
    pub url: String,
    pub qr_svg: String,
}

/// The unconfirmed secret of a user (made now when there is none); `None` when already enrolled.
pub fn begin(conn: &Connection, user: &User) -> Result<Option<Enrolment>, AccountError> {
    let secret = match state(conn, user.id)? {
        Some(s) if s.confirmed => return Ok(None),
        Some(s) => s.secret,
        None => {
            let mut raw = [0u8; 20];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
            let Secret::Encoded(encoded) = Secret::Raw(raw.to_vec()).to_encoded() else {
                return Err(AccountError::NotFound);
            };
            conn.prepare_cached("INSERT INTO mfa_totp (user_id, secret) VALUES (?1, ?2)")?
                .execute(params![user.id, encoded])?;
            encoded
        }
    };
    let label: String =
        url::form_urlencoded::byte_serialize(format!("hancup:{}", user.email).as_bytes()).collect();
    let url = format!("otpauth://totp/{label}?secret={secret}&issuer=hancup&algorithm=SHA1&digits=6&period={STEP}");
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map(|c| {
            c.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .dark_color(qrcode::render::svg::Color("#000000"))
                .light_color(qrcode::render::svg::Color("#ffffff"))
                .build()
        })
        .unwrap_or_default();
    Ok(Some(Enrolment {
        secret,
        url,
        qr_svg,
    }))
}

fn digits_of(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The TOTP step `code` is valid for (now, or one step either side), if any.
fn matching_step(secret: &str, code: &str, now: i64) -> Result<Option<i64>, AccountError> {
    let code = digits_of(code);
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret)?;
    let current = now.max(0) as u64 / STEP;
    for step in [current.saturating_sub(1), current, current + 1] {
        let expected = t.generate(step * STEP);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            return Ok(Some(step as i64));
        }
    }
    Ok(None)
}

fn recovery_hash(key: &SecretKey, user_id: i64, code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    key.sign("mfa-recovery", &format!("{user_id}:{normal}"))
}

fn wrong_code() -> AccountError {
    AccountError::Invalid(FieldErrors::single(
        "code",
        FieldError::new("mfa_invalid", "The code is not valid; enter the current code from your authenticator app, or a recovery code."),
    ))
}

/// Confirms an enrolment with a first code; answers the recovery codes (shown once).
pub fn confirm(
    conn: &Connection,
    key: &SecretKey,
    user_id: i64,
    code: &str,
    now: i64,
) -> Result<Vec<String>, AccountError> {
    let Some(s) = state(conn, user_id)?.filter(|s| !s.confirmed) else {
        return Err(AccountError::NotFound);
    };
    let Some(step) = matching_step(&s.secret, code, now)? else {
        return Err(wrong_code());
    };
    conn.prepare_cached(
        "UPDATE mfa_totp SET confirmed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), last_step = ?2 \
         WHERE user_id = ?1",
    )?
    .execute(params![user_id, step])?;
    conn.prepare_cached("DELETE FROM mfa_recovery_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: String = random_token(8)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(10)
            .collect::<String>()
            .to_ascii_lowercase();
        let code = format!("{}-{}", &raw[..raw.len() / 2], &raw[raw.len() / 2..]);
        conn.prepare_cached(
            "INSERT OR IGNORE INTO mfa_recovery_codes (user_id, code_hash) VALUES (?1, ?2)",
        )?
        .execute(params![user_id, recovery_hash(key, user_id, &code)])?;
        codes.push(code);
    }
    Ok(codes)
}

/// Checks a login's second factor: a TOTP code for a step after the last accepted one, or an
/// unused recovery code (then used up).
pub fn verify(
    conn: &Connection,
    key: &SecretKey,
    user_id: i64,
    code: &str,
    now: i64,
) -> Result<bool, AccountError> {
    if code.chars().count() > MAX_CODE_CHARS {
        return Ok(false);
    }
    let Some(s) = state(conn, user_id)?.filter(|s| s.confirmed) else {
        return Ok(false);
    };
    if let Some(step) = matching_step(&s.secret, code, now)? {
        if step <= s.last_step {
            return Ok(false);
        }
        conn.prepare_cached("UPDATE mfa_totp SET last_step = ?2 WHERE user_id = ?1")?
            .execute(params![user_id, step])?;
        return Ok(true);
    }
    let used = conn
        .prepare_cached(
            "UPDATE mfa_recovery_codes SET used_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
        )?
        .execute(params![user_id, recovery_hash(key, user_id, code)])?;
    Ok(used == 1)
}

impl Accounts {
    /// A login's second factor, throttled like the password (per account and per address):
    /// a wrong code is a failed attempt; a right one clears the account's count.
    pub async fn verify_second_factor(
        &self,
        user_id: i64,
        code: &str,
        client: &str,
    ) -> Result<(), AccountError> {
        let keys = (format!("mfa:{user_id}"), throttle::address_key(client));
        let cfg = self.auth.clone();
        let key = self.key.clone();
        let code = code.to_owned();
        let now = super::keys::now();
        // The outcome travels inside `Ok` so that a wrong code's recorded failure commits.
        self.db
            .write_private_blocking(
                move |tx| -> Result<Result<(), AccountError>, AccountError> {
                    if let Some(retry_after) =
                        throttle::locked_for(tx, &[keys.0.as_str(), keys.1.as_str()], now)?
                    {
                        return Ok(Err(AccountError::Throttled { retry_after }));
                    }
                    if verify(tx, &key, user_id, &code, now)? {
                        throttle::clear(tx, &keys.0)?;
                        Ok(Ok(()))
                    } else {
                        throttle::record_failure(
                            tx,
                            &keys.0,
                            cfg.account_failure_limit,
                            &cfg,
                            now,
                        )?;
                        throttle::record_failure(
                            tx,
                            &keys.1,
                            cfg.address_failure_limit,
                            &cfg,
                            now,
                        )?;
                        Ok(Err(wrong_code()))
                    }
                },
            )
            .await?
    }

    /// Starts (or shows again) an enrolment.
    pub async fn begin_enrolment(&self, user: User) -> Result<Option<Enrolment>, AccountError> {
        self.db
            .write_private_blocking(move |tx| begin(tx, &user))
            .await
    }

    /// Confirms an enrolment; the recovery codes, shown once. Wrong codes are throttled.
    pub async fn confirm_enrolment(
        &self,
        user_id: i64,
        code: &str,
        client: &str,
    ) -> Result<Vec<String>, AccountError> {
        let keys = (format!("mfa:{user_id}"), throttle::address_key(client));
        let cfg = self.auth.clone();
        let key = self.key.clone();
        let code = code.to_owned();
        let now = super::keys::now();
        type Outcome = Result<Vec<String>, AccountError>;
        self.db
            .write_blocking(move |tx| -> Result<Outcome, AccountError> {
                if let Some(retry_after) =
                    throttle::locked_for(tx, &[keys.0.as_str(), keys.1.as_str()], now)?
                {
                    return Ok(Err(AccountError::Throttled { retry_after }));
                }
                match confirm(tx, &key, user_id, &code, now) {
                    Err(AccountError::Invalid(e)) => {
                        throttle::record_failure(
                            tx,
                            &keys.0,
                            cfg.account_failure_limit,
                            &cfg,
                            now,
                        )?;
                        throttle::record_failure(
                            tx,
                            &keys.1,
                            cfg.address_failure_limit,
                            &cfg,
                            now,
                        )?;
                        Ok(Err(AccountError::Invalid(e)))
                    }
                    other => other.map(Ok),
                }
            })
            .await?
    }
}
