//! `SimplyPrintFake`: the two hosts (API and files) on their own ports, and
//! the Rust controls tests use to run the simulated farm.

use super::farm::{ALL_EVENTS, Farm, endpoint_key};
use super::model::{
    Failure, FakeFile, FakeJob, FakeQueueItem, FakeWebhook, FarmError, JobOutcome, WebhookDelivery,
};
use super::{api, control, upload, webhooks};
use crate::recorded::{RecordedRequest, RequestLog, record_requests};
use crate::serve::Running;
use crate::sync::lock;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, post};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(super) struct Inner {
    pub(super) farm: Mutex<Farm>,
    pub(super) http: reqwest::Client,
    pub(super) log: RequestLog,
}

impl Inner {
    /// Which injected failure, if any, answers this call of `endpoint`.
    pub(super) fn take_failure(&self, endpoint: &str) -> Option<Failure> {
        lock(&self.farm).take_failure(&endpoint_key(endpoint))
    }

    pub(super) async fn start_job(&self, queue_item_id: i64) -> Result<FakeJob, FarmError> {
        let job = lock(&self.farm).start_job(queue_item_id)?;
        let data = json!({
            "job": Farm::job_webhook_json(&job),
            "user": super::farm::operator(),
            "started_by": super::farm::operator(),
        });
        webhooks::deliver(&self.farm, &self.http, "job.started", data).await;
        Ok(job)
    }

    pub(super) async fn finish_job(
        &self,
        job_id: i64,
        outcome: JobOutcome,
    ) -> Result<FakeJob, FarmError> {
        let job = lock(&self.farm).finish_job(job_id, outcome)?;
        let mut data = json!({ "job": Farm::job_webhook_json(&job) });
        if outcome == JobOutcome::Cancelled
            && let Some(map) = data.as_object_mut()
        {
            map.insert("user".into(), super::farm::operator());
        }
        webhooks::deliver(&self.farm, &self.http, outcome.event(), data).await;
        Ok(job)
    }

    pub(super) async fn print_all(&self) -> Vec<FakeJob> {
        let mut done = Vec::new();
        loop {
            let next = lock(&self.farm)
                .queue
                .iter()
                .find(|q| !q.deleted && q.left > 0)
                .map(|q| q.id);
            let Some(queue_item_id) = next else { break };
            let Ok(job) = self.start_job(queue_item_id).await else {
                break;
            };
            if let Ok(job) = self.finish_job(job.id, JobOutcome::Done).await {
                done.push(job);
            }
        }
        done
    }

    /// Sends a `queue.*` event without holding up the API answer.
    pub(super) fn notify_in_background(self: &Arc<Self>, event: &'static str, data: Value) {
        let inner = self.clone();
        tokio::spawn(async move {
            webhooks::deliver(&inner.farm, &inner.http, event, data).await;
        });
    }
}

/// A running fake of SimplyPrint for one company: the API host and the files
/// host on separate ports. Dropping it stops both.
pub struct SimplyPrintFake {
    inner: Arc<Inner>,
    api: Running,
    files: Running,
}

impl std::fmt::Debug for SimplyPrintFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimplyPrintFake")
            .field("api_url", &self.api_url())
            .field("files_url", &self.files_url())
            .finish()
    }
}

impl SimplyPrintFake {
    /// Starts both hosts on `127.0.0.1` with free ports; requests must use
    /// `company_id` in the path and `api_key` in `X-API-KEY`.
    ///
    /// # Panics
    /// When no local port can be bound (a broken test machine).
    pub async fn start(company_id: u64, api_key: &str) -> Self {
        let local = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(company_id, api_key, local, local)
            .await
            .unwrap_or_else(|error| panic!("fake SimplyPrint could not bind a local port: {error}"))
    }

    /// Starts the API host on `api_addr` and the files host on `files_addr`.
    pub async fn start_on(
        company_id: u64,
        api_key: &str,
        api_addr: SocketAddr,
        files_addr: SocketAddr,
    ) -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            farm: Mutex::new(Farm::new(company_id, api_key)),
            http: service_common::client::http_client(Duration::from_secs(10)),
            log: RequestLog::default(),
        });
        let log = inner.log.clone();
        let api_router = Router::new()
            .merge(control::routes())
            .merge(crate::recorded::control_route(log.clone()))
            .route("/{company}/{*path}", any(api::handle))
            .fallback(|| async { super::envelope::http_error(404, "Not found") })
            .with_state(inner.clone())
            .layer(axum::middleware::from_fn_with_state(
                log.clone(),
                record_requests,
            ));
        let files_router = Router::new()
            .route("/{company}/files/Upload", post(upload::handle))
            .fallback(|| async { super::envelope::http_error(404, "Not found") })
            .with_state(inner.clone())
            .layer(DefaultBodyLimit::disable())
            .layer(axum::middleware::from_fn_with_state(log, record_requests));
        let api = Running::bind(api_addr, api_router).await?;
        let files = Running::bind(files_addr, files_router).await?;
        Ok(Self { inner, api, files })
    }

    /// The `https://api.simplyprint.io` equivalent; paths are `/{company_id}/…`.
    pub fn api_url(&self) -> String {
        self.api.url()
    }

    /// The `https://files.simplyprint.io` equivalent; uploads go to `/{company_id}/files/Upload`.
    pub fn files_url(&self) -> String {
        self.files.url()
    }

    /// The company id the fake serves.
    pub fn company_id(&self) -> u64 {
        lock(&self.inner.farm).company_id
    }

    /// The largest part one upload request may carry (100 MB by default);
    /// lower it to exercise chunked uploads with small files.
    pub fn set_max_part_size(&self, bytes: usize) {
        lock(&self.inner.farm).max_part_size = bytes;
    }

    /// Puts a file on the files host as if uploaded (no type or size rules), returning it.
    pub fn add_file(&self, name: &str, bytes: &[u8]) -> FakeFile {
        lock(&self.inner.farm).store_file(name.to_owned(), bytes.to_vec())
    }

    /// Every uploaded file, in upload order.
    pub fn files(&self) -> Vec<FakeFile> {
        lock(&self.inner.farm).files.clone()
    }

    /// Every queue item ever added (deleted ones flagged), in creation order.
    pub fn queue(&self) -> Vec<FakeQueueItem> {
        lock(&self.inner.farm).queue.clone()
    }

    /// Every job, in start order.
    pub fn jobs(&self) -> Vec<FakeJob> {
        lock(&self.inner.farm).jobs.clone()
    }

    /// Starts one copy of a queue item on a printer: `left` drops by one, a job
    /// (`pj_…` uid) is created and `job.started` is delivered before this returns.
    pub async fn start_job(&self, queue_item_id: i64) -> Result<FakeJob, FarmError> {
        self.inner.start_job(queue_item_id).await
    }

    /// Ends an ongoing job and delivers `job.done`, `job.failed` or
    /// `job.cancelled` before returning. A done job counts as `printed`.
    pub async fn finish_job(&self, job_id: i64, outcome: JobOutcome) -> Result<FakeJob, FarmError> {
        self.inner.finish_job(job_id, outcome).await
    }

    /// Starts and finishes (done) every copy still queued; returns the jobs.
    pub async fn print_all(&self) -> Vec<FakeJob> {
        self.inner.print_all().await
    }

    /// Makes the next call of `endpoint` (e.g. `queue/AddItem`, `files/Upload`)
    /// fail; several calls queue up failures for successive requests.
    pub fn fail_next(&self, endpoint: &str, failure: Failure) {
        lock(&self.inner.farm).fail_next(endpoint, failure);
    }

    /// Registers an enabled webhook for every event the fake sends, with
    /// `secret` sent in `X-SP-Secret`; returns its id.
    ///
    /// # Panics
    /// When `url` is not an http(s) URL or the secret is longer than 128 characters.
    pub fn set_webhook(&self, url: &str, secret: &str) -> i64 {
        let body = json!({
            "name": "test receiver",
            "url": url,
            "secret": secret,
            "enabled": true,
            "events": ALL_EVENTS,
        });
        match lock(&self.inner.farm).save_webhook(&body) {
            Ok(webhook) => webhook.id,
            Err(message) => panic!("fake SimplyPrint refused webhook {url}: {message}"),
        }
    }

    /// Registered webhooks.
    pub fn webhooks(&self) -> Vec<FakeWebhook> {
        lock(&self.inner.farm).webhooks.clone()
    }

    /// Every webhook POST made so far, with the receiver's answer.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.inner.farm).deliveries.clone()
    }

    /// Every request either host received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.log.all()
    }
}
