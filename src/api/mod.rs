//! The JSON API surface, `/api/v1`: DRF-compatible shapes, an OpenAPI 3 document at
//! `/api/openapi.json` and interactive docs at `/api/docs`, both served from the binary.
//! Handlers parse input with the domain's parsers, call the domain, and map its errors in
//! `error.rs` — nothing else.

mod auth;
mod authoring;
mod catalog;
mod community;
mod error;
mod learning;
mod learning_schema;
mod pagination;
mod params;
mod payload;
mod schema;
mod spec;

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{header, StatusCode};
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route};
use poem_openapi::error::{
    ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use poem_openapi::OpenApiService;
use serde_json::json;

pub use auth::require_user;
pub use error::ApiError;

use crate::web::auth::Auth;
use crate::web::routes;

type Apis = (
    catalog::CatalogApi,
    auth::AuthApi,
    learning::LearningApi,
    community::CommunityApi,
    authoring::AuthoringApi,
);

fn service() -> OpenApiService<Apis, ()> {
    let apis = (
        catalog::CatalogApi,
        auth::AuthApi,
        learning::LearningApi,
        community::CommunityApi,
        authoring::AuthoringApi,
    );
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

pub fn json_error(status: StatusCode, detail: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(json!({ "detail": detail }).to_string())
}

/// A request with an unknown, expired or revoked token is refused on every API route, as DRF's
/// token authentication does, before any handler runs.
async fn refuse_bad_tokens<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if matches!(Auth::of(&req), Auth::BadToken) {
        let mut resp = json_error(StatusCode::UNAUTHORIZED, "Invalid token.");
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static(error::WWW_AUTHENTICATE),
        );
        return Ok(resp);
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// Routes under `/api`: the versioned API, its spec and docs. Unknown paths, wrong methods and
/// undecodable bodies answer JSON, not HTML.
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
        .nest_no_strip(
            routes::pattern("api_root"),
            svc.into_endpoint().around(refuse_bad_tokens),
        )
        .catch_error(|_: NotFoundError| async { json_error(StatusCode::NOT_FOUND, "Not found.") })
        // An id that is no number (or past i64): a 400 in the documented JSON shape.
        .catch_error(|e: ParsePathError| async move {
            json_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid path parameter: {}", e.reason),
            )
        })
        .catch_error(|e: ParseParamError| async move {
            Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .content_type("application/json; charset=utf-8")
                .body(json!({ e.name: [e.reason] }).to_string())
        })
        .catch_error(|e: ParseRequestPayloadError| async move {
            json_error(
                StatusCode::BAD_REQUEST,
                &format!("JSON parse error - {}", e.reason),
            )
        })
        .catch_error(|e: ContentTypeError| async move {
            json_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &e.to_string())
        })
        .catch_error(|_: MethodNotAllowedError| async {
            json_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.")
        })
}
