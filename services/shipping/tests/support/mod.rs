//! A shipping-service running in-process beside a real order-service on
//! one fresh database and stream prefix, with the Sendcloud and Shopify
//! fakes, a tenant and one imported order.

#![allow(dead_code, unreachable_pub)]

use serde_json::{Value, json};
use service_common::config::Vars;
use service_common::events::{Envelope, stream_key};
use service_common::testing::{
    RunningService, TEST_INTERNAL_KEY, TestDatabase, base_vars, eventually, fixture, redis, spawn,
    stream_prefix,
};
use sqlx::PgPool;
use std::time::Duration;
use svc_fakes::sendcloud::SendcloudFake;
use svc_fakes::shopify::{Delivery, ShopifyFake, WebhookSender};
use uuid::Uuid;

pub const SHOP: &str = "gridflock-test.myshopify.com";
pub const SHOPIFY_SECRET: &str = "shpss_test_secret_0123";
pub const ACCESS_TOKEN: &str = "shpat_test_token";
pub const SC_PUBLIC: &str = "sc-public";
pub const SC_SECRET: &str = "sc-secret";
pub const SC_WEBHOOK_SECRET: &str = "sendcloud-webhook-secret";
pub const WAIT: Duration = Duration::from_secs(20);

pub struct Harness {
    pub db: TestDatabase,
    pub prefix: String,
    pub sendcloud: SendcloudFake,
    pub shopify: ShopifyFake,
    pub order_service: RunningService,
    pub shipping: Option<RunningService>,
    pub shipping_vars: Vars,
    pub url: String,
    pub http: reqwest::Client,
    pub tenant_id: Uuid,
    pub order_id: Uuid,
    pub shopify_order_id: i64,
    pub orders_pool: PgPool,
    pub pool: PgPool,
}

fn order_vars(db: &str, prefix: &str, shopify: &ShopifyFake) -> Vars {
    let mut vars = base_vars(db, prefix, "order-test");
    vars.set("SHOPIFY_WEBHOOK_SECRET", SHOPIFY_SECRET);
    // Nothing listens there: the order's print jobs are never created.
    vars.set("PRINT_SERVICE_URL", "http://127.0.0.1:9");
    vars.set("GRIDFLOCK_SERVICE_URL", "http://127.0.0.1:9");
    vars.set("RECONCILE_INTERVAL_SECONDS", "0");
    vars.set("SHOPIFY_ADMIN_URL_TEMPLATE", shopify.admin_url_template());
    vars
}

pub fn shipping_vars(db: &str, prefix: &str, sendcloud: &SendcloudFake, order_url: &str) -> Vars {
    let mut vars = base_vars(db, prefix, "shipping-test");
    vars.set("ORDER_SERVICE_URL", order_url);
    vars.set("SENDCLOUD_API_URL", sendcloud.api_url());
    vars.set("SENDCLOUD_PUBLIC_KEY", SC_PUBLIC);
    vars.set("SENDCLOUD_SECRET_KEY", SC_SECRET);
    vars.set("SENDCLOUD_WEBHOOK_SECRET", SC_WEBHOOK_SECRET);
    vars.set("SHIP_FROM_NAME", "GridFlock Workshop");
    vars.set("SHIP_FROM_ADDRESS1", "Fabriekstraat 1");
    vars.set("SHIP_FROM_CITY", "Eindhoven");
    vars.set("SHIP_FROM_POSTAL_CODE", "5611 AA");
    vars.set("SHIP_FROM_COUNTRY", "NL");
    vars.set("SHIPPING_METHOD", "postnl:standard");
    vars.set("PARCEL_WEIGHT_KG", "0.8");
    vars.set("SHIPPING_WORKER_POLL_MS", "100");
    vars.set("SHIPPING_RETRY_BASE_MS", "100");
    vars.set("SHIPPING_RETRY_MAX_MS", "400");
    vars.set("SHIPPING_LEASE_MS", "2000");
    vars
}

pub async fn start_shipping(vars: &Vars) -> RunningService {
    let config = svc_shipping::Config::from_vars(vars).expect("shipping config");
    spawn(move |listener, shutdown| svc_shipping::run(config, listener, shutdown)).await
}

impl Harness {
    pub async fn start() -> Self {
        let db = TestDatabase::create().await;
        let prefix = stream_prefix();
        let sendcloud = SendcloudFake::start(SC_PUBLIC, SC_SECRET).await;
        let shopify = ShopifyFake::start().await;
        shopify.set_access_token(SHOP, ACCESS_TOKEN);
        let ovars = order_vars(&db.url, &prefix, &shopify);
        let oconfig = svc_order::Config::from_vars(&ovars).expect("order config");
        let order_service =
            spawn(move |listener, shutdown| svc_order::run(oconfig, listener, shutdown)).await;
        let http = service_common::client::http_client(Duration::from_secs(10));
        let tenant: Value = http
            .post(format!("{}/internal/tenants", order_service.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .json(&json!({ "shopDomain": SHOP, "name": "Test shop", "shopifyAccessToken": ACCESS_TOKEN }))
            .send()
            .await
            .expect("create tenant")
            .json()
            .await
            .expect("tenant JSON");
        let tenant_id: Uuid = tenant["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("tenant id");

        // The order Shopify sends (a vendor fixture) and knows in its Admin API.
        let fixture_order: Value =
            serde_json::from_slice(&fixture("shopify_order__shopify-api-ruby__order.json"))
                .expect("fixture");
        let order = fixture_order["order"].clone();
        let shopify_order_id = order["id"].as_i64().expect("order id");
        shopify.add_order(SHOP, order.clone());
        let sender = WebhookSender::new(SHOPIFY_SECRET, SHOP);
        let sent = sender
            .send(
                &format!("{}/webhooks/shopify/orders-create", order_service.url),
                &Delivery::json("orders/create", &order),
            )
            .await
            .expect("webhook sent");
        assert_eq!(sent.status, 200, "order import: {}", sent.body);
        let orders_pool = service_common::db::connect(&db.url, "orders")
            .await
            .expect("orders pool");
        let order_id: Uuid =
            sqlx::query_scalar("SELECT id FROM orders WHERE shopify_order_id = $1")
                .bind(shopify_order_id)
                .fetch_one(&orders_pool)
                .await
                .expect("imported order");
        // Printing is print-service's part and not under test here: the order
        // is put where print-service's events would have left it.
        sqlx::query("UPDATE orders SET status = 'PRINTED' WHERE id = $1")
            .bind(order_id)
            .execute(&orders_pool)
            .await
            .expect("order printed");

        let shipping_vars = shipping_vars(&db.url, &prefix, &sendcloud, &order_service.url);
        let shipping = start_shipping(&shipping_vars).await;
        let pool = service_common::db::connect(&db.url, "shipping")
            .await
            .expect("shipping pool");
        Self {
            url: shipping.url.clone(),
            shipping: Some(shipping),
            db,
            prefix,
            sendcloud,
            shopify,
            order_service,
            shipping_vars,
            http,
            tenant_id,
            order_id,
            shopify_order_id,
            orders_pool,
            pool,
        }
    }

    /// Publishes `order.ready-for-fulfillment` as order-service's relay
    /// would; returns the event id.
    pub async fn publish_ready(&self, event_id: Uuid) {
        let envelope = Envelope {
            event_id,
            event_type: "order.ready-for-fulfillment".to_owned(),
            source: "order".to_owned(),
            tenant_id: self.tenant_id,
            timestamp: chrono::Utc::now(),
            correlation_id: Some(format!("test-{event_id}")),
            payload: json!({
                "orderId": self.order_id,
                "shopifyOrderId": self.shopify_order_id,
                "shopDomain": SHOP,
            }),
        };
        let mut r = redis().await;
        let _: String = redis::cmd("XADD")
            .arg(stream_key(&self.prefix, "order.ready-for-fulfillment"))
            .arg("*")
            .arg("envelope")
            .arg(serde_json::to_string(&envelope).expect("envelope"))
            .query_async(&mut r)
            .await
            .expect("XADD");
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .send()
            .await
            .expect("answered")
    }

    /// The order's shipment once `check` accepts it.
    pub async fn shipment_where(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        eventually(WAIT, what, || async {
            let list: Value = self
                .get(&format!("/internal/shipments?orderId={}", self.order_id))
                .await
                .json()
                .await
                .ok()?;
            list.as_array()?.first().filter(|s| check(s)).cloned()
        })
        .await
    }

    pub async fn order_status(&self) -> String {
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(self.order_id)
            .fetch_one(&self.orders_pool)
            .await
            .expect("order status")
    }

    pub async fn wait_order_status(&self, status: &str) {
        eventually(WAIT, &format!("order {status}"), || async {
            (self.order_status().await == status).then_some(())
        })
        .await;
    }

    /// Envelopes on a stream of this test's prefix.
    /// The events of `event_type` on the bus, once the relay has published
    /// everything the service committed so far.
    pub async fn events(&self, event_type: &str) -> Vec<Envelope> {
        service_common::testing::outbox_drained(&self.pool).await;
        let mut r = redis().await;
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream_key(&self.prefix, event_type))
            .arg("-")
            .arg("+")
            .query_async(&mut r)
            .await
            .expect("XRANGE");
        reply
            .ids
            .iter()
            .filter_map(|e| e.get::<String>("envelope"))
            .filter_map(|raw| serde_json::from_str(&raw).ok())
            .collect()
    }

    pub async fn crash_and_restart(&mut self) {
        if let Some(s) = self.shipping.take() {
            s.kill().await;
        }
        let s = start_shipping(&self.shipping_vars).await;
        self.url = s.url.clone();
        self.shipping = Some(s);
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.shipping.take() {
            s.stop().await;
        }
        self.order_service.stop().await;
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
}
