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
