//! Sign-in with Kakao, Naver and Google on the pages: the authorization-code flow with PKCE
//! (S256), `state` and, for the OIDC providers, `nonce`, all three kept in the visitor's session
//! and used once. The callback exchanges the code (`accounts::social`); a linked account logs in,
//! a new person goes through the sign-up consents (and is asked for an e-mail when the provider
//! gave none) before the account exists; a logged-in user links a provider from the account page
//! and unlinks it there (refused when it is the last way to log in).

use minijinja::context;
use poem::http::StatusCode;
use poem::session::Session;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::{account_error_page, error_page, flash, local_path, redirect, render, to_login};
use super::{PageCtx, PostForm};
use crate::accounts::consent::ConsentInput;
use crate::accounts::keys::random_token;
use crate::accounts::social::{
    self, provider_label, Credential, Provider, ProviderProfile, SocialSignup,
};
use crate::accounts::{AccountError, User};
use crate::fields::FieldErrors;
use crate::web::auth::client_address;
use crate::web::routes::url_for;
use crate::web::session::USER_KEY;
use crate::web::{csrf, AppState};

const FLOW_KEY: &str = "social_flow";
const PENDING_KEY: &str = "social_pending";

/// One authorization request in flight, kept in the session until its callback.
#[derive(Debug, Serialize, Deserialize)]
struct Flow {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    /// Linking to the logged-in user, rather than logging in.
    link: bool,
    next: Option<String>,
}

/// A provider profile waiting for the sign-up consents (and an e-mail) of a first sign-in.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    provider: String,
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
    next: Option<String>,
}

fn url(name: &str, args: &[(&str, &str)]) -> String {
    url_for(name, args).unwrap_or_else(|_| "/".into())
}

fn session(req: &Request) -> Option<&Session> {
    req.extensions().get::<Session>()
}

/// The providers' buttons for a template: name (the CSS modifier and the route argument) and
/// the catalog key of its wording.
pub fn buttons(state: &AppState) -> Vec<minijinja::Value> {
    state
        .accounts
        .providers
        .enabled()
        .map(
            |p| context! { name => p.as_str(), label => format!("social.continue_{}", p.as_str()) },
        )
        .collect()
}

/// Lets a page's forms lead to the enabled providers' authorization endpoints (the sign-in
/// buttons POST here, and the answer redirects there): the CSP's `form-action` names their
/// origins. Pages without a provider enabled keep the plain policy.
pub fn allow_provider_forms(state: &AppState, mut resp: Response) -> Response {
    let origins: Vec<String> = state
        .accounts
        .providers
        .enabled()
        .filter_map(|p| state.accounts.providers.get(p))
        .filter_map(|s| url::Url::parse(&s.authorize_url).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    if origins.is_empty() {
        return resp;
    }
    let csp = crate::web::middleware::csp_form_targets(&origins);
    if let Ok(v) = poem::http::HeaderValue::from_str(&csp) {
        resp.headers_mut()
            .insert(poem::http::header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

fn enabled(state: &AppState, name: &str) -> Option<Provider> {
    Provider::parse(name).filter(|p| state.accounts.providers.get(*p).is_some())
}

fn callback_url(req: &Request, state: &AppState, provider: Provider) -> String {
    format!(
        "{}{}",
        state.base_url(req),
        url("social_callback", &[("provider", provider.as_str())])
    )
}

/// Starts the flow: a fresh state, nonce and PKCE verifier in the session, then off to the
/// provider. A POST (CSRF-checked), so no other site can start one in a visitor's name.
#[handler]
pub fn start(
    req: &Request,
    state: Data<&AppState>,
    Path(name): Path<String>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(provider) = enabled(&state, &name) else {
        return super::not_found_page(&state, &ctx);
    };
    let settings = state.accounts.providers.get(provider).expect("enabled");
    let link = form.get("intent") == Some("link");
    if link && ctx.user.is_none() {
        return to_login(&ctx);
    }
    let flow = Flow {
        provider: provider.as_str().into(),
        state: random_token(32),
        nonce: random_token(32),
        verifier: random_token(48),
        link,
        next: form.value("next").filter(|n| !n.is_empty()),
    };
    let mut target = match url::Url::parse(&settings.authorize_url) {
        Ok(u) => u,
        Err(_) => {
            return error_page(
                &state,
                &ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "social.unavailable",
            )
        }
    };
    {
        let mut q = target.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &settings.client_id)
            .append_pair("redirect_uri", &callback_url(req, &state, provider))
            .append_pair("state", &flow.state)
            .append_pair(
                "code_challenge",
                &crate::accounts::keys::pkce_challenge(&flow.verifier),
            )
            .append_pair("code_challenge_method", "S256");
        if provider.is_oidc() {
            q.append_pair("nonce", &flow.nonce)
                .append_pair("scope", provider.scopes());
        }
    }
    if let Some(s) = session(req) {
        s.set(FLOW_KEY, &flow);
    }
    redirect(target.as_str())
}

fn query(req: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The provider sends the visitor back here with `code` and `state`.
#[handler]
pub async fn callback(req: &Request, state: Data<&AppState>, Path(name): Path<String>) -> Response {
    let ctx = PageCtx::of(req, &state);
    let flow: Option<Flow> = session(req).and_then(|s| {
        let f = s.get(FLOW_KEY);
        s.remove(FLOW_KEY);
        f
    });
    let given_state = query(req, "state").unwrap_or_default();
    let Some(flow) = flow.filter(|f| {
        f.provider == name && bool::from(f.state.as_bytes().ct_eq(given_state.as_bytes()))
    }) else {
        return error_page(&state, &ctx, StatusCode::BAD_REQUEST, "social.bad_state");
    };
    let Some(provider) = enabled(&state, &name) else {
        return super::not_found_page(&state, &ctx);
    };
    let Some(code) = query(req, "code") else {
        // Cancelled at the provider (error=access_denied) or a bare visit.
        flash(req, "info", "social.cancelled");
        return redirect(&url(if flow.link { "account" } else { "login" }, &[]));
    };
    let client = client_address(req, state.config.auth.trust_forwarded_for);
    let credential = Credential {
        access_token: None,
        code: Some(code),
        code_verifier: Some(flow.verifier.clone()),
        redirect_uri: Some(callback_url(req, &state, provider)),
        nonce: provider.is_oidc().then(|| flow.nonce.clone()),
        state: Some(flow.state.clone()),
    };
    let profile = match state
        .accounts
        .provider_profile(provider, &credential, &client)
        .await
    {
        Ok(p) => p,
        Err(AccountError::Invalid(_)) => {
            flash(req, "error", "social.refused");
            return redirect(&url(if flow.link { "account" } else { "login" }, &[]));
        }
        Err(e) => return account_error_page(&state, &ctx, e),
    };
    if flow.link {
        let Some(user) = ctx.user.clone() else {
            return to_login(&ctx);
        };
        return match state
            .accounts
            .link_provider(user.id, provider, profile)
            .await
        {
            Ok(()) => {
                flash(req, "success", "social.linked");
                redirect(&url("account", &[]))
            }
            Err(AccountError::Conflict(_)) => {
                flash(req, "error", "social.link_taken");
                redirect(&url("account", &[]))
            }
            Err(e) => account_error_page(&state, &ctx, e),
        };
    }
    let subject = profile.subject.clone();
    let linked = state.db.read(|c| social::find_user(c, provider, &subject));
    match linked {
        Ok(Some(_)) => {
            finish(
                req,
                &state,
                &ctx,
                provider,
                profile,
                SocialSignup::default(),
                flow.next,
            )
            .await
        }
        Ok(None) => {
            let pending = Pending {
                provider: provider.as_str().into(),
                subject: profile.subject,
                email: profile.email,
                email_verified: profile.email_verified,
                name: profile.name,
                next: flow.next,
            };
            if let Some(s) = session(req) {
                s.set(PENDING_KEY, &pending);
            }
            redirect(&url("social_complete", &[]))
        }
        Err(e) => account_error_page(&state, &ctx, e),
    }
}

/// Signs in (or up) and starts the logged-in session like a password login.
async fn finish(
    req: &Request,
    state: &AppState,
    ctx: &PageCtx,
    provider: Provider,
    profile: ProviderProfile,
    signup: SocialSignup,
    next: Option<String>,
) -> Response {
    match state
        .accounts
        .social_sign_in(provider, profile, signup)
        .await
    {
        Ok(signed) => {
            log_in(req, state, &signed.user);
            flash(
                req,
                "success",
                if signed.created {
                    "flash.signed_up"
                } else {
                    "flash.logged_in"
                },
            );
            redirect(&local_path(next.as_deref(), &url("home", &[])))
        }
        Err(AccountError::Inactive) => {
            error_page(state, ctx, StatusCode::FORBIDDEN, "auth.inactive")
        }
        Err(e) => account_error_page(state, ctx, e),
    }
}

fn log_in(req: &Request, state: &AppState, user: &User) {
    if let Some(s) = session(req) {
        s.clear();
        s.set(USER_KEY, user.id);
        s.renew();
    }
    csrf::rotate(req, state);
}

fn pending(req: &Request) -> Option<(Provider, Pending)> {
    let p: Pending = session(req)?.get(PENDING_KEY)?;
    Some((Provider::parse(&p.provider)?, p))
}

fn complete_page(
    state: &AppState,
    ctx: &PageCtx,
    provider: Provider,
    p: &Pending,
    status: StatusCode,
    errors: &FieldErrors,
    form: minijinja::Value,
) -> Response {
    let data = context! {
        provider => provider.as_str(),
        provider_label => provider_label(provider),
        provider_email => p.email.clone(),
        errors => ctx.field_errors(state, errors),
        form,
    };
    render(state, ctx, "accounts/social_complete.html", data, status)
}

/// A first sign-in: the sign-up consents, and an e-mail when the provider gave none.
#[handler]
pub fn complete_form(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let Some((provider, p)) = pending(req) else {
        return redirect(&url("login", &[]));
    };
    complete_page(
        &state,
        &ctx,
        provider,
        &p,
        StatusCode::OK,
        &FieldErrors::new(),
        context! {},
    )
}

#[handler]
pub async fn complete(req: &Request, state: Data<&AppState>, form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let Some((provider, p)) = pending(req) else {
        return redirect(&url("login", &[]));
    };
    let profile = ProviderProfile {
        subject: p.subject.clone(),
        email: p.email.clone(),
        email_verified: p.email_verified,
        name: p.name.clone(),
    };
    let signup = SocialSignup {
        email: form.value("email"),
        consent: ConsentInput {
            accept_terms: Some(form.get("accept_terms").is_some()),
            accept_privacy: Some(form.get("accept_privacy").is_some()),
            age_14_or_older: Some(form.get("age_14_or_older").is_some()),
        },
    };
    let checked = |name: &str| form.get(name).is_some();
    let keep = context! {
        email => form.get("email"),
        accept_terms => checked("accept_terms"),
        accept_privacy => checked("accept_privacy"),
        age_14_or_older => checked("age_14_or_older"),
    };
    match state
        .accounts
        .social_sign_in(provider, profile, signup)
        .await
    {
        Ok(signed) => {
            log_in(req, &state, &signed.user);
            flash(req, "success", "flash.signed_up");
            redirect(&local_path(p.next.as_deref(), &url("home", &[])))
        }
        Err(AccountError::Invalid(errors)) | Err(AccountError::Conflict(errors)) => complete_page(
            &state,
            &ctx,
            provider,
            &p,
            StatusCode::BAD_REQUEST,
            &errors,
            keep,
        ),
        Err(AccountError::Inactive) => {
            error_page(&state, &ctx, StatusCode::FORBIDDEN, "auth.inactive")
        }
        Err(e) => account_error_page(&state, &ctx, e),
    }
}

/// Removes a linked provider from the logged-in user.
#[handler]
pub async fn unlink(
    req: &Request,
    state: Data<&AppState>,
    Path(name): Path<String>,
    _form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let Some(provider) = Provider::parse(&name) else {
        return super::not_found_page(&state, &ctx);
    };
    match state.accounts.unlink_provider(user.id, provider).await {
        Ok(()) => flash(req, "success", "social.unlinked"),
        Err(AccountError::Invalid(_)) => flash(req, "error", "social.unlink_last"),
        Err(e) => return account_error_page(&state, &ctx, e),
    }
    redirect(&url("account", &[]))
}
