//! The HTTP API: internal shipment reads and the label, tenant-scoped reads
//! for the gateway (`X-Tenant-Id`), the Sendcloud webhook, health.

use crate::AppState;
use crate::repo::{COLUMNS, Shipment};
use crate::webhooks;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use service_common::auth::{InternalKey, require_internal_key};
use service_common::health::Readiness;
use service_common::server::standard_layers;
use service_common::{ApiResult, Json, Problem};
use std::collections::HashMap;
use uuid::Uuid;

/// Every route with its layers.
pub(crate) fn app(state: AppState, readiness: Readiness, key: InternalKey) -> Router {
    let protected = Router::new()
        .route("/internal/shipments", get(list_internal))
        .route("/internal/shipments/{id}", get(get_internal))
        .route("/internal/shipments/{id}/label", get(label))
        .route("/api/v1/shipments", get(list_tenant))
        .route("/api/v1/shipments/{id}", get(get_tenant))
        .route_layer(axum::middleware::from_fn_with_state(
            key,
            require_internal_key,
        ));
    standard_layers(
        protected
            .route("/webhooks/sendcloud", post(webhooks::receive))
            .with_state(state)
            .merge(readiness.routes()),
    )
}

/// The tenant the gateway authenticated, from `X-Tenant-Id`.
pub(crate) struct TenantId(Uuid);

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

fn uuid(field: &str, raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| Problem::invalid_field(field, "must be a UUID"))
}

async fn find(app: &AppState, id: Uuid, tenant: Option<Uuid>) -> ApiResult<Shipment> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shipments s WHERE s.id = $1 AND ($2::uuid IS NULL OR s.tenant_id = $2)"
    ))
    .bind(id)
    .bind(tenant)
    .fetch_optional(&app.pool)
    .await?
    .ok_or_else(|| Problem::not_found(format!("shipment {id}")))
}

async fn list(
    app: &AppState,
    tenant: Option<Uuid>,
    params: &HashMap<String, String>,
    order_required: bool,
) -> ApiResult<Vec<Shipment>> {
    let order = match params.get("orderId") {
        Some(raw) => Some(uuid("orderId", raw)?),
        None if order_required => return Err(Problem::invalid_field("orderId", "is required")),
        None => None,
    };
    let limit: i64 = match params.get("limit") {
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| {
                Problem::invalid_field("limit", format!("is {raw:?}; must be in 1..=200"))
            })?,
        None => 50,
    };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shipments s WHERE ($1::uuid IS NULL OR s.tenant_id = $1) \
         AND ($2::uuid IS NULL OR s.order_id = $2) ORDER BY s.created_at DESC LIMIT $3"
    ))
    .bind(tenant)
    .bind(order)
    .bind(limit)
    .fetch_all(&app.pool)
    .await?)
}

async fn list_internal(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Vec<Shipment>>> {
    Ok(Json(list(&app, None, &params, true).await?))
}

async fn get_internal(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Shipment>> {
    Ok(Json(find(&app, uuid("id", &id)?, None).await?))
}

async fn list_tenant(
    State(app): State<AppState>,
    TenantId(tenant): TenantId,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Vec<Shipment>>> {
    Ok(Json(list(&app, Some(tenant), &params, false).await?))
}

async fn get_tenant(
    State(app): State<AppState>,
    TenantId(tenant): TenantId,
    Path(id): Path<String>,
) -> ApiResult<Json<Shipment>> {
    Ok(Json(find(&app, uuid("id", &id)?, Some(tenant)).await?))
}

async fn label(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let id = uuid("id", &id)?;
    let shipment = find(&app, id, None).await?;
    let row: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT content_type, document FROM shipment_labels WHERE shipment_id = $1")
            .bind(id)
            .fetch_optional(&app.pool)
            .await?;
    let Some((content_type, document)) = row else {
        return Err(Problem::not_found(format!(
            "the label of shipment {id} (status {}, stage {})",
            shipment.status, shipment.stage
        )));
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"label-{id}.pdf\""),
            ),
        ],
        document,
    )
        .into_response())
}
