//! Puts PENDING jobs into the SimplyPrint queue and takes abandoned queue
//! items out of it, durably: all bookkeeping (attempts, next attempt, last
//! error) is in PostgreSQL, so a crash or restart loses nothing, and work is
//! claimed with `FOR UPDATE SKIP LOCKED` so that instances share it.
//!
//! A job is claimed by committing a lease (`next_attempt_at` in the future)
//! and `queue_started_at` before AddItem is called; the answer is recorded in
//! a second transaction. If the process dies in between, or the answer is
//! lost, `queue_started_at` stays set and the next attempt first looks in the
//! SimplyPrint queue for an item of the job's file that no job owns, and
//! adopts it instead of adding a second one.

use crate::config::WorkerConfig;
use crate::jobs::repo::{self, ApplyError, Change, WORK_CHANNEL};
use crate::jobs::state::Cause;
use crate::simplyprint::{QueueItem, SimplyPrint, SimplyPrintError};
use futures::StreamExt;
use service_common::contracts::PrintJobStatus;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Jobs claimed per round.
const BATCH: i64 = 16;
/// AddItem calls in flight per instance.
const CONCURRENCY: usize = 4;

/// The worker's dependencies.
#[derive(Clone)]
pub(crate) struct QueueWorker {
    pub(crate) pool: PgPool,
    pub(crate) simplyprint: SimplyPrint,
    pub(crate) config: WorkerConfig,
}

/// A job claimed for queueing.
#[derive(Debug, sqlx::FromRow)]
struct Claimed {
    id: Uuid,
    simplyprint_file_id: String,
    file_name: String,
    queue_attempts: i32,
    /// An earlier AddItem may have created an item we did not record.
    uncertain: bool,
}

/// A queue removal claimed for an attempt.
#[derive(Debug, sqlx::FromRow)]
struct Removal {
    queue_item_id: i64,
    attempts: i32,
}

impl QueueWorker {
    /// Runs until `shutdown`: a round whenever a transaction announces work,
    /// and at least every poll interval (retries come due, other instances).
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut l) => match l.listen(WORK_CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "queue worker cannot LISTEN; polling only");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "queue worker cannot LISTEN; polling only");
                None
            }
        };
        loop {
            let mut busy = false;
            match self.queue_due(&shutdown).await {
                Ok(n) => busy |= n > 0,
                Err(e) => tracing::warn!(error = %e, "queueing round failed"),
            }
            match self.remove_due().await {
                Ok(n) => busy |= n > 0,
                Err(e) => tracing::warn!(error = %e, "queue removal round failed"),
            }
            if shutdown.is_cancelled() {
                return;
            }
            if busy {
                continue;
            }
            let poll = self.config.poll;
            let wait = async {
                match listener.as_mut() {
                    Some(l) => {
                        if let Ok(Err(_)) = tokio::time::timeout(poll, l.recv()).await {
                            // The listener reconnects on its own; don't spin meanwhile.
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

    /// One round of queueing; returns how many jobs were attempted.
    pub(crate) async fn queue_due(
        &self,
        shutdown: &CancellationToken,
    ) -> Result<usize, sqlx::Error> {
        if shutdown.is_cancelled() {
            return Ok(0);
        }
        let claimed: Vec<Claimed> = sqlx::query_as(
            "WITH due AS ( \
                 SELECT id, queue_started_at IS NOT NULL AS uncertain FROM print_jobs \
                 WHERE status = 'PENDING' AND next_attempt_at <= now() \
                 ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             UPDATE print_jobs j SET queue_attempts = j.queue_attempts + 1, \
                 next_attempt_at = now() + make_interval(secs => $2), queue_started_at = now() \
             FROM due WHERE j.id = due.id \
             RETURNING j.id, j.simplyprint_file_id, j.file_name, j.queue_attempts, due.uncertain",
        )
        .bind(BATCH)
        .bind(self.config.lease.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        let n = claimed.len();
        futures::stream::iter(claimed)
            .for_each_concurrent(CONCURRENCY, |job| async move {
                let id = job.id;
                if let Err(e) = self.queue_one(job).await {
                    // The lease runs out and the job is tried again.
                    tracing::warn!(print_job_id = %id, error = %e, "recording a queueing attempt failed");
                }
            })
            .await;
        Ok(n)
    }

    async fn queue_one(&self, job: Claimed) -> Result<(), sqlx::Error> {
        // Half the lease: the answer is recorded before another worker may
        // claim the job again.
        let limit = self.config.lease / 2;
        let result = match tokio::time::timeout(limit, self.add(&job)).await {
            Ok(r) => r,
            Err(_) => Err(SimplyPrintError::Transport {
                endpoint: "queue/AddItem",
                reason: format!("no answer within {} ms", limit.as_millis()),
                sent: true,
            }),
        };
        self.record(&job, result).await
    }

    /// Adopts the item an unrecorded earlier attempt created, or adds one.
    async fn add(&self, job: &Claimed) -> Result<i64, SimplyPrintError> {
        if job.uncertain {
            let items = self.simplyprint.queue_items().await?;
            match self.unowned_item(job, &items).await {
                Ok(Some(item)) => {
                    tracing::info!(print_job_id = %job.id, queue_item_id = item, "adopting the queue item of an unrecorded attempt");
                    return Ok(item);
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(SimplyPrintError::Transport {
                        endpoint: "queue/GetItems",
                        reason: format!("checking ownership: {e}"),
                        sent: false,
                    });
                }
            }
        }
        self.simplyprint
            .add_to_queue(&job.simplyprint_file_id)
            .await
    }

    /// The oldest queue item of the job's file that no job owns and that is
    /// not being removed.
    async fn unowned_item(
        &self,
        job: &Claimed,
        items: &[QueueItem],
    ) -> Result<Option<i64>, sqlx::Error> {
        let candidates: Vec<i64> = items
            .iter()
            .filter(|item| same_file(item, &job.simplyprint_file_id, &job.file_name))
            .map(|item| item.id)
            .collect();
        if candidates.is_empty() {
            return Ok(None);
        }
        sqlx::query_scalar(
            "SELECT x FROM UNNEST($1::int8[]) AS x \
             WHERE NOT EXISTS (SELECT 1 FROM print_jobs WHERE simplyprint_queue_item_id = x) \
               AND NOT EXISTS (SELECT 1 FROM queue_deletions WHERE queue_item_id = x) \
             ORDER BY x LIMIT 1",
        )
        .bind(&candidates)
        .fetch_optional(&self.pool)
        .await
    }

    async fn record(
        &self,
        job: &Claimed,
        result: Result<i64, SimplyPrintError>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = repo::lock(&mut tx, job.id).await? else {
            return Ok(());
        };
        let still_pending = row.status()? == PrintJobStatus::Pending;
        match result {
            Ok(item) if still_pending => {
                let change = Change {
                    queue_item_id: Some(item),
                    ..Change::to(PrintJobStatus::Queued, Cause::Queueing)
                };
                match repo::apply(&mut tx, row, change).await {
                    Ok(_) => tx.commit().await?,
                    Err(ApplyError::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                        // Another job adopted this item meanwhile (see unowned_item);
                        // it is that job's now, and this one needs its own.
                        drop(tx);
                        tracing::warn!(print_job_id = %job.id, queue_item_id = item, "queue item already owned; queueing again");
                        sqlx::query(
                            "UPDATE print_jobs SET queue_started_at = NULL, next_attempt_at = now() \
                             WHERE id = $1 AND status = 'PENDING'",
                        )
                        .bind(job.id)
                        .execute(&self.pool)
                        .await?;
                    }
                    Err(ApplyError::Db(e)) => return Err(e),
                    Err(ApplyError::Refused(e)) => {
                        // Unreachable for a PENDING job; keep the item from printing anyway.
                        tracing::error!(print_job_id = %job.id, error = %e, "queued job refused its state");
                        tx.rollback().await?;
                    }
                }
            }
            Ok(item) => {
                // Cancelled (or forced) while AddItem was under way.
                tracing::info!(print_job_id = %job.id, queue_item_id = item, status = %row.status, "job left PENDING while being queued; removing its queue item");
                repo::schedule_queue_removal(&mut tx, item, Some(job.id)).await?;
                clear_started(&mut tx, job.id).await?;
                tx.commit().await?;
            }
            Err(e) if !still_pending => {
                if !e.maybe_applied() {
                    clear_started(&mut tx, job.id).await?;
                }
                tx.commit().await?;
            }
            Err(e) => {
                let attempts = u32::try_from(job.queue_attempts).unwrap_or(u32::MAX);
                if attempts >= self.config.queue_max_attempts {
                    tracing::error!(print_job_id = %job.id, attempts, error = %e, "queueing gave up");
                    sqlx::query("UPDATE print_jobs SET last_error = $2 WHERE id = $1")
                        .bind(job.id)
                        .bind(e.to_string())
                        .execute(&mut *tx)
                        .await?;
                    let change = Change {
                        error: Some(format!(
                            "queueing in SimplyPrint failed after {attempts} attempts: {e}"
                        )),
                        ..Change::to(PrintJobStatus::Failed, Cause::Queueing)
                    };
                    match repo::apply(&mut tx, row, change).await {
                        Ok(_) => {}
                        Err(ApplyError::Db(e)) => return Err(e),
                        Err(ApplyError::Refused(r)) => {
                            tracing::error!(print_job_id = %job.id, error = %r, "failing job refused")
                        }
                    }
                } else {
                    let delay = self.config.backoff.delay_jittered(attempts);
                    tracing::warn!(print_job_id = %job.id, attempts, retry_in_ms = delay.as_millis() as u64, error = %e, "queueing failed; will retry");
                    sqlx::query(
                        "UPDATE print_jobs SET last_error = $2, \
                             next_attempt_at = now() + make_interval(secs => $3), \
                             queue_started_at = CASE WHEN $4 THEN queue_started_at ELSE NULL END \
                         WHERE id = $1",
                    )
                    .bind(job.id)
                    .bind(e.to_string())
                    .bind(delay.as_secs_f64())
                    .bind(e.maybe_applied())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// One round of queue removals; returns how many were attempted.
    pub(crate) async fn remove_due(&self) -> Result<usize, sqlx::Error> {
        let due: Vec<Removal> = sqlx::query_as(
            "WITH due AS ( \
                 SELECT queue_item_id FROM queue_deletions \
                 WHERE done_at IS NULL AND next_attempt_at <= now() \
                 ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
             UPDATE queue_deletions d SET attempts = d.attempts + 1, \
                 next_attempt_at = now() + make_interval(secs => $2) \
             FROM due WHERE d.queue_item_id = due.queue_item_id \
             RETURNING d.queue_item_id, d.attempts",
        )
        .bind(BATCH)
        .bind(self.config.lease.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        let n = due.len();
        for removal in due {
            let result = match tokio::time::timeout(
                self.config.lease / 2,
                self.simplyprint.delete_queue_item(removal.queue_item_id),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(SimplyPrintError::Transport {
                    endpoint: "queue/DeleteItem",
                    reason: "no answer in time".to_owned(),
                    sent: true,
                }),
            };
            self.record_removal(&removal, result).await?;
        }
        Ok(n)
    }

    async fn record_removal(
        &self,
        removal: &Removal,
        result: Result<(), SimplyPrintError>,
    ) -> Result<(), sqlx::Error> {
        let item = removal.queue_item_id;
        let attempts = u32::try_from(removal.attempts).unwrap_or(u32::MAX);
        let (done, error, retry_in) = match result {
            Ok(()) => {
                tracing::info!(queue_item_id = item, "queue item removed from SimplyPrint");
                (true, None, Duration::ZERO)
            }
            Err(e) if !e.is_transient() => {
                // Already gone (printed, removed by hand) or refused for good.
                tracing::warn!(queue_item_id = item, error = %e, "SimplyPrint refused to remove a queue item");
                (true, Some(e.to_string()), Duration::ZERO)
            }
            Err(e) if attempts >= self.config.queue_max_attempts => {
                tracing::error!(queue_item_id = item, attempts, error = %e, "gave up removing a queue item; remove it in SimplyPrint by hand");
                (true, Some(format!("gave up: {e}")), Duration::ZERO)
            }
            Err(e) => (
                false,
                Some(e.to_string()),
                self.config.backoff.delay_jittered(attempts),
            ),
        };
        sqlx::query(
            "UPDATE queue_deletions SET last_error = $2, \
                 done_at = CASE WHEN $3 THEN now() ELSE NULL END, \
                 next_attempt_at = now() + make_interval(secs => $4) \
             WHERE queue_item_id = $1",
        )
        .bind(item)
        .bind(error)
        .bind(done)
        .bind(retry_in.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn clear_started(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE print_jobs SET queue_started_at = NULL WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a queue item was made from this file: by the file id SimplyPrint
/// keeps for it, or, when the item does not show one, by file name.
fn same_file(item: &QueueItem, file_id: &str, file_name: &str) -> bool {
    match item.filesystem_id.as_deref() {
        Some(id) if !id.is_empty() => id == file_id,
        _ => item.filename.as_deref() == Some(file_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, fs: Option<&str>, name: Option<&str>) -> QueueItem {
        serde_json::from_value(serde_json::json!({"id": id, "filesystem_id": fs, "filename": name}))
            .expect("item")
    }

    #[test]
    fn queue_items_match_by_file_id_then_name() {
        assert!(same_file(
            &item(1, Some("abc"), Some("x.gcode")),
            "abc",
            "y.gcode"
        ));
        assert!(!same_file(
            &item(1, Some("abd"), Some("y.gcode")),
            "abc",
            "y.gcode"
        ));
        assert!(same_file(&item(1, None, Some("y.gcode")), "abc", "y.gcode"));
        assert!(!same_file(&item(1, None, None), "abc", "y.gcode"));
    }
}
