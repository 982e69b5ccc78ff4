//! The account flows pages and API share: register, log in (throttled, constant-time for unknown
//! accounts, upgrading outdated hashes), issue and check API tokens, change a password, update
//! the profile, log out everywhere, deactivate (links by mail are in `reset_flows`). Each write is one transaction;
//! hashing runs in the `HashPool`, never while a connection is held.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::consent::{self, ConsentInput};
use super::hash_pool::HashPool;
use super::keys::{now, SecretKey};
use super::password::Password;
use super::tokens::{self, IssuedToken};
use super::users::{self, DisplayName, Email, NewUser, User};
use super::{sessions, throttle, AccountError};
use crate::config::{AuthConfig, SessionConfig};
use crate::db::Db;
use crate::fields::{FieldError, FieldErrors};

/// Everything the flows need, built once at start and shared by every surface.
#[derive(Clone)]
pub struct Accounts {
    pub db: Db,
    pub hashes: HashPool,
    pub key: SecretKey,
    pub auth: Arc<AuthConfig>,
    pub session: Arc<SessionConfig>,
    /// Running totals of account events, read by the metrics endpoint.
    pub events: Arc<AccountEvents>,
    /// The enabled sign-in providers (none until `with_providers`).
    pub providers: Arc<super::social::Providers>,
}

/// How many sign-ups and logins this process has seen; monotonic, read by `ops::metrics`.
#[derive(Debug, Default)]
pub struct AccountEvents {
    pub signups: AtomicU64,
    pub logins_ok: AtomicU64,
    pub logins_failed: AtomicU64,
}

impl AccountEvents {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    /// (sign-ups, logins ok, logins failed)
    pub fn totals(&self) -> (u64, u64, u64) {
        (
            self.signups.load(Ordering::Relaxed),
            self.logins_ok.load(Ordering::Relaxed),
            self.logins_failed.load(Ordering::Relaxed),
        )
    }
}

/// Sign-up input as it arrives; every field is checked and every failure reported.
#[derive(Debug, Default, Clone)]
pub struct RegisterInput {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub password: Option<String>,
    /// The confirmation, when the surface asks for one (pages do, the API does not).
    pub password2: Option<String>,
    /// Terms, privacy policy, 14 or older: required on every surface (`consent`).
    pub consent: ConsentInput,
}

fn required<'a>(
    errors: &mut FieldErrors,
    field: &str,
    value: &'a Option<String>,
) -> Option<&'a str> {
    match value.as_deref() {
        Some(v) if !v.is_empty() => Some(v),
        _ => {
            errors.push(field, FieldError::required());
            None
        }
    }
}

impl Accounts {
    pub fn new(
        db: Db,
        auth: &AuthConfig,
        session: &SessionConfig,
        configured_key: &str,
    ) -> Result<Accounts, AccountError> {
        let key = db.write(|tx| SecretKey::resolve(tx, configured_key))?;
        Ok(Accounts {
            db,
            hashes: HashPool::new(auth),
            key,
            auth: Arc::new(auth.clone()),
            session: Arc::new(session.clone()),
            events: Arc::new(AccountEvents::default()),
            providers: Arc::new(super::social::Providers::none(auth.provider_timeout_ms)),
        })
    }

    /// The same accounts with the sign-in providers enabled in `config`.
    pub fn with_providers(mut self, config: &crate::config::Config) -> Accounts {
        self.providers = Arc::new(super::social::Providers::from_config(config));
        self
    }

    fn min_chars(&self) -> usize {
        self.auth.password_min_length as usize
    }

    pub fn token_ttl_seconds(&self) -> i64 {
        self.auth.token_ttl_hours as i64 * 3600
    }

    pub fn reset_ttl_minutes(&self) -> u64 {
        self.auth.reset_ttl_minutes
    }

    /// Checks a new password and its confirmation (when given) against the rules.
    pub(super) fn new_password(
        &self,
        errors: &mut FieldErrors,
        field: &str,
        value: &Option<String>,
        confirm: Option<(&str, &Option<String>)>,
        email: &str,
        name: &str,
    ) -> Option<Password> {
        let text = required(errors, field, value)?;
        if let Some((confirm_field, confirm)) = confirm {
            if confirm.as_deref() != Some(text) {
                errors.push(confirm_field, FieldError::password_mismatch());
                return None;
            }
        }
        match Password::parse(text, field, self.min_chars(), email, name) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.merge(e);
                None
            }
        }
    }

    /// Counts a sign-up made another way (a provider's first sign-in) for the metrics.
    pub(super) fn count_signup(&self) {
        AccountEvents::count(&self.events.signups);
    }

    /// Counts a login made another way (a provider sign-in) for the metrics.
    pub(super) fn count_login(&self, ok: bool) {
        AccountEvents::count(if ok {
            &self.events.logins_ok
        } else {
            &self.events.logins_failed
        });
    }

    /// Creates an account; counts it for the metrics.
    pub async fn register(&self, input: RegisterInput) -> Result<User, AccountError> {
        let user = self.register_unmetered(input).await?;
        AccountEvents::count(&self.events.signups);
        Ok(user)
    }

    async fn register_unmetered(&self, input: RegisterInput) -> Result<User, AccountError> {
        let mut errors = FieldErrors::new();
        let email = required(&mut errors, "email", &input.email)
            .and_then(|t| errors.take("email", Email::parse(t)));
        let name = required(&mut errors, "display_name", &input.display_name)
            .and_then(|t| errors.take("display_name", DisplayName::parse(t)));
        let confirm = input
            .password2
            .is_some()
            .then_some(("password2", &input.password2));
        let password = self.new_password(
            &mut errors,
            "password",
            &input.password,
            confirm,
            email.as_ref().map_or("", |e| e.as_str()),
            name.as_ref().map_or("", |n| n.as_str()),
        );
        input.consent.check(&mut errors);
        let (Some(email), Some(name), Some(password), true) =
            (email, name, password, errors.is_empty())
        else {
            return Err(AccountError::Invalid(errors));
        };
        // Refuse a taken e-mail before paying for a hash; the insert re-checks under the lock.
        let taken: bool = self.db.read(|c| -> Result<bool, AccountError> {
            Ok(
                c.prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)")?
                    .query_row([email.as_str()], |r| r.get(0))?,
            )
        })?;
        if taken {
            return Err(AccountError::Conflict(FieldErrors::single(
                "email",
                FieldError::new("email_taken", "A user with this email already exists."),
            )));
        }
        let hash = self.hashes.hash(password).await?;
        let user = NewUser {
            email,
            display_name: name,
            password_hash: hash,
            is_staff: false,
            is_superuser: false,
        };
        let id = self
            .db
            .write_private_blocking(move |tx| {
                let id = users::create_user(tx, &user)?;
                consent::record(tx, id)?;
                Ok::<_, AccountError>(id)
            })
            .await?;
        self.db
            .read(|c| users::get_user(c, id))?
            .ok_or(AccountError::NotFound)
    }

    /// Checks e-mail and password. Throttled per account and per client address; an unknown
    /// e-mail costs the same hash as a wrong password; outdated hashes are upgraded on success.
    /// Counts the outcome for the metrics (a busy hashing pool or a database error is neither).
    pub async fn authenticate(
        &self,
        email: Option<&str>,
        password: Option<&str>,
        client: &str,
    ) -> Result<User, AccountError> {
        let result = self.authenticate_unmetered(email, password, client).await;
        match &result {
            Ok(_) => AccountEvents::count(&self.events.logins_ok),
            Err(AccountError::Busy | AccountError::Db(_)) => {}
            Err(_) => AccountEvents::count(&self.events.logins_failed),
        }
        result
    }

    async fn authenticate_unmetered(
        &self,
        email: Option<&str>,
        password: Option<&str>,
        client: &str,
    ) -> Result<User, AccountError> {
        let mut errors = FieldErrors::new();
        let email = email.filter(|e| !e.trim().is_empty()).map(str::trim);
        let password = password.filter(|p| !p.is_empty());
        if email.is_none() {
            errors.push("email", FieldError::required());
        }
        if password.is_none() {
            errors.push("password", FieldError::required());
        }
        let (Some(email), Some(password)) = (email, password) else {
            return Err(AccountError::Invalid(errors));
        };
        if email.chars().count() > users::MAX_EMAIL_CHARS
            || password.len() > super::password::MAX_PASSWORD_BYTES
        {
            return Err(AccountError::InvalidCredentials);
        }
        let normalized = Email::parse(email)
            .map(|e| e.as_str().to_owned())
            .unwrap_or_else(|_| email.to_owned());
        let account_key = throttle::account_key(&normalized);
        let address_key = throttle::address_key(client);
        // Check and record in one write transaction, before the (slow) password check.
        let cfg = self.auth.clone();
        let keys = (account_key.clone(), address_key.clone());
        let reserved = self
            .db
            .write_private_blocking(move |tx| {
                throttle::reserve(
                    tx,
                    &[
                        (&keys.0, cfg.account_failure_limit),
                        (&keys.1, cfg.address_failure_limit),
                    ],
                    &cfg,
                    now(),
                )
            })
            .await?;
        let reserved = match reserved {
            Ok(r) => r,
            Err(retry_after) => return Err(AccountError::Throttled { retry_after }),
        };
        let found = match self.db.read(|c| users::find_for_login(c, &normalized)) {
            Ok(f) => f,
            Err(e) => {
                self.release(reserved).await;
                return Err(e);
            }
        };
        let stored = found.as_ref().map(|(_, h)| h.clone());
        let ok = match self.hashes.verify(password.to_owned(), stored).await {
            Ok(ok) => ok,
            Err(busy) => {
                // Never checked: the attempt does not count.
                self.release(reserved).await;
                return Err(busy.into());
            }
        };
        if !ok {
            if let Some(until) = reserved.iter().find_map(|r| r.locked_until) {
                let seconds = until - now();
                tracing::warn!(email = %normalized, client, seconds, "login locked out after repeated failures");
            }
            return Err(AccountError::InvalidCredentials);
        }
        let (user, hash) = found.expect("a verified password has a user");
        if !user.is_active {
            // The right password: not a guess to count.
            self.release(reserved).await;
            return Err(AccountError::Inactive);
        }
        let upgrade = if self.hashes.params().is_outdated(&hash) {
            Password::parse(password, "password", 0, "", "")
                .ok()
                .map(|p| self.hashes.hash(p))
        } else {
            None
        };
        let new_hash = match upgrade {
            Some(fut) => Some(fut.await?),
            None => None,
        };
        let id = user.id;
        self.db
            .write_private_blocking(move |tx| -> Result<(), AccountError> {
                // A success gives the address its attempt back and clears the account's count.
                throttle::release(tx, &reserved)?;
                throttle::clear(tx, &account_key)?;
                users::record_login(tx, id)?;
                if let Some(h) = new_hash {
                    users::rehash_password(tx, id, &h)?;
                }
                Ok(())
            })
            .await?;
        Ok(user)
    }

    /// Gives back the attempts `throttle::reserve` counted for a login that was never checked.
    async fn release(&self, reserved: Vec<throttle::Reservation>) {
        let released = self
            .db
            .write_private_blocking(move |tx| throttle::release(tx, &reserved))
            .await;
        if let Err(e) = released {
            tracing::error!(error = %e, "releasing a login attempt failed");
        }
    }

    pub async fn issue_token(
        &self,
        user_id: i64,
        device: String,
    ) -> Result<IssuedToken, AccountError> {
        let key = self.key.clone();
        let ttl = self.token_ttl_seconds();
        self.db
            .write_private_blocking(move |tx| tokens::issue(tx, &key, user_id, &device, now(), ttl))
            .await
    }

    /// The user behind an API token. A quick keyed hash and one indexed query: run inline.
    pub fn token_user(&self, token: &str) -> Result<Option<(User, i64)>, AccountError> {
        self.db
            .read(|c| tokens::authenticate(c, &self.key, token, now()))
    }

    /// Ends every session and revokes every API token of a user.
    pub async fn end_everywhere(&self, user_id: i64) -> Result<(), AccountError> {
        self.db
            .write_private_blocking(move |tx| -> Result<(), AccountError> {
                sessions::delete_for_user(tx, user_id)?;
                tokens::revoke_all(tx, user_id)?;
                Ok(())
            })
            .await
    }

    pub async fn update_profile(
        &self,
        user_id: i64,
        display_name: Option<&str>,
    ) -> Result<User, AccountError> {
        let name = DisplayName::parse(display_name.unwrap_or(""))
            .map_err(|e| AccountError::Invalid(FieldErrors::single("display_name", e)))?;
        self.db
            .write_blocking(move |tx| -> Result<User, AccountError> {
                users::set_display_name(tx, user_id, &name)?;
                users::get_user(tx, user_id)?.ok_or(AccountError::NotFound)
            })
            .await
    }

    /// Checks the current password of a logged-in user (for password change and deactivation).
    async fn confirm_password(
        &self,
        user_id: i64,
        field: &str,
        given: &Option<String>,
    ) -> Result<(), AccountError> {
        let mut errors = FieldErrors::new();
        let Some(given) = required(&mut errors, field, given) else {
            return Err(AccountError::Invalid(errors));
        };
        let stored = self.db.read(|c| users::password_hash_of(c, user_id))?;
        if given.len() > super::password::MAX_PASSWORD_BYTES
            || !self.hashes.verify(given.to_owned(), stored).await?
        {
            return Err(AccountError::Invalid(FieldErrors::single(
                field,
                FieldError::new("wrong_password", "Your password was entered incorrectly."),
            )));
        }
        Ok(())
    }

    /// Sets a new password after checking the old one; ends every session and token of the user
    /// (the caller renews its own session).
    pub async fn change_password(
        &self,
        user: &User,
        old: &Option<String>,
        new1: &Option<String>,
        new2: &Option<String>,
    ) -> Result<(), AccountError> {
        let mut errors = FieldErrors::new();
        let password = self.new_password(
            &mut errors,
            "new_password1",
            new1,
            Some(("new_password2", new2)),
            &user.email,
            &user.display_name,
        );
        let old_result = self.confirm_password(user.id, "old_password", old).await;
        match old_result {
            Err(AccountError::Invalid(e)) => errors.merge(e),
            Err(other) => return Err(other),
            Ok(()) => {}
        }
        let Some(password) = password.filter(|_| errors.is_empty()) else {
            return Err(AccountError::Invalid(errors));
        };
        self.store_password(user.id, password).await
    }

    pub(super) async fn store_password(
        &self,
        user_id: i64,
        password: Password,
    ) -> Result<(), AccountError> {
        let hash = self.hashes.hash(password).await?;
        self.db
            .write_private_blocking(move |tx| -> Result<(), AccountError> {
                users::replace_password(tx, user_id, &hash)
            })
            .await
    }

    /// Deactivates the account after checking its password; ends every session and token.
    pub async fn deactivate(
        &self,
        user: &User,
        password: &Option<String>,
    ) -> Result<(), AccountError> {
        self.confirm_password(user.id, "password", password).await?;
        let id = user.id;
        self.db
            .write_blocking(move |tx| -> Result<(), AccountError> {
                users::set_active(tx, id, false)?;
                sessions::delete_for_user(tx, id)?;
                tokens::revoke_all(tx, id)?;
                Ok(())
            })
            .await
    }

    /// Deletes expired sessions, tokens and stale lockouts; run periodically in the background.
    pub async fn purge_expired(&self) -> Result<(usize, usize), AccountError> {
        let idle = self.session.idle_minutes as i64 * 60;
        self.db
            .write_private_blocking(move |tx| -> Result<(usize, usize), AccountError> {
                let at = now();
                let s = sessions::purge_expired(tx, at, idle)?;
                let t = tokens::purge_expired(tx, at)?;
                throttle::purge_stale(tx, at)?;
                Ok((s, t))
            })
            .await
    }
}
