//! gridflock-service on a fresh database and stream prefix, alone or with
//! the real order-service, print-service (against the SimplyPrint fake) and
//! slicer-service (real PrusaSlicer) in this process.

#![allow(dead_code, unreachable_pub)]

use serde_json::{Value, json};
use service_common::config::Vars;
use service_common::events::stream_key;
use service_common::testing::{
    RunningService, TEST_INTERNAL_KEY, TestDatabase, base_vars, eventually, redis, spawn, spawn_on,
    stream_prefix,
};
use std::net::SocketAddr;
use std::time::Duration;
use svc_fakes::simplyprint::SimplyPrintFake;
use tokio::net::TcpListener;
use uuid::Uuid;

pub const SP_KEY: &str = "sp-test-api-key";
pub const SP_SECRET: &str = "sp-webhook-secret-0123456789";
pub const SHOP: &str = "gridflock-pipeline.myshopify.com";
/// Nothing listens here: calls to it fail as unreachable.
pub const CLOSED_URL: &str = "http://127.0.0.1:9";

/// How a test wants the stack.
pub struct Options {
    /// Start order-service, print-service, slicer-service and the fake.
    pub with_dependencies: bool,
    /// Point gridflock-service at this slicer instead of the real one.
    pub slicer_url: Option<String>,
    /// `GRIDFLOCK_MAX_RETRIES`.
    pub max_retries: u32,
    /// `GRIDFLOCK_ENABLED_BY_DEFAULT`.
    pub enabled_by_default: bool,
    /// `GRIDFLOCK_PREVIEW_MAX_MM`, when set.
    pub preview_max_mm: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            with_dependencies: true,
            slicer_url: None,
            max_retries: 2,
            enabled_by_default: false,
            preview_max_mm: None,
        }
    }
}

pub struct Stack {
    _db: TestDatabase,
    pub prefix: String,
    pub farm: Option<SimplyPrintFake>,
    order: Option<RunningService>,
    print: Option<RunningService>,
    slicer: Option<RunningService>,
    service: Option<RunningService>,
    addr: SocketAddr,
    pub url: String,
    pub order_url: String,
    vars: Vars,
    _data_dir: tempfile::TempDir,
    pub pool: sqlx::PgPool,
    pub http: reqwest::Client,
    /// A tenant known to order-service (or a random id without it).
    pub tenant_id: Uuid,
}

impl Stack {
    pub async fn start(options: Options) -> Self {
        let db = TestDatabase::create().await;
        let prefix = stream_prefix();
        let http = service_common::client::http_client(Duration::from_secs(60));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let own_url = format!("http://{addr}");

        let (mut farm, mut order, mut print, mut slicer) = (None, None, None, None);
        let (mut order_url, mut print_url, mut slicer_url) = (
            CLOSED_URL.to_owned(),
            CLOSED_URL.to_owned(),
            CLOSED_URL.to_owned(),
        );
        if options.with_dependencies {
            let sp = SimplyPrintFake::start(4242, SP_KEY).await;
            let mut pv = base_vars(&db.url, &prefix, "print-test");
            pv.set("SIMPLYPRINT_API_URL", sp.api_url());
            pv.set("SIMPLYPRINT_FILES_URL", sp.files_url());
            pv.set("SIMPLYPRINT_COMPANY_ID", sp.company_id().to_string());
            pv.set("SIMPLYPRINT_API_KEY", SP_KEY);
            pv.set("SIMPLYPRINT_WEBHOOK_SECRET", SP_SECRET);
            let pc = svc_print::Config::from_vars(&pv).expect("print config");
            let p = spawn(move |l, s| svc_print::run(pc, l, s)).await;
            print_url = p.url.clone();

            let mut ov = base_vars(&db.url, &prefix, "order-test");
            ov.set("SHOPIFY_WEBHOOK_SECRET", "shpss_test_secret_0123");
            ov.set("PRINT_SERVICE_URL", &print_url);
            ov.set("GRIDFLOCK_SERVICE_URL", &own_url);
            ov.set("RECONCILE_INTERVAL_SECONDS", "0");
            let oc = svc_order::Config::from_vars(&ov).expect("order config");
            let o = spawn(move |l, s| svc_order::run(oc, l, s)).await;
            order_url = o.url.clone();

            let sv = Vars::from_pairs([
                ("INTERNAL_API_KEY", TEST_INTERNAL_KEY),
                ("SHUTDOWN_GRACE_SECONDS", "5"),
            ]);
            let sc = svc_slicer::Config::from_vars(&sv).expect("slicer config");
            let s = spawn(move |l, s| svc_slicer::run(sc, l, s)).await;
            slicer_url = s.url.clone();
            farm = Some(sp);
            order = Some(o);
            print = Some(p);
            slicer = Some(s);
        }
        if let Some(url) = options.slicer_url {
            slicer_url = url;
        }

        let data_dir = tempfile::tempdir().expect("data dir");
        let mut vars = base_vars(&db.url, &prefix, "gridflock-test");
        vars.set("ORDER_SERVICE_URL", &order_url);
        vars.set("PRINT_SERVICE_URL", &print_url);
        vars.set("SLICER_SERVICE_URL", &slicer_url);
        vars.set("GRIDFLOCK_DATA_DIR", data_dir.path().to_string_lossy());
        vars.set(
            "GRIDFLOCK_ENABLED_BY_DEFAULT",
            options.enabled_by_default.to_string(),
        );
        vars.set("GRIDFLOCK_MAX_RETRIES", options.max_retries.to_string());
        vars.set("GRIDFLOCK_RETRY_BASE_MS", "50");
        vars.set("GRIDFLOCK_RETRY_MAX_MS", "200");
        vars.set("GRIDFLOCK_WORKER_POLL_MS", "50");
        vars.set("GRIDFLOCK_LEASE_MS", "3000");
        if let Some(max) = options.preview_max_mm {
            vars.set("GRIDFLOCK_PREVIEW_MAX_MM", max.to_string());
        }
        let service = start_gridflock(listener, &vars).await;
        let pool = service_common::db::connect(&db.url, "gridflock")
            .await
            .expect("pool");

        let tenant_id = if options.with_dependencies {
            let created: Value = http
                .post(format!("{order_url}/internal/tenants"))
                .header("x-internal-api-key", TEST_INTERNAL_KEY)
                .json(&json!({ "shopDomain": SHOP, "name": "GridFlock pipeline shop" }))
                .send()
                .await
                .expect("create tenant")
                .json()
                .await
                .expect("tenant json");
            created["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("tenant id")
        } else {
            Uuid::new_v4()
        };
        Self {
            _db: db,
            prefix,
            farm,
            order,
            print,
            slicer,
            url: service.url.clone(),
            service: Some(service),
            addr,
            order_url,
            vars,
            _data_dir: data_dir,
            pool,
            http,
            tenant_id,
        }
    }

    /// Kills gridflock-service (a crash) and starts it again on the same
    /// port, database, data directory and consumer name.
    pub async fn crash_and_restart(&mut self) {
        if let Some(s) = self.service.take() {
            s.kill().await;
        }
        // The killed server's listener is dropped by its own task, which the
        // runtime may not have reached yet: the port frees up shortly.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("rebind {}: {e}", self.addr),
            }
        };
        self.service = Some(start_gridflock(listener, &self.vars).await);
    }

    pub fn farm(&self) -> &SimplyPrintFake {
        self.farm.as_ref().expect("started with dependencies")
    }

    pub async fn stop(mut self) {
        for s in [
            self.service.take(),
            self.order.take(),
            self.print.take(),
            self.slicer.take(),
        ]
        .into_iter()
        .flatten()
        {
            s.stop().await;
        }
        let mut r = redis().await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.prefix))
            .query_async(&mut r)
            .await
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query_async(&mut r).await;
        }
    }

    pub async fn enable(&self) {
        let r = self
            .internal(
                reqwest::Method::PUT,
                &format!("/internal/gridflock/tenants/{}/feature", self.tenant_id),
            )
            .json(&json!({ "enabled": true }))
            .send()
            .await
            .expect("feature");
        assert_eq!(r.status(), 200);
    }

    pub fn internal(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
    }

    /// A generate-for-order body for a new line item.
    pub fn request(&self, width: u32, height: u32, settings: Value) -> Value {
        json!({
            "tenantId": self.tenant_id,
            "orderId": Uuid::new_v4(),
            "lineItemId": Uuid::new_v4(),
            "widthMm": width,
            "heightMm": height,
            "connectorType": "intersection-puzzle",
            "magnets": false,
            "printSettings": settings,
        })
    }

    /// POSTs `body` to generate-for-order: status and JSON answer.
    pub async fn generate(&self, body: &Value) -> (u16, Value) {
        let r = self
            .internal(
                reqwest::Method::POST,
                "/internal/gridflock/generate-for-order",
            )
            .json(body)
            .send()
            .await
            .expect("generate-for-order");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The job's view once its status is DONE or FAILED.
    pub async fn finished(&self, job_id: &str, timeout: Duration) -> Value {
        eventually(timeout, "the pipeline job to finish", || async {
            let job: Value = self
                .internal(
                    reqwest::Method::GET,
                    &format!("/internal/gridflock/jobs/{job_id}"),
                )
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            matches!(job["status"].as_str(), Some("DONE" | "FAILED")).then_some(job)
        })
        .await
    }

    /// Payloads of this service's outbox rows of `event_type`.
    pub async fn outbox(&self, event_type: &str) -> Vec<Value> {
        let envelopes: Vec<Value> =
            sqlx::query_scalar("SELECT envelope FROM outbox WHERE event_type = $1 ORDER BY id")
                .bind(event_type)
                .fetch_all(&self.pool)
                .await
                .expect("outbox");
        envelopes
            .into_iter()
            .map(|e| e["payload"].clone())
            .collect()
    }

    /// Envelopes on the Redis stream of `event_type`.
    pub async fn stream(&self, event_type: &str) -> Vec<Value> {
        service_common::testing::outbox_drained(&self.pool).await;
        let mut r = redis().await;
        let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream_key(&self.prefix, event_type))
            .arg("-")
            .arg("+")
            .query_async(&mut r)
            .await
            .expect("xrange");
        entries
            .ids
            .iter()
            .filter_map(|e| e.get::<String>("envelope"))
            .filter_map(|s| serde_json::from_str(&s).ok())
            .collect()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }

    /// order-service's mapping for `sku`.
    pub async fn mapping(&self, sku: &str) -> Value {
        let r = self
            .http
            .get(format!(
                "{}/internal/mappings/lookup?tenantId={}&sku={sku}",
                self.order_url, self.tenant_id
            ))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .send()
            .await
            .expect("lookup");
        assert_eq!(r.status(), 200, "mapping for {sku}");
        r.json().await.expect("mapping json")
    }
}

async fn start_gridflock(listener: TcpListener, vars: &Vars) -> RunningService {
    let config = svc_gridflock::Config::from_vars(vars).expect("gridflock config");
    spawn_on(listener, move |l, s| svc_gridflock::run(config, l, s)).await
}

/// Print settings for a small PrusaSlicer printer.
pub fn small_printer() -> Value {
    json!({
        "printerProfile": "prusa-mini",
        "nozzleDiameterMm": 0.4,
        "layerHeightMm": 0.3,
        "infillPercent": 10,
        "filament": "PLA",
    })
}
