//! Carries each shipment through its stages, durably: ANNOUNCE (Sendcloud
//! shipment and label) → LABEL (download the PDF when it was not embedded)
//! → FULFIL (Shopify fulfilment) → DONE.
//!
//! A step is claimed by committing a lease (`next_attempt_at` in the future)
//! before any outside call, and its outcome is recorded in a second
//! transaction. A crash in between leaves the lease to run out; the step is
//! then repeated, which is safe: Sendcloud answers a repeated
//! `external_reference_id` with the existing shipment (409), and a repeated
//! fulfilment finds nothing open. Transient failures wait with exponential
//! back-off; after `SHIPPING_MAX_ATTEMPTS` the step is given up.

use crate::WORK_CHANNEL;
use crate::config::{Config, WorkerConfig};
use crate::orders::Orders;
use crate::repo::{self, COLUMNS, Shipment};
use crate::sendcloud::{self, Announced, Sendcloud, SendcloudError};
use crate::shopify::{Fulfilled, Shopify, ShopifyError, Tracking};
use service_common::client::ClientError;
use service_common::contracts::{ShipmentCreated, ShipmentStatus};
use service_common::events::{EventDraft, enqueue, names};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const BATCH: i64 = 8;

/// The worker's dependencies.
#[derive(Clone)]
pub(crate) struct Worker {
    pub(crate) pool: PgPool,
    pub(crate) config: Arc<Config>,
    pub(crate) orders: Orders,
    pub(crate) sendcloud: Sendcloud,
    pub(crate) shopify: Shopify,
}

/// What one step came to.
enum Outcome {
    /// Try again after back-off.
    Retry(String),
    /// Give the step up for good.
    Fail(String),
}

impl From<ClientError> for Outcome {
    fn from(e: ClientError) -> Self {
        if e.is_transient() {
            Self::Retry(e.to_string())
        } else {
            Self::Fail(e.to_string())
        }
    }
}

impl Worker {
    fn settings(&self) -> &WorkerConfig {
        &self.config.worker
    }

    /// Runs until `shutdown`: a round on every notification and at least
    /// every poll interval.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut l) => match l.listen(WORK_CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "shipment worker cannot LISTEN; polling only");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "shipment worker cannot LISTEN; polling only");
                None
            }
        };
        loop {
            let busy = match self.round().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "shipment round failed");
                    false
                }
            };
            if shutdown.is_cancelled() {
                return;
            }
            if busy {
                continue;
            }
            let poll = self.settings().poll;
            let wait = async {
                match listener.as_mut() {
                    Some(l) => {
                        if let Ok(Err(_)) = tokio::time::timeout(poll, l.recv()).await {
                            tokio::time::sleep(poll).await;
                        }
                    }
                    None => tokio::time::sleep(poll).await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = wait => {}
            }
        }
    }

    /// Claims and runs the due steps; returns how many.
    async fn round(&self) -> Result<usize, sqlx::Error> {
        let claimed: Vec<Shipment> = sqlx::query_as(&format!(
            "WITH due AS ( \
                 SELECT id FROM shipments WHERE stage IN ('ANNOUNCE', 'LABEL', 'FULFIL') \
                 AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
             UPDATE shipments s SET attempts = s.attempts + 1, \
                 next_attempt_at = now() + make_interval(secs => $2) \
             FROM due WHERE s.id = due.id RETURNING {COLUMNS}"
        ))
        .bind(BATCH)
        .bind(self.settings().lease.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        let n = claimed.len();
        for shipment in claimed {
            let id = shipment.id;
            if let Err(e) = self.step(shipment).await {
                // The lease runs out and the step is repeated.
                tracing::warn!(shipment_id = %id, error = %e, "recording a shipment step failed");
            }
        }
        Ok(n)
    }

    async fn step(&self, shipment: Shipment) -> Result<(), sqlx::Error> {
        // Half the lease, so the outcome is recorded before another worker
        // may claim the step again.
        let limit = self.settings().lease / 2;
        let stage = shipment.stage.clone();
        let work = async {
            match stage.as_str() {
                "ANNOUNCE" => self.announce(&shipment).await,
                "LABEL" => self.fetch_label(&shipment).await,
                _ => self.fulfil(&shipment).await,
            }
        };
        let result = tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(Outcome::Retry(format!(
                "no answer within {} ms",
                limit.as_millis()
            )))
        });
        match result {
            Ok(()) => Ok(()),
            Err(Outcome::Retry(reason)) => self.retry_or_give_up(&shipment, &reason).await,
            Err(Outcome::Fail(reason)) => self.give_up(&shipment, &reason).await,
        }
    }

    async fn announce(&self, shipment: &Shipment) -> Result<(), Outcome> {
        let order = self.orders.order(shipment.order_id).await?;
        let request = sendcloud::announce_request(
            &order,
            &shipment.external_reference,
            &self.config.sender,
            &self.config.parcel,
        )
        .map_err(|e| Outcome::Fail(e.to_string()))?;
        let announced = self
            .sendcloud
            .announce(&request)
            .await
            .map_err(|e| match e {
                SendcloudError::Transient(m) => Outcome::Retry(m),
                SendcloudError::Permanent(m) => Outcome::Fail(m),
            })?;
        if let Some(reason) = &announced.failed {
            return Err(Outcome::Fail(reason.clone()));
        }
        self.record_announced(shipment, &announced)
            .await
            .map_err(|e| Outcome::Retry(format!("recording the announcement: {e}")))
    }

    async fn record_announced(
        &self,
        shipment: &Shipment,
        a: &Announced,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = repo::lock(&mut tx, shipment.id).await? else {
            return Ok(());
        };
        if row.stage != "ANNOUNCE" {
            return Ok(());
        }
        let next = if a.label.is_some() || a.label_url.is_none() {
            "FULFIL"
        } else {
            "LABEL"
        };
        sqlx::query(
            "UPDATE shipments SET stage = $2, sendcloud_shipment_id = $3, parcel_id = $4, tracking_number = $5, \
             tracking_url = $6, carrier = $7, label_url = $8, attempts = 0, next_attempt_at = now(), \
             last_error = NULL, updated_at = now() WHERE id = $1",
        )
        .bind(row.id)
        .bind(next)
        .bind(&a.shipment_id)
        .bind(a.parcel_id)
        .bind(&a.tracking_number)
        .bind(&a.tracking_url)
        .bind(&a.carrier)
        .bind(&a.label_url)
        .execute(&mut *tx)
        .await?;
        if let Some(label) = &a.label {
            store_label(&mut tx, row.id, label).await?;
        }
        // shipment.created is the announcement of LABEL_CREATED.
        repo::transition(
            &mut tx,
            &row,
            ShipmentStatus::LabelCreated,
            "announced",
            true,
        )
        .await?;
        let created = ShipmentCreated {
            shipment_id: row.id,
            order_id: row.order_id,
            tracking_number: a.tracking_number.clone(),
            tracking_url: a.tracking_url.clone(),
        };
        let draft = EventDraft::new(names::SHIPMENT_CREATED, row.tenant_id, &created)
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        enqueue(&mut tx, crate::config::SERVICE, draft).await?;
        notify(&mut tx).await?;
        tx.commit().await?;
        tracing::info!(shipment_id = %row.id, tracking_number = ?a.tracking_number, "shipment announced");
        Ok(())
    }

    async fn fetch_label(&self, shipment: &Shipment) -> Result<(), Outcome> {
        let label = match &shipment.label_url {
            Some(url) => match self.sendcloud.label(url).await {
                Ok(label) => Some(label),
                Err(SendcloudError::Transient(m)) => return Err(Outcome::Retry(m)),
                Err(SendcloudError::Permanent(m)) => {
                    // A missing label must not hold up the customer's fulfilment.
                    tracing::error!(shipment_id = %shipment.id, error = %m, "the label cannot be downloaded");
                    None
                }
            },
            None => None,
        };
        let record = async {
            let mut tx = self.pool.begin().await?;
            if let Some(label) = &label {
                store_label(&mut tx, shipment.id, label).await?;
            }
            advance(&mut tx, shipment.id, "LABEL", "FULFIL").await?;
            tx.commit().await
        };
        record
            .await
            .map_err(|e: sqlx::Error| Outcome::Retry(format!("storing the label: {e}")))
    }

    async fn fulfil(&self, shipment: &Shipment) -> Result<(), Outcome> {
        let credentials = self.orders.credentials(shipment.tenant_id).await?;
        let tracking = Tracking {
            number: shipment.tracking_number.clone(),
            url: shipment.tracking_url.clone(),
            company: shipment.carrier.clone(),
        };
        let fulfilled = self
            .shopify
            .fulfil(&credentials, shipment.shopify_order_id, &tracking)
            .await
            .map_err(|e| match e {
                ShopifyError::Transient(m) => Outcome::Retry(m),
                ShopifyError::Rejected(m) => Outcome::Fail(m),
            })?;
        let (status, id) = match fulfilled {
            Fulfilled::Created(id) => ("CREATED", Some(id)),
            Fulfilled::NothingOpen => ("ALREADY_FULFILLED", None),
        };
        let record = async {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "UPDATE shipments SET fulfillment_status = $2, shopify_fulfillment_id = $3 WHERE id = $1",
            )
            .bind(shipment.id)
            .bind(status)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            advance(&mut tx, shipment.id, "FULFIL", "DONE").await?;
            tx.commit().await
        };
        record
            .await
            .map_err(|e: sqlx::Error| Outcome::Retry(format!("recording the fulfilment: {e}")))?;
        tracing::info!(shipment_id = %shipment.id, fulfillment = status, "Shopify fulfilment done");
        Ok(())
    }

    async fn retry_or_give_up(&self, shipment: &Shipment, reason: &str) -> Result<(), sqlx::Error> {
        let attempts = u32::try_from(shipment.attempts).unwrap_or(u32::MAX);
        if attempts >= self.settings().max_attempts {
            return self
                .give_up(
                    shipment,
                    &format!("gave up after {attempts} attempts: {reason}"),
                )
                .await;
        }
        let delay = backoff(self.settings(), attempts);
        tracing::warn!(shipment_id = %shipment.id, stage = %shipment.stage, attempts, retry_in_ms = delay.as_millis() as u64, error = reason, "shipment step failed; will retry");
        sqlx::query(
            "UPDATE shipments SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3), \
             updated_at = now() WHERE id = $1 AND stage = $4",
        )
        .bind(shipment.id)
        .bind(reason)
        .bind(delay.as_secs_f64())
        .bind(&shipment.stage)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A failed announcement fails the shipment (and says so on the bus); a
    /// failed fulfilment is recorded, the parcel itself is fine.
    async fn give_up(&self, shipment: &Shipment, reason: &str) -> Result<(), sqlx::Error> {
        tracing::error!(shipment_id = %shipment.id, stage = %shipment.stage, error = reason, "shipment step failed for good");
        let mut tx = self.pool.begin().await?;
        let Some(row) = repo::lock(&mut tx, shipment.id).await? else {
            return Ok(());
        };
        match row.stage.as_str() {
            "ANNOUNCE" => {
                sqlx::query(
                    "UPDATE shipments SET stage = 'FAILED', error = $2, last_error = $2, updated_at = now() WHERE id = $1",
                )
                .bind(row.id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
                repo::transition(
                    &mut tx,
                    &row,
                    ShipmentStatus::Failed,
                    "announcement failed",
                    false,
                )
                .await?;
            }
            "LABEL" | "FULFIL" => {
                sqlx::query(
                    "UPDATE shipments SET stage = 'DONE', fulfillment_status = 'FAILED', fulfillment_error = $2, \
                     last_error = $2, updated_at = now() WHERE id = $1",
                )
                .bind(row.id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            }
            _ => {}
        }
        tx.commit().await
    }
}

async fn store_label(
    conn: &mut sqlx::PgConnection,
    id: uuid::Uuid,
    label: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO shipment_labels (shipment_id, content_type, document) VALUES ($1, 'application/pdf', $2) \
         ON CONFLICT (shipment_id) DO UPDATE SET document = EXCLUDED.document, stored_at = now()",
    )
    .bind(id)
    .bind(label)
    .execute(conn)
    .await?;
    Ok(())
}

async fn advance(
    conn: &mut sqlx::PgConnection,
    id: uuid::Uuid,
    from: &str,
    to: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE shipments SET stage = $3, attempts = 0, next_attempt_at = now(), last_error = NULL, \
         updated_at = now() WHERE id = $1 AND stage = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    notify(conn).await
}

async fn notify(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(WORK_CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

/// Base doubled per failed attempt, capped, less up to a fifth at random so
/// that shipments failing together do not retry together.
fn backoff(settings: &WorkerConfig, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(30);
    let full = settings
        .retry_base
        .saturating_mul(1u32 << doublings)
        .min(settings.retry_max);
    let bits = (uuid::Uuid::new_v4().as_u128() as u64) & ((1u64 << 53) - 1);
    full.mul_f64(1.0 - 0.2 * (bits as f64 / (1u64 << 53) as f64))
}
