//! Event handlers that move orders forward: `order.created` turns line items
//! into print jobs, `print-job.status-changed` and `shipment.*` advance the
//! order's state.

use crate::AppState;
use crate::gridflock;
use crate::notifications::{self, Kind, Notice};
use crate::shopify::order::Property;
use crate::status::{LineItemStatus, OrderStatus, print_job_rank};
use service_common::client::ClientError;
use service_common::contracts::{
    CreatePrintJobs, GenerateForOrder, GenerationAccepted, MappingReady, OrderCreated,
    OrderReadyForFulfillment, PipelineFailed, PrintJobEvent, PrintJobList, PrintJobSpec,
    PrintJobStatus, ShipmentCreated, ShipmentStatus, ShipmentStatusChanged,
};
use service_common::events::{Envelope, EventDraft, HandlerError, enqueue, first_delivery, names};
use sqlx::PgConnection;
use uuid::Uuid;

/// Most print jobs one line item may need (print-service's limit per call).
pub const MAX_JOBS_PER_LINE: usize = 1000;

#[derive(sqlx::FromRow)]
struct Line {
    id: Uuid,
    sku: Option<String>,
    quantity: i32,
    properties: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct Part {
    id: Uuid,
    simplyprint_file_id: String,
    file_name: String,
    quantity: i32,
}

/// `order.created`: create the print jobs of every mapped line item; notify
/// the operator about the others.
pub async fn on_order_created(state: AppState, e: Envelope) -> Result<(), HandlerError> {
    const HANDLER: &str = "orchestrate-order";
    let p: OrderCreated = e.payload().map_err(HandlerError::reject)?;
    let done: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM processed_events WHERE handler = $1 AND event_id = $2)",
    )
    .bind(HANDLER)
    .bind(e.event_id)
    .fetch_one(&state.pool)
    .await?;
    if done {
        return Ok(());
    }
    sqlx::query("UPDATE orders SET status = 'PROCESSING', updated_at = now() WHERE id = $1 AND status = 'PENDING'")
        .bind(p.order_id)
        .execute(&state.pool)
        .await?;
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT id, sku, quantity, properties FROM line_items WHERE order_id = $1 AND status = 'PENDING' ORDER BY position",
    )
    .bind(p.order_id)
    .fetch_all(&state.pool)
    .await?;
    for line in lines {
        plan_line(&state, e.tenant_id, p.order_id, line).await?;
    }
    let mut tx = state.pool.begin().await?;
    first_delivery(&mut tx, HANDLER, e.event_id).await?;
    recompute(&mut tx, e.tenant_id, p.order_id).await?;
    tx.commit().await?;
    Ok(())
}

async fn plan_line(
    state: &AppState,
    tenant_id: Uuid,
    order_id: Uuid,
    line: Line,
) -> Result<(), HandlerError> {
    let Some(sku) = line.sku.clone() else {
        return unmapped(
            state,
            tenant_id,
            order_id,
            line.id,
            "the line item has no SKU".to_owned(),
        )
        .await;
    };
    if gridflock::is_gridflock(Some(&sku)) {
        return plan_gridflock_line(state, tenant_id, order_id, line).await;
    }
    let mapping: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM product_mappings WHERE tenant_id = $1 AND sku = $2 AND active",
    )
    .bind(tenant_id)
    .bind(&sku)
    .fetch_optional(&state.pool)
    .await?;
    let Some(mapping_id) = mapping else {
        return unmapped(
            state,
            tenant_id,
            order_id,
            line.id,
            format!("no active product mapping for SKU {sku}"),
        )
        .await;
    };
    create_jobs(
        state,
        tenant_id,
        order_id,
        line.id,
        line.quantity,
        mapping_id,
        &sku,
    )
    .await
}

/// A GRID-CUSTOM item: read its properties, compute SKU and plan hash for the
/// tenant's current print settings, then print from a matching mapping or
/// ask gridflock-service to make one.
async fn plan_gridflock_line(
    state: &AppState,
    tenant_id: Uuid,
    order_id: Uuid,
    line: Line,
) -> Result<(), HandlerError> {
    let properties: Vec<Property> =
        serde_json::from_value(line.properties.clone()).unwrap_or_default();
    let settings = crate::api::settings::of_tenant(&state.pool, tenant_id).await?;
    let planned = gridflock::read(&properties).and_then(|baseplate| {
        baseplate
            .plan(&settings)
            .map(|planned| (baseplate, planned))
    });
    let (baseplate, planned) = match planned {
        Ok(ok) => ok,
        Err(errors) => {
            let reason = errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            let error = format!("GridFlock line item has an invalid configuration: {reason}");
            let failure = LineFailure {
                to: LineItemStatus::InvalidConfiguration,
                kind: Kind::InvalidConfiguration,
                ..LineFailure::new(tenant_id, order_id, line.id, &error)
            };
            return fail_line_alone(state, failure).await;
        }
    };
    sqlx::query("UPDATE line_items SET gridflock_sku = $2, plan_hash = $3 WHERE id = $1")
        .bind(line.id)
        .bind(&planned.sku)
        .bind(&planned.plan_hash)
        .execute(&state.pool)
        .await?;
    // A mapping made for other printer or slicer settings is stale: its
    // plates would print with the wrong settings.
    let mapping: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM product_mappings WHERE tenant_id = $1 AND sku = $2 AND active AND plan_hash = $3",
    )
    .bind(tenant_id)
    .bind(&planned.sku)
    .bind(&planned.plan_hash)
    .fetch_optional(&state.pool)
    .await?;
    if let Some(mapping_id) = mapping {
        return create_jobs(
            state,
            tenant_id,
            order_id,
            line.id,
            line.quantity,
            mapping_id,
            &planned.sku,
        )
        .await;
    }
    let request = GenerateForOrder {
        tenant_id,
        order_id,
        line_item_id: line.id,
        width_mm: baseplate.width_mm,
        height_mm: baseplate.height_mm,
        connector_type: baseplate.connector,
        magnets: baseplate.magnets,
        print_settings: settings,
    };
    match state
        .gridflock
        .post::<_, GenerationAccepted>("/internal/gridflock/generate-for-order", &request)
        .await
    {
        Ok(accepted) => {
            tracing::info!(sku = %accepted.sku, job = %accepted.job_id, status = %accepted.status, "GridFlock generation requested");
            sqlx::query(
                "UPDATE line_items SET status = $2, updated_at = now() WHERE id = $1 AND status = 'PENDING'",
            )
            .bind(line.id)
            .bind(LineItemStatus::AwaitingGeneration.as_str())
            .execute(&state.pool)
            .await?;
            Ok(())
        }
        Err(ClientError::Refused { problem, .. }) => {
            let error = problem.to_string();
            let failure = LineFailure {
                failed_step: Some("request"),
                notice: format!("gridflock-service refused {}: {problem}", planned.sku),
                ..LineFailure::new(tenant_id, order_id, line.id, &error)
            };
            fail_line_alone(state, failure.generation_failed()).await
        }
        Err(e) => Err(HandlerError::retry(e)),
    }
}

/// Creates the print jobs of one line item from `mapping_id` and records
/// them; a line item already past this point is left alone.
async fn create_jobs(
    state: &AppState,
    tenant_id: Uuid,
    order_id: Uuid,
    line_id: Uuid,
    quantity: i32,
    mapping_id: Uuid,
    sku: &str,
) -> Result<(), HandlerError> {
    let parts: Vec<Part> = sqlx::query_as(
        "SELECT id, simplyprint_file_id, file_name, quantity FROM assembly_parts WHERE mapping_id = $1 ORDER BY position",
    )
    .bind(mapping_id)
    .fetch_all(&state.pool)
    .await?;
    let jobs = job_specs(&parts, quantity);
    if jobs.is_empty() || jobs.len() > MAX_JOBS_PER_LINE {
        let reason = format!(
            "mapping {sku} needs {} print jobs for this line; 1..={MAX_JOBS_PER_LINE} are possible",
            jobs.len()
        );
        return refused(state, tenant_id, order_id, line_id, reason).await;
    }
    let request = CreatePrintJobs {
        tenant_id,
        order_id,
        line_item_id: line_id,
        jobs,
    };
    match state
        .print
        .post::<_, PrintJobList>("/internal/print-jobs", &request)
        .await
    {
        Ok(list) => {
            let mut tx = state.pool.begin().await?;
            for job in &list.jobs {
                upsert_mirror(&mut tx, job.id, order_id, line_id, job.status).await?;
            }
            sqlx::query(
                "UPDATE line_items SET status = $2, mapping_id = $3, jobs_expected = $4, updated_at = now() \
                 WHERE id = $1 AND status IN ('PENDING', 'AWAITING_GENERATION')",
            )
            .bind(line_id)
            .bind(LineItemStatus::JobsCreated.as_str())
            .bind(mapping_id)
            .bind(list.jobs.len() as i32)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
        Err(ClientError::Refused { problem, .. }) => {
            refused(
                state,
                tenant_id,
                order_id,
                line_id,
                format!("print-service refused the jobs: {problem}"),
            )
            .await
        }
        Err(e) => Err(HandlerError::retry(e)),
    }
}

/// `gridflock.mapping-ready`: the waiting line item's mapping exists.
pub async fn on_mapping_ready(state: AppState, e: Envelope) -> Result<(), HandlerError> {
    const HANDLER: &str = "gridflock-mapping-ready";
    let p: MappingReady = e.payload().map_err(HandlerError::reject)?;
    let line: Option<(String, i32)> = sqlx::query_as(
        "SELECT l.status, l.quantity FROM line_items l JOIN orders o ON o.id = l.order_id \
         WHERE l.id = $1 AND l.order_id = $2 AND o.tenant_id = $3",
    )
    .bind(p.line_item_id)
    .bind(p.order_id)
    .bind(e.tenant_id)
    .fetch_optional(&state.pool)
    .await?;
    let Some((status, quantity)) = line else {
        return Err(HandlerError::reject(format!(
            "line item {} of order {} is unknown",
            p.line_item_id, p.order_id
        )));
    };
    if status == LineItemStatus::AwaitingGeneration.as_str() {
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM product_mappings WHERE id = $1 AND tenant_id = $2 AND sku = $3)",
        )
        .bind(p.mapping_id)
        .bind(e.tenant_id)
        .bind(&p.sku)
        .fetch_one(&state.pool)
        .await?;
        if !exists {
            return Err(HandlerError::reject(format!(
                "mapping {} for {} does not exist",
                p.mapping_id, p.sku
            )));
        }
        create_jobs(
            &state,
            e.tenant_id,
            p.order_id,
            p.line_item_id,
            quantity,
            p.mapping_id,
            &p.sku,
        )
        .await?;
    }
    let mut tx = state.pool.begin().await?;
    first_delivery(&mut tx, HANDLER, e.event_id).await?;
    recompute(&mut tx, e.tenant_id, p.order_id).await?;
    tx.commit().await?;
    Ok(())
}

/// `gridflock.pipeline-failed`: the line item cannot be generated.
pub async fn on_pipeline_failed(state: AppState, e: Envelope) -> Result<(), HandlerError> {
    let p: PipelineFailed = e.payload().map_err(HandlerError::reject)?;
    let mut tx = state.pool.begin().await?;
    if !first_delivery(&mut tx, "gridflock-pipeline-failed", e.event_id).await? {
        return Ok(());
    }
    let failure = LineFailure {
        from: LineItemStatus::AwaitingGeneration,
        failed_step: Some(&p.step),
        notice: format!(
            "GridFlock {} failed at step {}: {}",
            p.sku, p.step, p.error_message
        ),
        ..LineFailure::new(e.tenant_id, p.order_id, p.line_item_id, &p.error_message)
    };
    fail_line(&mut tx, &state, failure.generation_failed()).await?;
    tx.commit().await?;
    Ok(())
}

/// One job per copy: every part, `part.quantity × line quantity` times.
fn job_specs(parts: &[Part], line_quantity: i32) -> Vec<PrintJobSpec> {
    let mut jobs = Vec::new();
    for part in parts {
        let copies = (part.quantity.max(0) as u32).saturating_mul(line_quantity.max(0) as u32);
        for copy_index in 0..copies.min(MAX_JOBS_PER_LINE as u32 + 1) {
            jobs.push(PrintJobSpec {
                part_id: part.id,
                copy_index,
                simplyprint_file_id: part.simplyprint_file_id.clone(),
                file_name: part.file_name.clone(),
            });
        }
    }
    jobs
}

async fn unmapped(
    state: &AppState,
    tenant_id: Uuid,
    order_id: Uuid,
    line_id: Uuid,
    reason: String,
) -> Result<(), HandlerError> {
    let failure = LineFailure {
        to: LineItemStatus::Unmapped,
        kind: Kind::UnmappedLineItem,
        ..LineFailure::new(tenant_id, order_id, line_id, &reason)
    };
    fail_line_alone(state, failure).await
}

async fn refused(
    state: &AppState,
    tenant_id: Uuid,
    order_id: Uuid,
    line_id: Uuid,
    reason: String,
) -> Result<(), HandlerError> {
    let failure = LineFailure {
        to: LineItemStatus::JobsFailed,
        kind: Kind::PrintJobsRefused,
        ..LineFailure::new(tenant_id, order_id, line_id, &reason)
    };
    fail_line_alone(state, failure).await
}

/// A line item that cannot go on, and what the operator is told.
struct LineFailure<'a> {
    tenant_id: Uuid,
    order_id: Uuid,
    line_id: Uuid,
    /// The status the line must still have; a redelivered event finds it
    /// changed and does nothing, so the operator gets one notice.
    from: LineItemStatus,
    to: LineItemStatus,
    kind: Kind,
    error: &'a str,
    failed_step: Option<&'a str>,
    notice: String,
}

impl<'a> LineFailure<'a> {
    /// A pending line marked unmapped, with `error` as the notice; the
    /// callers override what differs.
    fn new(tenant_id: Uuid, order_id: Uuid, line_id: Uuid, error: &'a str) -> Self {
        Self {
            tenant_id,
            order_id,
            line_id,
            from: LineItemStatus::Pending,
            to: LineItemStatus::Unmapped,
            kind: Kind::UnmappedLineItem,
            error,
            failed_step: None,
            notice: error.to_owned(),
        }
    }

    fn generation_failed(self) -> Self {
        Self {
            to: LineItemStatus::GenerationFailed,
            kind: Kind::GenerationFailed,
            ..self
        }
    }
}

/// Marks the line and records the notice within `conn`'s transaction.
async fn fail_line(
    conn: &mut PgConnection,
    state: &AppState,
    failure: LineFailure<'_>,
) -> Result<(), HandlerError> {
    let changed = sqlx::query(
        "UPDATE line_items SET status = $4, error = $5, failed_step = $6, updated_at = now() \
         WHERE id = $1 AND order_id = $2 AND status = $3",
    )
    .bind(failure.line_id)
    .bind(failure.order_id)
    .bind(failure.from.as_str())
    .bind(failure.to.as_str())
    .bind(failure.error)
    .bind(failure.failed_step)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 1 {
        notifications::record(
            conn,
            Notice {
                tenant_id: failure.tenant_id,
                kind: failure.kind,
                message: failure.notice,
                order_id: Some(failure.order_id),
                line_item_id: Some(failure.line_id),
                default_url: state.config.notification_webhook_url.as_deref(),
            },
        )
        .await?;
    }
    Ok(())
}

/// [`fail_line`] in a transaction of its own.
async fn fail_line_alone(state: &AppState, failure: LineFailure<'_>) -> Result<(), HandlerError> {
    let mut tx = state.pool.begin().await?;
    fail_line(&mut tx, state, failure).await?;
    tx.commit().await?;
    Ok(())
}

async fn upsert_mirror(
    conn: &mut PgConnection,
    print_job_id: Uuid,
    order_id: Uuid,
    line_item_id: Uuid,
    status: PrintJobStatus,
) -> Result<bool, sqlx::Error> {
    let current: Option<String> = sqlx::query_scalar(
        "SELECT status FROM order_print_jobs WHERE print_job_id = $1 FOR UPDATE",
    )
    .bind(print_job_id)
    .fetch_optional(&mut *conn)
    .await?;
    match current {
        None => {
            sqlx::query(
                "INSERT INTO order_print_jobs (print_job_id, order_id, line_item_id, status) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (print_job_id) DO NOTHING",
            )
            .bind(print_job_id)
            .bind(order_id)
            .bind(line_item_id)
            .bind(status.as_str())
            .execute(&mut *conn)
            .await?;
            Ok(true)
        }
        // Events can overtake each other; a mirror never moves back.
        Some(old) if print_job_rank(&old) < print_job_rank(status.as_str()) => {
            sqlx::query("UPDATE order_print_jobs SET status = $2, updated_at = now() WHERE print_job_id = $1")
                .bind(print_job_id)
                .bind(status.as_str())
                .execute(&mut *conn)
                .await?;
            Ok(true)
        }
        Some(_) => Ok(false),
    }
}

/// `print-job.status-changed`: mirror the job, then advance the order.
pub async fn on_print_job_changed(state: AppState, e: Envelope) -> Result<(), HandlerError> {
    let p: PrintJobEvent = e.payload().map_err(HandlerError::reject)?;
    let mut tx = state.pool.begin().await?;
    if !first_delivery(&mut tx, "print-job-status", e.event_id).await? {
        return Ok(());
    }
    let known: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM line_items WHERE id = $1 AND order_id = $2)",
    )
    .bind(p.line_item_id)
    .bind(p.order_id)
    .fetch_one(&mut *tx)
    .await?;
    if !known {
        return Err(HandlerError::reject(format!(
            "print job {} belongs to unknown line item {}",
            p.print_job_id, p.line_item_id
        )));
    }
    let moved = upsert_mirror(
        &mut tx,
        p.print_job_id,
        p.order_id,
        p.line_item_id,
        p.status,
    )
    .await?;
    if moved && p.status == PrintJobStatus::Failed {
        notifications::record(
            &mut tx,
            Notice {
                tenant_id: e.tenant_id,
                kind: Kind::PrintJobFailed,
                message: format!(
                    "print job {} failed: {}",
                    p.print_job_id,
                    p.error.as_deref().unwrap_or("no reason given")
                ),
                order_id: Some(p.order_id),
                line_item_id: Some(p.line_item_id),
                default_url: state.config.notification_webhook_url.as_deref(),
            },
        )
        .await?;
    }
    recompute(&mut tx, e.tenant_id, p.order_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Derives line-item and order state from the mirrored print jobs; the
/// order becomes PRINTED (announcing `order.ready-for-fulfillment`) when
/// every line item that is not cancelled has all its jobs completed.
async fn recompute(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    order_id: Uuid,
) -> Result<(), HandlerError> {
    let order: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT o.status, o.shopify_order_id, t.shop_domain FROM orders o JOIN tenants t ON t.id = o.tenant_id \
         WHERE o.id = $1 FOR UPDATE OF o",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((status, shopify_order_id, shop_domain)) = order else {
        return Err(HandlerError::reject(format!(
            "order {order_id} does not exist"
        )));
    };
    let status = OrderStatus::parse(&status).unwrap_or(OrderStatus::Pending);
    if !matches!(status, OrderStatus::Processing | OrderStatus::Printing) {
        return Ok(());
    }
    sqlx::query(
        "UPDATE line_items l SET status = 'PRINTED', updated_at = now() \
         WHERE l.order_id = $1 AND l.status = 'JOBS_CREATED' AND l.jobs_expected > 0 \
         AND l.jobs_expected <= (SELECT count(*) FROM order_print_jobs j \
                                 WHERE j.line_item_id = l.id AND j.status = 'COMPLETED')",
    )
    .bind(order_id)
    .execute(&mut *conn)
    .await?;
    let (printed, with_jobs, open): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'PRINTED'), \
                count(*) FILTER (WHERE status IN ('JOBS_CREATED', 'PRINTED')), \
                count(*) FILTER (WHERE status NOT IN ('PRINTED', 'CANCELLED')) \
         FROM line_items WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    let next = if printed > 0 && open == 0 {
        OrderStatus::Printed
    } else if with_jobs > 0 {
        OrderStatus::Printing
    } else {
        status
    };
    if next == status || !status.can_become(next) {
        return Ok(());
    }
    set_status(conn, order_id, next).await?;
    if next == OrderStatus::Printed {
        let payload = OrderReadyForFulfillment {
            order_id,
            shopify_order_id,
            shop_domain,
        };
        let draft = EventDraft::new(names::ORDER_READY_FOR_FULFILLMENT, tenant_id, &payload)
            .map_err(HandlerError::reject)?;
        enqueue(conn, crate::SERVICE, draft).await?;
    }
    Ok(())
}

async fn set_status(
    conn: &mut PgConnection,
    order_id: Uuid,
    status: OrderStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET status = $2, updated_at = now() WHERE id = $1")
        .bind(order_id)
        .bind(status.as_str())
        .execute(conn)
        .await?;
    tracing::info!(%order_id, status = status.as_str(), "order status changed");
    Ok(())
}

/// Moves an order along the shipping part of the machine.
async fn advance(
    state: &AppState,
    handler: &str,
    event_id: Uuid,
    order_id: Uuid,
    to: OrderStatus,
) -> Result<(), HandlerError> {
    let mut tx = state.pool.begin().await?;
    if !first_delivery(&mut tx, handler, event_id).await? {
        return Ok(());
    }
    let current: Option<String> =
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1 FOR UPDATE")
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(current) = current.as_deref().and_then(OrderStatus::parse) else {
        return Err(HandlerError::reject(format!(
            "order {order_id} does not exist"
        )));
    };
    if current.can_become(to) {
        set_status(&mut tx, order_id, to).await?;
    } else if current != to {
        tracing::info!(%order_id, from = current.as_str(), to = to.as_str(), "shipment event does not move the order");
    }
    tx.commit().await?;
    Ok(())
}

/// `shipment.created`: the label exists.
pub async fn on_shipment_created(state: AppState, e: Envelope) -> Result<(), HandlerError> {
    let p: ShipmentCreated = e.payload().map_err(HandlerError::reject)?;
    advance(
        &state,
        "shipment-created",
        e.event_id,
        p.order_id,
        OrderStatus::Shipping,
    )
    .await
}

/// `shipment.status-changed`: in transit or delivered.
pub async fn on_shipment_status(state: AppState, e: Envelope) -> Result<(), HandlerError> {
    let p: ShipmentStatusChanged = e.payload().map_err(HandlerError::reject)?;
    let to = match p.status {
        ShipmentStatus::InTransit => OrderStatus::Shipped,
        ShipmentStatus::Delivered => OrderStatus::Delivered,
        ShipmentStatus::LabelCreated => OrderStatus::Shipping,
        ShipmentStatus::Pending | ShipmentStatus::Failed | ShipmentStatus::Cancelled => {
            return Ok(());
        }
    };
    advance(&state, "shipment-status", e.event_id, p.order_id, to).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(quantity: i32) -> Part {
        Part {
            id: Uuid::now_v7(),
            simplyprint_file_id: "f".into(),
            file_name: "p.gcode".into(),
            quantity,
        }
    }

    #[test]
    fn one_job_per_copy_of_every_part() {
        let parts = [part(2), part(1)];
        let jobs = job_specs(&parts, 3);
        assert_eq!(jobs.len(), 9);
        assert_eq!(jobs.iter().filter(|j| j.part_id == parts[0].id).count(), 6);
        let copies: Vec<u32> = jobs
            .iter()
            .filter(|j| j.part_id == parts[1].id)
            .map(|j| j.copy_index)
            .collect();
        assert_eq!(copies, vec![0, 1, 2]);
    }

    #[test]
    fn huge_quantities_are_capped_just_above_the_limit() {
        let jobs = job_specs(&[part(100)], 10_000);
        assert_eq!(jobs.len(), MAX_JOBS_PER_LINE + 1);
    }
}
