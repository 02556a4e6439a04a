//! `order.cancelled`: the order's unfinished jobs are cancelled; queued
//! ones are also taken out of the SimplyPrint queue (by the queue worker,
//! from the removal row written in the same transaction). Jobs already on a
//! printer are marked cancelled; stopping the printer is left to the operator.

use crate::jobs::repo::{self, ApplyError, COLUMNS, Change, JobRow};
use crate::jobs::state::Cause;
use service_common::contracts::{OrderCancelled, PrintJobStatus};
use service_common::events::{Envelope, HandlerError, first_delivery};
use sqlx::PgPool;

/// The handler's name in `processed_events`.
pub(crate) const HANDLER: &str = "print.order-cancelled";

/// Handles one `order.cancelled` event, once per event id.
pub(crate) async fn on_order_cancelled(
    pool: PgPool,
    envelope: Envelope,
) -> Result<(), HandlerError> {
    let payload: OrderCancelled = envelope.payload().map_err(HandlerError::reject)?;
    let mut tx = pool.begin().await?;
    if !first_delivery(&mut tx, HANDLER, envelope.event_id).await? {
        tracing::debug!(event_id = %envelope.event_id, "order.cancelled already handled");
        return Ok(());
    }
    let rows: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM print_jobs \
         WHERE order_id = $1 AND tenant_id = $2 AND status IN ('PENDING', 'QUEUED', 'PRINTING') \
         ORDER BY id FOR UPDATE"
    ))
    .bind(payload.order_id)
    .bind(envelope.tenant_id)
    .fetch_all(&mut *tx)
    .await?;
    let reason = match payload.reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => format!("order cancelled: {r}"),
        _ => "order cancelled".to_owned(),
    };
    let count = rows.len();
    for row in rows {
        let id = row.id;
        let change = Change {
            reason: Some(reason.clone()),
            ..Change::to(PrintJobStatus::Cancelled, Cause::OrderCancelled)
        };
        match repo::apply(&mut tx, row, change).await {
            Ok(_) => {}
            Err(ApplyError::Db(e)) => return Err(e.into()),
            Err(ApplyError::Refused(e)) => {
                tracing::warn!(print_job_id = %id, error = %e, "job not cancelled");
            }
        }
    }
    tx.commit().await?;
    tracing::info!(order_id = %payload.order_id, cancelled = count, "order's print jobs cancelled");
    Ok(())
}
