//! GRID-CUSTOM line items in order-service with a real print-service:
//! property extraction, invalid configurations, and mappings that exist
//! for the tenant's current settings (or for other settings).

mod support;

use serde_json::{Value, json};
use service_common::contracts::PrintSettings;
use service_common::testing::eventually;
use std::time::Duration;
use support::flow::Flow;
use svc_order::gridflock;

fn grid_item(id: i64, props: Value, quantity: i64) -> Value {
    json!({ "id": id, "sku": "GRID-CUSTOM", "title": "Gridfinity baseplate (custom size)", "quantity": quantity, "properties": props })
}

fn props_450x320() -> Value {
    json!([
        { "name": "Width (mm)", "value": "450" },
        { "name": "Height (mm)", "value": "320 mm" },
        { "name": "Connector", "value": "Intersection puzzle" },
        { "name": "Magnets", "value": "Yes" },
        { "name": "_config_id", "value": "cfg_8f2a" }
    ])
}

/// A mapping for `sku` with one part per plate, as the pipeline would make it.
async fn map(flow: &Flow, sku: &str, plan_hash: &str, plates: usize) {
    let parts: Vec<Value> = (0..plates)
        .map(|i| json!({ "name": format!("Plate {}", i + 1), "simplyprintFileId": flow.files[i % 2], "fileName": format!("{sku}-plate-{}.gcode", i + 1), "quantity": 1 }))
        .collect();
    let r = flow
        .call(
            reqwest::Method::POST,
            "/api/v1/mappings",
            &json!({ "sku": sku, "productName": "Baseplate", "planHash": plan_hash, "parts": parts }),
        )
        .await;
    assert_eq!(r.status(), 201);
}

fn planned(settings: &PrintSettings) -> gridflock::Planned {
    let props: Vec<svc_order::shopify::order::Property> =
        serde_json::from_value(props_450x320()).expect("props");
    gridflock::read(&props)
        .expect("valid")
        .plan(settings)
        .expect("plans")
}

#[tokio::test]
async fn invalid_properties_mark_only_that_item_and_the_rest_of_the_order_is_printed() {
    let (flow, _) = Flow::start(None).await;
    let missing_width = json!([
        { "name": "Height (mm)", "value": "320" },
        { "name": "Connector", "value": "Dovetail" },
        { "name": "Magnets", "value": "No" }
    ]);
    flow.send_items(
        6001,
        json!([
            grid_item(60010, missing_width, 1),
            { "id": 60011, "sku": "CABLE-ORG", "title": "Cable organiser", "quantity": 1 }
        ]),
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the standard item queued and the order PRINTING",
        || async {
            let ready = flow.farm.queue().len() == 3
                && flow.lines().await[1].0 == "JOBS_CREATED"
                && flow.order_status().await == "PRINTING";
            ready.then_some(())
        },
    )
    .await;
    let lines = flow.lines().await;
    assert_eq!(lines[0].0, "INVALID_CONFIGURATION");
    let error = lines[0].2.clone().unwrap_or_default();
    assert!(error.contains("\"Width (mm)\" is missing"), "{error}");
    assert!(error.contains("\"Connector\" is \"Dovetail\""), "{error}");
    assert_eq!(lines[1].0, "JOBS_CREATED");
    let feed: Vec<Value> = flow
        .call(reqwest::Method::GET, "/api/v1/notifications", &json!({}))
        .await
        .json()
        .await
        .expect("feed");
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0]["kind"], "INVALID_CONFIGURATION");
    assert!(
        feed[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Width (mm)")
    );
    flow.stop().await;
}

#[tokio::test]
async fn an_existing_mapping_for_the_current_settings_prints_at_once_without_a_pipeline() {
    // gridflock-service is unreachable in this harness: printing must not need it.
    let (flow, _) = Flow::start(None).await;
    let plan = planned(&PrintSettings::default());
    assert_eq!(plan.sku, "GF-450x320-IP-MAG");
    map(&flow, &plan.sku, &plan.plan_hash, 4).await;
    flow.send_items(6002, json!([grid_item(60020, props_450x320(), 2)]))
        .await;
    eventually(
        Duration::from_secs(20),
        "eight queued plates, jobs recorded",
        || async {
            (flow.farm.queue().len() == 8 && flow.lines().await[0].0 == "JOBS_CREATED")
                .then_some(())
        },
    )
    .await;
    let lines = flow.lines().await;
    assert_eq!(lines[0].0, "JOBS_CREATED");
    assert_eq!(lines[0].1.as_deref(), Some("GF-450x320-IP-MAG"));
    assert_eq!(flow.print_jobs().await, 8);
    flow.stop().await;
}

#[tokio::test]
async fn a_mapping_made_for_other_print_settings_is_not_printed() {
    let (flow, _) = Flow::start(None).await;
    let old = planned(&PrintSettings::default());
    map(&flow, &old.sku, &old.plan_hash, 4).await;
    let thicker = PrintSettings {
        layer_height_mm: 0.28,
        ..PrintSettings::default()
    };
    let r = flow
        .call(
            reqwest::Method::PUT,
            "/api/v1/settings/print",
            &serde_json::to_value(&thicker).expect("json"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let bad = PrintSettings {
        layer_height_mm: 0.9,
        ..PrintSettings::default()
    };
    let r = flow
        .call(
            reqwest::Method::PUT,
            "/api/v1/settings/print",
            &serde_json::to_value(&bad).expect("json"),
        )
        .await;
    assert_eq!(r.status(), 422);

    flow.send_items(6003, json!([grid_item(60030, props_450x320(), 1)]))
        .await;
    let sku = eventually(Duration::from_secs(10), "the SKU computed", || async {
        flow.lines().await[0].1.clone()
    })
    .await;
    assert_eq!(sku, "GF-450x320-IP-MAG");
    let hash: String = sqlx::query_scalar("SELECT plan_hash FROM line_items")
        .fetch_one(&flow.pool)
        .await
        .expect("hash");
    assert_eq!(hash, planned(&thicker).plan_hash);
    assert_ne!(hash, old.plan_hash);
    // The stale mapping must not be printed; generation is requested instead
    // (gridflock-service is down here, so the item waits and is retried).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(flow.print_jobs().await, 0);
    assert_eq!(flow.farm.queue().len(), 0);
    assert_eq!(flow.lines().await[0].0, "PENDING");
    flow.stop().await;
}
