//! The OpenAPI document as clients see it: poem-openapi's output completed with what the
//! framework layer answers but the derive macros cannot express — the security schemes and the
//! protected operations, `nullable` on every optional property (an `Option` is sent as `null`),
//! the two shapes of a 400, and the 413/415 every operation with a body can answer — and cut
//! down to the statuses each operation really answers (the handlers share one error type, so
//! the derived document lists every error on every operation). It must not change what an
//! operation does; schemathesis (`tests/fuzz/run.sh`) checks answers against it both ways: no
//! answer outside the document, and every documented status reached.

use serde_json::{json, Map, Value};

mod answers;
mod limits;

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

/// Adds the security schemes poem-openapi cannot express here (a token in either of two
/// schemes, or the session cookie) and marks the protected operations.
fn add_security(doc: &mut Value) {
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
}

/// poem-openapi's document completed with what it cannot derive (see the module doc).
pub fn complete(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    add_security(&mut doc);
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        schemas.values_mut().for_each(nullable_optionals);
        limits::declare(schemas);
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, op) in item.iter_mut() {
                framework_answers(op);
                answers::only_real_answers(method, op);
            }
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| spec.to_owned())
}

/// Marks every property outside `required` nullable: poem-openapi makes an `Option` field
/// optional but sends `None` as `null` and reads `null` as `None`. A `$ref` cannot carry
/// `nullable` in OpenAPI 3.0, so it is wrapped in `allOf`.
fn nullable_optionals(schema: &mut Value) {
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            if required.contains(name) {
                continue;
            }
            if let Some(reference) = prop.get("$ref").cloned() {
                *prop = json!({ "allOf": [{ "$ref": reference }] });
            }
            prop["nullable"] = Value::Bool(true);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get_mut(key).and_then(Value::as_array_mut) {
            parts.iter_mut().for_each(nullable_optionals);
        }
    }
}

fn detail_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json; charset=utf-8": {
            "schema": { "$ref": "#/components/schemas/Detail" }
        }}
    })
}

/// The answers `api::routes` gives before a handler runs: a 400 is field errors or, for a body
/// that is not valid JSON, `{"detail": "JSON parse error - …"}`; an operation with a body also
/// answers 413 (over `server.max_body_bytes`) and 415 (not JSON).
fn framework_answers(op: &mut Value) {
    let has_body = op.get("requestBody").is_some();
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(content) = responses
        .get_mut("400")
        .and_then(|r| r.get_mut("content"))
        .and_then(Value::as_object_mut)
    {
        for media in content.values_mut() {
            let fields = media["schema"].take();
            media["schema"] =
                json!({ "anyOf": [fields, { "$ref": "#/components/schemas/Detail" }] });
        }
    }
    if has_body {
        insert_absent(
            responses,
            "413",
            detail_response("The body is larger than `server.max_body_bytes`."),
        );
        insert_absent(
            responses,
            "415",
            detail_response("The body is not `application/json`."),
        );
    }
}

fn insert_absent(responses: &mut Map<String, Value>, status: &str, answer: Value) {
    responses.entry(status).or_insert(answer);
}
