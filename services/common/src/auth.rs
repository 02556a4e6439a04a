//! Internal API-key authentication between services.

use crate::problem::Problem;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The header internal calls carry.
pub const INTERNAL_API_KEY_HEADER: &str = "x-internal-api-key";

/// The shared key, compared in constant time.
#[derive(Clone)]
pub struct InternalKey(Arc<str>);

impl InternalKey {
    /// Wraps the configured key.
    pub fn new(key: &str) -> Self {
        Self(Arc::from(key))
    }

    /// Whether `presented` is the key; the time taken does not depend on
    /// where the two first differ.
    pub fn matches(&self, presented: &[u8]) -> bool {
        constant_time_eq(self.0.as_bytes(), presented)
    }

    /// The key, for outgoing calls.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Constant-time equality of two byte strings (length may leak, content does not).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Middleware: 401 problem unless the request carries the internal key.
pub async fn require_internal_key(
    State(key): State<InternalKey>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(INTERNAL_API_KEY_HEADER)
        .map(|v| v.as_bytes());
    match presented {
        Some(p) if key.matches(p) => next.run(request).await,
        Some(_) => {
            tracing::warn!(path = %request.uri().path(), "internal call with a wrong API key");
            Problem::unauthorized("the X-Internal-Api-Key header does not match").into_response()
        }
        None => Problem::unauthorized("the X-Internal-Api-Key header is missing").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_content_and_length() {
        let key = InternalKey::new("secret-secret-secret");
        assert!(key.matches(b"secret-secret-secret"));
        assert!(!key.matches(b"secret-secret-secreT"));
        assert!(!key.matches(b"secret"));
        assert!(!key.matches(b""));
    }
}
