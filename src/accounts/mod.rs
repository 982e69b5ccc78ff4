//! User accounts: who a user is (`users`), what they agreed to at sign-up (`consent`), passwords and their hashing (`password`), login
//! sessions (`sessions`), API tokens (`tokens`), login throttling (`throttle`), reset links
//! (`reset`), permissions (`perms`), the server key (`keys`), and the flows that combine them
//! (`flows`: register, log in, change or reset a password, deactivate), and sign-in with Kakao, Naver
//! and Google (`social`: enabled providers, linked identities, the provider calls), and staff
//! two-factor authentication (`mfa`: TOTP, QR code, recovery codes). Pages, API and admin all
//! go through here; nothing in this module knows about HTTP.

pub mod consent;
pub mod flows;
pub mod hash_pool;
pub mod keys;
pub mod mfa;
pub mod password;
pub mod perms;
pub mod reset;
pub mod reset_flows;
pub mod sessions;
pub mod social;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use flows::Accounts;
pub use hash_pool::HashPool;
pub use password::{verify_password, HashParams, Password, UNUSABLE_PASSWORD};
pub use users::{create_user, DisplayName, Email, NewUser, User};

use crate::db::DbError;
use crate::fields::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("conflict: {0}")]
    Conflict(FieldErrors),
    /// Unknown e-mail or wrong password: one answer for both, so accounts cannot be discovered.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The password was right but the account is deactivated.
    #[error("account is deactivated")]
    Inactive,
    #[error("too many failed logins; retry in {retry_after} s")]
    Throttled { retry_after: i64 },
    /// No password-hashing slot came free in time.
    #[error("busy")]
    Busy,
    #[error("not found")]
    NotFound,
    /// A sign-in provider could not be reached or answered nonsense in time.
    #[error("sign-in provider unavailable")]
    ProviderUnavailable,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for AccountError {
    fn from(e: rusqlite::Error) -> Self {
        AccountError::Db(DbError::Sqlite(e))
    }
}

impl From<hash_pool::Busy> for AccountError {
    fn from(_: hash_pool::Busy) -> Self {
        AccountError::Busy
    }
}
