//! The one layer every API operation runs behind, placed *after* routing so that metrics and
//! logs name the operation's route even when it answers before the handler: a request with an
//! unknown, expired or revoked token is refused on every operation (as DRF's token
//! authentication does), and what poem-openapi fails to parse becomes the documented JSON
//! answer — 400 for a path, query or body it cannot read, 415 for a body that is not JSON.

use std::collections::HashMap;
use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::{header, Method, StatusCode};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use poem_openapi::error::{
    ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use poem_openapi::registry::{MetaApi, Registry};
use poem_openapi::OpenApi;
use serde_json::json;

use super::error::WWW_AUTHENTICATE;
use crate::web::auth::Auth;

/// An `OpenApi` whose every operation runs behind [`guard`]; the document is unchanged.
pub struct Guarded<A>(pub A);

type RouteTable = HashMap<String, HashMap<Method, BoxEndpoint<'static>>>;

impl<A: OpenApi> OpenApi for Guarded<A> {
    fn meta() -> Vec<MetaApi> {
        A::meta()
    }

    fn register(registry: &mut Registry) {
        A::register(registry);
    }

    fn add_routes(self, table: &mut RouteTable) {
        let mut inner = RouteTable::new();
        self.0.add_routes(&mut inner);
        for (path, operations) in inner {
            let methods = table.entry(path).or_default();
            for (method, operation) in operations {
                methods.insert(method, operation.around(guard).boxed());
            }
        }
    }
}

/// `{"detail": …}` with `status`, the API's shape for every answer that is not field errors.
pub fn json_error(status: StatusCode, detail: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(json!({ "detail": detail }).to_string())
}

async fn guard(operation: Arc<BoxEndpoint<'static>>, req: Request) -> poem::Result<Response> {
    if matches!(Auth::of(&req), Auth::BadToken) {
        let mut resp = json_error(StatusCode::UNAUTHORIZED, "Invalid token.");
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static(WWW_AUTHENTICATE),
        );
        return Ok(resp);
    }
    match operation.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        Err(e) => unreadable_input(&e).ok_or(e),
    }
}

/// The documented answer to input poem-openapi could not read, or `None` for any other error.
fn unreadable_input(e: &poem::Error) -> Option<Response> {
    if let Some(e) = e.downcast_ref::<ParsePathError>() {
        // An id that is no number (or past i64).
        let detail = format!("Invalid path parameter: {}", e.reason);
        return Some(json_error(StatusCode::BAD_REQUEST, &detail));
    }
    if let Some(e) = e.downcast_ref::<ParseParamError>() {
        let body = json!({ e.name: [e.reason] }).to_string();
        return Some(
            Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .content_type("application/json; charset=utf-8")
                .body(body),
        );
    }
    if let Some(e) = e.downcast_ref::<ParseRequestPayloadError>() {
        let detail = format!("JSON parse error - {}", e.reason);
        return Some(json_error(StatusCode::BAD_REQUEST, &detail));
    }
    if let Some(e) = e.downcast_ref::<ContentTypeError>() {
        return Some(json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &e.to_string(),
        ));
    }
    None
}
