//! The customer journey the demo shows and the end-to-end tests assert:
//! a shop set up once, orders placed in Shopify, followed through the
//! gateway while the fakes play the print farm and the carrier.

use crate::client::{Shop, StackClient};
use anyhow::{Result, bail};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The SKU of the standard (non-GridFlock) product of the scenario.
pub const STANDARD_SKU: &str = "CABLE-ORG";

/// Sendcloud's "En route to sorting center" and "Delivered".
const IN_TRANSIT: i64 = 3;
const DELIVERED: i64 = 11;

/// Sets a shop up the way an owner does before the first sale: print
/// settings for the A1, and the standard product's print file mapped to
/// its SKU (through the gateway).
pub async fn prepare_shop(client: &StackClient, domain: &str) -> Result<Shop> {
    let shop = client.provision_shop(domain, "Demo shop").await?;
    let settings = json!({
        "printerProfile": "bambu-a1",
        "nozzleDiameterMm": 0.4,
        "layerHeightMm": 0.2,
        "infillPercent": 15,
        "filament": "PLA",
    });
    match client
        .call(
            &shop,
            Method::PUT,
            "/api/v1/settings/print",
            Some(&settings),
        )
        .await?
    {
        (200, _) => {}
        (status, body) => bail!("print settings refused: {status} {body}"),
    }
    let gcode = b"; cable organiser body\nG28\nG1 Z0.2 F600\nG1 X50 Y50 E2 F1200\n".to_vec();
    let file_id = client
        .upload_print_file("cable-organiser.gcode", gcode)
        .await?;
    let mapping = json!({
        "sku": STANDARD_SKU,
        "productName": "Cable organiser",
        "parts": [{ "name": "Body", "simplyprintFileId": file_id, "fileName": "cable-organiser.gcode", "quantity": 1 }],
    });
    match client
        .call(&shop, Method::POST, "/api/v1/mappings", Some(&mapping))
        .await?
    {
        (201, _) => Ok(shop),
        (status, body) => bail!("mapping refused: {status} {body}"),
    }
}

/// A GridFlock baseplate line as the storefront sends it.
#[derive(Debug, Clone, Copy)]
pub struct Baseplate {
    /// Drawer width in mm.
    pub width_mm: u32,
    /// Drawer depth in mm.
    pub height_mm: u32,
    /// Press-fit magnets.
    pub magnets: bool,
}

/// A paid Shopify order: optionally a custom baseplate, optionally the
/// standard product, shipped to an address in the Netherlands.
pub fn customer_order(shopify_id: i64, baseplate: Option<Baseplate>, standard: bool) -> Value {
    let mut lines = Vec::new();
    if let Some(b) = baseplate {
        lines.push(json!({
            "id": shopify_id * 10 + 1, "sku": "GRID-CUSTOM", "quantity": 1,
            "title": "Gridfinity baseplate (custom size)", "price": "39.00",
            "properties": [
                { "name": "Width (mm)", "value": b.width_mm.to_string() },
                { "name": "Height (mm)", "value": b.height_mm.to_string() },
                { "name": "Connector", "value": "Intersection puzzle" },
                { "name": "Magnets", "value": if b.magnets { "Yes" } else { "No" } },
            ],
        }));
    }
    if standard {
        lines.push(json!({
            "id": shopify_id * 10 + 2, "sku": STANDARD_SKU, "quantity": 1,
            "title": "Cable organiser", "price": "12.50",
        }));
    }
    json!({
        "id": shopify_id,
        "name": format!("#{}", shopify_id % 100_000),
        "email": "jan@example.nl",
        "currency": "EUR",
        "total_price": "51.50",
        "financial_status": "paid",
        "created_at": "2026-11-28T09:00:00+01:00",
        "updated_at": "2026-11-28T09:00:00+01:00",
        "line_items": lines,
        "shipping_address": {
            "first_name": "Jan", "last_name": "de Vries", "name": "Jan de Vries",
            "address1": "Stationsplein 12", "city": "Utrecht", "zip": "3511 ED",
            "country_code": "NL", "country": "Netherlands", "phone": "+31612345678",
        },
    })
}

/// How far to follow an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The parcel is with the carrier.
    Shipped,
    /// The parcel arrived.
    Delivered,
}

/// Follows an order through the gateway until `until`, printing its queued
/// jobs and moving its parcel along as the farm and the carrier would, and
/// telling `report` every change of the order or its lines. Returns the
/// order as the gateway shows it at the end.
pub async fn follow(
    client: &StackClient,
    shop: &Shop,
    shopify_id: i64,
    until: Until,
    timeout: Duration,
    mut report: impl FnMut(&str),
) -> Result<Value> {
    let mut last = String::new();
    let mut moved_to_transit = false;
    let target = match until {
        Until::Shipped => "SHIPPED",
        Until::Delivered => "DELIVERED",
    };
    let deadline = Instant::now() + timeout;
    let mut id = None;
    loop {
        // A backend restarting answers 502 for a moment: a failed poll is
        // retried until the deadline, a refused line item is not.
        let polled = poll(client, shop, shopify_id, &mut id).await;
        if let Ok(Some(order)) = &polled {
            let now = describe(order);
            if now != last {
                report(&now);
                last = now;
            }
            let status = order["status"].as_str().unwrap_or("");
            if status == target {
                return Ok(order.clone());
            }
            if let Some(line) = order["lineItems"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| {
                    matches!(
                        l["status"].as_str(),
                        Some("GENERATION_FAILED" | "INVALID_CONFIGURATION" | "UNMAPPED")
                    )
                })
            {
                bail!("a line item cannot be printed: {line}");
            }
            let moved = advance(client, shop, order, until, moved_to_transit).await;
            moved_to_transit |= moved.unwrap_or(false);
        }
        if Instant::now() > deadline {
            bail!(
                "order {shopify_id} did not reach {target} within {timeout:?}; last seen: {last} {}",
                polled
                    .err()
                    .map(|e| format!("(last error: {e:#})"))
                    .unwrap_or_default()
            );
        }
        // About one request a second: well within an operator's rate limit.
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

const POLL_INTERVAL: Duration = Duration::from_millis(700);

async fn poll(
    client: &StackClient,
    shop: &Shop,
    shopify_id: i64,
    id: &mut Option<String>,
) -> Result<Option<Value>> {
    if id.is_none() {
        *id = client.order_id(shop, shopify_id).await?;
    }
    match id {
        Some(id) => client.order(shop, id).await.map(Some),
        None => Ok(None),
    }
}

/// Plays the farm and the carrier one step: prints what is queued, and
/// moves a labelled parcel on. Returns whether the parcel is now in transit.
async fn advance(
    client: &StackClient,
    shop: &Shop,
    order: &Value,
    until: Until,
    in_transit: bool,
) -> Result<bool> {
    let status = order["status"].as_str().unwrap_or("");
    if matches!(status, "PENDING" | "PROCESSING" | "PRINTING") {
        client.print_everything_queued().await?;
    }
    if !matches!(status, "PRINTED" | "SHIPPING" | "SHIPPED") {
        return Ok(false);
    }
    let Some(parcel) = parcel_of(client, shop, order).await? else {
        return Ok(false);
    };
    if !in_transit {
        client
            .parcel_status(parcel, IN_TRANSIT, "En route to sorting center")
            .await?;
    } else if until == Until::Delivered && status == "SHIPPED" {
        client.parcel_status(parcel, DELIVERED, "Delivered").await?;
    }
    Ok(true)
}

/// The Sendcloud parcel of the order's shipment, once it has a label.
async fn parcel_of(client: &StackClient, shop: &Shop, order: &Value) -> Result<Option<i64>> {
    let Some(id) = order["id"].as_str() else {
        return Ok(None);
    };
    let shipments = client
        .get(shop, &format!("/api/v1/shipments?orderId={id}"))
        .await?;
    Ok(shipments
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|s| s["parcelId"].as_i64()))
}

/// One line: the order's status and each line item's.
fn describe(order: &Value) -> String {
    let lines: Vec<String> = order["lineItems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            format!(
                "{} {}",
                l["gridflockSku"]
                    .as_str()
                    .or(l["sku"].as_str())
                    .unwrap_or("?"),
                l["status"].as_str().unwrap_or("?")
            )
        })
        .collect();
    let jobs = order["printJobs"].as_array().map_or(0, Vec::len);
    format!(
        "{} {}: {} | {} print job(s)",
        order["name"].as_str().unwrap_or("?"),
        order["status"].as_str().unwrap_or("?"),
        lines.join(", "),
        jobs
    )
}
