//! Passwords: the rules a new password must pass (length, similarity to the e-mail or name, a list
//! of 40,000 common passwords, not all digits) and argon2id hashing. Hashing is CPU- and
//! memory-heavy, so it runs in the `HashPool` (`hash_pool.rs`), never on the async executor.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::AuthConfig;
use crate::fields::{FieldError, FieldErrors};

pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Stored for users who cannot log in with a password (seeded demo users), as Django does.
pub const UNUSABLE_PASSWORD: &str = "!unusable";

/// The list Django's `CommonPasswordValidator` uses, embedded here (the web assets exclude it).
const COMMON_PASSWORDS: &str = include_str!("../../assets/passwords/common.txt");

fn common_passwords() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("# "))
            .map(str::to_owned)
            .collect()
    })
}

/// How many entries the common-password list holds (documented and tested).
pub fn common_password_count() -> usize {
    common_passwords().len()
}

/// A password that passed the rules; only ever hashed, never stored or logged.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks every rule and reports every failure under `field`.
    pub fn parse(
        text: &str,
        field: &str,
        min_chars: usize,
        email: &str,
        display_name: &str,
    ) -> Result<Password, FieldErrors> {
        let mut errors = FieldErrors::new();
        if text.is_empty() {
            errors.push(field, FieldError::required());
            return Err(errors);
        }
        if text.len() > MAX_PASSWORD_BYTES {
            errors.push(field, FieldError::max_bytes(MAX_PASSWORD_BYTES));
        }
        if text.contains('\0') {
            errors.push(field, FieldError::null_character());
        }
        if text.chars().count() < min_chars {
            errors.push(
                field,
                FieldError::new(
                    "password_too_short",
                    format!("This password is too short. It must contain at least {min_chars} characters."),
                )
                .with_limit(min_chars as i64),
            );
        }
        if text.chars().all(|c| c.is_ascii_digit()) {
            errors.push(
                field,
                FieldError::new(
                    "password_entirely_numeric",
                    "This password is entirely numeric.",
                ),
            );
        }
        let lower = text.to_lowercase();
        if common_passwords().contains(&lower) {
            errors.push(
                field,
                FieldError::new("password_too_common", "This password is too common."),
            );
        }
        if too_similar(&lower, email, display_name) {
            errors.push(
                field,
                FieldError::new(
                    "password_too_similar",
                    "The password is too similar to the email or display name.",
                ),
            );
        }
        errors.into_result(Password(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Like Django's UserAttributeSimilarityValidator, simplified: the password contains, or is
/// mostly made of, the e-mail's local part, its domain name, or the display name.
fn too_similar(password: &str, email: &str, display_name: &str) -> bool {
    let email = email.to_lowercase();
    let (local, domain) = email.split_once('@').unwrap_or((&email, ""));
    let domain_name = domain.split('.').next().unwrap_or("");
    let name = display_name.to_lowercase().replace(' ', "");
    [local, domain_name, name.as_str()].iter().any(|attr| {
        let n = attr.chars().count();
        n >= 3
            && (password.contains(attr)
                || (attr.contains(password) && password.chars().count() * 2 >= n))
    })
}

/// The argon2id parameters in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashParams {
    pub fn from_config(c: &AuthConfig) -> HashParams {
        HashParams {
            memory_kib: c.argon2_memory_kib as u32,
            iterations: c.argon2_iterations as u32,
            parallelism: c.argon2_parallelism as u32,
        }
    }

    fn hasher(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .expect("argon2 parameters validated with the configuration");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// The PHC string for `password`. Blocking and CPU-heavy.
    pub fn hash(self, password: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        self.hasher()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing with valid parameters")
            .to_string()
    }

    /// Whether a stored hash was made with other parameters (and so should be upgraded).
    pub fn is_outdated(self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        let get = |name: &str| parsed.params.get_decimal(name);
        parsed.algorithm.as_str() != "argon2id"
            || get("m") != Some(self.memory_kib)
            || get("t") != Some(self.iterations)
            || get("p") != Some(self.parallelism)
    }
}

/// Whether `candidate` matches the stored hash (with the parameters recorded in the hash); an
/// unusable or malformed hash never matches.
pub fn verify_password(candidate: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(err: &FieldErrors) -> Vec<&'static str> {
        err.iter()
            .flat_map(|(_, v)| v.iter().map(|e| e.code))
            .collect()
    }

    #[test]
    fn rules_report_every_failure() {
        let err = Password::parse("12345", "password", 10, "a@b.kr", "kim").unwrap_err();
        assert_eq!(
            codes(&err),
            [
                "password_too_short",
                "password_entirely_numeric",
                "password_too_common"
            ]
        );
        let err = Password::parse("minji-startup-2026", "password", 10, "minji@x.kr", "민지")
            .unwrap_err();
        assert_eq!(codes(&err), ["password_too_similar"]);
        let err = Password::parse("Password123", "password", 10, "a@b.kr", "kim").unwrap_err();
        assert_eq!(codes(&err), ["password_too_common"]);
        assert!(Password::parse(
            "correct horse battery",
            "password",
            10,
            "minji@x.kr",
            "민지"
        )
        .is_ok());
        assert!(Password::parse(
            "창업은 한 컵의 커피에서",
            "password",
            10,
            "minji@x.kr",
            "민지"
        )
        .is_ok());
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert!(
            codes(&Password::parse(&long, "password", 10, "a@b.kr", "k").unwrap_err())
                .contains(&"max_length")
        );
    }

    #[test]
    fn the_common_list_is_real_and_large() {
        assert!(
            common_password_count() >= 20_000,
            "{}",
            common_password_count()
        );
        for p in ["123456", "password", "qwerty", "iloveyou", "dragon"] {
            assert!(common_passwords().contains(p), "{p}");
        }
    }

    #[test]
    fn hashes_round_trip_and_report_outdated_parameters() {
        let cheap = HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let owasp = HashParams {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        };
        let h = cheap.hash("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("anything", UNUSABLE_PASSWORD));
        assert!(!cheap.is_outdated(&h));
        assert!(owasp.is_outdated(&h));
    }
}
