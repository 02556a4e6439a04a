//! The pipeline's persisted state: jobs, their plates and the line items
//! waiting on them.
//!
//! Two rules keep "exactly one pipeline, every waiter told exactly once"
//! true across requests, workers and instances:
//!
//! * A request and the worker's final transaction both lock the job row, so
//!   a waiter is either added before the job finishes (and told by the
//!   worker) or after (and told by the request), never in between.
//! * A worker holds a job through a lease (`lease_owner`, `lease_until`)
//!   that it renews while it works; every write of the worker checks the
//!   lease, so a worker that lost its job cannot finish it twice.

use crate::notify;
use chrono::{DateTime, Utc};
use service_common::contracts::PrintSettings;
use sqlx::{FromRow, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// Job states.
pub mod status {
    /// Waiting for a worker (new, or between retries).
    pub const PENDING: &str = "PENDING";
    /// A worker holds it.
    pub const RUNNING: &str = "RUNNING";
    /// The mapping exists; waiters were told.
    pub const DONE: &str = "DONE";
    /// A step failed for good; waiters were told.
    pub const FAILED: &str = "FAILED";
}

/// What a generate-for-order request found (the `status` of its answer).
pub mod outcome {
    /// A new pipeline (or a failed one restarted).
    pub const STARTED: &str = "STARTED";
    /// The line item waits on a running pipeline.
    pub const JOINED: &str = "JOINED";
    /// The pipeline had finished; mapping-ready was written at once.
    pub const MAPPING_EXISTS: &str = "MAPPING_EXISTS";
}

/// A pipeline job row.
#[derive(Debug, Clone, FromRow)]
pub struct Job {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// SKU.
    pub sku: String,
    /// Plan hash (plan + algorithm + slicer profile).
    pub plan_hash: String,
    /// gridflock-core parameters.
    pub params: serde_json::Value,
    /// The tenant's print settings.
    pub print_settings: serde_json::Value,
    /// See [`status`].
    pub status: String,
    /// `plan`, `plates`, `mapping` or `done`.
    pub step: String,
    /// Plates, once planned.
    pub plate_count: Option<i32>,
    /// Transient failures of the current step so far.
    pub attempts: i32,
    /// Earliest time a worker may pick it up.
    pub next_attempt_at: DateTime<Utc>,
    /// The last error.
    pub error: Option<String>,
    /// The step that failed for good.
    pub failed_step: Option<String>,
    /// order-service's mapping id, once created.
    pub mapping_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Finished (done or failed).
    pub finished_at: Option<DateTime<Utc>>,
}

const JOB_COLUMNS: &str = "id, tenant_id, sku, plan_hash, params, print_settings, status, step, \
    plate_count, attempts, next_attempt_at, error, failed_step, mapping_id, created_at, finished_at";

impl Job {
    /// The print settings as the contract type.
    pub fn settings(&self) -> Result<PrintSettings, serde_json::Error> {
        serde_json::from_value(self.print_settings.clone())
    }

    /// The gridflock-core parameters.
    pub fn core_params(&self) -> Result<gridflock_core::Params, serde_json::Error> {
        serde_json::from_value(self.params.clone())
    }
}

/// Plate states.
pub mod plate_status {
    /// Nothing stored yet.
    pub const PENDING: &str = "PENDING";
    /// STL stored.
    pub const GENERATED: &str = "GENERATED";
    /// Gcode stored.
    pub const SLICED: &str = "SLICED";
    /// Gcode in SimplyPrint.
    pub const UPLOADED: &str = "UPLOADED";
}

/// A plate row.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plate {
    /// 0-based index (plate number − 1).
    pub plate_index: i32,
    /// See [`plate_status`].
    pub status: String,
    /// BLAKE3 of the STL.
    pub stl_hash: Option<String>,
    /// BLAKE3 of the gcode.
    pub gcode_hash: Option<String>,
    /// SimplyPrint's file id.
    pub simplyprint_file_id: Option<String>,
    /// The uploaded file's name.
    pub file_name: Option<String>,
    /// Duration of the STL build, ms.
    pub generate_ms: Option<i32>,
    /// Duration of the slice, ms.
    pub slice_ms: Option<i32>,
    /// Duration of the upload, ms.
    pub upload_ms: Option<i32>,
}

/// A new job as a request describes it.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Tenant.
    pub tenant_id: Uuid,
    /// SKU.
    pub sku: String,
    /// Plan hash.
    pub plan_hash: String,
    /// gridflock-core parameters.
    pub params: serde_json::Value,
    /// Print settings.
    pub print_settings: serde_json::Value,
}

/// A waiting line item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct Waiter {
    /// The order.
    pub order_id: Uuid,
    /// The line item.
    pub line_item_id: Uuid,
}

/// Starts, joins or answers from the finished pipeline for `job`, with
/// `waiter` waiting on it. Returns the job id and the [`outcome`].
pub async fn submit(
    pool: &PgPool,
    job: &NewJob,
    waiter: Waiter,
) -> Result<(Uuid, &'static str), sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Concurrent inserts of the same key wait for each other here; the
    // losers then see the winner's committed row below.
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO pipeline_jobs (id, tenant_id, sku, plan_hash, params, print_settings) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (tenant_id, sku, plan_hash) DO NOTHING RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(job.tenant_id)
    .bind(&job.sku)
    .bind(&job.plan_hash)
    .bind(&job.params)
    .bind(&job.print_settings)
    .fetch_optional(&mut *tx)
    .await?;
    let current: Job = sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM pipeline_jobs \
         WHERE tenant_id = $1 AND sku = $2 AND plan_hash = $3 FOR UPDATE"
    ))
    .bind(job.tenant_id)
    .bind(&job.sku)
    .bind(&job.plan_hash)
    .fetch_one(&mut *tx)
    .await?;
    let new_waiter = sqlx::query(
        "INSERT INTO pipeline_waiters (job_id, line_item_id, order_id) VALUES ($1, $2, $3) \
         ON CONFLICT (job_id, line_item_id) DO NOTHING",
    )
    .bind(current.id)
    .bind(waiter.line_item_id)
    .bind(waiter.order_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;

    let outcome = if inserted.is_some() {
        outcome::STARTED
    } else if current.status == status::DONE {
        // A repeated request of a line item already told stays silent.
        if new_waiter && let Some(mapping_id) = current.mapping_id {
            notify::mapping_ready(&mut tx, &current, mapping_id, &[waiter]).await?;
            mark_notified(&mut tx, current.id, Some(waiter.line_item_id)).await?;
        }
        outcome::MAPPING_EXISTS
    } else if current.status == status::FAILED {
        // A new request is a new chance: run the failed pipeline again from
        // where it stopped (finished steps are skipped), and tell this line
        // item again even if it heard of the failure before.
        sqlx::query(
            "UPDATE pipeline_jobs SET status = 'PENDING', attempts = 0, error = NULL, \
             failed_step = NULL, finished_at = NULL, next_attempt_at = now(), updated_at = now() \
             WHERE id = $1",
        )
        .bind(current.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE pipeline_waiters SET notified = false, notified_at = NULL \
             WHERE job_id = $1 AND line_item_id = $2",
        )
        .bind(current.id)
        .bind(waiter.line_item_id)
        .execute(&mut *tx)
        .await?;
        outcome::STARTED
    } else {
        outcome::JOINED
    };
    tx.commit().await?;
    Ok((current.id, outcome))
}

async fn mark_notified(
    conn: &mut sqlx::PgConnection,
    job_id: Uuid,
    line_item: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE pipeline_waiters SET notified = true, notified_at = now() \
         WHERE job_id = $1 AND NOT notified AND ($2::uuid IS NULL OR line_item_id = $2)",
    )
    .bind(job_id)
    .bind(line_item)
    .execute(conn)
    .await?;
    Ok(())
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Takes the next due job for `owner` for `lease`, if any.
pub async fn claim(
    pool: &PgPool,
    owner: &str,
    lease: Duration,
) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE pipeline_jobs SET status = 'RUNNING', lease_owner = $1, \
         lease_until = now() + make_interval(secs => $2), updated_at = now() \
         WHERE id = (SELECT id FROM pipeline_jobs \
                     WHERE status IN ('PENDING', 'RUNNING') AND next_attempt_at <= now() \
                       AND (lease_until IS NULL OR lease_until < now()) \
                     ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING {JOB_COLUMNS}"
    ))
    .bind(owner)
    .bind(seconds(lease))
    .fetch_optional(pool)
    .await
}

/// At start-up: leases this instance held before a crash are free again
/// at once, instead of after they expire.
pub async fn release_own(pool: &PgPool, owner: &str) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE pipeline_jobs SET lease_until = NULL, updated_at = now() \
         WHERE lease_owner = $1 AND status IN ('PENDING', 'RUNNING') AND lease_until IS NOT NULL",
    )
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

/// Extends the lease; `false` when it was lost.
pub async fn renew(
    pool: &PgPool,
    id: Uuid,
    owner: &str,
    lease: Duration,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE pipeline_jobs SET lease_until = now() + make_interval(secs => $3) \
         WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
    )
    .bind(id)
    .bind(owner)
    .bind(seconds(lease))
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records the plan: the plate rows exist and the plates step begins.
pub async fn planned(pool: &PgPool, id: Uuid, plate_count: usize) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let indices: Vec<i32> = (0..plate_count as i32).collect();
    sqlx::query(
        "INSERT INTO pipeline_plates (job_id, plate_index) SELECT $1, i FROM unnest($2::int[]) AS i \
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(&indices)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE pipeline_jobs SET step = 'plates', plate_count = $2, attempts = 0, updated_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(plate_count as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The job's plates in order.
pub async fn plates(pool: &PgPool, id: Uuid) -> Result<Vec<Plate>, sqlx::Error> {
    sqlx::query_as(
        "SELECT plate_index, status, stl_hash, gcode_hash, simplyprint_file_id, file_name, \
         generate_ms, slice_ms, upload_ms FROM pipeline_plates WHERE job_id = $1 ORDER BY plate_index",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// What a finished plate step stores.
#[derive(Debug, Clone)]
pub enum PlateProgress {
    /// The STL is stored under this hash.
    Generated(String),
    /// The gcode is stored under this hash.
    Sliced(String),
    /// The gcode is in SimplyPrint.
    Uploaded {
        /// SimplyPrint's file id.
        file_id: String,
        /// Its name.
        file_name: String,
    },
}

/// Records a plate step that took `elapsed`; progress also resets the
/// job's failure count.
pub async fn plate_progress(
    pool: &PgPool,
    id: Uuid,
    index: usize,
    progress: &PlateProgress,
    elapsed: Duration,
) -> Result<(), sqlx::Error> {
    let ms = i32::try_from(elapsed.as_millis()).unwrap_or(i32::MAX);
    let (sql, first, second) = match progress {
        PlateProgress::Generated(hash) => (
            "UPDATE pipeline_plates SET status = 'GENERATED', stl_hash = $3, gcode_hash = NULL, \
             generate_ms = $4, updated_at = now() WHERE job_id = $1 AND plate_index = $2",
            hash,
            None,
        ),
        PlateProgress::Sliced(hash) => (
            "UPDATE pipeline_plates SET status = 'SLICED', gcode_hash = $3, slice_ms = $4, \
             updated_at = now() WHERE job_id = $1 AND plate_index = $2",
            hash,
            None,
        ),
        PlateProgress::Uploaded { file_id, file_name } => (
            "UPDATE pipeline_plates SET status = 'UPLOADED', simplyprint_file_id = $3, \
             upload_ms = $4, file_name = $5, updated_at = now() \
             WHERE job_id = $1 AND plate_index = $2",
            file_id,
            Some(file_name),
        ),
    };
    let mut tx = pool.begin().await?;
    let mut query = sqlx::query(sql)
        .bind(id)
        .bind(index as i32)
        .bind(first)
        .bind(ms);
    if let Some(name) = second {
        query = query.bind(name);
    }
    query.execute(&mut *tx).await?;
    sqlx::query(
        "UPDATE pipeline_jobs SET attempts = 0, error = NULL, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Moves the job to `step`.
pub async fn set_step(pool: &PgPool, id: Uuid, step: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE pipeline_jobs SET step = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(step)
        .execute(pool)
        .await?;
    Ok(())
}

/// A transient failure: the job waits `delay`, then any worker may take it.
pub async fn retry_later(
    pool: &PgPool,
    id: Uuid,
    owner: &str,
    attempts: i32,
    delay: Duration,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE pipeline_jobs SET status = 'PENDING', attempts = $3, error = $4, \
         next_attempt_at = now() + make_interval(secs => $5), lease_owner = NULL, lease_until = NULL, \
         updated_at = now() WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .bind(attempts)
    .bind(error)
    .bind(seconds(delay))
    .execute(pool)
    .await?;
    Ok(())
}

/// Lets go of a job without counting a failure (shutdown mid-step).
pub async fn release(pool: &PgPool, id: Uuid, owner: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE pipeline_jobs SET status = 'PENDING', lease_owner = NULL, lease_until = NULL, \
         updated_at = now() WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
    )
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(())
}

/// The mapping exists: the job is done and every waiter gets mapping-ready,
/// in one transaction. `false` when the lease was lost meanwhile.
pub async fn complete(
    pool: &PgPool,
    id: Uuid,
    owner: &str,
    mapping_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let job: Option<Job> = sqlx::query_as(&format!(
        "UPDATE pipeline_jobs SET status = 'DONE', step = 'done', mapping_id = $3, error = NULL, \
         lease_owner = NULL, lease_until = NULL, finished_at = now(), updated_at = now() \
         WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING' RETURNING {JOB_COLUMNS}"
    ))
    .bind(id)
    .bind(owner)
    .bind(mapping_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(job) = job else {
        return Ok(false);
    };
    let waiters = pending_waiters(&mut tx, id).await?;
    notify::mapping_ready(&mut tx, &job, mapping_id, &waiters).await?;
    mark_notified(&mut tx, id, None).await?;
    tx.commit().await?;
    Ok(true)
}

/// A step failed for good: the job fails and every waiter gets
/// pipeline-failed, in one transaction.
pub async fn fail(
    pool: &PgPool,
    id: Uuid,
    owner: &str,
    step: &str,
    message: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let job: Option<Job> = sqlx::query_as(&format!(
        "UPDATE pipeline_jobs SET status = 'FAILED', failed_step = $3, error = $4, \
         lease_owner = NULL, lease_until = NULL, finished_at = now(), updated_at = now() \
         WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING' RETURNING {JOB_COLUMNS}"
    ))
    .bind(id)
    .bind(owner)
    .bind(step)
    .bind(message)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(job) = job else {
        return Ok(false);
    };
    let waiters = pending_waiters(&mut tx, id).await?;
    notify::pipeline_failed(&mut tx, &job, step, message, &waiters).await?;
    mark_notified(&mut tx, id, None).await?;
    tx.commit().await?;
    Ok(true)
}

async fn pending_waiters(
    conn: &mut sqlx::PgConnection,
    job_id: Uuid,
) -> Result<Vec<Waiter>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, line_item_id FROM pipeline_waiters \
         WHERE job_id = $1 AND NOT notified ORDER BY created_at, line_item_id",
    )
    .bind(job_id)
    .fetch_all(conn)
    .await
}

/// One job by id.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {JOB_COLUMNS} FROM pipeline_jobs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}
