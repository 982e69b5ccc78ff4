//! Which statuses each operation answers. The handlers share one error type, so the derived
//! document lists every error on every operation; this cuts each down to its own successes and
//! domain errors ([`ANSWERS`]) plus what the layers in front of it answer ([`layer_statuses`]).
//! schemathesis holds the server to it both ways (`tests/fuzz/run.sh`, `reachable.py`).

use serde_json::Value;

/// What each operation's handler answers: its successes and the errors of its domain. The
/// layers every operation runs behind add theirs (see [`layer_statuses`]).
const ANSWERS: &[(&str, &[u16])] = &[
    ("courses_list", &[200, 404]),
    ("courses_create", &[201, 403, 409]),
    ("courses_retrieve", &[200, 404]),
    ("courses_partial_update", &[200, 403, 404]),
    ("courses_destroy", &[204, 403, 404]),
    ("categories_list", &[200]),
    ("auth_register", &[201, 409]),
    ("auth_login", &[200, 403, 429]),
    ("auth_social", &[200, 403, 404, 409, 429]),
    ("auth_logout", &[204]),
    ("auth_logoutall", &[204]),
    ("auth_me", &[200]),
    ("auth_me_update", &[200]),
    ("auth_tokens_list", &[200]),
    ("auth_tokens_destroy", &[204, 404]),
    ("enrollment_create", &[200, 201, 403, 404]),
    ("enrollment_destroy", &[204, 404]),
    ("me_enrollments_list", &[200, 404]),
    ("progress_retrieve", &[200, 404]),
    ("lesson_retrieve", &[200, 403, 404]),
    ("lessons_create", &[201, 403, 404]),
    ("lessons_partial_update", &[200, 403, 404]),
    ("lessons_destroy", &[204, 403, 404]),
    ("lessons_reorder", &[200, 403, 404]),
    ("lesson_progress_update", &[200, 403, 404]),
    ("lesson_progress_destroy", &[200, 403, 404]),
    ("certificate_retrieve", &[200, 404]),
    ("questions_list", &[200, 404]),
    ("questions_create", &[201, 403, 404]),
    ("questions_retrieve", &[200, 404]),
    ("questions_partial_update", &[200, 403, 404]),
    ("questions_destroy", &[204, 403, 404]),
    ("questions_accept", &[200, 403, 404]),
    ("answers_create", &[201, 403, 404]),
    ("answers_partial_update", &[200, 403, 404]),
    ("answers_destroy", &[204, 403, 404]),
    ("notices_list", &[200]),
    ("notices_create", &[201, 403]),
    ("course_notices_list", &[200, 404]),
    ("course_notices_create", &[201, 403, 404]),
    ("reviews_list", &[200, 404]),
    ("reviews_create", &[201, 403, 404, 409]),
    ("reviews_partial_update", &[200, 403, 404]),
    ("reviews_destroy", &[204, 403, 404]),
];

/// What the layers in front of a handler answer for this operation: 401 for an unknown token
/// (every operation, `api::guard`) and for no credentials (protected ones), 403 for a session
/// write without its CSRF header, 400 for input that cannot be read (a number parameter, any
/// query parameter, a body), 413/415 for a body too large or not JSON, and 503 when the server
/// is at `server.max_concurrent_requests` (every request) or password hashing is at capacity.
fn layer_statuses(method: &str, op: &Value) -> Vec<u16> {
    let mut statuses = vec![401, 503];
    let protected = op.get("security").is_some();
    if protected && method != "get" {
        statuses.push(403);
    }
    let has_body = op.get("requestBody").is_some();
    let readable =
        op["parameters"].as_array().into_iter().flatten().any(|p| {
            p["in"] == "query" || p["schema"]["type"].as_str().is_some_and(|t| t != "string")
        });
    if has_body || readable {
        statuses.push(400);
    }
    if has_body {
        statuses.extend([413, 415]);
    }
    statuses
}

/// Keeps the statuses the operation answers; an operation missing from [`ANSWERS`] keeps all
/// (and fails `every_operation_declares_its_answers`).
pub(super) fn only_real_answers(method: &str, op: &mut Value) {
    let id = op["operationId"].as_str().unwrap_or("");
    let Some((_, own)) = ANSWERS.iter().find(|(name, _)| *name == id) else {
        return;
    };
    let mut keep = layer_statuses(method, op);
    keep.extend_from_slice(own);
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        responses.retain(|status, _| status.parse().is_ok_and(|s: u16| keep.contains(&s)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations() -> Vec<(String, String, Value)> {
        let doc: Value = serde_json::from_str(&crate::api::spec_json()).unwrap();
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                ops.push((method.clone(), path.clone(), op.clone()));
            }
        }
        ops
    }

    #[test]
    fn every_operation_declares_its_answers() {
        let ops = operations();
        for (method, path, op) in &ops {
            let id = op["operationId"].as_str().unwrap();
            let (_, own) = ANSWERS
                .iter()
                .find(|(name, _)| *name == id)
                .unwrap_or_else(|| panic!("{method} {path} ({id}) is not in ANSWERS"));
            for status in own.iter().chain(&layer_statuses(method, op)) {
                assert!(
                    op["responses"].get(status.to_string()).is_some(),
                    "{id} answers {status}, but its response types do not describe it"
                );
            }
        }
        for (name, _) in ANSWERS {
            assert!(
                ops.iter().any(|(_, _, op)| op["operationId"] == *name),
                "ANSWERS names {name}, which is no operation"
            );
        }
    }

    #[test]
    fn no_operation_documents_a_server_error_as_an_answer() {
        for (method, path, op) in operations() {
            assert!(op["responses"].get("500").is_none(), "{method} {path}");
        }
    }
}
