//! Who may call: the `X-API-KEY` header and the company id in the path,
//! answered the way SimplyPrint does (HTTP 200, `status:false`).

use super::envelope::{NO_ACCESS, NOT_LOGGED_IN, http_error, refuse};
use super::model::Failure;
use super::server::Inner;
use crate::sync::lock;
use axum::http::HeaderMap;
use axum::response::Response;

/// Checks the key, then the company, then whether a failure was injected for
/// `endpoint`; `Err` carries the answer to send instead.
pub(super) fn admit(
    inner: &Inner,
    company: &str,
    endpoint: &str,
    headers: &HeaderMap,
) -> Result<(), Response> {
    {
        let farm = lock(&inner.farm);
        let key = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if key.is_empty() || key != farm.api_key {
            return Err(refuse(NOT_LOGGED_IN));
        }
        if company.parse::<u64>().ok() != Some(farm.company_id) {
            return Err(refuse(NO_ACCESS));
        }
    }
    match inner.take_failure(endpoint) {
        Some(Failure::StatusFalse(message)) => Err(refuse(message)),
        Some(Failure::Http(code)) => Err(http_error(code, &format!("Injected HTTP {code}"))),
        None => Ok(()),
    }
}
