//! Passwords: the validation rules a new password must pass and argon2id hashing with OWASP's
//! parameters. Hashing is CPU-heavy (about 19 MiB and tens of milliseconds): callers on the
//! async executor must run it on a blocking thread.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::fields::FieldErrors;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Stored for users who cannot log in with a password (seeded demo users), as Django does.
pub const UNUSABLE_PASSWORD: &str = "!unusable";

/// A password that passed the rules; only ever hashed, never stored or logged.
pub struct Password(String);

impl Password {
    /// Checks length, all-digit and similarity to the e-mail or name; every failure reported.
    pub fn parse(text: &str, email: &str, display_name: &str) -> Result<Password, FieldErrors> {
        let mut errors = FieldErrors::new();
        if text.len() > MAX_PASSWORD_BYTES {
            errors.add(
                "password",
                "max_length",
                format!("Ensure this field has no more than {MAX_PASSWORD_BYTES} bytes."),
            );
        }
        if text.chars().count() < MIN_PASSWORD_CHARS {
            errors.add(
                "password",
                "password_too_short",
                format!("This password is too short. It must contain at least {MIN_PASSWORD_CHARS} characters."),
            );
        }
        if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            errors.add(
                "password",
                "password_entirely_numeric",
                "This password is entirely numeric.",
            );
        }
        let lower = text.to_lowercase();
        let local = email.split('@').next().unwrap_or("").to_lowercase();
        let name = display_name.to_lowercase();
        if (local.chars().count() >= 3 && lower.contains(&local))
            || (name.chars().count() >= 3 && lower.contains(&name))
        {
            errors.add(
                "password",
                "password_too_similar",
                "The password is too similar to the email or display name.",
            );
        }
        errors.into_result(Password(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hasher() -> Argon2<'static> {
    // OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string for `password`. Blocking and CPU-heavy.
pub fn hash_password(password: &Password) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_str().as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters")
        .to_string()
}

/// Whether `candidate` matches the stored hash; an unusable or malformed hash never matches.
pub fn verify_password(candidate: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_report_every_failure() {
        let err = Password::parse("12345", "a@b.kr", "kim").err().unwrap();
        let codes: Vec<&str> = err
            .iter()
            .flat_map(|(_, v)| v.iter().map(|e| e.code))
            .collect();
        assert_eq!(codes, ["password_too_short", "password_entirely_numeric"]);
        assert!(Password::parse("minji-startup-2026", "minji@x.kr", "민지").is_err());
        assert!(Password::parse("correct horse battery", "minji@x.kr", "민지").is_ok());
    }

    #[test]
    fn hash_round_trip() {
        let p = Password::parse("correct horse battery", "a@b.kr", "kim")
            .ok()
            .unwrap();
        let h = hash_password(&p);
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("anything", UNUSABLE_PASSWORD));
    }
}
