//! Talking to the sign-in providers: exchanging an authorization code (with its PKCE verifier),
//! checking that an access token was issued to our client (Kakao's access-token information,
//! Google's token information; Naver has no such endpoint), fetching the profile, and verifying
//! OIDC ID tokens (Kakao, Google) against the provider's JWKS with `jsonwebtoken`: signature
//! (RS256 only), issuer, audience (our client id), expiry and nonce. Every call runs under
//! `auth.provider_timeout_ms` and reads at most `MAX_ANSWER_BYTES`; no caller holds a database
//! connection across one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::{Provider, ProviderProfile, ProviderSettings};

/// Largest provider answer read (a JWKS or a profile is a few KiB).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Why a provider call gave no profile.
#[derive(Debug, thiserror::Error)]
pub enum ProviderFailure {
    /// The provider (or our checks of its answer) refused the credential: invalid, expired,
    /// issued to another client, a bad ID token. The person's fault or an attacker's.
    #[error("credential refused: {0}")]
    Refused(String),
    /// The provider could not be reached or answered nonsense in time.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}

use ProviderFailure::{Refused, Unavailable};

/// The shared HTTP client (connection pool, timeout), built on first use: loading the TLS
/// roots costs start-up time that a server with no provider enabled should not pay.
#[derive(Clone, Debug)]
pub struct ProviderClient {
    timeout: Duration,
    http: Arc<OnceLock<reqwest::Client>>,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    id_token: Option<String>,
}

/// The claims of an ID token we read; the rest are checked by `jsonwebtoken`'s validation.
#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
}

impl ProviderClient {
    pub fn new(timeout_ms: u64) -> ProviderClient {
        ProviderClient {
            timeout: Duration::from_millis(timeout_ms.max(1)),
            http: Arc::new(OnceLock::new()),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("hancup/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("the HTTP client builds with static settings")
        })
    }

    /// Reads an answer, at most `MAX_ANSWER_BYTES`, as JSON. A 4xx is the credential's fault;
    /// a 5xx, a timeout or unreadable JSON the provider's.
    async fn json(&self, req: reqwest::RequestBuilder) -> Result<Value, ProviderFailure> {
        let mut resp = req
            .send()
            .await
            .map_err(|e| Unavailable(format!("request failed: {e}")))?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| Unavailable(format!("reading the answer failed: {e}")))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Unavailable("answer too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_client_error() {
            return Err(Refused(format!("provider answered {status}")));
        }
        if !status.is_success() {
            return Err(Unavailable(format!("provider answered {status}")));
        }
        serde_json::from_slice(&body).map_err(|e| Unavailable(format!("answer is not JSON: {e}")))
    }

    /// Exchanges an authorization code (and its PKCE verifier) for tokens; for an OIDC provider
    /// verifies the ID token (with `nonce` when the caller made one) and checks that the
    /// profile behind the access token is the same person.
    pub async fn exchange_code(
        &self,
        p: &ProviderSettings,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
        nonce: Option<&str>,
        state: Option<&str>,
    ) -> Result<ProviderProfile, ProviderFailure> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", p.client_id.as_str()),
            ("client_secret", p.client_secret.as_str()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
        ];
        if let Some(state) = state {
            form.push(("state", state));
        }
        let answer = self
            .json(self.http().post(&p.token_url).form(&form))
            .await?;
        let answer: TokenAnswer = serde_json::from_value(answer)
            .map_err(|e| Unavailable(format!("token answer: {e}")))?;
        let access = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Refused("no access token in the token answer".into()))?;
        if p.provider.is_oidc() {
            let id_token = answer
                .id_token
                .ok_or_else(|| Refused("no ID token in the token answer".into()))?;
            let subject = self.verify_id_token(p, &id_token, nonce).await?;
            let profile = self.profile(p, &access).await?;
            if profile.subject != subject {
                return Err(Refused(
                    "the ID token and the profile name different people".into(),
                ));
            }
            Ok(profile)
        } else {
            self.profile(p, &access).await
        }
    }

    /// Checks that an access token from the app was issued to our client, then reads the
    /// profile behind it.
    pub async fn from_access_token(
        &self,
        p: &ProviderSettings,
        token: &str,
    ) -> Result<ProviderProfile, ProviderFailure> {
        let issued_to = match p.provider {
            Provider::Kakao => {
                let info = self
                    .json(self.http().get(&p.tokeninfo_url).bearer_auth(token))
                    .await?;
                let app = info.get("app_id").map(value_text).unwrap_or_default();
                if app.is_empty() || app != p.app_id {
                    return Err(Refused("the token was issued to another Kakao app".into()));
                }
                info.get("id").map(value_text)
            }
            Provider::Google => {
                let info = self
                    .json(
                        self.http()
                            .get(&p.tokeninfo_url)
                            .query(&[("access_token", token)]),
                    )
                    .await?;
                let aud = info.get("aud").map(value_text).unwrap_or_default();
                let azp = info.get("azp").map(value_text).unwrap_or_default();
                if aud != p.client_id && azp != p.client_id {
                    return Err(Refused(
                        "the token was issued to another Google client".into(),
                    ));
                }
                info.get("sub").map(value_text)
            }
            // Naver tells no client for a token; its profile answers only tokens of an app.
            Provider::Naver => None,
        };
        let profile = self.profile(p, token).await?;
        if issued_to.is_some_and(|s| s != profile.subject) {
            return Err(Refused(
                "the token information and the profile name different people".into(),
            ));
        }
        Ok(profile)
    }

    /// The profile behind an access token, in each provider's own shape.
    async fn profile(
        &self,
        p: &ProviderSettings,
        token: &str,
    ) -> Result<ProviderProfile, ProviderFailure> {
        let v = self
            .json(self.http().get(&p.userinfo_url).bearer_auth(token))
            .await?;
        let text = |v: Option<&Value>| v.map(value_text).filter(|s| !s.is_empty());
        let profile = match p.provider {
            Provider::Kakao => {
                let account = v.get("kakao_account");
                let field = |name: &str| account.and_then(|a| a.get(name));
                let verified = field("is_email_verified").and_then(Value::as_bool) == Some(true)
                    && field("is_email_valid").and_then(Value::as_bool) == Some(true);
                ProviderProfile {
                    subject: text(v.get("id")).unwrap_or_default(),
                    email: text(field("email")),
                    email_verified: verified,
                    name: text(field("profile").and_then(|pr| pr.get("nickname"))),
                }
            }
            Provider::Naver => {
                if v.get("resultcode").and_then(Value::as_str) != Some("00") {
                    return Err(Refused("Naver refused the token".into()));
                }
                let r = v.get("response");
                let field = |name: &str| text(r.and_then(|r| r.get(name)));
                ProviderProfile {
                    subject: field("id").unwrap_or_default(),
                    email: field("email"),
                    // Naver does not say whether the address was verified: never trust it.
                    email_verified: false,
                    name: field("nickname").or_else(|| field("name")),
                }
            }
            Provider::Google => ProviderProfile {
                subject: text(v.get("sub")).unwrap_or_default(),
                email: text(v.get("email")),
                email_verified: matches!(v.get("email_verified"), Some(Value::Bool(true)))
                    || v.get("email_verified").and_then(Value::as_str) == Some("true"),
                name: text(v.get("name")),
            },
        };
        if profile.subject.is_empty() || profile.subject.len() > super::MAX_SUBJECT_CHARS {
            return Err(Unavailable("the profile has no usable subject".into()));
        }
        Ok(profile)
    }

    /// Verifies an ID token against the provider's JWKS; answers its subject.
    async fn verify_id_token(
        &self,
        p: &ProviderSettings,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<String, ProviderFailure> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| Refused(format!("unreadable ID token: {e}")))?;
        if header.alg != Algorithm::RS256 {
            return Err(Refused(format!("ID token signed with {:?}", header.alg)));
        }
        let jwks: JwkSet = serde_json::from_value(self.json(self.http().get(&p.jwks_url)).await?)
            .map_err(|e| Unavailable(format!("unreadable JWKS: {e}")))?;
        let jwk = match &header.kid {
            Some(kid) => jwks.find(kid),
            None if jwks.keys.len() == 1 => jwks.keys.first(),
            None => None,
        }
        .ok_or_else(|| Refused("the ID token's key is not in the provider's JWKS".into()))?;
        let key =
            DecodingKey::from_jwk(jwk).map_err(|e| Unavailable(format!("unusable JWK: {e}")))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[p.client_id.as_str()]);
        validation.set_issuer(&[p.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
            .map_err(|e| Refused(format!("ID token refused: {e}")))?;
        if let Some(expected) = nonce {
            if data.claims.nonce.as_deref() != Some(expected) {
                return Err(Refused("the ID token's nonce does not match".into()));
            }
        }
        Ok(data.claims.sub)
    }
}

/// A JSON string or number as text (Kakao's ids are numbers, others' strings).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}
