//! The JSON API surface, `/api/v1`: DRF-compatible shapes, an OpenAPI 3 document at
//! `/api/openapi.json` and interactive docs at `/api/docs`, both served from the binary.
//! Handlers parse input with the domain's parsers, call the domain, and map its errors in
//! `error.rs` — nothing else.

mod catalog;
mod error;
mod params;
mod payload;
mod schema;

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::StatusCode;
use poem::{EndpointExt, IntoEndpoint, Response, Route};
use poem_openapi::error::ParseParamError;
use poem_openapi::OpenApiService;

use crate::web::routes;

pub use error::ApiError;

fn service() -> OpenApiService<catalog::CatalogApi, ()> {
    OpenApiService::new(catalog::CatalogApi, "hancup API", env!("CARGO_PKG_VERSION")).description(
        "The course catalog of hancup (한컵) as JSON. Lists use DRF's pagination shape \
             `{count, next, previous, results}`; errors are `{\"detail\": …}` or \
             `{\"field\": [messages]}`.",
    )
}

/// The OpenAPI document as JSON text (also used by tests and `hancup check`).
pub fn spec_json() -> String {
    service().spec()
}

pub fn json_error(status: StatusCode, detail: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::json!({ "detail": detail }).to_string())
}

/// Routes under `/api`: the versioned API, its spec and docs. Unknown paths and methods answer
/// JSON, not HTML.
pub fn routes() -> impl poem::Endpoint {
    let svc = service();
    let spec = svc.spec_endpoint();
    let docs = svc.swagger_ui();
    // Mounted without stripping "/api", so the spec documents full paths like /api/v1/courses.
    Route::new()
        .at(routes::pattern("api_openapi"), spec)
        .nest(routes::pattern("api_docs"), docs)
        .nest_no_strip(routes::pattern("api_root"), svc.into_endpoint())
        .catch_error(|_: NotFoundError| async { json_error(StatusCode::NOT_FOUND, "Not found.") })
        .catch_error(|e: ParseParamError| async move {
            Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .content_type("application/json; charset=utf-8")
                .body(serde_json::json!({ e.name: [e.reason] }).to_string())
        })
        .catch_error(|_: MethodNotAllowedError| async {
            json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
        })
}
