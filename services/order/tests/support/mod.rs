//! A running order-service on a fresh database and stream prefix, with a
//! tenant, a Shopify webhook sender and helpers to look at the database
//! and the streams.

#![allow(dead_code, unreachable_pub)]

pub mod flow;

use serde_json::{Value, json};
use service_common::testing::{
    RunningService, TEST_INTERNAL_KEY, TestDatabase, base_vars, redis, spawn, stream_prefix,
};
use sqlx::PgPool;
use svc_fakes::shopify::{Delivery, SendResult, WebhookSender};
use uuid::Uuid;

pub const SECRET: &str = "shpss_test_secret_0123";
pub const SHOP: &str = "gridflock-test.myshopify.com";

pub struct Harness {
    pub db: TestDatabase,
    pub prefix: String,
    pub service: Option<RunningService>,
    pub url: String,
    pub http: reqwest::Client,
    pub sender: WebhookSender,
    pub tenant_id: Uuid,
    pub pool: PgPool,
    pub vars: service_common::config::Vars,
}

pub struct Options {
    pub print_url: String,
    pub gridflock_url: String,
    pub admin_template: Option<String>,
    pub notification_url: Option<String>,
    pub access_token: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            // Nothing listens there: orchestration calls fail and are retried.
            print_url: "http://127.0.0.1:9".to_owned(),
            gridflock_url: "http://127.0.0.1:9".to_owned(),
            admin_template: None,
            notification_url: None,
            access_token: None,
        }
    }
}

impl Harness {
    pub async fn start(options: Options) -> Self {
        let db = TestDatabase::create().await;
        let prefix = stream_prefix();
        let mut vars = base_vars(&db.url, &prefix, "order-test");
        vars.set("SHOPIFY_WEBHOOK_SECRET", SECRET);
        vars.set("PRINT_SERVICE_URL", &options.print_url);
        vars.set("GRIDFLOCK_SERVICE_URL", &options.gridflock_url);
        vars.set("RECONCILE_INTERVAL_SECONDS", "0");
        if let Some(t) = &options.admin_template {
            vars.set("SHOPIFY_ADMIN_URL_TEMPLATE", t);
        }
        let service = start_service(&vars).await;
        let url = service.url.clone();
        let pool = service_common::db::connect(&db.url, "orders")
            .await
            .expect("pool");
        let http = service_common::client::http_client(std::time::Duration::from_secs(10));
        let mut tenant = json!({ "shopDomain": SHOP, "name": "GridFlock test shop" });
        if let Some(u) = &options.notification_url {
            tenant["notificationWebhookUrl"] = json!(u);
        }
        if let Some(t) = &options.access_token {
            tenant["shopifyAccessToken"] = json!(t);
        }
        let created: Value = http
            .post(format!("{url}/internal/tenants"))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .json(&tenant)
            .send()
            .await
            .expect("create tenant")
            .json()
            .await
            .expect("tenant json");
        let tenant_id = created["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("tenant id");
        Self {
            db,
            prefix,
            service: Some(service),
            url,
            http,
            sender: WebhookSender::new(SECRET, SHOP),
            tenant_id,
            pool,
            vars,
        }
    }

    /// Kills the service (a crash) and starts it again on a new port with the
    /// same database, prefix and consumer name.
    pub async fn crash_and_restart(&mut self) {
        if let Some(s) = self.service.take() {
            s.kill().await;
        }
        let service = start_service(&self.vars).await;
        self.url = service.url.clone();
        self.service = Some(service);
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.service.take() {
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

    pub async fn send(&self, topic: &str, order: &Value) -> (Delivery, SendResult) {
        let delivery = Delivery::json(topic, order);
        let result = self.deliver(&delivery).await;
        (delivery, result)
    }

    pub async fn deliver(&self, delivery: &Delivery) -> SendResult {
        let path = delivery.topic.replace('/', "-");
        self.sender
            .send(&format!("{}/webhooks/shopify/{path}", self.url), delivery)
            .await
            .expect("webhook sent")
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }

    pub async fn order_status(&self, shopify_order_id: i64) -> Option<String> {
        sqlx::query_scalar("SELECT status FROM orders WHERE shopify_order_id = $1")
            .bind(shopify_order_id)
            .fetch_optional(&self.pool)
            .await
            .expect("status")
    }

    pub async fn outbox(&self, event_type: &str) -> Vec<Value> {
        sqlx::query_scalar("SELECT envelope FROM outbox WHERE event_type = $1 ORDER BY id")
            .bind(event_type)
            .fetch_all(&self.pool)
            .await
            .expect("outbox")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .header("x-tenant-id", self.tenant_id.to_string())
            .send()
            .await
            .expect("get")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.http
            .request(method, format!("{}{path}", self.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .header("x-tenant-id", self.tenant_id.to_string())
            .json(body)
            .send()
            .await
            .expect("request")
    }
}

async fn start_service(vars: &service_common::config::Vars) -> RunningService {
    let config = svc_order::Config::from_vars(vars).expect("config");
    spawn(move |listener, shutdown| svc_order::run(config, listener, shutdown)).await
}

/// A small order in the REST/webhook shape.
pub fn order(id: i64, skus: &[&str], updated_at: &str) -> Value {
    let items: Vec<Value> = skus
        .iter()
        .enumerate()
        .map(|(i, sku)| {
            json!({
                "id": id * 10 + i as i64,
                "sku": sku,
                "title": format!("Product {sku}"),
                "quantity": 1,
                "properties": [],
            })
        })
        .collect();
    json!({
        "id": id,
        "name": format!("#{id}"),
        "email": "jan@example.nl",
        "currency": "EUR",
        "total_price": "29.95",
        "financial_status": "paid",
        "created_at": "2026-11-27T10:00:00+01:00",
        "updated_at": updated_at,
        "cancelled_at": null,
        "cancel_reason": null,
        "line_items": items,
        "shipping_address": { "name": "Jan de Vries", "address1": "Stadhuisplein 10", "city": "Eindhoven", "zip": "5611 EM", "country_code": "NL" },
    })
}
