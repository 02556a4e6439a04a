//! HTTP API: internal routes for other services and the tenant-scoped
//! `/api/v1` routes the gateway forwards (with `X-Tenant-Id` after it has
//! authenticated the operator). Every route requires the internal key.

pub mod mappings;
pub mod notifications;
pub mod orders;
pub mod settings;
pub mod tenants;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use service_common::Problem;
use uuid::Uuid;

/// The tenant a gateway-forwarded request acts for.
#[derive(Debug, Clone, Copy)]
pub struct TenantId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for TenantId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts
            .headers
            .get("x-tenant-id")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Problem::bad_request("the X-Tenant-Id header is required"))?;
        Uuid::parse_str(raw.trim())
            .map(TenantId)
            .map_err(|_| Problem::invalid_field("X-Tenant-Id", "must be a UUID"))
    }
}

/// Checks a text field's length (in characters).
pub(crate) fn check_text(
    errors: &mut Vec<service_common::FieldError>,
    field: &str,
    value: &str,
    max: usize,
) {
    let n = value.trim().chars().count();
    if n == 0 || n > max {
        errors.push(service_common::FieldError::new(
            field,
            format!("must be 1..={max} characters (is {n})"),
        ));
    }
}
