//! The JSON API surface, `/api/v1`: DRF-compatible shapes, an OpenAPI 3 document at
//! `/api/openapi.json` and interactive docs at `/api/docs`, both served from the binary.
//! Handlers parse input with the domain's parsers, call the domain, and map its errors in
//! `error.rs` — nothing else.

mod auth;
mod authoring;
mod catalog;
mod community;
mod error;
mod guard;
mod learning;
mod learning_schema;
mod pagination;
mod params;
mod payload;
mod schema;
mod spec;

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::StatusCode;
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Response, Route};
use poem_openapi::OpenApiService;

use guard::Guarded;

pub use auth::require_user;
pub use error::ApiError;
pub use guard::json_error;

use crate::web::routes;

type Apis = Guarded<(
    catalog::CatalogApi,
    auth::AuthApi,
    learning::LearningApi,
    community::CommunityApi,
    authoring::AuthoringApi,
)>;

fn service() -> OpenApiService<Apis, ()> {
    let apis = Guarded((
        catalog::CatalogApi,
        auth::AuthApi,
        learning::LearningApi,
        community::CommunityApi,
        authoring::AuthoringApi,
    ));
    OpenApiService::new(apis, "hancup API", env!("CARGO_PKG_VERSION")).description(
        "The course catalog and accounts of hancup (한컵) as JSON. Lists use DRF's pagination \
             shape `{count, next, previous, results}`; errors are `{\"detail\": …}` or \
             `{\"field\": [messages]}`. Authenticate with `Authorization: Bearer <token>` (or \
             `Token <token>`) from `POST /api/v1/auth/login`, or with the browser session plus \
             the `X-CSRFToken` header on writes.",
    )
}

/// The OpenAPI document as JSON text (also used by tests and `hancup check`).
pub fn spec_json() -> String {
    spec::complete(&service().spec())
}

/// Routes under `/api`: the versioned API, its spec and docs. Unknown paths and wrong methods
/// answer JSON, not HTML; every operation runs behind `guard` (bad tokens, unreadable input).
pub fn routes() -> impl Endpoint {
    let svc = service();
    let original = svc.spec();
    let spec = spec::complete(&original);
    let docs = svc.swagger_ui_html().replace(&original, &spec);
    // Mounted without stripping "/api", so the spec documents full paths like /api/v1/courses.
    Route::new()
        .at(
            routes::pattern("api_openapi"),
            poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(spec.clone())
            }),
        )
        .at(
            routes::pattern("api_docs"),
            poem::endpoint::make_sync(move |_| Html(docs.clone())),
        )
        .nest_no_strip(routes::pattern("api_root"), svc.into_endpoint())
        .catch_error(|_: NotFoundError| async { json_error(StatusCode::NOT_FOUND, "Not found.") })
        .catch_error(|_: MethodNotAllowedError| async {
            json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
        })
}
