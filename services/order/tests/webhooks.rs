//! Shopify webhooks into order-service against the real PostgreSQL and
//! Redis: signatures, redeliveries, duplicates, ordering, bad bodies,
//! unknown shops, cancellations and the deadline.

mod support;

use serde_json::{Value, json};
use service_common::events::names;
use service_common::testing::eventually;
use std::time::Duration;
use support::{Harness, Options, order};
use svc_fakes::shopify::{Delivery, WebhookSender, order_body};

#[tokio::test]
async fn a_wrong_or_missing_signature_is_refused_and_nothing_is_written() {
    let h = Harness::start(Options::default()).await;
    let delivery = Delivery::json(
        "orders/create",
        &order(1001, &["A"], "2026-11-27T10:00:00Z"),
    );
    let url = format!("{}/webhooks/shopify/orders-create", h.url);
    let forged = WebhookSender::new("not-the-secret", support::SHOP);
    let r = forged.send(&url, &delivery).await.expect("sent");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("signature does not match"), "{}", r.body);
    let r = h
        .sender
        .send_with_signature(&url, &delivery, "")
        .await
        .expect("sent");
    assert_eq!(r.status, 401);
    assert_eq!(h.count("orders").await, 0);
    assert_eq!(h.count("webhook_deliveries").await, 0);
    assert_eq!(h.count("outbox").await, 0);
    h.stop().await;
}

#[tokio::test]
async fn a_redelivery_and_a_duplicate_event_are_no_ops() {
    let h = Harness::start(Options::default()).await;
    let (delivery, first) = h
        .send(
            "orders/create",
            &order(1002, &["A", "B"], "2026-11-27T10:00:00Z"),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = h.deliver(&delivery).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("duplicate"), "{}", again.body);
    let dup = h.deliver(&delivery.redelivered_as_duplicate()).await;
    assert_eq!(dup.status, 200);
    assert!(dup.body.contains("duplicate"), "{}", dup.body);
    // The same order as a new event (say a second subscription): known order.
    let (_, other) = h
        .send(
            "orders/create",
            &order(1002, &["A", "B"], "2026-11-27T10:00:00Z"),
        )
        .await;
    assert_eq!(other.status, 200);
    assert!(other.body.contains("unchanged"), "{}", other.body);
    assert_eq!(h.count("orders").await, 1);
    assert_eq!(h.count("line_items").await, 2);
    assert_eq!(h.outbox(names::ORDER_CREATED).await.len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn updates_out_of_order_keep_the_newest_state() {
    let h = Harness::start(Options::default()).await;
    // orders/updated overtakes orders/create: the order is imported from it.
    let mut newer = order(1003, &["A"], "2026-11-27T10:05:00Z");
    newer["email"] = json!("new@example.nl");
    let (_, r) = h.send("orders/updated", &newer).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("created"), "{}", r.body);
    let (_, r) = h
        .send(
            "orders/create",
            &order(1003, &["A"], "2026-11-27T10:00:00Z"),
        )
        .await;
    assert!(r.body.contains("unchanged"), "{}", r.body);
    let mut stale = order(1003, &["A"], "2026-11-27T10:01:00Z");
    stale["email"] = json!("stale@example.nl");
    let (_, r) = h.send("orders/updated", &stale).await;
    assert!(r.body.contains("unchanged"), "{}", r.body);
    let email: String = sqlx::query_scalar("SELECT email FROM orders")
        .fetch_one(&h.pool)
        .await
        .expect("email");
    assert_eq!(email, "new@example.nl");
    let mut newest = order(1003, &["A"], "2026-11-27T10:09:00Z");
    newest["email"] = json!("newest@example.nl");
    let (_, r) = h.send("orders/updated", &newest).await;
    assert!(r.body.contains("updated"), "{}", r.body);
    let email: String = sqlx::query_scalar("SELECT email FROM orders")
        .fetch_one(&h.pool)
        .await
        .expect("email");
    assert_eq!(email, "newest@example.nl");
    assert_eq!(h.count("orders").await, 1);
    assert_eq!(h.outbox(names::ORDER_CREATED).await.len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn malformed_bodies_get_a_problem_and_write_nothing() {
    let h = Harness::start(Options::default()).await;
    let url = format!("{}/webhooks/shopify/orders-create", h.url);
    let not_json = Delivery::new("orders/create", b"{\"id\": 12,".to_vec());
    let r = h.sender.send(&url, &not_json).await.expect("sent");
    assert_eq!(r.status, 400, "{}", r.body);
    let problem: Value = serde_json::from_str(&r.body).expect("problem json");
    assert_eq!(problem["type"], "/problems/bad-request");

    let no_items = Delivery::json("orders/create", &json!({ "id": 77 }));
    let r = h.sender.send(&url, &no_items).await.expect("sent");
    assert_eq!(r.status, 422, "{}", r.body);
    let problem: Value = serde_json::from_str(&r.body).expect("problem json");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("line_items"),
        "{problem}"
    );

    let mut bad_quantity = order(78, &["A"], "2026-11-27T10:00:00Z");
    bad_quantity["line_items"][0]["quantity"] = json!(0);
    let r = h
        .sender
        .send(&url, &Delivery::json("orders/create", &bad_quantity))
        .await
        .expect("sent");
    assert_eq!(r.status, 422);
    let problem: Value = serde_json::from_str(&r.body).expect("problem json");
    assert_eq!(problem["errors"][0]["field"], "line_items[0].quantity");

    let wrong_topic = Delivery::json("orders/updated", &order(79, &["A"], "2026-11-27T10:00:00Z"));
    let r = h.sender.send(&url, &wrong_topic).await.expect("sent");
    assert_eq!(r.status, 400, "{}", r.body);

    assert_eq!(h.count("orders").await, 0);
    assert_eq!(h.count("line_items").await, 0);
    assert_eq!(h.count("webhook_deliveries").await, 0);
    assert_eq!(h.count("outbox").await, 0);
    h.stop().await;
}

#[tokio::test]
async fn an_unknown_shop_is_not_acknowledged_so_shopify_retries() {
    let h = Harness::start(Options::default()).await;
    let stranger = WebhookSender::new(support::SECRET, "someone-else.myshopify.com");
    let delivery = Delivery::json(
        "orders/create",
        &order(1004, &["A"], "2026-11-27T10:00:00Z"),
    );
    let r = stranger
        .send(
            &format!("{}/webhooks/shopify/orders-create", h.url),
            &delivery,
        )
        .await
        .expect("sent");
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("someone-else.myshopify.com"));
    assert_eq!(h.count("orders").await, 0);
    assert_eq!(h.count("webhook_deliveries").await, 0);
    h.stop().await;
}

#[tokio::test]
async fn the_documented_sample_order_is_accepted_within_the_deadline_while_downstream_is_down() {
    // print-service is unreachable in this harness: the webhook must not care.
    let h = Harness::start(Options::default()).await;
    let raw = service_common::testing::fixture(
        "shopify_webhook_orders_create__shopify-docs-sample_2026-04.json",
    );
    let mut body = order_body(serde_json::from_slice(&raw).expect("fixture"));
    body["cancelled_at"] = Value::Null;
    let (_, r) = h.send("orders/create", &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.elapsed < Duration::from_secs(5),
        "answered in {:?}",
        r.elapsed
    );
    assert_eq!(h.count("line_items").await, 5);
    h.stop().await;
}

#[tokio::test]
async fn a_cancellation_cancels_the_order_and_announces_it() {
    let h = Harness::start(Options::default()).await;
    let (_, r) = h
        .send(
            "orders/create",
            &order(1005, &["A"], "2026-11-27T10:00:00Z"),
        )
        .await;
    assert_eq!(r.status, 200);
    let mut cancelled = order(1005, &["A"], "2026-11-27T11:00:00Z");
    cancelled["cancelled_at"] = json!("2026-11-27T11:00:00Z");
    cancelled["cancel_reason"] = json!("customer");
    let (_, r) = h.send("orders/cancelled", &cancelled).await;
    assert!(r.body.contains("cancelled"), "{}", r.body);
    assert_eq!(h.order_status(1005).await.as_deref(), Some("CANCELLED"));
    let events = h.outbox(names::ORDER_CANCELLED).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["payload"]["reason"], "customer");
    // The relay publishes it to the stream print-service consumes.
    let key = service_common::events::stream_key(&h.prefix, names::ORDER_CANCELLED);
    let mut redis = service_common::testing::redis().await;
    eventually(
        Duration::from_secs(5),
        "order.cancelled on the stream",
        || {
            let key = key.clone();
            let mut redis = redis.clone();
            async move {
                let n: usize = redis::cmd("XLEN")
                    .arg(&key)
                    .query_async(&mut redis)
                    .await
                    .ok()?;
                (n == 1).then_some(())
            }
        },
    )
    .await;
    let _: redis::RedisResult<()> = redis::cmd("PING").query_async(&mut redis).await;
    h.stop().await;
}

#[tokio::test]
async fn an_unmapped_line_item_is_kept_and_the_operator_is_told() {
    let (hook_url, received) = support_receiver().await;
    let h = Harness::start(Options {
        notification_url: Some(hook_url),
        ..Options::default()
    })
    .await;
    let (_, r) = h
        .send(
            "orders/create",
            &order(1006, &["NO-SUCH-SKU"], "2026-11-27T10:00:00Z"),
        )
        .await;
    assert_eq!(r.status, 200);
    eventually(Duration::from_secs(10), "line item UNMAPPED", || async {
        let s: String = sqlx::query_scalar("SELECT status FROM line_items")
            .fetch_one(&h.pool)
            .await
            .ok()?;
        (s == "UNMAPPED").then_some(())
    })
    .await;
    let feed: Vec<Value> = h
        .get("/api/v1/notifications")
        .await
        .json()
        .await
        .expect("feed");
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0]["kind"], "UNMAPPED_LINE_ITEM");
    assert!(
        feed[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("NO-SUCH-SKU")
    );
    let delivered = eventually(Duration::from_secs(10), "notification POSTed", || {
        let received = received.clone();
        async move { received.lock().ok()?.first().cloned() }
    })
    .await;
    assert_eq!(delivered["kind"], "UNMAPPED_LINE_ITEM");
    assert_eq!(delivered["tenantId"], h.tenant_id.to_string());
    assert_eq!(h.order_status(1006).await.as_deref(), Some("PROCESSING"));
    h.stop().await;
}

type Received = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// An HTTP endpoint that records the JSON bodies POSTed to it.
async fn support_receiver() -> (String, Received) {
    let received: Received = Default::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let store = store.clone();
            async move {
                if let Ok(mut s) = store.lock() {
                    s.push(v);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), received)
}
