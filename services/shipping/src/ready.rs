//! `order.ready-for-fulfillment`: a shipment row (PENDING, stage ANNOUNCE)
//! is written before anything is sent to Sendcloud, so that whatever
//! happens next is resumed from the database with the same reference.

use crate::WORK_CHANNEL;
use service_common::contracts::OrderReadyForFulfillment;
use service_common::events::{Envelope, HandlerError, first_delivery};
use sqlx::PgPool;
use uuid::Uuid;

/// Handles one event; the unique order id makes repeats (and a second event
/// for the same order) no-ops.
pub(crate) async fn on_ready(pool: PgPool, event: Envelope) -> Result<(), HandlerError> {
    let ready: OrderReadyForFulfillment = event.payload().map_err(HandlerError::reject)?;
    let mut tx = pool.begin().await?;
    if !first_delivery(&mut tx, "ready-for-fulfillment", event.event_id).await? {
        return Ok(());
    }
    let inserted = sqlx::query(
        "INSERT INTO shipments (id, tenant_id, order_id, shopify_order_id, shop_domain, status, stage, external_reference) \
         VALUES ($1, $2, $3, $4, $5, 'PENDING', 'ANNOUNCE', $6) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(event.tenant_id)
    .bind(ready.order_id)
    .bind(ready.shopify_order_id)
    .bind(&ready.shop_domain)
    // The order id, not the row id: even a shipment row lost and written
    // again cannot buy a second label for the same order.
    .bind(format!("gridflock-order-{}", ready.order_id))
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(WORK_CHANNEL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if inserted.rows_affected() == 1 {
        tracing::info!(order_id = %ready.order_id, "shipment requested");
    } else {
        tracing::info!(order_id = %ready.order_id, "the order already has a shipment");
    }
    Ok(())
}
