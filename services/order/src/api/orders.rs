//! Orders with their line items and print-job mirror.

use super::TenantId;
use crate::AppState;
use crate::status::OrderStatus;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_common::{ApiResult, Json, Problem};
use sqlx::PgPool;
use uuid::Uuid;

/// An order.
#[derive(Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    id: Uuid,
    tenant_id: Uuid,
    shop_domain: String,
    shopify_order_id: i64,
    name: String,
    email: Option<String>,
    currency: Option<String>,
    total_price: Option<String>,
    financial_status: Option<String>,
    status: String,
    shipping_address: Option<serde_json::Value>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A line item.
#[derive(Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    id: Uuid,
    shopify_line_item_id: i64,
    sku: Option<String>,
    title: String,
    quantity: i32,
    properties: serde_json::Value,
    status: String,
    mapping_id: Option<Uuid>,
    jobs_expected: i32,
    error: Option<String>,
    failed_step: Option<String>,
    gridflock_sku: Option<String>,
}

/// A mirrored print job.
#[derive(Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct PrintJobRef {
    print_job_id: Uuid,
    line_item_id: Uuid,
    status: String,
}

/// An order with everything under it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    #[serde(flatten)]
    order: Order,
    line_items: Vec<LineItem>,
    print_jobs: Vec<PrintJobRef>,
}

const SELECT: &str = "SELECT o.id, o.tenant_id, t.shop_domain, o.shopify_order_id, o.name, o.email, o.currency, \
    o.total_price, o.financial_status, o.status, o.shipping_address, o.cancelled_at, o.cancel_reason, \
    o.created_at, o.updated_at FROM orders o JOIN tenants t ON t.id = o.tenant_id";

async fn detail(pool: &PgPool, id: Uuid, tenant: Option<Uuid>) -> ApiResult<OrderDetail> {
    let order: Order = sqlx::query_as(&format!(
        "{SELECT} WHERE o.id = $1 AND ($2::uuid IS NULL OR o.tenant_id = $2)"
    ))
    .bind(id)
    .bind(tenant)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Problem::not_found(format!("order {id}")))?;
    let line_items = sqlx::query_as(
        "SELECT id, shopify_line_item_id, sku, title, quantity, properties, status, mapping_id, jobs_expected, \
         error, failed_step, gridflock_sku FROM line_items WHERE order_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let print_jobs = sqlx::query_as(
        "SELECT print_job_id, line_item_id, status FROM order_print_jobs WHERE order_id = $1 ORDER BY print_job_id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(OrderDetail {
        order,
        line_items,
        print_jobs,
    })
}

/// `GET /api/v1/orders/{id}`.
pub async fn get(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(detail(&state.pool, id, Some(tenant)).await?))
}

/// `GET /internal/orders/{id}` (shipping-service needs address and shop).
pub async fn get_internal(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(detail(&state.pool, id, None).await?))
}

/// Query of the list.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
    before: Option<DateTime<Utc>>,
}

/// `GET /api/v1/orders?status=&limit=&before=`: newest first; page with
/// `before` = the last `createdAt` seen.
pub async fn list(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Order>>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Problem::invalid_field(
            "limit",
            format!("is {limit}; must be in 1..=200"),
        ));
    }
    if let Some(s) = &q.status
        && OrderStatus::parse(s).is_none()
    {
        let allowed: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
        return Err(Problem::invalid_field(
            "status",
            format!("must be one of {}", allowed.join(", ")),
        ));
    }
    let rows = sqlx::query_as(&format!(
        "{SELECT} WHERE o.tenant_id = $1 AND ($2::text IS NULL OR o.status = $2) \
         AND ($3::timestamptz IS NULL OR o.created_at < $3) ORDER BY o.created_at DESC LIMIT $4"
    ))
    .bind(tenant)
    .bind(&q.status)
    .bind(q.before)
    .bind(limit)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(rows))
}
