//! Reconciliation against the Shopify Admin API fake: orders the webhooks
//! missed are imported once; known ones are left alone.

mod support;

use service_common::events::names;
use support::{Harness, Options, SHOP, order};
use svc_fakes::shopify::ShopifyFake;

#[tokio::test]
async fn missed_orders_are_imported_once_and_known_ones_left_alone() {
    let shopify = ShopifyFake::start().await;
    shopify.set_access_token(SHOP, "shpat_test_token");
    let h = Harness::start(Options {
        admin_template: Some(shopify.admin_url_template()),
        access_token: Some("shpat_test_token".to_owned()),
        ..Options::default()
    })
    .await;
    let now = chrono::Utc::now().to_rfc3339();
    // One order reached us by webhook, two never did; 300 more exercise paging.
    let (_, r) = h.send("orders/create", &order(2001, &["A"], &now)).await;
    assert_eq!(r.status, 200);
    shopify.add_order(SHOP, order(2001, &["A"], &now));
    shopify.add_order(SHOP, order(2002, &["A"], &now));
    shopify.add_order(SHOP, order(2003, &["B", "C"], &now));
    for id in 3000..3300 {
        shopify.add_order(SHOP, order(id, &["A"], &now));
    }

    let report: serde_json::Value = h
        .send_json(
            reqwest::Method::POST,
            "/internal/reconcile",
            &serde_json::json!({}),
        )
        .await
        .json()
        .await
        .expect("report");
    assert_eq!(report["ordersSeen"], 303, "{report}");
    assert_eq!(report["imported"], 302, "{report}");
    assert_eq!(report["failedTenants"].as_array().map(Vec::len), Some(0));
    assert_eq!(h.count("orders").await, 303);
    assert_eq!(h.outbox(names::ORDER_CREATED).await.len(), 303);
    let with_token = shopify
        .requests()
        .iter()
        .filter(|r| r.path.contains("/orders.json"))
        .count();
    assert!(
        with_token >= 2,
        "paged through the list ({with_token} requests)"
    );

    let again: serde_json::Value = h
        .send_json(
            reqwest::Method::POST,
            "/internal/reconcile",
            &serde_json::json!({}),
        )
        .await
        .json()
        .await
        .expect("report");
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(h.count("orders").await, 303);
    h.stop().await;
}

#[tokio::test]
async fn a_rejected_token_is_reported_and_imports_nothing() {
    let shopify = ShopifyFake::start().await;
    shopify.set_access_token(SHOP, "the-real-token");
    let h = Harness::start(Options {
        admin_template: Some(shopify.admin_url_template()),
        access_token: Some("a-stale-token".to_owned()),
        ..Options::default()
    })
    .await;
    shopify.add_order(SHOP, order(2101, &["A"], &chrono::Utc::now().to_rfc3339()));
    let report: serde_json::Value = h
        .send_json(
            reqwest::Method::POST,
            "/internal/reconcile",
            &serde_json::json!({}),
        )
        .await
        .json()
        .await
        .expect("report");
    assert_eq!(report["failedTenants"][0], SHOP, "{report}");
    assert_eq!(h.count("orders").await, 0);
    h.stop().await;
}
