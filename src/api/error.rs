//! The API's one error mapper: every domain error becomes a DRF-shaped answer here —
//! `{"field": ["message"]}` for bad input, `{"detail": "…"}` otherwise. Database failures are
//! logged with their cause and answered with a bare 500 that reveals nothing.

use std::collections::BTreeMap;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::catalog::CatalogError;
use crate::fields::FieldErrors;

/// `{"detail": "…"}`, the shape of every non-field error.
#[derive(Debug, Object)]
pub struct Detail {
    pub detail: String,
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// Invalid input: a list of messages for each offending field.
    #[oai(status = 400)]
    BadRequest(Json<BTreeMap<String, Vec<String>>>),
    /// Nothing here, or a page past the last.
    #[oai(status = 404)]
    NotFound(Json<Detail>),
    /// An unexpected failure; the cause is in the server log, never in the answer.
    #[oai(status = 500)]
    Internal(Json<Detail>),
}

impl ApiError {
    pub fn detail_404(message: &str) -> ApiError {
        ApiError::NotFound(Json(Detail {
            detail: message.to_owned(),
        }))
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
        ApiError::Internal(Json(Detail {
            detail: "A server error occurred.".into(),
        }))
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        let body = errors
            .iter()
            .map(|(field, list)| {
                (
                    field.clone(),
                    list.iter().map(|e| e.message.clone()).collect(),
                )
            })
            .collect();
        ApiError::BadRequest(Json(body))
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => ApiError::detail_404("Not found."),
            CatalogError::InvalidPage => ApiError::detail_404("Invalid page."),
            CatalogError::Invalid(fields) => fields.into(),
            CatalogError::Db(db) => ApiError::internal(&db),
        }
    }
}
