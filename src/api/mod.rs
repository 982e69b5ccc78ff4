//! The JSON API surface, `/api/v1`: DRF-compatible shapes, an OpenAPI 3 document at
//! `/api/openapi.json` and interactive docs at `/api/docs`, both served from the binary.
//! Handlers parse input with the domain's parsers, call the domain, and map its errors in
//! `error.rs` — nothing else.

mod auth;
mod authoring;
mod catalog;
mod community;
mod docs;
mod error;
mod guard;
mod learning;
mod learning_schema;
mod pagination;
mod params;
mod payload;
mod schema;
mod social;
mod spec;

use std::sync::Arc;

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::StatusCode;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Route};
use poem_openapi::OpenApiService;

use guard::Guarded;

pub use auth::require_user;
pub use error::ApiError;
pub use guard::json_error;

use crate::web::routes;

type Apis = Guarded<(
    catalog::CatalogApi,
    auth::AuthApi,
    social::SocialApi,
    learning::LearningApi,
    community::CommunityApi,
    authoring::AuthoringApi,
)>;

fn service() -> OpenApiService<Apis, ()> {
    let apis = Guarded((
        catalog::CatalogApi,
        auth::AuthApi,
        social::SocialApi,
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
    let home = routes::url_for("home", &[]).unwrap_or_else(|_| "/".into());
    let docs = Arc::new(docs::Docs::build(
        &svc.swagger_ui_html(),
        &spec,
        routes::pattern("api_openapi"),
        &home,
        &routes::url_for("static", &[("path", "favicon.svg")]).unwrap_or_default(),
    ));
    let (for_spec, for_page, for_assets) = (docs.clone(), docs.clone(), docs);
    // Mounted without stripping "/api", so the spec documents full paths like /api/v1/courses.
    Route::new()
        .at(
            routes::pattern("api_openapi"),
            poem::endpoint::make_sync(move |req| for_spec.spec(&req)),
        )
        .at(
            routes::pattern("api_docs"),
            poem::endpoint::make_sync(move |req| for_page.page(&req)),
        )
        .at(
            routes::pattern("api_docs_asset"),
            poem::endpoint::make_sync(move |req| {
                let version = req.path_params::<(String, String)>();
                match version {
                    Ok((v, file)) => for_assets
                        .asset(&req, &v, &file)
                        .unwrap_or_else(|| json_error(StatusCode::NOT_FOUND, "Not found.")),
                    Err(_) => json_error(StatusCode::NOT_FOUND, "Not found."),
                }
            }),
        )
        .nest_no_strip(routes::pattern("api_root"), svc.into_endpoint())
        .catch_error(|_: NotFoundError| async { json_error(StatusCode::NOT_FOUND, "Not found.") })
        .catch_error(|_: MethodNotAllowedError| async {
            json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
        })
}
