//! Account pages: sign up, log in, log out, my account (display name, log out everywhere,
//! deactivate), password change, and password reset by e-mail. Forms re-render with the user's
//! input and a message per field; every POST goes through `PostForm` (CSRF) and the same
//! `accounts::Accounts` flows the API uses.

use minijinja::{context, Value};
use poem::http::{header, StatusCode};
use poem::session::Session;
use poem::web::{Data, Path};
use poem::{handler, Request, Response};

use super::{account_error_page, flash, local_path, redirect, render, to_login, PageCtx, PostForm};
use crate::accounts::consent::ConsentInput;
use crate::accounts::flows::RegisterInput;
use crate::accounts::keys::now;
use crate::accounts::{sessions, social, tokens, AccountError, User};
use crate::fields::FieldErrors;
use crate::mail::Mail;
use crate::web::auth::client_address;
use crate::web::routes::url_for;
use crate::web::session::USER_KEY;
use crate::web::{csrf, AppState};

fn url(name: &str) -> String {
    url_for(name, &[]).unwrap_or_else(|_| "/".into())
}

fn session(req: &Request) -> Option<&Session> {
    req.extensions().get::<Session>()
}

/// Starts a logged-in session under a new id (no fixation) with a new CSRF token.
fn log_in(req: &Request, state: &AppState, user: &User) {
    if let Some(s) = session(req) {
        s.clear();
        s.set(USER_KEY, user.id);
        s.renew();
    }
    csrf::rotate(req, state);
}

fn form_page(
    state: &AppState,
    ctx: &PageCtx,
    template: &str,
    status: StatusCode,
    errors: &FieldErrors,
    non_field: Option<&str>,
    data: Value,
) -> Response {
    let non_field_errors: Vec<&str> = non_field.into_iter().collect();
    let data = context! {
        errors => ctx.field_errors(state, errors),
        non_field_errors,
        password_min => state.config.auth.password_min_length,
        social_providers => super::social::buttons(state),
        ..data
    };
    super::social::allow_provider_forms(state, render(state, ctx, template, data, status))
}

#[handler]
pub fn signup_form(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    form_page(
        &state,
        &ctx,
        "accounts/signup.html",
        StatusCode::OK,
        &FieldErrors::new(),
        None,
        context! {},
    )
}

#[handler]
pub async fn signup(req: &Request, state: Data<&AppState>, form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let input = RegisterInput {
        email: form.value("email"),
        display_name: form.value("display_name"),
        password: form.value("password"),
        password2: Some(form.value("password2").unwrap_or_default()),
        // A checked box sends its value; an unchecked one sends nothing.
        consent: ConsentInput {
            accept_terms: Some(form.get("accept_terms").is_some()),
            accept_privacy: Some(form.get("accept_privacy").is_some()),
            age_14_or_older: Some(form.get("age_14_or_older").is_some()),
        },
    };
    let checked = |name: &str| form.get(name).is_some();
    let keep = context! { form => context! {
        email => form.get("email"),
        display_name => form.get("display_name"),
        accept_terms => checked("accept_terms"),
        accept_privacy => checked("accept_privacy"),
        age_14_or_older => checked("age_14_or_older"),
    } };
    match state.accounts.register(input).await {
        Ok(user) => {
            log_in(req, &state, &user);
            flash(req, "success", "flash.signed_up");
            redirect(&url("home"))
        }
        Err(AccountError::Invalid(errors)) | Err(AccountError::Conflict(errors)) => form_page(
            &state,
            &ctx,
            "accounts/signup.html",
            StatusCode::BAD_REQUEST,
            &errors,
            None,
            keep,
        ),
        Err(e) => account_error_page(&state, &ctx, e),
    }
}

fn next_param(req: &Request) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
}

#[handler]
pub fn login_form(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let next = next_param(req);
    // Only known reasons, as catalog keys: the query never puts its own text on the page.
    let reason = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .any(|(k, v)| k == "reason" && v == "login_required")
        .then_some("login.required");
    form_page(
        &state,
        &ctx,
        "accounts/login.html",
        StatusCode::OK,
        &FieldErrors::new(),
        None,
        context! { next, reason },
    )
}

#[handler]
pub async fn login(req: &Request, state: Data<&AppState>, form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let client = client_address(req, state.config.auth.trust_forwarded_for);
    let next = form.value("next");
    let keep = context! { form => context! { email => form.get("email") }, next => next.clone() };
    let page = |status, errors: &FieldErrors, message: Option<&str>, extra: Value| {
        form_page(
            &state,
            &ctx,
            "accounts/login.html",
            status,
            errors,
            message,
            context! { ..extra, ..keep.clone() },
        )
    };
    match state
        .accounts
        .authenticate(form.get("email"), form.get("password"), &client)
        .await
    {
        Ok(user) => {
            log_in(req, &state, &user);
            flash(req, "success", "flash.logged_in");
            redirect(&local_path(next.as_deref(), &url("home")))
        }
        Err(AccountError::Invalid(errors)) => {
            page(StatusCode::BAD_REQUEST, &errors, None, context! {})
        }
        Err(AccountError::InvalidCredentials) => page(
            StatusCode::BAD_REQUEST,
            &FieldErrors::new(),
            Some(ctx.t(&state, "auth.invalid_credentials")),
            context! {},
        ),
        Err(AccountError::Inactive) => page(
            StatusCode::FORBIDDEN,
            &FieldErrors::new(),
            Some(ctx.t(&state, "auth.inactive")),
            context! {},
        ),
        Err(AccountError::Throttled { retry_after }) => {
            let mut resp = page(
                StatusCode::TOO_MANY_REQUESTS,
                &FieldErrors::new(),
                None,
                context! { retry_after },
            );
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => account_error_page(&state, &ctx, e),
    }
}

#[handler]
pub fn logout(req: &Request, state: Data<&AppState>, _form: PostForm) -> Response {
    if let Some(s) = session(req) {
        s.clear();
        s.renew();
    }
    csrf::rotate(req, &state);
    flash(req, "info", "flash.logged_out");
    redirect(&url("home"))
}

/// `/accounts/logout` opened as a page (a bookmark, a link typed in): a button that logs out,
/// since logging out is a POST; visitors not logged in go home.
#[handler]
pub fn logout_confirm(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    if ctx.user.is_none() {
        return redirect(&url("home"));
    }
    render(
        &state,
        &ctx,
        "accounts/logout.html",
        context! {},
        StatusCode::OK,
    )
}

fn account_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &User,
    status: StatusCode,
    profile_errors: &FieldErrors,
    deactivate_errors: &FieldErrors,
    display_name: &str,
) -> Response {
    let at = now();
    let counts = state.db.read(|c| -> Result<(i64, i64, _), AccountError> {
        Ok((
            sessions::count_for_user(c, user.id, at)?,
            tokens::count_for_user(c, user.id, at)?,
            social::identities(c, user.id)?,
        ))
    });
    let (session_count, token_count, identities) = match counts {
        Ok(c) => c,
        Err(e) => return account_error_page(state, ctx, e),
    };
    let data = context! {
        form => context! { display_name },
        deactivate_errors => ctx.field_errors(state, deactivate_errors),
        session_count,
        token_count,
        linkable => super::social::buttons(state)
            .into_iter()
            .filter(|b| {
                let name = b.get_attr("name").ok().map(|n| n.to_string()).unwrap_or_default();
                !identities.iter().any(|i| i.provider.as_str() == name)
            })
            .collect::<Vec<_>>(),
        identities,
    };
    form_page(
        state,
        ctx,
        "accounts/me.html",
        status,
        profile_errors,
        None,
        data,
    )
}

#[handler]
pub fn account(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    match ctx.user.clone() {
        Some(user) => account_page(
            &state,
            &ctx,
            &user,
            StatusCode::OK,
            &FieldErrors::new(),
            &FieldErrors::new(),
            &user.display_name,
        ),
        None => to_login(&ctx),
    }
}

#[handler]
pub async fn account_update(req: &Request, state: Data<&AppState>, form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    match state
        .accounts
        .update_profile(user.id, form.get("display_name"))
        .await
    {
        Ok(_) => {
            flash(req, "success", "flash.profile_saved");
            redirect(&url("account"))
        }
        Err(AccountError::Invalid(errors)) => {
            let typed = form.value("display_name").unwrap_or_default();
            account_page(
                &state,
                &ctx,
                &user,
                StatusCode::BAD_REQUEST,
                &errors,
                &FieldErrors::new(),
                &typed,
            )
        }
        Err(e) => account_error_page(&state, &ctx, e),
    }
}

#[handler]
pub async fn logout_all(req: &Request, state: Data<&AppState>, _form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    if let Err(e) = state.accounts.end_everywhere(user.id).await {
        return account_error_page(&state, &ctx, e);
    }
    if let Some(s) = session(req) {
        s.clear();
        s.renew();
    }
    flash(req, "success", "flash.logged_out_everywhere");
    redirect(&url("login"))
}

#[handler]
pub async fn deactivate(req: &Request, state: Data<&AppState>, form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    match state
        .accounts
        .deactivate(&user, &form.value("password"))
        .await
    {
        Ok(()) => {
            if let Some(s) = session(req) {
                s.clear();
                s.renew();
            }
            flash(req, "info", "flash.deactivated");
            redirect(&url("home"))
        }
        Err(AccountError::Invalid(errors)) => account_page(
            &state,
            &ctx,
            &user,
            StatusCode::BAD_REQUEST,
            &FieldErrors::new(),
            &errors,
            &user.display_name,
        ),
        Err(e) => account_error_page(&state, &ctx, e),
    }
}

#[handler]
pub fn password_change_form(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state);
    match ctx.user {
        Some(_) => form_page(
            &state,
            &ctx,
            "accounts/password_change.html",
            StatusCode::OK,
            &FieldErrors::new(),
            None,
            context! {},
        ),
        None => to_login(&ctx),
    }
}

#[handler]
pub async fn password_change(req: &Request, state: Data<&AppState>, form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state);
    let Some(user) = ctx.user.clone() else {
        return to_login(&ctx);
    };
    let result = state
        .accounts
        .change_password(
            &user,
            &form.value("old_password"),
            &form.value("new_password1"),
            &form.value("new_password2"),
        )
        .await;
    match result {
        Ok(()) => {
            // Every session of the user ended in the database; this one continues under a new id.
            log_in(req, &state, &user);
            flash(req, "success", "flash.password_changed");
            redirect(&url("account"))
        }
        Err(AccountError::Invalid(errors)) => form_page(
            &state,
            &ctx,
            "accounts/password_change.html",
            StatusCode::BAD_REQUEST,
            &errors,
            None,
            context! {},
        ),
        Err(e) => account_error_page(&state, &ctx, e),
    }
}

#[handler]
pub fn password_reset_form(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    form_page(
        &state,
        &ctx,
        "accounts/password_reset.html",
        StatusCode::OK,
        &FieldErrors::new(),
        None,
        context! {},
    )
}

/// Always the same answer, whether or not the e-mail has an account; the mail goes out in the
/// background.
#[handler]
pub async fn password_reset(req: &Request, state: Data<&AppState>, form: PostForm) -> Response {
    let ctx = PageCtx::of(req, &state);
    let email = form.get("email").unwrap_or("");
    let client = client_address(req, state.config.auth.trust_forwarded_for);
    match state.accounts.prepare_reset(email, &client).await {
        Ok(Some((user, token))) => {
            let path = url_for(
                "password_reset_confirm",
                &[("uid", &user.id.to_string()), ("token", &token)],
            )
            .unwrap_or_default();
            let link = format!("{}{path}", state.base_url(req));
            let minutes = state.accounts.reset_ttl_minutes().to_string();
            let body = ctx
                .t(&state, "mail.reset_body")
                .replace("{name}", &user.display_name)
                .replace("{url}", &link)
                .replace("{minutes}", &minutes);
            state.mailer.send(Mail {
                to: user.email.clone(),
                subject: ctx.t(&state, "mail.reset_subject").to_owned(),
                body,
            });
        }
        Ok(None) => {}
        Err(e) => return account_error_page(&state, &ctx, e),
    }
    let minutes = state.accounts.reset_ttl_minutes();
    render(
        &state,
        &ctx,
        "accounts/password_reset_sent.html",
        context! { minutes },
        StatusCode::OK,
    )
}

#[handler]
pub fn password_reset_confirm_form(
    req: &Request,
    state: Data<&AppState>,
    Path((uid, token)): Path<(i64, String)>,
) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let valid_link = matches!(state.accounts.check_reset(uid, &token), Ok(Some(_)));
    let status = if valid_link {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    form_page(
        &state,
        &ctx,
        "accounts/password_reset_confirm.html",
        status,
        &FieldErrors::new(),
        None,
        context! { valid_link },
    )
}

#[handler]
pub async fn password_reset_confirm(
    req: &Request,
    state: Data<&AppState>,
    Path((uid, token)): Path<(i64, String)>,
    form: PostForm,
) -> Response {
    let ctx = PageCtx::of(req, &state).with_csrf(req, &state);
    let result = state
        .accounts
        .complete_reset(
            uid,
            &token,
            &form.value("new_password1"),
            &form.value("new_password2"),
        )
        .await;
    let page = |status, errors: &FieldErrors, valid_link: bool| {
        form_page(
            &state,
            &ctx,
            "accounts/password_reset_confirm.html",
            status,
            errors,
            None,
            context! { valid_link },
        )
    };
    match result {
        Ok(_) => {
            flash(req, "success", "flash.reset_done");
            redirect(&url("login"))
        }
        Err(AccountError::Invalid(errors)) => page(StatusCode::BAD_REQUEST, &errors, true),
        Err(AccountError::NotFound) => page(StatusCode::NOT_FOUND, &FieldErrors::new(), false),
        Err(e) => account_error_page(&state, &ctx, e),
    }
}
