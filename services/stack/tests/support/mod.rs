//! A stack of its own per test: free ports, a private Redis, a fresh
//! database, logs under the target directory (kept for a failed run).

#![allow(dead_code, unreachable_pub)]

use gridflock_stack::{Options, Shop, Stack, StackClient};
use std::path::PathBuf;

pub async fn start(test: &str) -> Stack {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| gridflock_stack::binaries::workspace_root().join("target"));
    let dir = target
        .join("stack-tests")
        .join(format!("{test}-{}", uuid::Uuid::new_v4().simple()));
    let mut options = Options::isolated(dir);
    options.log_level = "info,sqlx=warn".to_owned();
    Stack::start(options)
        .await
        .unwrap_or_else(|e| panic!("the stack did not start: {e:#}"))
}

/// Prints a progress line with the seconds since `start` (shown by
/// `--nocapture`, and with the output of a failed test).
pub fn progress(start: std::time::Instant) -> impl FnMut(&str) {
    move |line| eprintln!("{:>7.1} s  {line}", start.elapsed().as_secs_f64())
}

/// GridFlock pipelines run so far (gridflock-service's own table).
pub async fn pipelines(stack: &Stack) -> i64 {
    let db = stack.database().await.expect("database");
    let count = sqlx::query_scalar("SELECT count(*) FROM gridflock.pipeline_jobs")
        .fetch_one(&db)
        .await
        .expect("pipelines");
    db.close().await;
    count
}

/// Sendcloud sold exactly `orders` labels and Shopify got as many fulfilments.
pub async fn one_label_and_fulfilment_per_order(client: &StackClient, shop: &Shop, orders: usize) {
    let labels = client.sendcloud_shipments().await.expect("shipments");
    assert_eq!(labels.len(), orders, "one label per order: {labels:?}");
    let fulfilments = client
        .shopify_fulfillments(shop)
        .await
        .expect("fulfilments");
    assert_eq!(
        fulfilments.len(),
        orders,
        "one fulfilment per order: {fulfilments:?}"
    );
}
