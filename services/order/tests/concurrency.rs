//! Many webhooks at once: every one is answered and stored exactly once,
//! redeliveries included, with a pool far smaller than the concurrency.

mod support;

use service_common::events::names;
use std::sync::Arc;
use support::{Harness, Options, order};
use svc_fakes::shopify::Delivery;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_webhooks_are_each_stored_once() {
    let h = Arc::new(Harness::start(Options::default()).await);
    let deliveries: Vec<Delivery> = (0..400)
        .map(|i| {
            Delivery::json(
                "orders/create",
                &order(700_000 + i, &["X", "Y"], "2026-11-27T10:00:00Z"),
            )
        })
        .collect();
    // Every tenth delivery is sent twice, at the same time.
    let mut all: Vec<Delivery> = deliveries.clone();
    all.extend(deliveries.iter().step_by(10).cloned());
    let mut tasks = Vec::new();
    for d in all {
        let h = h.clone();
        tasks.push(tokio::spawn(async move { h.deliver(&d).await }));
    }
    for t in tasks {
        let r = t.await.expect("task");
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(h.count("orders").await, 400);
    assert_eq!(h.count("line_items").await, 800);
    assert_eq!(h.outbox(names::ORDER_CREATED).await.len(), 400);
    if let Ok(h) = Arc::try_unwrap(h) {
        h.stop().await;
    }
}

/// The same order as two different events at the same moment (two
/// subscriptions, say): both deliveries are recorded, one creates the order
/// and its event, the other waits for it and finds the order known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_order_as_two_events_at_once_is_created_once() {
    let h = Arc::new(Harness::start(Options::default()).await);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let body = order(800_000 + i, &["X"], "2026-11-27T10:00:00Z");
        for _ in 0..2 {
            let (h, d) = (h.clone(), Delivery::json("orders/create", &body));
            tasks.push(tokio::spawn(async move { h.deliver(&d).await }));
        }
    }
    let (mut created, mut unchanged) = (0, 0);
    for t in tasks {
        let r = t.await.expect("task");
        assert_eq!(r.status, 200, "{}", r.body);
        created += usize::from(r.body.contains("\"created\""));
        unchanged += usize::from(r.body.contains("\"unchanged\""));
    }
    assert_eq!((created, unchanged), (100, 100));
    assert_eq!(h.count("orders").await, 100);
    assert_eq!(h.count("line_items").await, 100);
    assert_eq!(h.count("webhook_deliveries").await, 200);
    assert_eq!(h.outbox(names::ORDER_CREATED).await.len(), 100);
    if let Ok(h) = Arc::try_unwrap(h) {
        h.stop().await;
    }
}
