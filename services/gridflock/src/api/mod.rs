//! HTTP routes: internal (order-service, operators) and public (storefront
//! through the gateway).

pub mod features;
pub mod generate;
pub mod jobs;
pub mod preview;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post, put};
use service_common::auth::{InternalKey, require_internal_key};

/// Routes that need the internal API key.
pub fn internal(state: AppState, key: InternalKey) -> Router {
    Router::new()
        .route(
            "/internal/gridflock/generate-for-order",
            post(generate::generate_for_order),
        )
        .route(
            "/internal/gridflock/tenants/{tenant_id}/feature",
            put(features::put).get(features::get),
        )
        .route("/internal/gridflock/jobs/{id}", get(jobs::get))
        .route_layer(axum::middleware::from_fn_with_state(
            key,
            require_internal_key,
        ))
        .with_state(state)
}

/// Storefront routes: no key; the gateway applies rate limits.
pub fn public(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/gridflock/preview", post(preview::preview))
        .route("/api/v1/gridflock/plan", get(preview::plan_summary))
        .with_state(state)
}
