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

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{header, StatusCode};
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route};
use poem_openapi::error::{ContentTypeError, ParseParamError, ParseRequestPayloadError};
use poem_openapi::OpenApiService;
use serde_json::{json, Value};

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

/// Operations that need an authenticated caller; the spec marks them with both schemes.
const PROTECTED: &[&str] = &[
    "enrollment_create",
    "enrollment_destroy",
    "me_enrollments_list",
    "progress_retrieve",
    "lesson_progress_update",
    "lesson_progress_destroy",
    "questions_create",
    "questions_partial_update",
    "questions_destroy",
    "answers_create",
    "answers_partial_update",
    "answers_destroy",
    "questions_accept",
    "notices_create",
    "course_notices_create",
    "reviews_create",
    "reviews_partial_update",
    "reviews_destroy",
    "courses_create",
    "courses_partial_update",
    "courses_destroy",
    "lessons_create",
    "lessons_partial_update",
    "lessons_destroy",
    "lessons_reorder",
    "auth_logout",
    "auth_logoutall",
    "auth_me",
    "auth_me_update",
    "auth_tokens_list",
    "auth_tokens_destroy",
];

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

/// Adds the security schemes poem-openapi cannot express here (a token in either of two
/// schemes, or the session cookie) and marks the protected operations.
fn with_security(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    doc["components"]["securitySchemes"] = json!({
        "tokenAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/login. `Authorization: Token <token>` is accepted too."
        },
        "sessionAuth": {
            "type": "apiKey",
            "in": "cookie",
            "name": "hancup_session",
            "description": "The browser session; writes also need the X-CSRFToken header (the csrftoken cookie's value)."
        }
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(ops) = item.as_object_mut() else {
                continue;
            };
            for op in ops.values_mut() {
                let id = op["operationId"].as_str().unwrap_or("");
                if PROTECTED.contains(&id) {
                    op["security"] = json!([{ "tokenAuth": [] }, { "sessionAuth": [] }]);
                }
            }
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| spec.to_owned())
}

/// The OpenAPI document as JSON text (also used by tests and `hancup check`).
pub fn spec_json() -> String {
    with_security(&service().spec())
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
    let spec = with_security(&original);
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
