//! Print jobs in PostgreSQL. Every state change goes through [`apply`], which
//! checks it against the state machine and writes the history row, the
//! events and any queue removal in the caller's transaction.

use super::state::{self, Cause, Decision, TransitionError};
use crate::config::SERVICE;
use chrono::{DateTime, Utc};
use service_common::contracts::{CreatePrintJobs, PrintJob, PrintJobEvent, PrintJobStatus};
use service_common::events::{EventDraft, names, outbox};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Published for every job created (PENDING), so that followers of an order
/// see its jobs appear. Not yet in `service_common::events::names`.
use service_common::events::names::PRINT_JOB_CREATED;

/// The columns of [`JobRow`], in a form usable with `USING` joins.
pub(crate) const COLUMNS: &str = "id, tenant_id, order_id, line_item_id, part_id, copy_index, \
     status, simplyprint_file_id, file_name, simplyprint_queue_item_id, simplyprint_job_id, \
     error, created_at, updated_at";

/// A `print_jobs` row as the API reports it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct JobRow {
    pub(crate) id: Uuid,
    pub(crate) tenant_id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) line_item_id: Uuid,
    pub(crate) part_id: Uuid,
    pub(crate) copy_index: i32,
    pub(crate) status: String,
    pub(crate) simplyprint_file_id: String,
    pub(crate) file_name: String,
    pub(crate) simplyprint_queue_item_id: Option<i64>,
    pub(crate) simplyprint_job_id: Option<i64>,
    pub(crate) error: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl JobRow {
    /// The stored state.
    pub(crate) fn status(&self) -> Result<PrintJobStatus, sqlx::Error> {
        PrintJobStatus::parse(&self.status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown print job status {:?}", self.status).into())
        })
    }

    /// The API shape.
    pub(crate) fn into_contract(self) -> Result<PrintJob, sqlx::Error> {
        let status = self.status()?;
        Ok(PrintJob {
            id: self.id,
            tenant_id: self.tenant_id,
            order_id: self.order_id,
            line_item_id: self.line_item_id,
            part_id: self.part_id,
            copy_index: u32::try_from(self.copy_index).unwrap_or_default(),
            status,
            simplyprint_file_id: self.simplyprint_file_id,
            file_name: self.file_name,
            simplyprint_queue_item_id: self.simplyprint_queue_item_id,
            simplyprint_job_id: self.simplyprint_job_id,
            error: self.error,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn contracts(rows: Vec<JobRow>) -> Result<Vec<PrintJob>, sqlx::Error> {
    rows.into_iter().map(JobRow::into_contract).collect()
}

/// Why jobs could not be created.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CreateError {
    /// Jobs of this line item exist under another tenant or order.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates the jobs that do not exist yet (PENDING, with a
/// `print-job.created` event each) and returns all requested jobs in (part,
/// copy) order, plus how many were new. Concurrent identical requests meet at
/// the unique key: the later one waits for the earlier commit and then finds
/// its rows.
pub(crate) async fn create(
    pool: &PgPool,
    req: &CreatePrintJobs,
) -> Result<(Vec<PrintJob>, usize), CreateError> {
    let ids: Vec<Uuid> = req.jobs.iter().map(|_| Uuid::now_v7()).collect();
    let parts: Vec<Uuid> = req.jobs.iter().map(|j| j.part_id).collect();
    let copies: Vec<i32> = req
        .jobs
        .iter()
        .map(|j| i32::try_from(j.copy_index).unwrap_or(i32::MAX))
        .collect();
    let files: Vec<&str> = req
        .jobs
        .iter()
        .map(|j| j.simplyprint_file_id.as_str())
        .collect();
    let names: Vec<&str> = req.jobs.iter().map(|j| j.file_name.trim()).collect();

    let mut tx = pool.begin().await?;
    let created: Vec<JobRow> = sqlx::query_as(&format!(
        "INSERT INTO print_jobs (id, tenant_id, order_id, line_item_id, part_id, copy_index, \
             status, simplyprint_file_id, file_name) \
         SELECT k.id, $1, $2, $3, k.part_id, k.copy_index, 'PENDING', k.file_id, k.file_name \
         FROM UNNEST($4::uuid[], $5::uuid[], $6::int4[], $7::text[], $8::text[]) \
             AS k(id, part_id, copy_index, file_id, file_name) \
         ON CONFLICT (line_item_id, part_id, copy_index) DO NOTHING \
         RETURNING {COLUMNS}"
    ))
    .bind(req.tenant_id)
    .bind(req.order_id)
    .bind(req.line_item_id)
    .bind(&ids)
    .bind(&parts)
    .bind(&copies)
    .bind(&files)
    .bind(&names)
    .fetch_all(&mut *tx)
    .await?;

    let all: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM print_jobs \
         JOIN UNNEST($2::uuid[], $3::int4[]) AS k(part_id, copy_index) USING (part_id, copy_index) \
         WHERE line_item_id = $1 ORDER BY part_id, copy_index"
    ))
    .bind(req.line_item_id)
    .bind(&parts)
    .bind(&copies)
    .fetch_all(&mut *tx)
    .await?;
    if let Some(other) = all
        .iter()
        .find(|r| r.tenant_id != req.tenant_id || r.order_id != req.order_id)
    {
        return Err(CreateError::Conflict(format!(
            "line item {} already has print jobs under order {} of tenant {}",
            req.line_item_id, other.order_id, other.tenant_id
        )));
    }
    for row in &created {
        let pending = PrintJobStatus::Pending;
        publish(&mut tx, PRINT_JOB_CREATED, row, pending, pending, None).await?;
    }
    if !created.is_empty() {
        wake_workers(&mut tx).await?;
    }
    tx.commit().await?;
    Ok((contracts(all)?, created.len()))
}

/// One job.
pub(crate) async fn get(pool: &PgPool, id: Uuid) -> Result<Option<PrintJob>, sqlx::Error> {
    let row: Option<JobRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM print_jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(JobRow::into_contract).transpose()
}

/// An order's jobs, by line item, part and copy.
pub(crate) async fn list_by_order(
    pool: &PgPool,
    order_id: Uuid,
) -> Result<Vec<PrintJob>, sqlx::Error> {
    let rows: Vec<JobRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM print_jobs WHERE order_id = $1 \
         ORDER BY line_item_id, part_id, copy_index"
    ))
    .bind(order_id)
    .fetch_all(pool)
    .await?;
    contracts(rows)
}

/// Locks one job for a state change.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM print_jobs WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A requested state change.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// The new state.
    pub(crate) to: PrintJobStatus,
    /// Who asks.
    pub(crate) cause: Cause,
    /// Why (operator reason, order cancellation reason), for the history.
    pub(crate) reason: Option<String>,
    /// The failure, when the new state is FAILED.
    pub(crate) error: Option<String>,
    /// The queue item created for the job (to QUEUED).
    pub(crate) queue_item_id: Option<i64>,
    /// The SimplyPrint job printing it.
    pub(crate) simplyprint_job_id: Option<i64>,
}

impl Change {
    /// A change to `to` for `cause` with nothing else attached.
    pub(crate) fn to(to: PrintJobStatus, cause: Cause) -> Self {
        Self {
            to,
            cause,
            reason: None,
            error: None,
            queue_item_id: None,
            simplyprint_job_id: None,
        }
    }
}

/// What [`apply`] did.
#[derive(Debug)]
pub(crate) enum Applied {
    /// The state changed (the row as it is now).
    Changed(JobRow),
    /// The job was already in that state.
    Unchanged(JobRow),
}

impl Applied {
    /// The row after the call.
    pub(crate) fn row(self) -> JobRow {
        match self {
            Self::Changed(r) | Self::Unchanged(r) => r,
        }
    }
}

/// Why [`apply`] did not change the state.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    /// The state machine refused.
    #[error(transparent)]
    Refused(#[from] TransitionError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Applies `change` to `row`, which the caller locked in the transaction
/// `conn` belongs to: state, history, `print-job.status-changed` plus the
/// outcome event, and a queue removal when a queued job is abandoned.
pub(crate) async fn apply(
    conn: &mut PgConnection,
    row: JobRow,
    change: Change,
) -> Result<Applied, ApplyError> {
    let from = row.status()?;
    let to = change.to;
    if state::check(from, to, change.cause)? == Decision::Unchanged {
        if change.simplyprint_job_id.is_some() && row.simplyprint_job_id.is_none() {
            return Ok(Applied::Unchanged(
                set_simplyprint_job(conn, row.id, change.simplyprint_job_id).await?,
            ));
        }
        return Ok(Applied::Unchanged(row));
    }
    // Back to PENDING (operator): queued afresh, as if new.
    let requeue = to == PrintJobStatus::Pending;
    let error = match to {
        PrintJobStatus::Failed => change
            .error
            .clone()
            .or_else(|| change.reason.clone())
            .or_else(|| row.error.clone()),
        PrintJobStatus::Pending => None,
        _ => row.error.clone(),
    };
    let queue_item = if requeue {
        None
    } else {
        change.queue_item_id.or(row.simplyprint_queue_item_id)
    };
    let job_id = if requeue {
        None
    } else {
        change.simplyprint_job_id.or(row.simplyprint_job_id)
    };
    let updated: JobRow = sqlx::query_as(&format!(
        "UPDATE print_jobs SET status = $2, error = $3, simplyprint_queue_item_id = $4, \
             simplyprint_job_id = $5, \
             queue_started_at = CASE WHEN $6 OR $2 = 'QUEUED' THEN NULL ELSE queue_started_at END, \
             queue_attempts = CASE WHEN $6 THEN 0 ELSE queue_attempts END, \
             next_attempt_at = CASE WHEN $6 THEN now() ELSE next_attempt_at END, \
             last_error = CASE WHEN $6 THEN NULL ELSE last_error END, \
             updated_at = now() \
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(row.id)
    .bind(to.as_str())
    .bind(&error)
    .bind(queue_item)
    .bind(job_id)
    .bind(requeue)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO print_job_transitions (print_job_id, from_status, to_status, cause, reason) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(change.cause.as_str())
    .bind(change.reason.as_deref().or(change.error.as_deref()))
    .execute(&mut *conn)
    .await?;
    if requeue {
        wake_workers(conn).await?;
    }
    if state::withdraws_queue_item(from, to, change.cause)
        && let Some(item) = row.simplyprint_queue_item_id
    {
        schedule_queue_removal(conn, item, Some(row.id)).await?;
    }
    let event_error = if to == PrintJobStatus::Failed {
        error.clone()
    } else {
        None
    };
    publish(
        conn,
        names::PRINT_JOB_STATUS_CHANGED,
        &updated,
        from,
        to,
        event_error.clone(),
    )
    .await?;
    if let Some(name) = state::outcome_event(to) {
        publish(conn, name, &updated, from, to, event_error).await?;
    }
    tracing::info!(
        print_job_id = %row.id,
        from = from.as_str(),
        to = to.as_str(),
        cause = %change.cause,
        "print job changed state"
    );
    Ok(Applied::Changed(updated))
}

async fn set_simplyprint_job(
    conn: &mut PgConnection,
    id: Uuid,
    job_id: Option<i64>,
) -> Result<JobRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE print_jobs SET simplyprint_job_id = $2, updated_at = now() \
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(job_id)
    .fetch_one(conn)
    .await
}

/// Records that `queue_item_id` must leave the SimplyPrint queue; the queue
/// worker removes it.
pub(crate) async fn schedule_queue_removal(
    conn: &mut PgConnection,
    queue_item_id: i64,
    print_job_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO queue_deletions (queue_item_id, print_job_id) VALUES ($1, $2) \
         ON CONFLICT (queue_item_id) DO NOTHING",
    )
    .bind(queue_item_id)
    .bind(print_job_id)
    .execute(&mut *conn)
    .await?;
    wake_workers(conn).await
}

/// The channel the queue workers listen on (NOTIFY is per database, and the
/// schema is always `print`).
pub(crate) const WORK_CHANNEL: &str = "print_work";

/// Wakes the queue worker of every instance once the transaction commits,
/// instead of at its next poll.
pub(crate) async fn wake_workers(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(WORK_CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

async fn publish(
    conn: &mut PgConnection,
    event_type: &'static str,
    row: &JobRow,
    previous: PrintJobStatus,
    status: PrintJobStatus,
    error: Option<String>,
) -> Result<(), sqlx::Error> {
    let payload = PrintJobEvent {
        print_job_id: row.id,
        order_id: row.order_id,
        line_item_id: row.line_item_id,
        previous_status: previous,
        status,
        error,
    };
    let draft = EventDraft::new(event_type, row.tenant_id, &payload)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    outbox::enqueue(conn, SERVICE, draft).await?;
    Ok(())
}
