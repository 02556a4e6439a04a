//! The gateway in front of every real backend (order, print, shipping,
//! gridflock, slicer; SimplyPrint and Sendcloud faked over HTTP) on a fresh
//! database and stream prefix, two tenants, and helpers to provision
//! operators and read the event stream.

#![allow(dead_code, unreachable_pub)]

use serde_json::{Value, json};
use service_common::config::Vars;
use service_common::testing::{
    RunningService, TEST_INTERNAL_KEY, TestDatabase, base_vars, redis, spawn, spawn_on,
    stream_prefix,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use svc_fakes::sendcloud::SendcloudFake;
use svc_fakes::shopify::{Delivery, SendResult, WebhookSender};
use svc_fakes::simplyprint::SimplyPrintFake;

pub const SHOPIFY_SECRET: &str = "shpss_test_secret_0123";
pub const SHOP_A: &str = "tenant-a.myshopify.com";
pub const SHOP_B: &str = "tenant-b.myshopify.com";
pub const SP_KEY: &str = "sp-test-api-key";
pub const SP_SECRET: &str = "sp-webhook-secret-0123456789";

pub struct Options {
    pub rate_limit_per_minute: u32,
    pub max_body_bytes: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rate_limit_per_minute: 10_000,
            max_body_bytes: None,
        }
    }
}

pub struct Stack {
    _db: TestDatabase,
    pub prefix: String,
    pub farm: SimplyPrintFake,
    pub print: Option<RunningService>,
    pub order: Option<RunningService>,
    pub gateway: Option<RunningService>,
    backends: Vec<RunningService>,
    _sendcloud: SendcloudFake,
    pub url: String,
    pub http: reqwest::Client,
    pub tenant_a: String,
    pub tenant_b: String,
    pub files: Vec<String>,
}

impl Stack {
    pub async fn start(options: Options) -> Self {
        let db = TestDatabase::create().await;
        let prefix = stream_prefix();
        let farm = SimplyPrintFake::start(4242, SP_KEY).await;
        let sendcloud = SendcloudFake::start("sc-public", "sc-secret").await;
        // order-service and gridflock-service call each other: order's port
        // is taken first so gridflock can be told where it is.
        let order_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let order_url = format!("http://{}", order_listener.local_addr().expect("addr"));

        let mut pv = base_vars(&db.url, &prefix, "print-test");
        pv.set("SIMPLYPRINT_API_URL", farm.api_url());
        pv.set("SIMPLYPRINT_FILES_URL", farm.files_url());
        pv.set("SIMPLYPRINT_COMPANY_ID", farm.company_id().to_string());
        pv.set("SIMPLYPRINT_API_KEY", SP_KEY);
        pv.set("SIMPLYPRINT_WEBHOOK_SECRET", SP_SECRET);
        let pc = svc_print::Config::from_vars(&pv).expect("print config");
        let print = spawn(move |l, s| svc_print::run(pc, l, s)).await;
        farm.set_webhook(&format!("{}/webhooks/simplyprint", print.url), SP_SECRET);

        let sv = Vars::from_pairs([("PORT", "0"), ("INTERNAL_API_KEY", TEST_INTERNAL_KEY)]);
        let sc = svc_slicer::Config::from_vars(&sv).expect("slicer config");
        let slicer = spawn(move |l, s| svc_slicer::run(sc, l, s)).await;

        let data_dir = std::env::temp_dir().join(format!("gfc-gateway-{prefix}"));
        let mut fv = base_vars(&db.url, &prefix, "gridflock-test");
        fv.set("ORDER_SERVICE_URL", &order_url);
        fv.set("PRINT_SERVICE_URL", &print.url);
        fv.set("SLICER_SERVICE_URL", &slicer.url);
        fv.set("GRIDFLOCK_DATA_DIR", data_dir.display().to_string());
        let fc = svc_gridflock::Config::from_vars(&fv).expect("gridflock config");
        let gridflock = spawn(move |l, s| svc_gridflock::run(fc, l, s)).await;

        let mut ov = base_vars(&db.url, &prefix, "order-test");
        ov.set("SHOPIFY_WEBHOOK_SECRET", SHOPIFY_SECRET);
        ov.set("PRINT_SERVICE_URL", &print.url);
        ov.set("GRIDFLOCK_SERVICE_URL", &gridflock.url);
        ov.set("RECONCILE_INTERVAL_SECONDS", "0");
        let oc = svc_order::Config::from_vars(&ov).expect("order config");
        let order = spawn_on(order_listener, move |l, s| svc_order::run(oc, l, s)).await;

        let mut hv = base_vars(&db.url, &prefix, "shipping-test");
        hv.set("ORDER_SERVICE_URL", &order.url);
        hv.set("SENDCLOUD_API_URL", sendcloud.api_url());
        hv.set("SENDCLOUD_PUBLIC_KEY", "sc-public");
        hv.set("SENDCLOUD_SECRET_KEY", "sc-secret");
        hv.set("SENDCLOUD_WEBHOOK_SECRET", "sc-webhook-secret");
        hv.set("SHIP_FROM_NAME", "GridFlock Workshop");
        hv.set("SHIP_FROM_ADDRESS1", "Fabriekstraat 1");
        hv.set("SHIP_FROM_CITY", "Eindhoven");
        hv.set("SHIP_FROM_POSTAL_CODE", "5611 AA");
        hv.set("SHIP_FROM_COUNTRY", "NL");
        hv.set("SHIPPING_METHOD", "postnl:standard");
        let hc = svc_shipping::Config::from_vars(&hv).expect("shipping config");
        let shipping = spawn(move |l, s| svc_shipping::run(hc, l, s)).await;

        let mut gv = base_vars(&db.url, &prefix, "gateway-test");
        gv.set("ORDER_SERVICE_URL", &order.url);
        gv.set("PRINT_SERVICE_URL", &print.url);
        gv.set("SHIPPING_SERVICE_URL", &shipping.url);
        gv.set("GRIDFLOCK_SERVICE_URL", &gridflock.url);
        gv.set("GATEWAY_CORS_ORIGIN", "https://app.gridflock.test");
        gv.set(
            "GATEWAY_RATE_LIMIT_PER_MINUTE",
            options.rate_limit_per_minute.to_string(),
        );
        gv.set("SESSION_TTL_SECONDS", "600");
        if let Some(max) = options.max_body_bytes {
            gv.set("GATEWAY_MAX_BODY_BYTES", max.to_string());
        }
        let gc = svc_gateway::Config::from_vars(&gv).expect("gateway config");
        let gateway = spawn(move |l, s| svc_gateway::run(gc, l, s)).await;

        let http = service_common::client::http_client(Duration::from_secs(20));
        let mut tenants = Vec::new();
        for shop in [SHOP_A, SHOP_B] {
            let t: Value = http
                .post(format!("{}/internal/tenants", order.url))
                .header("x-internal-api-key", TEST_INTERNAL_KEY)
                .json(&json!({ "shopDomain": shop, "name": shop }))
                .send()
                .await
                .expect("tenant")
                .json()
                .await
                .expect("tenant json");
            tenants.push(t["id"].as_str().expect("tenant id").to_owned());
        }
        let files = vec![farm.add_file("body.gcode", b"; body\nG1 X0 Y0\n").id];
        Self {
            _db: db,
            prefix,
            farm,
            url: gateway.url.clone(),
            print: Some(print),
            order: Some(order),
            gateway: Some(gateway),
            backends: vec![shipping, gridflock, slicer],
            _sendcloud: sendcloud,
            http,
            tenant_b: tenants.pop().expect("b"),
            tenant_a: tenants.pop().expect("a"),
            files,
        }
    }

    /// A new operator of `tenant` with `role`, and a token for it.
    pub async fn operator(&self, tenant: &str, role: &str) -> String {
        let email = format!("{}@example.test", uuid::Uuid::new_v4().simple());
        let r = self
            .http
            .post(format!("{}/internal/operators", self.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .json(&json!({ "tenantId": tenant, "email": email, "role": role }))
            .send()
            .await
            .expect("create operator");
        assert_eq!(r.status(), 201);
        let op: Value = r.json().await.expect("operator json");
        let r = self
            .http
            .post(format!(
                "{}/internal/operators/{}/tokens",
                self.url,
                op["id"].as_str().expect("id")
            ))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .json(&json!({ "name": "tests" }))
            .send()
            .await
            .expect("issue token");
        assert_eq!(r.status(), 201);
        let token: Value = r.json().await.expect("token json");
        token["token"].as_str().expect("token").to_owned()
    }

    pub async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("call the gateway")
    }

    pub async fn get_json(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.call(token, reqwest::Method::GET, path, None).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A signed Shopify orders/create for `shop`, sent through the gateway.
    pub async fn send_order(&self, shop: &str, id: i64) -> SendResult {
        let body = json!({
            "id": id, "name": format!("#{id}"), "email": "jan@example.nl",
            "updated_at": "2026-11-27T10:00:00Z",
            "line_items": [{ "id": id * 10, "sku": "CABLE-ORG", "title": "Cable organiser", "quantity": 1 }],
        });
        WebhookSender::new(SHOPIFY_SECRET, shop)
            .send(
                &format!("{}/webhooks/shopify/orders-create", self.url),
                &Delivery::json("orders/create", &body),
            )
            .await
            .expect("webhook sent")
    }

    /// A mapping for CABLE-ORG created through the gateway.
    pub async fn create_mapping(&self, token: &str) -> Value {
        let mapping = json!({
            "sku": "CABLE-ORG",
            "productName": "Cable organiser",
            "parts": [{ "name": "Body", "simplyprintFileId": self.files[0], "fileName": "body.gcode", "quantity": 1 }]
        });
        let r = self
            .call(
                token,
                reqwest::Method::POST,
                "/api/v1/mappings",
                Some(&mapping),
            )
            .await;
        assert_eq!(r.status(), 201);
        r.json().await.expect("mapping json")
    }

    pub async fn stop(mut self) {
        for s in [self.gateway.take(), self.order.take(), self.print.take()]
            .into_iter()
            .flatten()
        {
            s.stop().await;
        }
        for s in self.backends.drain(..) {
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
}

/// Server-Sent Events read in the background: `(event, data)` pairs.
pub struct EventReader {
    pub events: Arc<Mutex<Vec<(String, Value)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl EventReader {
    pub async fn open(url: &str, token: &str) -> Self {
        let http = reqwest::Client::new();
        let response = http
            .get(format!("{url}/api/v1/events"))
            .bearer_auth(token)
            .send()
            .await
            .expect("open the event stream");
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("content type")
                .starts_with("text/event-stream")
        );
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let task = tokio::spawn(async move {
            use futures::StreamExt;
            let mut body = response.bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let mut name = None;
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            name = Some(v.trim().to_owned());
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim_start());
                        }
                    }
                    if let Some(name) = name {
                        let value = serde_json::from_str(&data).unwrap_or(Value::Null);
                        sink.lock().expect("lock").push((name, value));
                    }
                }
            }
        });
        Self { events, task }
    }

    pub fn snapshot(&self) -> Vec<(String, Value)> {
        self.events.lock().expect("lock").clone()
    }
}

impl Drop for EventReader {
    fn drop(&mut self) {
        self.task.abort();
    }
}
