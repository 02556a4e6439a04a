//! The pipeline worker: claims due jobs and runs them step by step.
//!
//! ```text
//! plan ─► for each plate: generate STL ─► slice ─► upload ─► mapping ─► mapping-ready
//! ```
//!
//! Every finished step is recorded before the next begins (plate rows,
//! artefacts on disk), so a job taken over after a crash or a retry starts
//! at the first unfinished step of the first unfinished plate. A transient
//! failure puts the job back with a persisted back-off; a permanent one, or
//! too many transient ones, fails it and tells every waiting line item.

pub mod naming;
mod steps;
pub mod upstream;

use crate::Config;
use crate::artefacts::Store;
use crate::generation::Generator;
use crate::jobs::{self, Job};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use upstream::{Failure, Upstream};
use uuid::Uuid;

/// Step names as `gridflock.pipeline-failed` reports them.
pub mod step {
    /// Planning the plate set.
    pub const PLAN: &str = "plan";
    /// Building a plate's STL.
    pub const GENERATE: &str = "generate";
    /// Slicing a plate.
    pub const SLICE: &str = "slice";
    /// Uploading a plate's gcode.
    pub const UPLOAD: &str = "upload";
    /// Creating the product mapping.
    pub const MAPPING: &str = "mapping";
}

/// A failed step.
#[derive(Debug, Clone)]
pub struct StepError {
    /// One of [`step`].
    pub step: &'static str,
    /// Transient or permanent, with the message.
    pub failure: Failure,
}

impl StepError {
    fn transient(step: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            step,
            failure: Failure::Transient(message.to_string()),
        }
    }

    fn permanent(step: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            step,
            failure: Failure::Permanent(message.to_string()),
        }
    }
}

/// How a run of a job ended.
#[derive(Debug)]
enum Ended {
    /// The mapping exists.
    Mapped(Uuid),
    /// Shutdown between two steps; the job resumes elsewhere or later.
    Interrupted,
}

/// What the workers share.
pub struct Worker {
    pub(crate) pool: sqlx::PgPool,
    pub(crate) config: Arc<Config>,
    pub(crate) owner: String,
    pub(crate) upstream: Upstream,
    pub(crate) store: Store,
    pub(crate) generator: Generator,
    pub(crate) wake: Arc<Notify>,
}

impl Worker {
    /// Runs `GRIDFLOCK_WORKER_CONCURRENCY` claim loops until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        match jobs::release_own(&self.pool, &self.owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                jobs = n,
                "resuming pipeline jobs this instance held before it stopped"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "cannot release this instance's old leases; they expire on their own")
            }
        }
        let loops = (0..self.config.pipeline.worker_concurrency)
            .map(|_| self.clone().claim_loop(shutdown.clone()));
        futures::future::join_all(loops).await;
    }

    async fn claim_loop(self: Arc<Self>, shutdown: CancellationToken) {
        let lease = self.config.pipeline.lease;
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            match jobs::claim(&self.pool, &self.owner, lease).await {
                Ok(Some(job)) => {
                    let correlation = format!("gridflock-job-{}", job.id);
                    service_common::telemetry::with_correlation(
                        correlation,
                        self.run_job(job, &shutdown),
                    )
                    .await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot claim pipeline jobs"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.pipeline.poll) => {}
            }
        }
    }

    /// Runs one claimed job while renewing its lease, then records the end.
    async fn run_job(&self, job: Job, shutdown: &CancellationToken) {
        tracing::info!(job = %job.id, sku = %job.sku, step = %job.step, attempts = job.attempts, "pipeline job claimed");
        let started = std::time::Instant::now();
        let mut progressed = false;
        let result = tokio::select! {
            r = self.execute(&job, shutdown, &mut progressed) => Some(r),
            () = self.hold_lease(job.id) => None,
        };
        let Some(result) = result else {
            tracing::warn!(job = %job.id, "lease lost; another worker owns the job now");
            return;
        };
        let recorded = match result {
            Ok(Ended::Mapped(mapping_id)) => {
                let r = jobs::complete(&self.pool, job.id, &self.owner, mapping_id).await;
                if matches!(r, Ok(true)) {
                    tracing::info!(job = %job.id, sku = %job.sku, %mapping_id, elapsed_ms = started.elapsed().as_millis() as u64, "pipeline job done");
                }
                r.map(|_| ())
            }
            Ok(Ended::Interrupted) => jobs::release(&self.pool, job.id, &self.owner).await,
            Err(e) => self.failed(&job, progressed, e).await,
        };
        if let Err(e) = recorded {
            // The lease runs out and the job is taken up again from its rows.
            tracing::warn!(job = %job.id, error = %e, "cannot record the end of a pipeline run");
        }
    }

    async fn failed(&self, job: &Job, progressed: bool, e: StepError) -> Result<(), sqlx::Error> {
        let message = e.failure.to_string();
        let attempts = if progressed { 1 } else { job.attempts + 1 };
        let retries = self.config.pipeline.max_retries;
        match e.failure {
            Failure::Transient(_) if attempts as u32 <= retries => {
                let delay = self.backoff(attempts as u32);
                tracing::warn!(job = %job.id, step = e.step, attempts, retry_in_ms = delay.as_millis() as u64, error = %message, "pipeline step failed; retrying later");
                jobs::retry_later(&self.pool, job.id, &self.owner, attempts, delay, &message).await
            }
            failure => {
                let message = match failure {
                    Failure::Transient(m) => format!("{m} (gave up after {retries} retries)"),
                    Failure::Permanent(m) => m,
                };
                tracing::error!(job = %job.id, sku = %job.sku, step = e.step, error = %message, "pipeline job failed");
                jobs::fail(&self.pool, job.id, &self.owner, e.step, &message)
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Pause before retry `n` (1-based): base, 2 × base, 4 × base, … up to the maximum.
    fn backoff(&self, n: u32) -> Duration {
        let p = &self.config.pipeline;
        let factor = 2u32.saturating_pow(n.saturating_sub(1).min(20));
        p.retry_base.saturating_mul(factor).min(p.retry_max)
    }

    /// Renews the lease every third of its length; returns only when it is lost.
    async fn hold_lease(&self, id: Uuid) {
        let lease = self.config.pipeline.lease;
        loop {
            tokio::time::sleep(lease / 3).await;
            match jobs::renew(&self.pool, id, &self.owner, lease).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(job = %id, error = %e, "cannot renew the job lease"),
            }
        }
    }
}
