//! The shape every learner's form post shares: nobody logged in goes to the login page; the
//! change runs in one write transaction (never holding a connection across an `.await`); what
//! it did becomes a flash message and a 303 to where the learner goes next, and what it refused
//! goes to the caller's `refused` — the form again with its errors, or the error page.

use poem::http::StatusCode;
use poem::{Request, Response};
use rusqlite::Transaction;

use super::{flash_link, learning_error_page, learning_message, redirect, to_login, PageCtx};
use crate::accounts::User;
use crate::fields::FieldErrors;
use crate::learning::LearningError;
use crate::web::AppState;

/// Where a successful write sends the learner, with which flash message.
pub struct Done {
    level: &'static str,
    key: &'static str,
    to: String,
    link: Option<(String, String)>,
}

impl Done {
    /// Adds a link under the flash message: a local path and the catalog key of its text.
    pub fn with_link(mut self, to: String, key: &str) -> Done {
        self.link = Some((to, key.to_owned()));
        self
    }
}

/// A success message (`key` in the catalogs), then `to`.
pub fn done(key: &'static str, to: String) -> Done {
    Done {
        level: "success",
        key,
        to,
        link: None,
    }
}

/// An informational message (something ended or was removed), then `to`.
pub fn noted(key: &'static str, to: String) -> Done {
    Done {
        level: "info",
        key,
        to,
        link: None,
    }
}

/// Runs `write` as the logged-in user and answers as the module doc says.
pub async fn learner_write(
    req: &Request,
    state: &AppState,
    ctx: &PageCtx,
    write: impl FnOnce(&Transaction<'_>, &User) -> Result<Done, LearningError> + Send + 'static,
    refused: impl FnOnce(LearningError) -> Response,
) -> Response {
    let Some(user) = ctx.user.clone() else {
        return to_login(ctx);
    };
    match state.db.write_blocking(move |tx| write(tx, &user)).await {
        Ok(Done {
            level,
            key,
            to,
            link,
        }) => {
            flash_link(req, level, key, link);
            redirect(&to)
        }
        Err(e) => refused(e),
    }
}

/// [`learner_write`] where every refusal is the error page.
pub async fn learner_action(
    req: &Request,
    state: &AppState,
    write: impl FnOnce(&Transaction<'_>, &User) -> Result<Done, LearningError> + Send + 'static,
) -> Response {
    let ctx = PageCtx::of(req, state);
    learner_write(req, state, &ctx, write, |e| {
        learning_error_page(state, &ctx, e)
    })
    .await
}

/// What a form shows of a refusal: its field errors (400), or the permission message (403) —
/// `Err` for any other refusal, which gets the error page.
pub fn form_refusal(
    state: &AppState,
    ctx: &PageCtx,
    e: LearningError,
) -> Result<(FieldErrors, Option<String>, StatusCode), LearningError> {
    match e {
        LearningError::Invalid(errors) => Ok((errors, None, StatusCode::BAD_REQUEST)),
        e @ LearningError::Forbidden { .. } => {
            let message = learning_message(state, ctx, &e);
            Ok((FieldErrors::new(), message, StatusCode::FORBIDDEN))
        }
        e => Err(e),
    }
}
