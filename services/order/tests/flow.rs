//! The standard flow across order-service, print-service and the SimplyPrint
//! fake, all on the real PostgreSQL and Redis: a signed Shopify order for a
//! mapped product becomes queued print jobs, and printing them makes the
//! order ready for fulfilment. Also the crash of order-service's consumer
//! between receiving `order.created` and acknowledging it.

mod support;

use serde_json::{Value, json};
use service_common::events::{names, stream_key};
use service_common::testing::{
    RunningService, TestDatabase, base_vars, eventually, redis, spawn, spawn_on, stream_prefix,
};
use std::time::Duration;
use svc_fakes::shopify::{Delivery, WebhookSender};
use svc_fakes::simplyprint::SimplyPrintFake;
use tokio::net::TcpListener;

const SP_KEY: &str = "sp-test-api-key";
const SP_SECRET: &str = "sp-webhook-secret-0123456789";
const SHOP: &str = support::SHOP;

struct Flow {
    _db: TestDatabase,
    db_url: String,
    prefix: String,
    farm: SimplyPrintFake,
    print: Option<RunningService>,
    order: Option<RunningService>,
    order_vars: service_common::config::Vars,
    pool: sqlx::PgPool,
    print_pool: sqlx::PgPool,
    http: reqwest::Client,
    tenant: String,
    files: Vec<String>,
}

fn print_vars(db_url: &str, prefix: &str, farm: &SimplyPrintFake) -> service_common::config::Vars {
    let mut vars = base_vars(db_url, prefix, "print-test");
    vars.set("SIMPLYPRINT_API_URL", farm.api_url());
    vars.set("SIMPLYPRINT_FILES_URL", farm.files_url());
    vars.set("SIMPLYPRINT_COMPANY_ID", farm.company_id().to_string());
    vars.set("SIMPLYPRINT_API_KEY", SP_KEY);
    vars.set("SIMPLYPRINT_WEBHOOK_SECRET", SP_SECRET);
    vars
}

async fn start_print(
    listener: Option<TcpListener>,
    vars: &service_common::config::Vars,
) -> RunningService {
    let config = svc_print::Config::from_vars(vars).expect("print config");
    match listener {
        Some(l) => spawn_on(l, move |l, s| svc_print::run(config, l, s)).await,
        None => spawn(move |l, s| svc_print::run(config, l, s)).await,
    }
}

async fn start_order(vars: &service_common::config::Vars) -> RunningService {
    let config = svc_order::Config::from_vars(vars).expect("order config");
    spawn(move |l, s| svc_order::run(config, l, s)).await
}

impl Flow {
    /// Everything up; with `print_down`, print-service's port is reserved
    /// but nothing answers there until [`Flow::start_print_late`].
    async fn start(print_down: Option<TcpListener>) -> (Self, Option<TcpListener>) {
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
        order_vars.set("SHOPIFY_WEBHOOK_SECRET", support::SECRET);
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

    fn order_url(&self) -> String {
        self.order
            .as_ref()
            .map(|o| o.url.clone())
            .unwrap_or_default()
    }

    async fn send_order(&self, id: i64, quantity: i64) {
        let body = json!({
            "id": id, "name": format!("#{id}"), "email": "jan@example.nl",
            "updated_at": "2026-11-27T10:00:00Z",
            "line_items": [{ "id": id * 10, "sku": "CABLE-ORG", "title": "Cable organiser", "quantity": quantity }],
        });
        let sender = WebhookSender::new(support::SECRET, SHOP);
        let r = sender
            .send(
                &format!("{}/webhooks/shopify/orders-create", self.order_url()),
                &Delivery::json("orders/create", &body),
            )
            .await
            .expect("sent");
        assert_eq!(r.status, 200, "{}", r.body);
    }

    async fn order_status(&self) -> String {
        sqlx::query_scalar("SELECT status FROM orders")
            .fetch_one(&self.pool)
            .await
            .expect("status")
    }

    async fn print_jobs(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM print_jobs")
            .fetch_one(&self.print_pool)
            .await
            .expect("jobs")
    }

    async fn stop(mut self) {
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

#[tokio::test]
async fn a_mapped_order_is_printed_and_becomes_ready_for_fulfilment() {
    let (flow, _) = Flow::start(None).await;
    // 2 units × (1 body + 2 clips) = 6 print jobs.
    flow.send_order(5001, 2).await;
    eventually(
        Duration::from_secs(20),
        "six queued items and the order PRINTING",
        || async {
            let queued = flow.farm.queue().len();
            (queued == 6 && flow.order_status().await == "PRINTING").then_some(())
        },
    )
    .await;
    let queue = flow.farm.queue();
    assert_eq!(
        queue
            .iter()
            .filter(|q| q.file_id.as_deref() == Some(flow.files[0].as_str()))
            .count(),
        2
    );
    assert_eq!(
        queue
            .iter()
            .filter(|q| q.file_id.as_deref() == Some(flow.files[1].as_str()))
            .count(),
        4
    );
    assert_eq!(flow.print_jobs().await, 6);

    let jobs = flow.farm.print_all().await;
    assert_eq!(jobs.len(), 6);
    eventually(Duration::from_secs(20), "the order PRINTED", || async {
        (flow.order_status().await == "PRINTED").then_some(())
    })
    .await;
    let ready: Vec<Value> = sqlx::query_scalar("SELECT envelope FROM outbox WHERE event_type = $1")
        .bind(names::ORDER_READY_FOR_FULFILLMENT)
        .fetch_all(&flow.pool)
        .await
        .expect("outbox");
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0]["payload"]["shopifyOrderId"], 5001);
    assert_eq!(ready[0]["payload"]["shopDomain"], SHOP);
    assert_eq!(ready[0]["tenantId"], flow.tenant);
    let key = stream_key(&flow.prefix, names::ORDER_READY_FOR_FULFILLMENT);
    eventually(
        Duration::from_secs(5),
        "order.ready-for-fulfillment on its stream",
        || {
            let key = key.clone();
            async move {
                let mut r = redis().await;
                let n: usize = redis::cmd("XLEN")
                    .arg(&key)
                    .query_async(&mut r)
                    .await
                    .ok()?;
                (n == 1).then_some(())
            }
        },
    )
    .await;
    let detail: Value = flow
        .http
        .get(format!(
            "{}/api/v1/orders/{}",
            flow.order_url(),
            ready[0]["payload"]["orderId"].as_str().unwrap_or("")
        ))
        .header(
            "x-internal-api-key",
            service_common::testing::TEST_INTERNAL_KEY,
        )
        .header("x-tenant-id", &flow.tenant)
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("json");
    assert_eq!(detail["lineItems"][0]["status"], "PRINTED");
    assert_eq!(detail["printJobs"].as_array().map(Vec::len), Some(6));
    flow.stop().await;
}

#[tokio::test]
async fn a_crash_between_receiving_and_acknowledging_order_created_loses_and_doubles_nothing() {
    let reserved = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("reserve a port");
    let (mut flow, reserved) = Flow::start(Some(reserved)).await;
    let reserved = reserved.expect("reserved listener");
    // Refuse connections (the port stays ours) so the handler fails mid-way.
    let addr = reserved.local_addr().expect("addr");
    drop(reserved);
    flow.send_order(5002, 1).await;
    let key = stream_key(&flow.prefix, names::ORDER_CREATED);
    eventually(
        Duration::from_secs(10),
        "order.created delivered and not acknowledged",
        || {
            let key = key.clone();
            async move {
                let mut r = redis().await;
                let pending: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
                    .arg(&key)
                    .arg("order")
                    .query_async(&mut r)
                    .await
                    .ok()?;
                (pending.count() == 1).then_some(())
            }
        },
    )
    .await;
    if let Some(o) = flow.order.take() {
        o.kill().await;
    }
    assert_eq!(flow.farm.queue().len(), 0);

    // print-service comes up where order-service expects it; order-service restarts.
    let listener = TcpListener::bind(addr)
        .await
        .expect("rebind the reserved port");
    flow.print = Some(
        start_print(
            Some(listener),
            &print_vars(&flow.db_url, &flow.prefix, &flow.farm),
        )
        .await,
    );
    flow.order = Some(start_order(&flow.order_vars).await);
    eventually(Duration::from_secs(20), "three queued items", || async {
        (flow.farm.queue().len() == 3 && flow.order_status().await == "PRINTING").then_some(())
    })
    .await;

    // The same event again, as after a crash right before XACK.
    let envelope: Value = sqlx::query_scalar("SELECT envelope FROM outbox WHERE event_type = $1")
        .bind(names::ORDER_CREATED)
        .fetch_one(&flow.pool)
        .await
        .expect("event");
    let mut r = redis().await;
    let _: String = redis::cmd("XADD")
        .arg(&key)
        .arg("*")
        .arg("envelope")
        .arg(envelope.to_string())
        .query_async(&mut r)
        .await
        .expect("xadd");
    eventually(Duration::from_secs(10), "the replay acknowledged", || {
        let key = key.clone();
        async move {
            let mut r = redis().await;
            let info: redis::streams::StreamInfoGroupsReply = redis::cmd("XINFO")
                .arg("GROUPS")
                .arg(&key)
                .query_async(&mut r)
                .await
                .ok()?;
            let group = info.groups.iter().find(|g| g.name == "order")?;
            (group.pending == 0 && group.entries_read == Some(2)).then_some(())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(flow.farm.queue().len(), 3, "no duplicate queue items");
    assert_eq!(flow.print_jobs().await, 3, "no duplicate print jobs");
    let mirrored: i64 = sqlx::query_scalar("SELECT count(*) FROM order_print_jobs")
        .fetch_one(&flow.pool)
        .await
        .expect("count");
    assert_eq!(mirrored, 3);
    flow.stop().await;
}
