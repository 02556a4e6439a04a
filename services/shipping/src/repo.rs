//! Shipment rows: reading them, and changing their status together with the
//! event that announces the change (one transaction, through the outbox).

use crate::config::SERVICE;
use crate::status_map;
use chrono::{DateTime, Utc};
use serde::Serialize;
use service_common::contracts::{ShipmentStatus, ShipmentStatusChanged};
use service_common::events::{EventDraft, enqueue, names};
use sqlx::PgConnection;
use uuid::Uuid;

/// Columns of [`Shipment`], for `SELECT`s.
pub(crate) const COLUMNS: &str = "s.id, s.tenant_id, s.order_id, s.shopify_order_id, s.shop_domain, \
    s.status, s.stage, s.external_reference, s.attempts, s.next_attempt_at, s.last_error, s.error, \
    s.sendcloud_shipment_id, s.parcel_id, s.tracking_number, s.tracking_url, s.carrier, s.label_url, \
    s.sendcloud_status_id, s.sendcloud_status_message, s.fulfillment_status, s.shopify_fulfillment_id, \
    s.fulfillment_error, EXISTS (SELECT 1 FROM shipment_labels l WHERE l.shipment_id = s.id) AS has_label, \
    s.created_at, s.updated_at";

/// A shipment as stored and as the API shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Shipment {
    pub(crate) id: Uuid,
    pub(crate) tenant_id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) shopify_order_id: i64,
    pub(crate) shop_domain: String,
    pub(crate) status: String,
    pub(crate) stage: String,
    pub(crate) external_reference: String,
    pub(crate) attempts: i32,
    pub(crate) next_attempt_at: DateTime<Utc>,
    pub(crate) last_error: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) sendcloud_shipment_id: Option<String>,
    pub(crate) parcel_id: Option<i64>,
    pub(crate) tracking_number: Option<String>,
    pub(crate) tracking_url: Option<String>,
    pub(crate) carrier: Option<String>,
    pub(crate) label_url: Option<String>,
    pub(crate) sendcloud_status_id: Option<i64>,
    pub(crate) sendcloud_status_message: Option<String>,
    pub(crate) fulfillment_status: String,
    pub(crate) shopify_fulfillment_id: Option<String>,
    pub(crate) fulfillment_error: Option<String>,
    pub(crate) has_label: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl Shipment {
    pub(crate) fn status(&self) -> ShipmentStatus {
        status_map::parse(&self.status).unwrap_or(ShipmentStatus::Pending)
    }
}

/// The shipment, locked for the rest of the transaction.
pub(crate) async fn lock(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Shipment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shipments s WHERE s.id = $1 FOR UPDATE OF s"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Moves `shipment` to `to`, records the transition and, unless `quiet`,
/// publishes `shipment.status-changed`. Returns whether anything changed.
pub(crate) async fn transition(
    conn: &mut PgConnection,
    shipment: &Shipment,
    to: ShipmentStatus,
    cause: &str,
    quiet: bool,
) -> Result<bool, sqlx::Error> {
    let from = shipment.status();
    if !status_map::can_become(from, to) {
        return Ok(false);
    }
    sqlx::query("UPDATE shipments SET status = $2, updated_at = now() WHERE id = $1")
        .bind(shipment.id)
        .bind(status_map::name(to))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO shipment_transitions (shipment_id, from_status, to_status, cause) VALUES ($1, $2, $3, $4)",
    )
    .bind(shipment.id)
    .bind(status_map::name(from))
    .bind(status_map::name(to))
    .bind(cause)
    .execute(&mut *conn)
    .await?;
    if !quiet {
        let payload = ShipmentStatusChanged {
            shipment_id: shipment.id,
            order_id: shipment.order_id,
            status: to,
        };
        let draft = EventDraft::new(names::SHIPMENT_STATUS_CHANGED, shipment.tenant_id, &payload)
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        enqueue(conn, SERVICE, draft).await?;
    }
    tracing::info!(shipment_id = %shipment.id, from = status_map::name(from), to = status_map::name(to), cause, "shipment status changed");
    Ok(true)
}
