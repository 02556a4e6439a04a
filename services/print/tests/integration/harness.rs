//! A print-service under test: its own database and stream prefix, the
//! SimplyPrint fake, and helpers to call it and to read what it published.

use serde_json::{Value, json};
use service_common::contracts::{CreatePrintJobs, PrintJob, PrintJobList, PrintJobSpec};
use service_common::events::{Envelope, stream_key};
use service_common::testing::{
    RunningService, TEST_INTERNAL_KEY, TestDatabase, base_vars, eventually, spawn, stream_prefix,
};
use std::time::Duration;
use svc_fakes::simplyprint::{FakeFile, SimplyPrintFake};
use svc_print::Config;
use uuid::Uuid;

pub(crate) const COMPANY_ID: u64 = 4711;
pub(crate) const SP_API_KEY: &str = "sp-test-api-key";
pub(crate) const WEBHOOK_SECRET: &str = "webhook-secret-0123456789abcdef";
pub(crate) const WAIT: Duration = Duration::from_secs(15);

pub(crate) struct Harness {
    pub(crate) db: TestDatabase,
    pub(crate) prefix: String,
    pub(crate) fake: SimplyPrintFake,
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    pub(crate) service: Option<RunningService>,
    /// The fake's webhook pointing at the running service.
    pub(crate) webhook_id: Option<i64>,
}

impl Harness {
    /// A running service with fast worker timing.
    pub(crate) async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// A running service; `extra` overrides variables.
    pub(crate) async fn start_with(extra: &[(&str, &str)]) -> Self {
        let mut harness = Self::prepare(extra).await;
        harness.restart().await;
        harness
    }

    /// Everything but the running service.
    pub(crate) async fn prepare(extra: &[(&str, &str)]) -> Self {
        if std::env::var_os("RUST_LOG").is_some() {
            // Logs for the whole test process: the writer lives until exit.
            static LOG: std::sync::OnceLock<service_common::telemetry::LogGuard> =
                std::sync::OnceLock::new();
            LOG.get_or_init(|| service_common::telemetry::init("print-test"));
        }
        let db = TestDatabase::create().await;
        let prefix = stream_prefix();
        let fake = SimplyPrintFake::start(COMPANY_ID, SP_API_KEY).await;
        let mut vars = base_vars(&db.url, &prefix, "print-test");
        for (name, value) in [
            ("SIMPLYPRINT_API_URL", fake.api_url()),
            ("SIMPLYPRINT_FILES_URL", fake.files_url()),
            ("SIMPLYPRINT_COMPANY_ID", COMPANY_ID.to_string()),
            ("SIMPLYPRINT_API_KEY", SP_API_KEY.to_owned()),
            ("SIMPLYPRINT_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
            ("SIMPLYPRINT_TIMEOUT_MS", "3000".to_owned()),
            ("PRINT_WORKER_POLL_MS", "100".to_owned()),
            ("PRINT_RETRY_BASE_MS", "50".to_owned()),
            ("PRINT_RETRY_MAX_MS", "200".to_owned()),
            ("PRINT_QUEUE_LEASE_MS", "10000".to_owned()),
        ] {
            vars.set(name, value);
        }
        for (name, value) in extra {
            vars.set(name, *value);
        }
        let config = Config::from_vars(&vars).expect("test configuration is valid");
        Self {
            db,
            prefix,
            fake,
            config,
            http: reqwest::Client::new(),
            service: None,
            webhook_id: None,
        }
    }

    /// Starts (again) the service on a new port and points the fake's
    /// webhook at it.
    pub(crate) async fn restart(&mut self) {
        let config = self.config.clone();
        let service =
            spawn(move |listener, shutdown| svc_print::run(config, listener, shutdown)).await;
        self.remove_webhook().await;
        self.webhook_id = Some(self.fake.set_webhook(
            &format!("{}/webhooks/simplyprint", service.url),
            WEBHOOK_SECRET,
        ));
        self.service = Some(service);
    }

    /// Deletes the webhook to the service through the fake's API.
    pub(crate) async fn remove_webhook(&mut self) {
        let Some(id) = self.webhook_id.take() else {
            return;
        };
        let answer: Value = self
            .http
            .post(format!(
                "{}/{COMPANY_ID}/webhooks/Delete",
                self.fake.api_url()
            ))
            .header("X-API-KEY", SP_API_KEY)
            .json(&json!({ "id": id }))
            .send()
            .await
            .expect("webhooks/Delete")
            .json()
            .await
            .expect("JSON");
        assert_eq!(answer["status"], true, "{answer}");
    }

    pub(crate) fn url(&self, path: &str) -> String {
        let service = self.service.as_ref().expect("the service is running");
        format!("{}{path}", service.url)
    }

    /// A request with the internal key.
    pub(crate) fn internal(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("X-Internal-Api-Key", TEST_INTERNAL_KEY)
    }

    pub(crate) async fn create(&self, req: &CreatePrintJobs) -> reqwest::Response {
        self.internal(reqwest::Method::POST, "/internal/print-jobs")
            .json(req)
            .send()
            .await
            .expect("create request")
    }

    pub(crate) async fn create_ok(&self, req: &CreatePrintJobs) -> Vec<PrintJob> {
        let response = self.create(req).await;
        assert!(
            response.status().is_success(),
            "create answered {}",
            response.status()
        );
        response
            .json::<PrintJobList>()
            .await
            .expect("PrintJobList")
            .jobs
    }

    pub(crate) async fn jobs_of(&self, order_id: Uuid) -> Vec<PrintJob> {
        let response = self
            .internal(
                reqwest::Method::GET,
                &format!("/internal/print-jobs?orderId={order_id}"),
            )
            .send()
            .await
            .expect("list request");
        assert_eq!(response.status(), 200);
        response
            .json::<PrintJobList>()
            .await
            .expect("PrintJobList")
            .jobs
    }

    pub(crate) async fn job(&self, id: Uuid) -> PrintJob {
        let response = self
            .internal(reqwest::Method::GET, &format!("/internal/print-jobs/{id}"))
            .send()
            .await
            .expect("get request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("PrintJob")
    }

    /// Waits until `check` holds for every job of the order, returning them.
    pub(crate) async fn wait_jobs(
        &self,
        order_id: Uuid,
        what: &str,
        check: impl Fn(&PrintJob) -> bool,
    ) -> Vec<PrintJob> {
        eventually(WAIT, what, || async {
            let jobs = self.jobs_of(order_id).await;
            (!jobs.is_empty() && jobs.iter().all(&check)).then_some(jobs)
        })
        .await
    }

    /// A gcode file on the fake's files host.
    pub(crate) fn file(&self, name: &str) -> FakeFile {
        self.fake.add_file(name, b"G28\nG1 X10 Y10\n")
    }

    /// The envelopes published on `event_type`'s stream, once the relay has
    /// published everything committed so far.
    pub(crate) async fn events(&self, event_type: &str) -> Vec<Envelope> {
        service_common::testing::outbox_drained(&self.sql().await).await;
        let mut redis = service_common::testing::redis().await;
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream_key(&self.prefix, event_type))
            .arg("-")
            .arg("+")
            .query_async(&mut redis)
            .await
            .expect("XRANGE");
        reply
            .ids
            .iter()
            .map(|entry| {
                let raw: String = entry.get("envelope").expect("envelope field");
                serde_json::from_str(&raw).expect("envelope JSON")
            })
            .collect()
    }

    /// Publishes an event as another service's relay would.
    pub(crate) async fn publish(
        &self,
        event_type: &str,
        tenant_id: Uuid,
        event_id: Uuid,
        payload: Value,
    ) {
        let envelope = json!({
            "eventId": event_id,
            "eventType": event_type,
            "source": "order",
            "tenantId": tenant_id,
            "timestamp": chrono::Utc::now(),
            "payload": payload,
        });
        let mut redis = service_common::testing::redis().await;
        let _: String = redis::cmd("XADD")
            .arg(stream_key(&self.prefix, event_type))
            .arg("*")
            .arg("envelope")
            .arg(envelope.to_string())
            .query_async(&mut redis)
            .await
            .expect("XADD");
    }

    /// A direct connection to the service's schema, for assertions.
    pub(crate) async fn sql(&self) -> sqlx::PgPool {
        service_common::db::connect(&self.db.url, "print")
            .await
            .expect("database")
    }

    /// AddItem requests the fake received.
    pub(crate) fn add_item_calls(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/queue/AddItem"))
            .count()
    }
}

/// A creation request for `copies` copies of each file.
pub(crate) fn request(files: &[&FakeFile], copies: u32) -> CreatePrintJobs {
    let mut jobs = Vec::new();
    for file in files {
        let part_id = Uuid::now_v7();
        for copy in 0..copies {
            jobs.push(PrintJobSpec {
                part_id,
                copy_index: copy,
                simplyprint_file_id: file.id.clone(),
                file_name: file.name.clone(),
            });
        }
    }
    CreatePrintJobs {
        tenant_id: Uuid::now_v7(),
        order_id: Uuid::now_v7(),
        line_item_id: Uuid::now_v7(),
        jobs,
    }
}
