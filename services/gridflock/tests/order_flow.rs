//! The GridFlock order flow from the Shopify webhook on: order-service reads
//! a GRID-CUSTOM line item, gridflock-service plans, generates, slices
//! (real PrusaSlicer) and uploads the plates, order-service turns
//! `gridflock.mapping-ready` into print jobs — or `pipeline-failed` into a
//! failed line item with a notification.

mod support;

use serde_json::{Value, json};
use service_common::testing::{TEST_INTERNAL_KEY, eventually};
use std::time::Duration;
use support::{Options, SHOP, Stack, small_printer};
use svc_fakes::shopify::{Delivery, WebhookSender};
use svc_fakes::simplyprint::Failure;

const SHOPIFY_SECRET: &str = "shpss_test_secret_0123";
const WAIT: Duration = Duration::from_secs(120);

fn grid_order(id: i64, width: &str, height: &str) -> Value {
    json!({
        "id": id, "name": format!("#{id}"), "email": "jan@example.nl",
        "updated_at": "2026-11-27T10:00:00Z",
        "line_items": [{
            "id": id * 10, "sku": "GRID-CUSTOM", "title": "Gridfinity baseplate (custom size)", "quantity": 1,
            "properties": [
                { "name": "Width (mm)", "value": width },
                { "name": "Height (mm)", "value": height },
                { "name": "Connector", "value": "Intersection puzzle" },
                { "name": "Magnets", "value": "No" }
            ]
        }]
    })
}

async fn prepared() -> Stack {
    let stack = Stack::start(Options::default()).await;
    stack.enable().await;
    let r = stack
        .http
        .put(format!(
            "{}/internal/tenants/{}/print-settings",
            stack.order_url, stack.tenant_id
        ))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .json(&small_printer())
        .send()
        .await
        .expect("settings");
    assert_eq!(r.status(), 200);
    stack
}

async fn send(stack: &Stack, order: &Value) {
    let r = WebhookSender::new(SHOPIFY_SECRET, SHOP)
        .send(
            &format!("{}/webhooks/shopify/orders-create", stack.order_url),
            &Delivery::json("orders/create", order),
        )
        .await
        .expect("webhook");
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Every order of the tenant with its line items.
async fn orders(stack: &Stack) -> Vec<Value> {
    let list: Vec<Value> = stack
        .http
        .get(format!("{}/api/v1/orders?limit=200", stack.order_url))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .header("x-tenant-id", stack.tenant_id.to_string())
        .send()
        .await
        .expect("orders")
        .json()
        .await
        .expect("json");
    let mut out = Vec::new();
    for o in list {
        let detail: Value = stack
            .http
            .get(format!(
                "{}/api/v1/orders/{}",
                stack.order_url,
                o["id"].as_str().unwrap_or("")
            ))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .header("x-tenant-id", stack.tenant_id.to_string())
            .send()
            .await
            .expect("order")
            .json()
            .await
            .expect("json");
        out.push(detail);
    }
    out
}

fn gcode_files(stack: &Stack) -> Vec<svc_fakes::simplyprint::FakeFile> {
    stack
        .farm()
        .files()
        .into_iter()
        .filter(|f| f.name.ends_with(".gcode"))
        .collect()
}

#[tokio::test]
async fn a_grid_custom_order_is_generated_sliced_uploaded_and_queued_plate_by_plate() {
    let stack = prepared().await;
    send(&stack, &grid_order(9001, "300", "100 mm")).await;
    // The line item's jobs are recorded first, the order's state follows
    // in the same handler's last transaction.
    let order = eventually(WAIT, "print jobs and the order PRINTING", || async {
        let o = orders(&stack).await.into_iter().next()?;
        (o["lineItems"][0]["status"] == "JOBS_CREATED" && o["status"] == "PRINTING").then_some(o)
    })
    .await;
    assert_eq!(order["lineItems"][0]["gridflockSku"], "GF-300x100-IP-NOMAG");
    let gcode = gcode_files(&stack);
    let plates = gcode.len();
    assert!(
        plates >= 2,
        "a 300 mm set on a 180 mm bed has several plates, got {plates}"
    );
    assert_eq!(
        stack.farm().queue().len(),
        plates,
        "one print job per plate"
    );
    assert_eq!(order["printJobs"].as_array().map(Vec::len), Some(plates));
    // The tenant's settings reached the slicer: PrusaSlicer's own config block.
    for file in &gcode {
        let text = String::from_utf8_lossy(&file.bytes);
        assert!(
            text.contains("; layer_height = 0.3"),
            "{} lacks the tenant's layer height",
            file.name
        );
        assert!(
            text.contains("; fill_density = 10%"),
            "{} lacks the tenant's infill",
            file.name
        );
    }
    let mapping = stack.mapping("GF-300x100-IP-NOMAG").await;
    assert_eq!(mapping["parts"].as_array().map(Vec::len), Some(plates));
    assert_eq!(stack.count("SELECT count(*) FROM pipeline_jobs").await, 1);
    stack.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_orders_for_one_new_size_share_one_pipeline() {
    let stack = prepared().await;
    let sends: Vec<_> = (0..20)
        .map(|i| grid_order(9100 + i, "300", "100"))
        .collect();
    futures::future::join_all(sends.iter().map(|o| send(&stack, o))).await;
    let all = eventually(WAIT, "print jobs for all twenty orders", || async {
        let all = orders(&stack).await;
        (all.len() == 20
            && all
                .iter()
                .all(|o| o["lineItems"][0]["status"] == "JOBS_CREATED"))
        .then_some(all)
    })
    .await;
    let plates = gcode_files(&stack).len();
    assert!(plates >= 2);
    assert_eq!(
        stack.count("SELECT count(*) FROM pipeline_jobs").await,
        1,
        "one pipeline"
    );
    assert_eq!(
        stack.count("SELECT count(*) FROM pipeline_waiters").await,
        20
    );
    assert_eq!(
        stack.farm().queue().len(),
        20 * plates,
        "every order prints every plate"
    );
    assert!(
        all.iter()
            .all(|o| o["printJobs"].as_array().map(Vec::len) == Some(plates))
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_simplyprint_error_fails_the_line_item_with_its_step_and_tells_the_operator() {
    let stack = prepared().await;
    stack.farm().fail_next(
        "files/Upload",
        Failure::StatusFalse("Storage quota exceeded".to_owned()),
    );
    send(&stack, &grid_order(9201, "300", "100")).await;
    let order = eventually(WAIT, "the line item failed", || async {
        let o = orders(&stack).await.into_iter().next()?;
        (o["lineItems"][0]["status"] == "GENERATION_FAILED").then_some(o)
    })
    .await;
    assert_eq!(order["lineItems"][0]["failedStep"], "upload");
    assert!(
        order["lineItems"][0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("Storage quota exceeded"),
        "{order}"
    );
    let feed: Vec<Value> = stack
        .http
        .get(format!("{}/api/v1/notifications", stack.order_url))
        .header("x-internal-api-key", TEST_INTERNAL_KEY)
        .header("x-tenant-id", stack.tenant_id.to_string())
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("json");
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0]["kind"], "GENERATION_FAILED");
    assert!(stack.farm().queue().is_empty());
    stack.stop().await;
}
