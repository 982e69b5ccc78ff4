//! The API's one error mapper: every domain error becomes a DRF-shaped answer here —
//! `{"field": ["message"]}` for bad input, `{"detail": "…"}` otherwise, with `WWW-Authenticate`
//! on 401 and `Retry-After` on 429/503. Database failures are logged with their cause and
//! answered with a bare 500 that reveals nothing — or, when the database was only unavailable
//! (another process holds its write lock past the busy timeout), 503 with `Retry-After`.

use std::collections::BTreeMap;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::accounts::AccountError;
use crate::catalog::CatalogError;
use crate::db::{DbError, RETRY_AFTER_SECONDS};
use crate::fields::FieldErrors;
use crate::learning::LearningError;

/// `{"detail": "…"}`, the shape of every non-field error.
#[derive(Debug, Object)]
pub struct Detail {
    pub detail: String,
}

fn detail(text: &str) -> Json<Detail> {
    Json(Detail {
        detail: text.to_owned(),
    })
}

/// What 401 answers carry, so clients know to send a token.
pub const WWW_AUTHENTICATE: &str = "Bearer realm=\"api\"";

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// Invalid input: a list of messages for each offending field (`non_field_errors` for the
    /// input as a whole).
    #[oai(status = 400)]
    BadRequest(Json<BTreeMap<String, Vec<String>>>),
    /// No credentials, or an unknown, expired or revoked token.
    #[oai(status = 401)]
    Unauthorized(Json<Detail>, #[oai(header = "WWW-Authenticate")] String),
    /// Authenticated but not allowed (or a session request without its CSRF token).
    #[oai(status = 403)]
    Forbidden(Json<Detail>),
    /// Nothing here, or a page past the last.
    #[oai(status = 404)]
    NotFound(Json<Detail>),
    /// The input conflicts with what exists (e.g. an e-mail already registered).
    #[oai(status = 409)]
    Conflict(Json<BTreeMap<String, Vec<String>>>),
    /// Too many failed attempts; retry after the given seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<Detail>, #[oai(header = "Retry-After")] String),
    /// An unexpected failure; the cause is in the server log, never in the answer.
    #[oai(status = 500)]
    Internal(Json<Detail>),
    /// Too busy right now (password hashing at capacity); retry after the given seconds.
    #[oai(status = 503)]
    Unavailable(Json<Detail>, #[oai(header = "Retry-After")] String),
}

impl ApiError {
    pub fn not_found(message: &str) -> ApiError {
        ApiError::NotFound(detail(message))
    }

    pub fn not_authenticated() -> ApiError {
        ApiError::Unauthorized(
            detail("Authentication credentials were not provided."),
            WWW_AUTHENTICATE.into(),
        )
    }

    pub fn invalid_token() -> ApiError {
        ApiError::Unauthorized(detail("Invalid token."), WWW_AUTHENTICATE.into())
    }

    pub fn csrf_failed() -> ApiError {
        ApiError::Forbidden(detail("CSRF Failed: CSRF token missing or incorrect."))
    }

    pub fn forbidden() -> ApiError {
        ApiError::Forbidden(detail("You do not have permission to perform this action."))
    }

    /// A database failure: 503 + `Retry-After` when the database was only unavailable
    /// (`DbError::is_unavailable`), otherwise a logged 500.
    fn database(db: &DbError) -> ApiError {
        if db.is_unavailable() {
            tracing::warn!(error = %db, "database unavailable; answered 503");
            return ApiError::Unavailable(
                detail("The database is busy. Try again in a moment."),
                RETRY_AFTER_SECONDS.to_string(),
            );
        }
        ApiError::internal(db)
    }

    fn internal(cause: &dyn std::error::Error) -> ApiError {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "API request failed");
        ApiError::Internal(detail("A server error occurred."))
    }
}

fn field_map(errors: &FieldErrors) -> Json<BTreeMap<String, Vec<String>>> {
    Json(
        errors
            .iter()
            .map(|(field, list)| {
                (
                    field.clone(),
                    list.iter().map(|e| e.message.clone()).collect(),
                )
            })
            .collect(),
    )
}

fn non_field(message: &str) -> ApiError {
    ApiError::BadRequest(Json(BTreeMap::from([(
        "non_field_errors".to_owned(),
        vec![message.to_owned()],
    )])))
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::BadRequest(field_map(&errors))
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => ApiError::not_found("Not found."),
            CatalogError::InvalidPage => ApiError::not_found("Invalid page."),
            CatalogError::Invalid(fields) => fields.into(),
            CatalogError::Db(db) => ApiError::database(&db),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(fields) => fields.into(),
            AccountError::Conflict(fields) => ApiError::Conflict(field_map(&fields)),
            AccountError::InvalidCredentials => {
                non_field("Unable to log in with provided credentials.")
            }
            AccountError::Inactive => ApiError::Forbidden(detail("This account is deactivated.")),
            AccountError::Throttled { retry_after } => ApiError::TooManyRequests(
                detail(&format!(
                    "Request was throttled. Expected available in {retry_after} seconds."
                )),
                retry_after.to_string(),
            ),
            AccountError::Busy => ApiError::Unavailable(
                detail("The server is busy; try again in a moment."),
                "1".into(),
            ),
            AccountError::NotFound => ApiError::not_found("Not found."),
            AccountError::ProviderUnavailable => ApiError::Unavailable(
                detail("The sign-in provider did not answer; try again in a moment."),
                "5".into(),
            ),
            AccountError::Db(db) => ApiError::database(&db),
        }
    }
}

impl From<LearningError> for ApiError {
    fn from(e: LearningError) -> Self {
        match e {
            LearningError::NotFound => ApiError::not_found("Not found."),
            LearningError::Forbidden { message, .. } => ApiError::Forbidden(detail(message)),
            LearningError::Invalid(fields) => fields.into(),
            LearningError::Conflict(fields) => ApiError::Conflict(field_map(&fields)),
            LearningError::Db(db) => ApiError::database(&db),
        }
    }
}
