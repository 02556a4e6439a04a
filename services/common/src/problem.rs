//! RFC 9457 problem details: the one error body every endpoint answers with.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name or JSON path, as the caller sent it.
    pub field: String,
    /// What is wrong, including the allowed range.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem; also the error type of every handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem kind (`about:blank` style names under `/problems/`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, stable summary of the kind.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened in this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Invalid fields, when the problem is invalid input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request's correlation id, for finding it in the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for e in &self.errors {
            write!(f, "; {}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

/// Handler result.
pub type ApiResult<T> = Result<T, Problem>;

impl Problem {
    /// A problem of kind `kind` (a short slug) with `status`.
    pub fn new(status: StatusCode, kind: &str, title: &str) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            correlation_id: crate::telemetry::current_correlation_id(),
        }
    }

    /// Adds the occurrence's detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// 400: input that cannot be read at all.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").detail(detail)
    }

    /// 422: well-formed input with invalid fields.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "Invalid input",
        );
        p.detail = Some(
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        );
        p.errors = errors;
        p
    }

    /// Attaches field errors.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// 422 for a single field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    /// 401: missing or wrong credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized").detail(detail)
    }

    /// 403: authenticated but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").detail(detail)
    }

    /// 404 for `what`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found").detail(what)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict").detail(detail)
    }

    /// 503: a dependency is down; the caller may retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
        )
        .detail(detail)
    }

    /// 500: logs `cause` and answers without leaking it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
        )
        .detail("the request failed inside the service; see the logs under this correlation id")
    }

    /// The status as a `StatusCode`.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::PoolTimedOut) {
            tracing::warn!("database pool exhausted");
            return Self::unavailable("the database is busy; retry shortly");
        }
        Self::internal(e)
    }
}

impl From<anyhow::Error> for Problem {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(format!("{e:#}"))
    }
}

/// A JSON body whose rejections are problems: 415 without a JSON content
/// type, 400 for bytes that are not JSON, 422 naming the path of a field
/// with the wrong type or missing.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // axum words it "Failed to deserialize the JSON body into the
            // target type: <path>: <reason>"; keep the path as the field.
            let text = e.body_text();
            let tail = text
                .split_once("target type: ")
                .map_or(text.as_str(), |t| t.1);
            match tail.split_once(": ") {
                Some((path, reason)) if !path.contains(' ') => {
                    Problem::invalid_field(path, reason.to_owned())
                }
                // A missing field at the top level comes without a path:
                // "missing field `lineItemId` at line 1 column 20".
                _ => match missing_field(tail) {
                    Some(field) => Problem::invalid_field(field, "is required"),
                    None => Problem::invalid_field("body", tail.to_owned()),
                },
            }
        }
        JsonRejection::JsonSyntaxError(e) => {
            Problem::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .detail("send the body as application/json"),
        other => Problem::bad_request(other.body_text()),
    }
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.split_once("missing field `")?.1;
    rest.split_once('`').map(|(field, _)| field)
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_lists_fields_in_detail() {
        let p = Problem::invalid(vec![
            FieldError::new("widthMm", "must be 42..=2000"),
            FieldError::new("magnets", "must be true or false"),
        ]);
        assert_eq!(p.status, 422);
        assert_eq!(
            p.detail.as_deref(),
            Some("widthMm: must be 42..=2000; magnets: must be true or false")
        );
        let json = serde_json::to_value(&p).expect("serialises");
        assert_eq!(json["type"], "/problems/invalid-input");
        assert_eq!(json["errors"][0]["field"], "widthMm");
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            missing_field("missing field `lineItemId` at line 1 column 20"),
            Some("lineItemId")
        );
        assert_eq!(missing_field("invalid type: string"), None);
    }

    #[test]
    fn response_has_problem_media_type() {
        let r = Problem::not_found("order 7").into_response();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
