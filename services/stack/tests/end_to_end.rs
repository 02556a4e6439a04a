//! The whole product as separate processes, driven through the gateway
//! only: a shop's signed Shopify order for a custom GridFlock baseplate and
//! a standard product goes through generation, slicing (PrusaSlicer),
//! upload, printing (SimplyPrint fake, signed webhooks), a Sendcloud
//! shipment and a Shopify fulfilment to DELIVERED; the same baseplate
//! ordered again prints from the stored mapping without a second pipeline.

mod support;

use gridflock_stack::StackClient;
use gridflock_stack::flow::{self, Baseplate, Until};
use serde_json::Value;
use std::time::{Duration, Instant};

const FLOW_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const BASEPLATE: Baseplate = Baseplate {
    width_mm: 450,
    height_mm: 320,
    magnets: true,
};
const SKU: &str = "GF-450x320-IP-MAG";

fn gcode_uploads(files: &[Value]) -> usize {
    files
        .iter()
        .filter(|f| f["name"].as_str().is_some_and(|n| n.ends_with(".gcode")))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gridflock_order_and_its_repeat_go_from_shopify_to_delivered() {
    let stack = support::start("e2e").await;
    let client = StackClient::new(&stack);
    let shop = flow::prepare_shop(&client, "e2e-shop.myshopify.com")
        .await
        .expect("shop set up");
    let uploads_before = gcode_uploads(&client.farm("files").await.expect("files"));

    // First order: nothing is known about this size yet.
    let start = Instant::now();
    client
        .place_order(&shop, &flow::customer_order(5001, Some(BASEPLATE), true))
        .await
        .expect("order placed");
    let mut mapped_after = None;
    let mut report = support::progress(start);
    let first = flow::follow(&client, &shop, 5001, Until::Delivered, FLOW_TIMEOUT, |s| {
        if mapped_after.is_none() && s.contains(&format!("{SKU} JOBS_CREATED")) {
            mapped_after = Some(start.elapsed());
        }
        report(s)
    })
    .await
    .unwrap_or_else(|e| panic!("first order: {e:#}; logs in {}", stack.run_dir().display()));
    let mapped_after = mapped_after.expect("the baseplate line reached JOBS_CREATED");
    eprintln!(
        "webhook → mapping ready and print jobs created: {:.1} s; → DELIVERED: {:.1} s",
        mapped_after.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );

    let lines = first["lineItems"].as_array().expect("line items");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["gridflockSku"], SKU);
    assert_eq!(lines[1]["sku"], flow::STANDARD_SKU);
    let plates = gcode_uploads(&client.farm("files").await.expect("files")) - uploads_before;
    assert!(
        plates >= 2,
        "450 x 320 mm needs several A1 plates, got {plates}"
    );
    let jobs = first["printJobs"].as_array().expect("print jobs");
    assert_eq!(
        jobs.len(),
        plates + 1,
        "one job per plate and one for the standard product"
    );

    // The mapping is stored and visible to the shop.
    let mappings = client
        .get(&shop, "/api/v1/mappings")
        .await
        .expect("mappings");
    let mapping = mappings
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["sku"] == SKU)
        .unwrap_or_else(|| panic!("no mapping for {SKU} in {mappings}"));
    assert_eq!(mapping["parts"].as_array().map(Vec::len), Some(plates));

    // Every print job of the order completed, as the gateway reports it.
    let order_id = first["id"].as_str().expect("order id");
    let print_jobs = client
        .get(&shop, &format!("/api/v1/print-jobs?orderId={order_id}"))
        .await
        .expect("print jobs");
    let print_jobs = print_jobs["jobs"].as_array().expect("print job list");
    assert_eq!(print_jobs.len(), plates + 1);
    assert!(
        print_jobs.iter().all(|j| j["status"] == "COMPLETED"),
        "{print_jobs:?}"
    );

    // One label bought, one Shopify fulfilment carrying its tracking number.
    let shipments = client
        .get(&shop, &format!("/api/v1/shipments?orderId={order_id}"))
        .await
        .expect("shipments");
    let shipment = &shipments.as_array().expect("shipment list")[0];
    assert_eq!(shipments.as_array().map(Vec::len), Some(1));
    assert_eq!(shipment["status"], "DELIVERED");
    let fulfilments = client
        .shopify_fulfillments(&shop)
        .await
        .expect("fulfilments");
    assert_eq!(fulfilments.len(), 1, "{fulfilments:?}");
    assert!(
        fulfilments[0].to_string().contains(
            shipment["trackingNumber"]
                .as_str()
                .expect("tracking number")
        ),
        "the fulfilment carries the tracking number: {}",
        fulfilments[0]
    );

    // Second order, same baseplate: printed from the mapping at once.
    let uploads_after_first = gcode_uploads(&client.farm("files").await.expect("files"));
    let again = Instant::now();
    client
        .place_order(&shop, &flow::customer_order(5002, Some(BASEPLATE), true))
        .await
        .expect("second order placed");
    let second = flow::follow(
        &client,
        &shop,
        5002,
        Until::Delivered,
        FLOW_TIMEOUT,
        support::progress(again),
    )
    .await
    .unwrap_or_else(|e| panic!("second order: {e:#}; logs in {}", stack.run_dir().display()));
    eprintln!(
        "repeat order → DELIVERED: {:.1} s",
        again.elapsed().as_secs_f64()
    );
    assert_eq!(
        second["printJobs"].as_array().map(Vec::len),
        Some(plates + 1)
    );
    assert_eq!(
        gcode_uploads(&client.farm("files").await.expect("files")),
        uploads_after_first,
        "nothing generated, sliced or uploaded again"
    );
    assert_eq!(
        support::pipelines(&stack).await,
        1,
        "one pipeline for both orders"
    );
    support::one_label_and_fulfilment_per_order(&client, &shop, 2).await;
    stack.stop().await;
}
