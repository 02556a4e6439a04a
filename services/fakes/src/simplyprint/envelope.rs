//! SimplyPrint's answer envelope: HTTP 200 with `status` true or false.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(super) const NOT_LOGGED_IN: &str = "No API key provided, or not logged in";
pub(super) const NO_ACCESS: &str = "You don't have access to this account";

/// `{"status":true,"message":null, …fields}`.
pub(super) fn ok(fields: Value) -> Response {
    let mut body = json!({ "status": true, "message": null });
    if let (Some(target), Value::Object(extra)) = (body.as_object_mut(), fields) {
        target.extend(extra);
    }
    axum::Json(body).into_response()
}

/// A logical error: HTTP 200 with `{"status":false,"message":…}`.
pub(super) fn refuse(message: impl Into<String>) -> Response {
    axum::Json(json!({ "status": false, "message": message.into() })).into_response()
}

/// An injected or genuine HTTP-level failure.
pub(super) fn http_error(code: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({ "status": false, "message": message })),
    )
        .into_response()
}
