//! The pipeline's events, written to the outbox inside the caller's
//! transaction: one per waiting line item.

use crate::config::SERVICE;
use crate::jobs::{Job, Waiter};
use service_common::contracts::{MappingReady, PipelineFailed};
use service_common::events::{EventDraft, enqueue, names};
use sqlx::PgConnection;
use uuid::Uuid;

fn encode(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Encode(Box::new(e))
}

/// `gridflock.mapping-ready` for each of `waiters`.
pub async fn mapping_ready(
    conn: &mut PgConnection,
    job: &Job,
    mapping_id: Uuid,
    waiters: &[Waiter],
) -> Result<(), sqlx::Error> {
    for w in waiters {
        let payload = MappingReady {
            order_id: w.order_id,
            line_item_id: w.line_item_id,
            sku: job.sku.clone(),
            mapping_id,
            plan_hash: job.plan_hash.clone(),
        };
        let draft = EventDraft::new(names::GRIDFLOCK_MAPPING_READY, job.tenant_id, &payload)
            .map_err(encode)?;
        enqueue(conn, SERVICE, draft).await?;
    }
    Ok(())
}

/// `gridflock.pipeline-failed` for each of `waiters`.
pub async fn pipeline_failed(
    conn: &mut PgConnection,
    job: &Job,
    step: &str,
    message: &str,
    waiters: &[Waiter],
) -> Result<(), sqlx::Error> {
    for w in waiters {
        let payload = PipelineFailed {
            order_id: w.order_id,
            line_item_id: w.line_item_id,
            sku: job.sku.clone(),
            step: step.to_owned(),
            error_message: message.to_owned(),
        };
        let draft = EventDraft::new(names::GRIDFLOCK_PIPELINE_FAILED, job.tenant_id, &payload)
            .map_err(encode)?;
        enqueue(conn, SERVICE, draft).await?;
    }
    Ok(())
}
