//! Endpoints for whoever runs the binary: `/healthz` (the process answers) and `/readyz` (the
//! database is reachable and its schema current). JSON, never cached.

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{handler, IntoResponse, Response};
use serde_json::json;

use crate::db::{migrate, DbError};
use crate::web::AppState;

#[handler]
pub fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

#[handler]
pub fn readyz(state: Data<&AppState>) -> Response {
    let version = state.db.read(|conn| {
        migrate::current_version(conn)
            .map_err(|e| e.to_string())
            .map_err(ReadyError)
    });
    let latest = migrate::latest_version();
    let (status, body) = match version {
        Ok(v) if v == latest => (
            StatusCode::OK,
            json!({ "status": "ready", "schema_version": v }),
        ),
        Ok(v) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "detail": format!("schema version {v}, expected {latest}") }),
        ),
        Err(ReadyError(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "unavailable", "detail": "database unreachable" }),
            )
        }
    };
    (status, Json(body)).into_response()
}

struct ReadyError(String);

impl From<DbError> for ReadyError {
    fn from(e: DbError) -> Self {
        ReadyError(e.to_string())
    }
}
