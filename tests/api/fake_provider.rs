//! A fake Kakao, Naver and Google on loopback (a poem server on 127.0.0.1:0), implementing what
//! hancup calls: authorize (redirects back with a code for the person the test chose), token
//! (checks client, secret, redirect URI and the PKCE verifier; answers an access token and, for
//! Kakao and Google, an ID token signed with an RSA key generated here), each provider's
//! token-information and profile endpoints, and the JWKS. A test can make the next ID token
//! forged, expired, for another audience or with another nonce.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hancup::config::Config;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use poem::http::StatusCode;
use poem::web::{Data, Form, Json, Path, Query, Redirect};
use poem::{get, handler, post, EndpointExt, IntoResponse, Request, Response, Route};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub const CLIENT_ID: &str = "hancup-client";
pub const CLIENT_SECRET: &str = "hancup-secret";
pub const KAKAO_APP_ID: &str = "424242";
const KID: &str = "fake-key-1";

/// A person at a provider.
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: String,
}

impl Person {
    pub fn new(subject: &str, email: Option<&str>, verified: bool, name: &str) -> Person {
        Person {
            subject: subject.into(),
            email: email.map(Into::into),
            email_verified: verified,
            name: name.into(),
        }
    }
}

/// What the next ID token is like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdToken {
    Good,
    /// Signed with a key that is not in the JWKS, under the JWKS's key id.
    Forged,
    Expired,
    WrongAudience,
    WrongNonce,
}

#[derive(Debug, Clone)]
struct Grant {
    provider: String,
    person: Person,
    client_id: String,
}

#[derive(Debug, Clone)]
struct PendingCode {
    grant: Grant,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
}

#[derive(Default)]
struct FakeState {
    tokens: HashMap<String, Grant>,
    codes: HashMap<String, PendingCode>,
    /// Who signs in at each provider's authorize page.
    signing_in: HashMap<String, Person>,
    id_token: Option<IdToken>,
    counter: u64,
}

type Shared = Arc<Mutex<FakeState>>;

struct Keys {
    signing: EncodingKey,
    forger: EncodingKey,
    n: String,
    e: String,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key");
        let forger = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key");
        let der = |k: &rsa::RsaPrivateKey| {
            EncodingKey::from_rsa_der(k.to_pkcs1_der().expect("DER").as_bytes())
        };
        Keys {
            signing: der(&key),
            forger: der(&forger),
            n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        }
    })
}

pub struct FakeProviders {
    pub base: String,
    state: Shared,
    _stop: oneshot::Sender<()>,
}

impl FakeProviders {
    pub async fn start() -> FakeProviders {
        keys();
        let state: Shared = Arc::default();
        let app = Route::new()
            .at("/:provider/authorize", get(authorize_endpoint))
            .at("/:provider/token", post(token_endpoint))
            .at("/:provider/tokeninfo", get(tokeninfo_endpoint))
            .at("/:provider/me", get(profile_endpoint))
            .at("/:provider/jwks", get(jwks_endpoint))
            .data(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = oneshot::channel::<()>();
        let std_listener = listener.into_std().unwrap();
        tokio::spawn(async move {
            let acceptor = poem::listener::TcpAcceptor::from_std(std_listener).unwrap();
            let _ = poem::Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async move {
                        let _ = stopped.await;
                    },
                    None,
                )
                .await;
        });
        FakeProviders {
            base: format!("http://127.0.0.1:{port}"),
            state,
            _stop: stop,
        }
    }

    /// Points every provider of `cfg` at this fake and enables it.
    pub fn configure(&self, cfg: &mut Config) {
        let b = &self.base;
        let k = &mut cfg.kakao;
        k.enabled = true;
        k.client_id = CLIENT_ID.into();
        k.client_secret = CLIENT_SECRET.into();
        k.app_id = KAKAO_APP_ID.into();
        k.authorize_url = format!("{b}/kakao/authorize");
        k.token_url = format!("{b}/kakao/token");
        k.userinfo_url = format!("{b}/kakao/me");
        k.tokeninfo_url = format!("{b}/kakao/tokeninfo");
        k.jwks_url = format!("{b}/kakao/jwks");
        k.issuer = format!("{b}/kakao");
        let n = &mut cfg.naver;
        n.enabled = true;
        n.client_id = CLIENT_ID.into();
        n.client_secret = CLIENT_SECRET.into();
        n.authorize_url = format!("{b}/naver/authorize");
        n.token_url = format!("{b}/naver/token");
        n.userinfo_url = format!("{b}/naver/me");
        let g = &mut cfg.google;
        g.enabled = true;
        g.client_id = CLIENT_ID.into();
        g.client_secret = CLIENT_SECRET.into();
        g.authorize_url = format!("{b}/google/authorize");
        g.token_url = format!("{b}/google/token");
        g.userinfo_url = format!("{b}/google/me");
        g.tokeninfo_url = format!("{b}/google/tokeninfo");
        g.jwks_url = format!("{b}/google/jwks");
        g.issuer = format!("{b}/google");
    }

    /// An access token the app got for `person`, issued to our client.
    pub fn access_token(&self, provider: &str, person: &Person) -> String {
        self.access_token_for(provider, person, CLIENT_ID)
    }

    /// An access token issued to some client (another app's when not `CLIENT_ID`).
    pub fn access_token_for(&self, provider: &str, person: &Person, client_id: &str) -> String {
        let mut s = self.state.lock().unwrap();
        s.counter += 1;
        let token = format!("{provider}-at-{}", s.counter);
        s.tokens.insert(
            token.clone(),
            Grant {
                provider: provider.into(),
                person: person.clone(),
                client_id: client_id.into(),
            },
        );
        token
    }

    /// Who the next visit to `provider`'s authorize page signs in as.
    pub fn sign_in_as(&self, provider: &str, person: &Person) {
        self.state
            .lock()
            .unwrap()
            .signing_in
            .insert(provider.into(), person.clone());
    }

    /// A code as the authorize page would give for `person` (the app's own PKCE flow).
    pub fn code(
        &self,
        provider: &str,
        person: &Person,
        redirect_uri: &str,
        verifier: &str,
        nonce: Option<&str>,
    ) -> String {
        let mut s = self.state.lock().unwrap();
        s.counter += 1;
        let code = format!("{provider}-code-{}", s.counter);
        s.codes.insert(
            code.clone(),
            PendingCode {
                grant: Grant {
                    provider: provider.into(),
                    person: person.clone(),
                    client_id: CLIENT_ID.into(),
                },
                redirect_uri: redirect_uri.into(),
                challenge: challenge(verifier),
                nonce: nonce.map(Into::into),
            },
        );
        code
    }

    /// Makes the next ID token this kind (once).
    pub fn next_id_token(&self, kind: IdToken) {
        self.state.lock().unwrap().id_token = Some(kind);
    }
}

/// The S256 PKCE challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn bearer(req: &Request) -> Option<String> {
    req.header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned)
}

fn refused(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
}

#[handler]
fn authorize_endpoint(
    Path(provider): Path<String>,
    Query(q): Query<AuthorizeQuery>,
    state: Data<&Shared>,
) -> Response {
    let mut s = state.lock().unwrap();
    let Some(person) = s.signing_in.get(&provider).cloned() else {
        return refused(StatusCode::BAD_REQUEST, json!({"error": "nobody signs in"}));
    };
    if q.code_challenge_method.as_deref() != Some("S256") || q.code_challenge.is_none() {
        return refused(
            StatusCode::BAD_REQUEST,
            json!({"error": "PKCE S256 required"}),
        );
    }
    s.counter += 1;
    let code = format!("{provider}-code-{}", s.counter);
    s.codes.insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                provider: provider.clone(),
                person,
                client_id: q.client_id,
            },
            redirect_uri: q.redirect_uri.clone(),
            challenge: q.code_challenge.unwrap_or_default(),
            nonce: q.nonce,
        },
    );
    let mut url = url::Url::parse(&q.redirect_uri).expect("redirect_uri");
    url.query_pairs_mut().append_pair("code", &code);
    if let Some(st) = q.state {
        url.query_pairs_mut().append_pair("state", &st);
    }
    Redirect::see_other(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    client_id: String,
    client_secret: String,
    code: String,
    redirect_uri: String,
    code_verifier: String,
}

#[handler]
fn token_endpoint(
    Path(provider): Path<String>,
    Form(f): Form<TokenForm>,
    req: &Request,
    state: Data<&Shared>,
) -> Response {
    // The issuer is the fake's own address, as the server was configured with it.
    let issuer = format!("http://{}/{provider}", req.header("host").unwrap_or(""));
    let mut s = state.lock().unwrap();
    let Some(pending) = s.codes.remove(&f.code) else {
        return refused(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
    };
    let ok = f.grant_type == "authorization_code"
        && pending.grant.provider == provider
        && f.client_id == pending.grant.client_id
        && f.client_id == CLIENT_ID
        && f.client_secret == CLIENT_SECRET
        && f.redirect_uri == pending.redirect_uri
        && challenge(&f.code_verifier) == pending.challenge;
    if !ok {
        return refused(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
    }
    s.counter += 1;
    let access = format!("{provider}-at-{}", s.counter);
    s.tokens.insert(access.clone(), pending.grant.clone());
    let mut answer = json!({"access_token": access, "token_type": "bearer", "expires_in": 3600});
    if provider != "naver" {
        let kind = s.id_token.take().unwrap_or(IdToken::Good);
        answer["id_token"] = json!(id_token(&issuer, &pending, kind));
    }
    Json(answer).into_response()
}

fn id_token(issuer: &str, pending: &PendingCode, kind: IdToken) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({
        "iss": issuer,
        "aud": if kind == IdToken::WrongAudience { "another-client" } else { CLIENT_ID },
        "sub": pending.grant.person.subject,
        "iat": now,
        "exp": if kind == IdToken::Expired { now - 3600 } else { now + 3600 },
        "nonce": if kind == IdToken::WrongNonce { Some("another-nonce".to_owned()) } else { pending.nonce.clone() },
        "email": pending.grant.person.email,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    let key = if kind == IdToken::Forged {
        &keys().forger
    } else {
        &keys().signing
    };
    jsonwebtoken::encode(&header, &claims, key).expect("ID token")
}

#[derive(Deserialize)]
struct TokenInfoQuery {
    access_token: Option<String>,
}

#[handler]
fn tokeninfo_endpoint(
    Path(provider): Path<String>,
    Query(q): Query<TokenInfoQuery>,
    req: &Request,
    state: Data<&Shared>,
) -> Response {
    let token = q.access_token.or_else(|| bearer(req)).unwrap_or_default();
    let s = state.lock().unwrap();
    let Some(grant) = s.tokens.get(&token).filter(|g| g.provider == provider) else {
        return refused(
            StatusCode::UNAUTHORIZED,
            json!({"msg": "this access token does not exist", "code": -401}),
        );
    };
    match provider.as_str() {
        "kakao" => Json(json!({
            "id": grant.person.subject.parse::<i64>().unwrap_or(0),
            "expires_in": 3600,
            "app_id": if grant.client_id == CLIENT_ID { KAKAO_APP_ID.parse::<i64>().unwrap() } else { 99 },
        }))
        .into_response(),
        _ => Json(json!({
            "aud": grant.client_id,
            "azp": grant.client_id,
            "sub": grant.person.subject,
            "email": grant.person.email,
            "email_verified": if grant.person.email_verified { "true" } else { "false" },
            "expires_in": "3599",
        }))
        .into_response(),
    }
}

#[handler]
fn profile_endpoint(Path(provider): Path<String>, req: &Request, state: Data<&Shared>) -> Response {
    let token = bearer(req).unwrap_or_default();
    let s = state.lock().unwrap();
    let Some(grant) = s.tokens.get(&token).filter(|g| g.provider == provider) else {
        return match provider.as_str() {
            "naver" => refused(
                StatusCode::UNAUTHORIZED,
                json!({"resultcode": "024", "message": "Authentication failed"}),
            ),
            _ => refused(StatusCode::UNAUTHORIZED, json!({"error": "invalid_token"})),
        };
    };
    let p = &grant.person;
    let body = match provider.as_str() {
        "kakao" => json!({
            "id": p.subject.parse::<i64>().unwrap_or(0),
            "kakao_account": {
                "profile": {"nickname": p.name},
                "email": p.email,
                "is_email_valid": p.email.is_some(),
                "is_email_verified": p.email_verified,
            }
        }),
        "naver" => json!({
            "resultcode": "00",
            "message": "success",
            "response": {"id": p.subject, "email": p.email, "nickname": p.name}
        }),
        _ => json!({
            "sub": p.subject,
            "email": p.email,
            "email_verified": p.email_verified,
            "name": p.name,
        }),
    };
    Json(body).into_response()
}

#[handler]
fn jwks_endpoint() -> Json<Value> {
    let k = keys();
    Json(json!({"keys": [
        {"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256", "n": k.n, "e": k.e}
    ]}))
}
