//! The operator notification feed.

use super::TenantId;
use crate::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use service_common::{ApiResult, Json};
use uuid::Uuid;

/// A notification.
#[derive(Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    id: Uuid,
    kind: String,
    message: String,
    order_id: Option<Uuid>,
    line_item_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    attempts: i32,
    last_error: Option<String>,
}

/// `GET /api/v1/notifications`: the latest 200, newest first.
pub async fn list(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
) -> ApiResult<Json<Vec<Notification>>> {
    let rows = sqlx::query_as(
        "SELECT id, kind, message, order_id, line_item_id, created_at, delivered_at, attempts, last_error \
         FROM notifications WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 200",
    )
    .bind(tenant)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(rows))
}
