//! Applies stored SimplyPrint webhooks to print jobs.
//!
//! A webhook's job is found by the SimplyPrint job id stored on a print job
//! (from an earlier event), else through SimplyPrint's job list, whose
//! `queueItem.id` is the queue item we created. A job that cannot be mapped
//! yet (SimplyPrint started it before our QUEUED commit, the job list lags,
//! SimplyPrint is down) stays in the inbox and is retried with back-off;
//! after the configured attempts it is kept, marked unmapped, for operators.

use crate::config::WorkerConfig;
use crate::jobs::repo::{self, Applied, ApplyError, COLUMNS, Change, JobRow};
use crate::jobs::state::Cause;
use crate::simplyprint::SimplyPrint;
use crate::webhooks;
use service_common::contracts::PrintJobStatus;
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The worker's dependencies.
#[derive(Clone)]
pub(crate) struct InboxWorker {
    pub(crate) pool: PgPool,
    pub(crate) simplyprint: SimplyPrint,
    pub(crate) config: WorkerConfig,
    pub(crate) wake: Arc<Notify>,
}

#[derive(Debug, sqlx::FromRow)]
struct Entry {
    id: i64,
    event: String,
    simplyprint_job_id: Option<i64>,
    attempts: i32,
}

/// What became of one entry.
enum Outcome {
    /// Finished (applied or deliberately ignored), with a note.
    Done(String),
    /// Not mappable yet.
    Later(String),
}

impl InboxWorker {
    /// Runs until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        loop {
            loop {
                if shutdown.is_cancelled() {
                    return;
                }
                match self.process_next().await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook inbox round failed");
                        break;
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }

    /// Handles the oldest due entry; `false` when none is due.
    pub(crate) async fn process_next(&self) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let entry: Option<Entry> = sqlx::query_as(
            "SELECT id, event, simplyprint_job_id, attempts FROM webhook_inbox \
             WHERE processed_at IS NULL AND next_attempt_at <= now() \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(entry) = entry else {
            return Ok(false);
        };
        let attempts = u32::try_from(entry.attempts)
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        match self.handle(&mut tx, &entry).await? {
            Outcome::Done(note) => {
                tracing::info!(inbox_id = entry.id, event = %entry.event, job_id = ?entry.simplyprint_job_id, outcome = %note, "webhook applied");
                sqlx::query(
                    "UPDATE webhook_inbox SET attempts = $2, processed_at = now(), outcome = $3 \
                     WHERE id = $1",
                )
                .bind(entry.id)
                .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
                .bind(note)
                .execute(&mut *tx)
                .await?;
            }
            Outcome::Later(reason) if attempts >= self.config.webhook_max_attempts => {
                tracing::error!(inbox_id = entry.id, event = %entry.event, job_id = ?entry.simplyprint_job_id, %reason, "webhook could not be mapped to a print job; kept as unmapped");
                sqlx::query(
                    "UPDATE webhook_inbox SET attempts = $2, processed_at = now(), \
                         outcome = 'unmapped', last_error = $3 WHERE id = $1",
                )
                .bind(entry.id)
                .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            }
            Outcome::Later(reason) => {
                let delay = self.config.backoff.delay_jittered(attempts);
                tracing::info!(inbox_id = entry.id, event = %entry.event, job_id = ?entry.simplyprint_job_id, %reason, retry_in_ms = delay.as_millis() as u64, "webhook not mappable yet");
                sqlx::query(
                    "UPDATE webhook_inbox SET attempts = $2, last_error = $3, \
                         next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1",
                )
                .bind(entry.id)
                .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
                .bind(reason)
                .bind(delay.as_secs_f64())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn handle(&self, conn: &mut PgConnection, entry: &Entry) -> Result<Outcome, sqlx::Error> {
        let Some(target) = webhooks::target(&entry.event) else {
            return Ok(Outcome::Done("ignored: not a job event".to_owned()));
        };
        let Some(job_id) = entry.simplyprint_job_id else {
            return Ok(Outcome::Done(
                "ignored: the delivery names no job id".to_owned(),
            ));
        };
        let row = match self.find_job(conn, job_id).await? {
            Ok(row) => row,
            Err(reason) => return Ok(Outcome::Later(reason)),
        };
        let change = Change {
            simplyprint_job_id: Some(job_id),
            error: (target == PrintJobStatus::Failed)
                .then(|| format!("SimplyPrint reported print job {job_id} as failed")),
            reason: Some(format!("SimplyPrint {}", entry.event)),
            ..Change::to(target, Cause::SimplyPrint)
        };
        let print_job = row.id;
        Ok(Outcome::Done(match repo::apply(conn, row, change).await {
            Ok(Applied::Changed(r)) => format!("print job {print_job} is now {}", r.status),
            Ok(Applied::Unchanged(r)) => format!("print job {print_job} already {}", r.status),
            Err(ApplyError::Refused(e)) => format!("ignored for print job {print_job}: {e}"),
            Err(ApplyError::Db(e)) => return Err(e),
        }))
    }

    /// The print job of SimplyPrint job `job_id`, locked; `Err` with the
    /// reason when it cannot be found (yet).
    async fn find_job(
        &self,
        conn: &mut PgConnection,
        job_id: i64,
    ) -> Result<Result<JobRow, String>, sqlx::Error> {
        let known: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM print_jobs WHERE simplyprint_job_id = $1 \
             ORDER BY updated_at DESC LIMIT 1 FOR UPDATE"
        ))
        .bind(job_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = known {
            return Ok(Ok(row));
        }
        let queue_item = match self.simplyprint.queue_item_of_job(job_id).await {
            Ok(Some(item)) => item,
            Ok(None) => {
                return Ok(Err(format!(
                    "SimplyPrint does not list job {job_id} with a queue item"
                )));
            }
            Err(e) => return Ok(Err(e.to_string())),
        };
        let by_item: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM print_jobs WHERE simplyprint_queue_item_id = $1 FOR UPDATE"
        ))
        .bind(queue_item)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(by_item.ok_or_else(|| {
            format!("queue item {queue_item} of SimplyPrint job {job_id} belongs to no print job")
        }))
    }
}
