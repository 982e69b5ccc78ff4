//! `/api/v1/auth/social/{provider}`: the single-page app's and the mobile app's sign-in with
//! Kakao, Naver or Google. The client sends what it got from the provider — an access token, or
//! an authorization code with its PKCE verifier and redirect URI — and the server asks the
//! provider who it is (`accounts::social`), finds the linked account or creates one, and answers
//! a token for this device like `POST /api/v1/auth/login`.

use poem::web::Data;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::auth::{device_name, UserOut};
use super::error::ApiError;
use crate::accounts::consent::ConsentInput;
use crate::accounts::social::{Credential, Provider, SocialSignup};
use crate::web::auth::client_address;
use crate::web::AppState;

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ProviderName {
    Kakao,
    Naver,
    Google,
}

impl From<ProviderName> for Provider {
    fn from(p: ProviderName) -> Provider {
        match p {
            ProviderName::Kakao => Provider::Kakao,
            ProviderName::Naver => Provider::Naver,
            ProviderName::Google => Provider::Google,
        }
    }
}

/// A provider credential: `access_token` (≤ 4,096 bytes), or `code` (≤ 4,096 bytes) with
/// `code_verifier` (PKCE, 43–128 characters) and the `redirect_uri` (≤ 2,048 bytes) the code was
/// issued for. A first sign-in creates the account: it needs `accept_terms`, `accept_privacy`
/// and `age_14_or_older`, each `true`, and `email` when the provider shares none.
#[derive(Debug, Object)]
pub struct SocialLoginRequest {
    /// The provider's access token (Kakao, Google: it must have been issued to our client).
    pub access_token: Option<String>,
    /// An authorization code from the provider's authorize endpoint (instead of `access_token`).
    pub code: Option<String>,
    /// The PKCE code verifier of that authorization request.
    pub code_verifier: Option<String>,
    /// The redirect URI of that authorization request.
    pub redirect_uri: Option<String>,
    /// Name of this device, shown in the token list (default: the User-Agent).
    pub device: Option<String>,
    /// First sign-in only, when the provider shares no e-mail (≤ 254 characters).
    pub email: Option<String>,
    /// First sign-in only: agrees to the terms of service (`true`).
    pub accept_terms: Option<bool>,
    /// First sign-in only: agrees to the privacy policy (`true`).
    pub accept_privacy: Option<bool>,
    /// First sign-in only: confirms being 14 or older (`true`).
    pub age_14_or_older: Option<bool>,
}

/// A new token for this device, shown once.
#[derive(Debug, Object)]
pub struct SocialTokenResponse {
    pub token: String,
    /// RFC 3339 UTC.
    pub expiry: String,
    pub user: UserOut,
    /// Whether this sign-in created the account.
    pub created: bool,
}

#[derive(ApiResponse)]
pub enum SocialLoggedIn {
    /// A token for this device; `created` tells a new account from a returning one.
    #[oai(status = 200)]
    Ok(Json<SocialTokenResponse>),
}

pub struct SocialApi;

#[OpenApi(
    prefix_path = "/api/v1/auth/social",
    tag = "super::auth::ApiTags::Auth"
)]
impl SocialApi {
    /// Sign in with Kakao, Naver or Google
    ///
    /// Validates the credential with the provider (for Kakao and Google, that it was issued to
    /// this server's client), reads the profile, and answers a token for the linked account,
    /// or for a new one (`created: true`). 404 when the provider is not enabled; 400 naming
    /// `access_token` or `code` when the provider refuses it, `email` when a new account needs
    /// one, or a consent field; 409 with `email` when an existing account uses the provider's
    /// e-mail — log in to that account and link the provider from the account page; 403 for a
    /// deactivated account; 429 like login after repeated refused credentials from one
    /// address; 503 when the provider does not answer in time.
    #[oai(path = "/:provider", method = "post", operation_id = "auth_social")]
    async fn sign_in(
        &self,
        state: Data<&AppState>,
        req: &Request,
        provider: Path<ProviderName>,
        body: Json<SocialLoginRequest>,
    ) -> Result<SocialLoggedIn, ApiError> {
        let provider = Provider::from(provider.0);
        let body = body.0;
        let client = client_address(req, state.config.auth.trust_forwarded_for);
        let credential = Credential {
            access_token: body.access_token,
            code: body.code,
            code_verifier: body.code_verifier,
            redirect_uri: body.redirect_uri,
            nonce: None,
            state: None,
        };
        let profile = state
            .accounts
            .provider_profile(provider, &credential, &client)
            .await?;
        let signed = state
            .accounts
            .social_sign_in(
                provider,
                profile,
                SocialSignup {
                    email: body.email,
                    consent: ConsentInput {
                        accept_terms: body.accept_terms,
                        accept_privacy: body.accept_privacy,
                        age_14_or_older: body.age_14_or_older,
                    },
                },
            )
            .await?;
        let issued = state
            .accounts
            .issue_token(signed.user.id, device_name(body.device, req))
            .await?;
        Ok(SocialLoggedIn::Ok(Json(SocialTokenResponse {
            token: issued.token,
            expiry: issued.expiry,
            user: signed.user.into(),
            created: signed.created,
        })))
    }
}
