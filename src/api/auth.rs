//! `/api/v1/auth`: register, log in (a knox-style token per device), log out this device or all,
//! the current user, and the user's devices. Also `require_user`, the API's one way to demand
//! an authenticated caller: a token, or the browser session plus its CSRF header on writes.

use poem::http::Method;
use poem::web::Data;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use super::error::ApiError;
use crate::accounts::consent::ConsentInput;
use crate::accounts::flows::RegisterInput;
use crate::accounts::tokens::{self, IssuedToken};
use crate::accounts::{keys, User};
use crate::web::auth::{client_address, Auth};
use crate::web::{csrf, AppState};

#[derive(Tags)]
pub(super) enum ApiTags {
    /// Accounts and API tokens. Send the token as `Authorization: Bearer <token>` (or
    /// `Token <token>`); the browser session works too, with the `X-CSRFToken` header on writes.
    Auth,
}

/// Who the caller is, or the 401/403 the API answers.
pub fn require_user(req: &Request, state: &AppState) -> Result<User, ApiError> {
    match Auth::of(req) {
        Auth::Token { user, .. } => Ok(user),
        Auth::Session(user) => {
            let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            if safe || csrf::verify(req, state, req.header(csrf::HEADER)) {
                Ok(user)
            } else {
                Err(ApiError::csrf_failed())
            }
        }
        Auth::BadToken => Err(ApiError::invalid_token()),
        Auth::Anonymous => Err(ApiError::not_authenticated()),
    }
}

#[derive(Debug, Object)]
pub struct UserOut {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub is_staff: bool,
    /// RFC 3339 UTC.
    pub date_joined: String,
    pub last_login: Option<String>,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            is_staff: u.is_staff,
            date_joined: u.created_at,
            last_login: u.last_login_at,
        }
    }
}

/// Sign-up. `email` (≤ 254 characters), `display_name` (≤ 100) and `password` (≥ the configured
/// minimum, ≤ 1,024 bytes, not common, not all digits, not like the e-mail or name) are required,
/// and so are `accept_terms`, `accept_privacy` and `age_14_or_older`, each `true` (recorded with
/// the time and the documents' version, as on the sign-up page).
#[derive(Debug, Object)]
pub struct RegisterRequest {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub password: Option<String>,
    /// Name of this device, shown in the token list (default: the User-Agent).
    pub device: Option<String>,
    /// Agrees to the terms of service (required, `true`).
    pub accept_terms: Option<bool>,
    /// Agrees to the privacy policy (required, `true`).
    pub accept_privacy: Option<bool>,
    /// Confirms being 14 or older (required, `true`).
    pub age_14_or_older: Option<bool>,
}

/// Log-in. `email` and `password` are required.
#[derive(Debug, Object)]
pub struct LoginRequest {
    pub email: Option<String>,
    pub password: Option<String>,
    /// Name of this device, shown in the token list (default: the User-Agent).
    pub device: Option<String>,
}

#[derive(Debug, Object)]
pub struct ProfileUpdate {
    /// 1–100 characters.
    pub display_name: Option<String>,
}

/// A new token: shown once, never again.
#[derive(Debug, Object)]
pub struct TokenResponse {
    pub token: String,
    /// RFC 3339 UTC.
    pub expiry: String,
    pub user: UserOut,
}

#[derive(Debug, Object)]
pub struct Device {
    pub id: i64,
    /// The first characters of the token, to tell devices apart.
    pub prefix: String,
    pub name: String,
    pub created: String,
    pub expiry: String,
    /// Whether this is the token of the current request.
    pub current: bool,
}

#[derive(ApiResponse)]
pub enum Registered {
    /// The account was created and a token issued for this device.
    #[oai(status = 201)]
    Created(Json<TokenResponse>),
}

#[derive(ApiResponse)]
pub enum LoggedIn {
    /// A token for this device.
    #[oai(status = 200)]
    Ok(Json<TokenResponse>),
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done; nothing to return.
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum Me {
    /// The current user.
    #[oai(status = 200)]
    Ok(Json<UserOut>),
}

#[derive(ApiResponse)]
pub enum Devices {
    /// The user's unexpired tokens, newest first.
    #[oai(status = 200)]
    Ok(Json<Vec<Device>>),
}

pub(super) fn device_name(given: Option<String>, req: &Request) -> String {
    given
        .filter(|d| !d.trim().is_empty())
        .or_else(|| {
            req.header(poem::http::header::USER_AGENT)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

fn token_response(issued: IssuedToken, user: User) -> TokenResponse {
    TokenResponse {
        token: issued.token,
        expiry: issued.expiry,
        user: user.into(),
    }
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Create an account
    ///
    /// Creates the account and logs this device in (knox's register-and-login).
    #[oai(path = "/register", method = "post", operation_id = "auth_register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<RegisterRequest>,
    ) -> Result<Registered, ApiError> {
        let body = body.0;
        let user = state
            .accounts
            .register(RegisterInput {
                email: body.email,
                display_name: body.display_name,
                password: body.password,
                password2: None,
                consent: ConsentInput {
                    accept_terms: body.accept_terms,
                    accept_privacy: body.accept_privacy,
                    age_14_or_older: body.age_14_or_older,
                },
            })
            .await?;
        let issued = state
            .accounts
            .issue_token(user.id, device_name(body.device, req))
            .await?;
        Ok(Registered::Created(Json(token_response(issued, user))))
    }

    /// Log in
    ///
    /// Exchanges e-mail and password for a token for this device. Unknown e-mail and wrong
    /// password get the same answer. Repeated failures lock the account and the client address
    /// out for a growing time (429 with `Retry-After`).
    #[oai(path = "/login", method = "post", operation_id = "auth_login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> Result<LoggedIn, ApiError> {
        let body = body.0;
        let client = client_address(req, state.config.auth.trust_forwarded_for);
        let user = state
            .accounts
            .authenticate(body.email.as_deref(), body.password.as_deref(), &client)
            .await?;
        let issued = state
            .accounts
            .issue_token(user.id, device_name(body.device, req))
            .await?;
        Ok(LoggedIn::Ok(Json(token_response(issued, user))))
    }

    /// Log out this device
    ///
    /// Revokes the token the request was made with.
    #[oai(path = "/logout", method = "post", operation_id = "auth_logout")]
    async fn logout(&self, state: Data<&AppState>, req: &Request) -> Result<Done, ApiError> {
        let user = require_user(req, &state)?;
        if let Auth::Token { token_id, .. } = Auth::of(req) {
            state
                .db
                .write_private_blocking(move |tx| tokens::revoke(tx, user.id, token_id))
                .await?;
        }
        Ok(Done::NoContent)
    }

    /// Log out every device
    ///
    /// Revokes every token of the user.
    #[oai(path = "/logoutall", method = "post", operation_id = "auth_logoutall")]
    async fn logout_all(&self, state: Data<&AppState>, req: &Request) -> Result<Done, ApiError> {
        let user = require_user(req, &state)?;
        state
            .db
            .write_private_blocking(move |tx| tokens::revoke_all(tx, user.id))
            .await?;
        Ok(Done::NoContent)
    }

    /// The current user
    #[oai(path = "/me", method = "get", operation_id = "auth_me")]
    async fn me(&self, state: Data<&AppState>, req: &Request) -> Result<Me, ApiError> {
        Ok(Me::Ok(Json(require_user(req, &state)?.into())))
    }

    /// Change the current user's display name
    #[oai(path = "/me", method = "patch", operation_id = "auth_me_update")]
    async fn update_me(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<ProfileUpdate>,
    ) -> Result<Me, ApiError> {
        let user = require_user(req, &state)?;
        let updated = state
            .accounts
            .update_profile(user.id, body.0.display_name.as_deref())
            .await?;
        Ok(Me::Ok(Json(updated.into())))
    }

    /// The user's devices
    #[oai(path = "/tokens", method = "get", operation_id = "auth_tokens_list")]
    async fn tokens(&self, state: Data<&AppState>, req: &Request) -> Result<Devices, ApiError> {
        let user = require_user(req, &state)?;
        let current = match Auth::of(req) {
            Auth::Token { token_id, .. } => Some(token_id),
            _ => None,
        };
        let list = state.db.read(|c| tokens::list(c, user.id, keys::now()))?;
        Ok(Devices::Ok(Json(
            list.into_iter()
                .map(|t| Device {
                    current: Some(t.id) == current,
                    id: t.id,
                    prefix: t.prefix,
                    name: t.name,
                    created: t.created,
                    expiry: t.expiry,
                })
                .collect(),
        )))
    }

    /// Revoke one device's token
    ///
    /// 404 when the user has no token with this id (another user's token included).
    #[oai(
        path = "/tokens/:id",
        method = "delete",
        operation_id = "auth_tokens_destroy"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Done, ApiError> {
        let user = require_user(req, &state)?;
        let id = id.0;
        let revoked = state
            .db
            .write_private_blocking(move |tx| tokens::revoke(tx, user.id, id))
            .await?;
        if revoked {
            Ok(Done::NoContent)
        } else {
            Err(ApiError::not_found("Not found."))
        }
    }
}
