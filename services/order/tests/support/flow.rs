//! order-service with a real print-service and the SimplyPrint fake, on one
//! fresh database and stream prefix.

use serde_json::{Value, json};
use service_common::testing::{
    RunningService, TestDatabase, base_vars, redis, spawn, spawn_on, stream_prefix,
};
use std::time::Duration;
use svc_fakes::shopify::{Delivery, WebhookSender};
use svc_fakes::simplyprint::SimplyPrintFake;
use tokio::net::TcpListener;

pub const SP_KEY: &str = "sp-test-api-key";
pub const SP_SECRET: &str = "sp-webhook-secret-0123456789";
pub const SHOP: &str = super::SHOP;

pub struct Flow {
    pub _db: TestDatabase,
    pub db_url: String,
    pub prefix: String,
    pub farm: SimplyPrintFake,
    pub print: Option<RunningService>,
    pub order: Option<RunningService>,
    pub order_vars: service_common::config::Vars,
    pub pool: sqlx::PgPool,
    pub print_pool: sqlx::PgPool,
    pub http: reqwest::Client,
    pub tenant: String,
    pub files: Vec<String>,
}

pub fn print_vars(
    db_url: &str,
    prefix: &str,
    farm: &SimplyPrintFake,
) -> service_common::config::Vars {
    let mut vars = base_vars(db_url, prefix, "print-test");
    vars.set("SIMPLYPRINT_API_URL", farm.api_url());
    vars.set("SIMPLYPRINT_FILES_URL", farm.files_url());
    vars.set("SIMPLYPRINT_COMPANY_ID", farm.company_id().to_string());
    vars.set("SIMPLYPRINT_API_KEY", SP_KEY);
    vars.set("SIMPLYPRINT_WEBHOOK_SECRET", SP_SECRET);
    vars
}

pub async fn start_print(
    listener: Option<TcpListener>,
    vars: &service_common::config::Vars,
) -> RunningService {
    let config = svc_print::Config::from_vars(vars).expect("print config");
    match listener {
        Some(l) => spawn_on(l, move |l, s| svc_print::run(config, l, s)).await,
        None => spawn(move |l, s| svc_print::run(config, l, s)).await,
    }
}

pub async fn start_order(vars: &service_common::config::Vars) -> RunningService {
    let config = svc_order::Config::from_vars(vars).expect("order config");
    spawn(move |l, s| svc_order::run(config, l, s)).await
}

impl Flow {
    /// Everything up; with `print_down`, print-service's port is reserved
    /// but nothing answers there until [`Flow::start_print_late`].
    pub async fn start(print_down: Option<TcpListener>) -> (Self, Option<TcpListener>) {
        let db = TestDatabase::create().await;
        let prefix = stream_prefix();
        let farm = SimplyPrintFake::start(4242, SP_KEY).await;
        let (print, print_url, reserved) = match print_down {
            None => {
                let p = start_print(None, &print_vars(&db.url, &prefix, &farm)).await;
                let url = p.url.clone();
                (Some(p), url, None)
            }
            Some(listener) => {
                let url = format!("http://{}", listener.local_addr().expect("addr"));
                (None, url, Some(listener))
            }
        };
        farm.set_webhook(&format!("{print_url}/webhooks/simplyprint"), SP_SECRET);
        let mut order_vars = base_vars(&db.url, &prefix, "order-test");
        order_vars.set("SHOPIFY_WEBHOOK_SECRET", super::SECRET);
        order_vars.set("PRINT_SERVICE_URL", &print_url);
        order_vars.set("GRIDFLOCK_SERVICE_URL", "http://127.0.0.1:9");
        order_vars.set("RECONCILE_INTERVAL_SECONDS", "0");
        let order = start_order(&order_vars).await;
        let http = service_common::client::http_client(Duration::from_secs(10));
        let tenant: Value = http
            .post(format!("{}/internal/tenants", order.url))
            .header(
                "x-internal-api-key",
                service_common::testing::TEST_INTERNAL_KEY,
            )
            .json(&json!({ "shopDomain": SHOP, "name": "Flow shop" }))
            .send()
            .await
            .expect("tenant")
            .json()
            .await
            .expect("tenant json");
        let tenant = tenant["id"].as_str().expect("tenant id").to_owned();
        let files = vec![
            farm.add_file("body.gcode", b"; body gcode\nG1 X0 Y0\n").id,
            farm.add_file("clip.gcode", b"; clip gcode\nG1 X1 Y1\n").id,
        ];
        let mapping = json!({
            "sku": "CABLE-ORG",
            "productName": "Cable organiser",
            "parts": [
                { "name": "Body", "simplyprintFileId": files[0], "fileName": "body.gcode", "quantity": 1 },
                { "name": "Clip", "simplyprintFileId": files[1], "fileName": "clip.gcode", "quantity": 2 }
            ]
        });
        let r = http
            .post(format!("{}/api/v1/mappings", order.url))
            .header(
                "x-internal-api-key",
                service_common::testing::TEST_INTERNAL_KEY,
            )
            .header("x-tenant-id", &tenant)
            .json(&mapping)
            .send()
            .await
            .expect("mapping");
        assert_eq!(r.status(), 201);
        let pool = service_common::db::connect(&db.url, "orders")
            .await
            .expect("pool");
        let print_pool = service_common::db::connect(&db.url, "print")
            .await
            .expect("pool");
        let flow = Self {
            db_url: db.url.clone(),
            _db: db,
            prefix,
            farm,
            print,
            order: Some(order),
            order_vars,
            pool,
            print_pool,
            http,
            tenant,
            files,
        };
        (flow, reserved)
    }

    pub fn order_url(&self) -> String {
        self.order
            .as_ref()
            .map(|o| o.url.clone())
            .unwrap_or_default()
    }

    pub async fn send_order(&self, id: i64, quantity: i64) {
        self.send_items(id, json!([{ "id": id * 10, "sku": "CABLE-ORG", "title": "Cable organiser", "quantity": quantity }]))
            .await;
    }

    /// Sends a signed orders/create with these line items.
    pub async fn send_items(&self, id: i64, line_items: Value) {
        let body = json!({
            "id": id, "name": format!("#{id}"), "email": "jan@example.nl",
            "updated_at": "2026-11-27T10:00:00Z",
            "line_items": line_items,
        });
        let sender = WebhookSender::new(super::SECRET, SHOP);
        let r = sender
            .send(
                &format!("{}/webhooks/shopify/orders-create", self.order_url()),
                &Delivery::json("orders/create", &body),
            )
            .await
            .expect("sent");
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Calls order-service as the tenant.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.order_url()))
            .header(
                "x-internal-api-key",
                service_common::testing::TEST_INTERNAL_KEY,
            )
            .header("x-tenant-id", &self.tenant)
            .json(body)
            .send()
            .await
            .expect("call order-service")
    }

    /// `(status, gridflock_sku, error)` of every line item, in order.
    pub async fn lines(&self) -> Vec<(String, Option<String>, Option<String>)> {
        sqlx::query_as("SELECT status, gridflock_sku, error FROM line_items ORDER BY position")
            .fetch_all(&self.pool)
            .await
            .expect("lines")
    }

    pub async fn order_status(&self) -> String {
        sqlx::query_scalar("SELECT status FROM orders")
            .fetch_one(&self.pool)
            .await
            .expect("status")
    }

    pub async fn print_jobs(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM print_jobs")
            .fetch_one(&self.print_pool)
            .await
            .expect("jobs")
    }

    pub async fn stop(mut self) {
        if let Some(o) = self.order.take() {
            o.stop().await;
        }
        if let Some(p) = self.print.take() {
            p.stop().await;
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
        let _ = &self.db_url;
    }
}
