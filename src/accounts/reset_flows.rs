//! Passwords set from a link sent by mail: a reset asked for on the login page (throttled per
//! address asked and per client, answered the same whether the account exists) and an
//! invitation for an account an operator imported. Both are the same signed link
//! (`accounts::reset`); nothing is stored, and the link dies once a password is set.

use super::keys::now;
use super::users::{self, Email, User};
use super::{reset, throttle, AccountError, Accounts};
use crate::fields::FieldErrors;

/// Days an invitation link (an imported account's first password) stays valid.
pub const INVITE_TTL_DAYS: i64 = 7;

impl Accounts {
    /// A reset link token for the account with this e-mail, when it exists, is active and has a
    /// usable password. The caller answers the same way whatever this returns. Rate-limited per
    /// asked-for address and per client (`Throttled`), counted the same whether the address
    /// has an account or not, so the limit tells nothing either.
    pub async fn prepare_reset(
        &self,
        email: &str,
        client: &str,
    ) -> Result<Option<(User, String)>, AccountError> {
        let account = throttle::reset_account_key(email.trim());
        let address = throttle::reset_address_key(client);
        let wait = self
            .db
            .write_private_blocking(move |tx| {
                throttle::count_reset(
                    tx,
                    &[
                        (&account, throttle::RESET_PER_ACCOUNT),
                        (&address, throttle::RESET_PER_ADDRESS),
                    ],
                    now(),
                )
            })
            .await?;
        if let Some(retry_after) = wait {
            return Err(AccountError::Throttled { retry_after });
        }
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let found = self.db.read(|c| users::find_for_login(c, email.as_str()))?;
        Ok(found.and_then(|(user, hash)| {
            let usable = !hash.starts_with('!') || hash == users::IMPORTED_PASSWORD;
            (user.is_active && usable).then(|| {
                let expires = now() + self.auth.reset_ttl_minutes as i64 * 60;
                let token = reset::make_token(&self.key, &user, &hash, expires);
                (user, token)
            })
        }))
    }

    /// A set-your-password link for an account made by someone else (an operator's CSV
    /// import): the same signed link as a reset, valid `INVITE_TTL_DAYS`, for an active account
    /// that has no password yet (`users::IMPORTED_PASSWORD`). Nothing is stored; the link dies
    /// once a password is set.
    pub fn invitation(&self, user_id: i64) -> Result<Option<(User, String)>, AccountError> {
        let found = self.db.read(|c| -> Result<_, AccountError> {
            let user = users::get_user(c, user_id)?;
            let hash = users::password_hash_of(c, user_id)?;
            Ok(user.zip(hash))
        })?;
        Ok(found.and_then(|(user, hash)| {
            (user.is_active && hash == users::IMPORTED_PASSWORD).then(|| {
                let expires = now() + INVITE_TTL_DAYS * 86_400;
                let token = reset::make_token(&self.key, &user, &hash, expires);
                (user, token)
            })
        }))
    }

    /// The user a reset link is valid for, if it is.
    pub fn check_reset(&self, user_id: i64, token: &str) -> Result<Option<User>, AccountError> {
        let found = self.db.read(|c| -> Result<_, AccountError> {
            let user = users::get_user(c, user_id)?;
            let hash = users::password_hash_of(c, user_id)?;
            Ok(user.zip(hash))
        })?;
        Ok(found.and_then(|(user, hash)| {
            (user.is_active && reset::check_token(&self.key, &user, &hash, token, now()))
                .then_some(user)
        }))
    }

    /// Sets the password from a valid reset link; the link dies with the old hash.
    pub async fn complete_reset(
        &self,
        user_id: i64,
        token: &str,
        new1: &Option<String>,
        new2: &Option<String>,
    ) -> Result<User, AccountError> {
        let user = self
            .check_reset(user_id, token)?
            .ok_or(AccountError::NotFound)?;
        let mut errors = FieldErrors::new();
        let password = self.new_password(
            &mut errors,
            "new_password1",
            new1,
            Some(("new_password2", new2)),
            &user.email,
            &user.display_name,
        );
        let Some(password) = password else {
            return Err(AccountError::Invalid(errors));
        };
        self.store_password(user.id, password).await?;
        let email = throttle::account_key(&user.email);
        self.db
            .write_private_blocking(move |tx| throttle::clear(tx, &email))
            .await?;
        Ok(user)
    }
}
