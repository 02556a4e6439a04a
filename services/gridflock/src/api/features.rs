//! The per-tenant GridFlock feature flag.
//!
//! A tenant without a row gets `GRIDFLOCK_ENABLED_BY_DEFAULT` (false unless
//! set): generating plates costs machine time and filament, so a shop opts
//! in explicitly.

use crate::AppState;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use service_common::{ApiResult, Json};
use sqlx::PgPool;
use uuid::Uuid;

/// Body of the PUT.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeatureInput {
    enabled: bool,
}

/// The flag as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Feature {
    tenant_id: Uuid,
    enabled: bool,
    /// `tenant` when set for this tenant, `default` when it follows
    /// `GRIDFLOCK_ENABLED_BY_DEFAULT`.
    source: &'static str,
}

/// The tenant's explicit setting, if any.
async fn explicit(pool: &PgPool, tenant_id: Uuid) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar("SELECT gridflock_enabled FROM tenant_features WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional(pool)
        .await
}

/// Whether the tenant may generate plates.
pub async fn enabled(pool: &PgPool, tenant_id: Uuid, default: bool) -> Result<bool, sqlx::Error> {
    Ok(explicit(pool, tenant_id).await?.unwrap_or(default))
}

/// `PUT /internal/gridflock/tenants/{tenantId}/feature` `{enabled}`.
pub async fn put(
    State(app): State<AppState>,
    Path(tenant_id): Path<Uuid>,
    Json(input): Json<FeatureInput>,
) -> ApiResult<Json<Feature>> {
    sqlx::query(
        "INSERT INTO tenant_features (tenant_id, gridflock_enabled) VALUES ($1, $2) \
         ON CONFLICT (tenant_id) DO UPDATE SET gridflock_enabled = EXCLUDED.gridflock_enabled, updated_at = now()",
    )
    .bind(tenant_id)
    .bind(input.enabled)
    .execute(&app.pool)
    .await?;
    tracing::info!(%tenant_id, enabled = input.enabled, "GridFlock feature flag set");
    Ok(Json(Feature {
        tenant_id,
        enabled: input.enabled,
        source: "tenant",
    }))
}

/// `GET /internal/gridflock/tenants/{tenantId}/feature`.
pub async fn get(
    State(app): State<AppState>,
    Path(tenant_id): Path<Uuid>,
) -> ApiResult<Json<Feature>> {
    let feature = match explicit(&app.pool, tenant_id).await? {
        Some(enabled) => Feature {
            tenant_id,
            enabled,
            source: "tenant",
        },
        None => Feature {
            tenant_id,
            enabled: app.config.enabled_by_default,
            source: "default",
        },
    };
    Ok(Json(feature))
}
