//! The Shopify webhook sender over real HTTP: header set, signature over the
//! exact bytes, wrong signatures, redelivery, duplicates, retries, timeout.

mod common;

use common::Receiver;
use std::time::Duration;
use svc_fakes::shopify::{Delivery, RetryPolicy, WebhookSender, order_body, verify};

const SHOP: &str = "johns-apparel.myshopify.com";
const SECRET: &str = "app-secret";

fn order_delivery() -> Delivery {
    let order = order_body(common::fixture(
        "shopify_order__shopify-api-ruby__order.json",
    ));
    Delivery::json("orders/create", &order)
}

#[tokio::test]
async fn sends_the_full_header_set_signed_over_the_exact_bytes() {
    let receiver = Receiver::start().await;
    let sender = WebhookSender::new(SECRET, SHOP);
    let delivery = order_delivery();
    let result = sender
        .send(&receiver.url, &delivery)
        .await
        .expect("delivered");
    assert_eq!(result.status, 200);
    assert!(result.is_success());

    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert_eq!(request.body, delivery.body, "body bytes unchanged");
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        request.header("x-shopify-topic").as_deref(),
        Some("orders/create")
    );
    assert_eq!(
        request.header("x-shopify-shop-domain").as_deref(),
        Some(SHOP)
    );
    assert_eq!(
        request.header("x-shopify-api-version").as_deref(),
        Some("2026-04")
    );
    assert_eq!(
        request.header("x-shopify-webhook-id"),
        Some(delivery.webhook_id.clone())
    );
    assert_eq!(
        request.header("x-shopify-event-id"),
        Some(delivery.event_id.clone())
    );
    let triggered = request
        .header("x-shopify-triggered-at")
        .expect("triggered-at");
    chrono::DateTime::parse_from_rfc3339(&triggered).expect("ISO-8601 trigger time");
    let hmac = request.header("x-shopify-hmac-sha256").expect("signature");
    assert!(verify(SECRET.as_bytes(), &request.body, &hmac));
    assert_eq!(request.json()["id"], 450_789_469);
}

#[tokio::test]
async fn ids_above_2_pow_53_survive_serialisation() {
    let receiver = Receiver::start().await;
    let sender = WebhookSender::new(SECRET, SHOP);
    let delivery = Delivery::json(
        "orders/create",
        &serde_json::json!({ "id": 820_982_911_946_154_508u64 }),
    );
    sender
        .send(&receiver.url, &delivery)
        .await
        .expect("delivered");
    let got = receiver.received();
    assert_eq!(got[0].body, br#"{"id":820982911946154508}"#);
    // The spec's vector, so the body was signed exactly as sent.
    let sender = WebhookSender::new("hush", SHOP);
    assert_eq!(
        sender.signature(&got[0].body),
        "qBvrsZF7RfB1iS6BX6IHqJTp5L911P7intnPeTPsH0I="
    );
}

#[tokio::test]
async fn sends_a_wrong_signature_when_asked() {
    let receiver = Receiver::start().await;
    receiver.script(&[401]);
    let sender = WebhookSender::new(SECRET, SHOP);
    let delivery = order_delivery();
    let result = sender
        .send_with_signature(&receiver.url, &delivery, "not-a-signature")
        .await
        .expect("answered");
    assert_eq!(result.status, 401);
    assert!(!result.is_success());
    let got = receiver.received();
    assert_eq!(
        got[0].header("x-shopify-hmac-sha256").as_deref(),
        Some("not-a-signature")
    );
}

#[tokio::test]
async fn redelivery_keeps_ids_and_duplicates_keep_only_the_event_id() {
    let receiver = Receiver::start().await;
    let sender = WebhookSender::new(SECRET, SHOP);
    let delivery = order_delivery();
    let duplicate = delivery.redelivered_as_duplicate();
    assert_ne!(duplicate.webhook_id, delivery.webhook_id);
    assert_eq!(duplicate.event_id, delivery.event_id);
    assert_eq!(duplicate.body, delivery.body);
    sender.send(&receiver.url, &delivery).await.expect("first");
    sender.send(&receiver.url, &delivery).await.expect("retry");
    sender
        .send(&receiver.url, &duplicate)
        .await
        .expect("duplicate");
    let got = receiver.received();
    let ids: Vec<_> = got
        .iter()
        .map(|r| {
            (
                r.header("x-shopify-webhook-id"),
                r.header("x-shopify-event-id"),
            )
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0].0, ids[2].0);
    assert_eq!(ids[0].1, ids[2].1);
    let other = order_delivery();
    assert_ne!(other.event_id, delivery.event_id);
}

#[tokio::test]
async fn retrying_send_retries_non_2xx_until_success() {
    let receiver = Receiver::start().await;
    receiver.script(&[500, 503]);
    let sender = WebhookSender::new(SECRET, SHOP);
    let delivery = order_delivery();
    let outcome = sender
        .retrying_send(
            &receiver.url,
            &delivery,
            &RetryPolicy::fixed(5, Duration::from_millis(10)),
        )
        .await;
    assert!(outcome.delivered());
    let statuses: Vec<u16> = outcome
        .attempts
        .iter()
        .map(|a| a.as_ref().expect("answered").status)
        .collect();
    assert_eq!(statuses, [500, 503, 200]);
    let got = receiver.received();
    assert!(
        got.iter()
            .all(|r| r.header("x-shopify-webhook-id") == Some(delivery.webhook_id.clone()))
    );
}

#[tokio::test]
async fn retrying_send_gives_up_after_the_policy() {
    let receiver = Receiver::start().await;
    receiver.script(&[500, 500, 500, 500]);
    let sender = WebhookSender::new(SECRET, SHOP);
    let outcome = sender
        .retrying_send(
            &receiver.url,
            &order_delivery(),
            &RetryPolicy::fixed(2, Duration::from_millis(5)),
        )
        .await;
    assert!(!outcome.delivered());
    assert_eq!(outcome.attempts.len(), 3);
    assert_eq!(RetryPolicy::shopify().delays.len(), 8);
    let total: Duration = RetryPolicy::shopify().delays.iter().sum();
    assert!(total > Duration::from_secs(3 * 3600) && total <= Duration::from_secs(4 * 3600));
}

#[tokio::test]
async fn a_receiver_slower_than_5_seconds_times_out() {
    let receiver = Receiver::start().await;
    receiver.delay(Duration::from_secs(7));
    let sender = WebhookSender::new(SECRET, SHOP);
    let started = std::time::Instant::now();
    let error = sender
        .send(&receiver.url, &order_delivery())
        .await
        .expect_err("timed out");
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(6));
}
