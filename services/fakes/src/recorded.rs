//! Requests a fake received, kept so tests can assert on what a client sent.

use crate::sync::lock;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, Mutex};

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Header names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body bytes (multipart bodies are not kept; see `body_omitted`).
    pub body: Vec<u8>,
    /// Whether the body was too large or binary and left out.
    pub body_omitted: bool,
}

impl RecordedRequest {
    /// First value of a header, looked up case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Bodies above this size are not kept (uploads of large files).
const MAX_KEPT_BODY: usize = 1024 * 1024;

/// A shared, append-only log of requests.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestLog(Arc<Mutex<Vec<RecordedRequest>>>);

impl RequestLog {
    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        lock(&self.0).clone()
    }

    /// Records the request and hands it back with its body intact.
    pub(crate) async fn record(
        &self,
        request: Request,
    ) -> Result<Request, axum::response::Response> {
        let (parts, body) = request.into_parts();
        let multipart = header_str(&parts.headers, "content-type")
            .is_some_and(|ct| ct.starts_with("multipart/"));
        // The fakes accept uploads far larger than what is worth keeping, so the
        // body is buffered once here and handed on unchanged.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|error| {
                use axum::response::IntoResponse;
                (
                    axum::http::StatusCode::BAD_REQUEST,
                    format!("could not read the request body: {error}"),
                )
                    .into_response()
            })?;
        let omitted = multipart || bytes.len() > MAX_KEPT_BODY;
        let recorded = RecordedRequest {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: if omitted { Vec::new() } else { bytes.to_vec() },
            body_omitted: omitted,
        };
        lock(&self.0).push(recorded);
        Ok(Request::from_parts(parts, Body::from(bytes)))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `GET /_control/requests`: the log as JSON, oldest first; merged into each
/// fake's router.
pub(crate) fn control_route<S: Clone + Send + Sync + 'static>(log: RequestLog) -> axum::Router<S> {
    axum::Router::new().route(
        "/_control/requests",
        axum::routing::get(move || {
            let log = log.clone();
            async move {
                let list: Vec<serde_json::Value> =
                    log.all().iter().map(RecordedRequest::to_json).collect();
                axum::Json(serde_json::json!({ "requests": list }))
            }
        }),
    )
}

/// Middleware that records every request into the log in its state, except
/// the fakes' own `/_control` routes, which are not part of the imitated API.
pub(crate) async fn record_requests(
    State(log): State<RequestLog>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/_control") {
        return next.run(request).await;
    }
    match log.record(request).await {
        Ok(request) => next.run(request).await,
        Err(response) => response,
    }
}

impl RecordedRequest {
    /// A JSON view for the `/_control/requests` routes.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers.iter().map(|(n, v)| serde_json::json!([n, v])).collect::<Vec<_>>(),
            "body": String::from_utf8_lossy(&self.body),
            "body_omitted": self.body_omitted,
        })
    }
}
