//! Sign-in with Kakao, Naver and Google: which providers are enabled (`Providers`, from
//! configuration only — keys never reach the database), the identities linked to users (one
//! row per provider account, SQL here), and the flow every surface shares: a provider credential
//! (an access token from the app, or an authorization code with its PKCE verifier) → the
//! provider's profile (`client`) → the linked user, or a new account.
//!
//! **Invariant:** a user is never found by the e-mail a provider gives. An identity is found by
//! (provider, subject) only; a provider e-mail that an existing account already uses — verified
//! or not — is refused with `link_required`, telling the person to log in to that account first
//! and link the provider from the account page.

pub mod client;
mod identities;

use rusqlite::Connection;

use super::consent::{self, ConsentInput};
use super::keys::now;
use super::users::{self, DisplayName, Email, NewUser, User};
use super::{throttle, AccountError, Accounts, UNUSABLE_PASSWORD};
use crate::config::Config;
use crate::fields::{FieldError, FieldErrors};
pub use client::{ProviderClient, ProviderFailure};
pub use identities::{find_user, identities, link, unlink, Identity};

/// Longest provider subject kept (the column's CHECK).
pub const MAX_SUBJECT_CHARS: usize = 255;
/// Longest access token or authorization code accepted, in bytes.
pub const MAX_CREDENTIAL_BYTES: usize = 4096;
/// Longest `redirect_uri`, in bytes.
pub const MAX_REDIRECT_URI_BYTES: usize = 2048;
/// A PKCE code verifier's length in characters (RFC 7636 §4.1).
pub const CODE_VERIFIER_CHARS: std::ops::RangeInclusive<usize> = 43..=128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Kakao,
    Naver,
    Google,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Kakao, Provider::Naver, Provider::Google];

    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Kakao => "kakao",
            Provider::Naver => "naver",
            Provider::Google => "google",
        }
    }

    /// Kakao and Google are OpenID Connect providers (ID tokens, nonce); Naver is OAuth 2.0 only.
    pub fn is_oidc(self) -> bool {
        !matches!(self, Provider::Naver)
    }

    /// The scopes asked for at the authorization endpoint.
    pub fn scopes(self) -> &'static str {
        match self {
            Provider::Kakao => "openid profile_nickname account_email",
            Provider::Naver => "",
            Provider::Google => "openid email profile",
        }
    }
}

/// One enabled provider's settings, from `[auth.providers.<name>]`.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub provider: Provider,
    pub client_id: String,
    pub client_secret: String,
    /// Kakao's numeric app id (an access token's `app_id`); empty for the others.
    pub app_id: String,
    pub authorize_url: String,
    pub token_url: String,
    pub userinfo_url: String,
    pub tokeninfo_url: String,
    pub jwks_url: String,
    pub issuer: String,
}

/// The enabled providers and the HTTP client that talks to them.
#[derive(Debug, Clone)]
pub struct Providers {
    enabled: Vec<ProviderSettings>,
    pub client: ProviderClient,
}

impl Providers {
    /// No provider enabled.
    pub fn none(timeout_ms: u64) -> Providers {
        Providers {
            enabled: Vec::new(),
            client: ProviderClient::new(timeout_ms),
        }
    }

    pub fn from_config(config: &Config) -> Providers {
        let mut enabled = Vec::new();
        let k = &config.kakao;
        if k.enabled {
            enabled.push(ProviderSettings {
                provider: Provider::Kakao,
                client_id: k.client_id.clone(),
                client_secret: k.client_secret.clone(),
                app_id: k.app_id.clone(),
                authorize_url: k.authorize_url.clone(),
                token_url: k.token_url.clone(),
                userinfo_url: k.userinfo_url.clone(),
                tokeninfo_url: k.tokeninfo_url.clone(),
                jwks_url: k.jwks_url.clone(),
                issuer: k.issuer.clone(),
            });
        }
        let n = &config.naver;
        if n.enabled {
            enabled.push(ProviderSettings {
                provider: Provider::Naver,
                client_id: n.client_id.clone(),
                client_secret: n.client_secret.clone(),
                app_id: String::new(),
                authorize_url: n.authorize_url.clone(),
                token_url: n.token_url.clone(),
                userinfo_url: n.userinfo_url.clone(),
                tokeninfo_url: String::new(),
                jwks_url: String::new(),
                issuer: String::new(),
            });
        }
        let g = &config.google;
        if g.enabled {
            enabled.push(ProviderSettings {
                provider: Provider::Google,
                client_id: g.client_id.clone(),
                client_secret: g.client_secret.clone(),
                app_id: String::new(),
                authorize_url: g.authorize_url.clone(),
                token_url: g.token_url.clone(),
                userinfo_url: g.userinfo_url.clone(),
                tokeninfo_url: g.tokeninfo_url.clone(),
                jwks_url: g.jwks_url.clone(),
                issuer: g.issuer.clone(),
            });
        }
        Providers {
            enabled,
            client: ProviderClient::new(config.auth.provider_timeout_ms),
        }
    }

    /// An enabled provider's settings.
    pub fn get(&self, provider: Provider) -> Option<&ProviderSettings> {
        self.enabled.iter().find(|p| p.provider == provider)
    }

    /// The enabled providers, in the order the pages show them.
    pub fn enabled(&self) -> impl Iterator<Item = Provider> + '_ {
        self.enabled.iter().map(|p| p.provider)
    }
}

/// What a provider says about a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderProfile {
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that the person controls `email`.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// How a surface proves who the person is at the provider.
#[derive(Debug, Clone, Default)]
pub struct Credential {
    pub access_token: Option<String>,
    pub code: Option<String>,
    pub code_verifier: Option<String>,
    pub redirect_uri: Option<String>,
    /// The nonce the surface put in the authorization request (pages; OIDC only).
    pub nonce: Option<String>,
    /// The state the surface put in the authorization request (Naver wants it back).
    pub state: Option<String>,
}

/// What a first sign-in needs besides the provider's profile: the consents every sign-up
/// requires, and an e-mail when the provider gives none.
#[derive(Debug, Clone, Default)]
pub struct SocialSignup {
    pub email: Option<String>,
    pub consent: ConsentInput,
}

/// How a credential is checked, once its shape is right.
enum Checked<'a> {
    Token(&'a str),
    Code {
        code: &'a str,
        verifier: &'a str,
        redirect_uri: &'a str,
    },
}

impl Credential {
    /// Either `access_token`, or `code` + `code_verifier` + `redirect_uri`; each within its limit.
    fn check(&self) -> Result<Checked<'_>, AccountError> {
        let mut errors = FieldErrors::new();
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        let bounded = |errors: &mut FieldErrors, field: &str, v: &str, max: usize| {
            if v.len() > max {
                errors.push(field, FieldError::max_bytes(max));
            }
        };
        if let Some(token) = given(&self.access_token) {
            bounded(&mut errors, "access_token", token, MAX_CREDENTIAL_BYTES);
            return errors
                .into_result(Checked::Token(token))
                .map_err(AccountError::Invalid);
        }
        let Some(code) = given(&self.code) else {
            errors.push(
                "access_token",
                FieldError::new(
                    "required",
                    "Send access_token, or code with code_verifier and redirect_uri.",
                ),
            );
            return Err(AccountError::Invalid(errors));
        };
        bounded(&mut errors, "code", code, MAX_CREDENTIAL_BYTES);
        let verifier = given(&self.code_verifier);
        match verifier {
            None => errors.push("code_verifier", FieldError::required()),
            Some(v) if !CODE_VERIFIER_CHARS.contains(&v.chars().count())
                || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)) =>
            {
                errors.add(
                    "code_verifier",
                    "invalid",
                    "A PKCE code verifier is 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'.",
                )
            }
            Some(_) => {}
        }
        let redirect_uri = given(&self.redirect_uri);
        match redirect_uri {
            None => errors.push("redirect_uri", FieldError::required()),
            Some(r) if r.len() > MAX_REDIRECT_URI_BYTES => errors.push(
                "redirect_uri",
                FieldError::max_bytes(MAX_REDIRECT_URI_BYTES),
            ),
            Some(r) if url::Url::parse(r).is_err() => {
                errors.add("redirect_uri", "invalid", "Enter a valid URL.")
            }
            Some(_) => {}
        }
        match (verifier, redirect_uri, errors.is_empty()) {
            (Some(verifier), Some(redirect_uri), true) => Ok(Checked::Code {
                code,
                verifier,
                redirect_uri,
            }),
            _ => Err(AccountError::Invalid(errors)),
        }
    }
}

/// The provider's name as people know it.
pub fn provider_label(provider: Provider) -> &'static str {
    match provider {
        Provider::Kakao => "Kakao",
        Provider::Naver => "Naver",
        Provider::Google => "Google",
    }
}

/// The refusal for a provider e-mail an existing account uses.
fn link_required(provider: Provider, verified: bool) -> AccountError {
    let label = provider_label(provider);
    let message = if verified {
        format!(
            "An account with this e-mail already exists. Log in to it first, then link {label} from your account page."
        )
    } else {
        format!(
            "An account with this e-mail already exists, and {label} has not verified the address. Log in to that account first, then link {label} from your account page."
        )
    };
    AccountError::Conflict(FieldErrors::single(
        "email",
        FieldError::new("link_required", message),
    ))
}

/// The outcome of a social sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    /// Whether this sign-in created the account.
    pub created: bool,
}

impl Accounts {
    /// Asks the provider who the person is: the credential is checked (shape, limits), then
    /// the provider is called with no database connection held. Refusals by the provider are
    /// failed attempts for the client address's login throttle; the other outcomes give the
    /// attempt back.
    pub async fn provider_profile(
        &self,
        provider: Provider,
        credential: &Credential,
        client: &str,
    ) -> Result<ProviderProfile, AccountError> {
        let providers = self.providers.clone();
        let settings = providers.get(provider).ok_or(AccountError::NotFound)?;
        let checked = credential.check()?;
        let address_key = throttle::address_key(client);
        let cfg = self.auth.clone();
        let reserved = self
            .db
            .write_private_blocking(move |tx| {
                throttle::reserve(
                    tx,
                    &[(&address_key, cfg.address_failure_limit)],
                    &cfg,
                    now(),
                )
            })
            .await?
            .map_err(|retry_after| AccountError::Throttled { retry_after })?;
        let asked = match checked {
            Checked::Token(token) => providers.client.from_access_token(settings, token).await,
            Checked::Code {
                code,
                verifier,
                redirect_uri,
            } => {
                providers
                    .client
                    .exchange_code(
                        settings,
                        code,
                        verifier,
                        redirect_uri,
                        credential.nonce.as_deref(),
                        credential.state.as_deref(),
                    )
                    .await
            }
        };
        match asked {
            Ok(profile) => {
                self.release_attempt(reserved).await;
                Ok(profile)
            }
            Err(ProviderFailure::Refused(why)) => {
                tracing::warn!(
                    provider = provider.as_str(),
                    client,
                    why,
                    "social sign-in refused"
                );
                let field = if credential.access_token.is_some() {
                    "access_token"
                } else {
                    "code"
                };
                Err(AccountError::Invalid(FieldErrors::single(
                    field,
                    FieldError::new(
                        "provider_refused",
                        format!(
                            "{} did not accept this sign-in; start again.",
                            provider_label(provider)
                        ),
                    ),
                )))
            }
            Err(ProviderFailure::Unavailable(why)) => {
                tracing::error!(
                    provider = provider.as_str(),
                    why,
                    "sign-in provider unavailable"
                );
                self.release_attempt(reserved).await;
                Err(AccountError::ProviderUnavailable)
            }
        }
    }

    async fn release_attempt(&self, reserved: Vec<throttle::Reservation>) {
        let released = self
            .db
            .write_private_blocking(move |tx| throttle::release(tx, &reserved))
            .await;
        if let Err(e) = released {
            tracing::error!(error = %e, "releasing a sign-in attempt failed");
        }
    }

    /// The linked user for a provider profile, or a new account: a deactivated user is refused
    /// like a password login; a new account needs the sign-up consents and an e-mail no account
    /// uses (the provider's, else `signup.email`).
    pub async fn social_sign_in(
        &self,
        provider: Provider,
        profile: ProviderProfile,
        signup: SocialSignup,
    ) -> Result<SignedIn, AccountError> {
        let outcome = self
            .db
            .write_private_blocking(move |tx| -> Result<SignedIn, AccountError> {
                if let Some(user) = find_user(tx, provider, &profile.subject)? {
                    if !user.is_active {
                        return Err(AccountError::Inactive);
                    }
                    users::record_login(tx, user.id)?;
                    return Ok(SignedIn {
                        user,
                        created: false,
                    });
                }
                let new = new_account(tx, provider, &profile, &signup)?;
                let id = users::create_user(tx, &new)?;
                consent::record(tx, id)?;
                link(tx, id, provider, &profile)?;
                users::record_login(tx, id)?;
                let user = users::get_user(tx, id)?.ok_or(AccountError::NotFound)?;
                Ok(SignedIn {
                    user,
                    created: true,
                })
            })
            .await;
        match &outcome {
            Ok(s) if s.created => self.count_signup(),
            Ok(_) => self.count_login(true),
            Err(AccountError::Inactive) => self.count_login(false),
            Err(_) => {}
        }
        outcome
    }

    /// Links a provider account to a logged-in user.
    pub async fn link_provider(
        &self,
        user_id: i64,
        provider: Provider,
        profile: ProviderProfile,
    ) -> Result<(), AccountError> {
        self.db
            .write_private_blocking(move |tx| link(tx, user_id, provider, &profile))
            .await
    }

    pub async fn unlink_provider(
        &self,
        user_id: i64,
        provider: Provider,
    ) -> Result<(), AccountError> {
        self.db
            .write_private_blocking(move |tx| unlink(tx, user_id, provider))
            .await
    }
}

/// The account a first sign-in creates, after every check: the provider's e-mail (refused with
/// `link_required` when an account uses it), else the one given; the consents; a display name
/// from the provider, else the e-mail's local part.
fn new_account(
    conn: &Connection,
    provider: Provider,
    profile: &ProviderProfile,
    signup: &SocialSignup,
) -> Result<NewUser, AccountError> {
    let mut errors = FieldErrors::new();
    let provider_email = profile.email.as_deref().and_then(|e| Email::parse(e).ok());
    let email = match provider_email {
        Some(e) => {
            if users::email_exists(conn, e.as_str())? {
                return Err(link_required(provider, profile.email_verified));
            }
            Some(e)
        }
        None => match signup.email.as_deref().filter(|e| !e.trim().is_empty()) {
            None => {
                errors.push(
                    "email",
                    FieldError::new(
                        "email_required",
                        format!(
                            "{} did not share an e-mail address: enter one to create your account.",
                            provider_label(provider)
                        ),
                    ),
                );
                None
            }
            Some(text) => errors.take("email", Email::parse(text)),
        },
    };
    signup.consent.check(&mut errors);
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(AccountError::Invalid(errors));
    };
    let name = profile
        .name
        .as_deref()
        .and_then(|n| DisplayName::parse(n).ok())
        .or_else(|| {
            let local = email.as_str().split('@').next().unwrap_or("");
            DisplayName::parse(local).ok()
        })
        .or_else(|| DisplayName::parse(provider_label(provider)).ok())
        .ok_or(AccountError::NotFound)?;
    Ok(NewUser {
        email,
        display_name: name,
        password_hash: UNUSABLE_PASSWORD.to_owned(),
        is_staff: false,
        is_superuser: false,
    })
}
