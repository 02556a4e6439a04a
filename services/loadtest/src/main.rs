//! `webhook-load`: drives order-service's `orders-create` webhook with
//! signed Shopify deliveries at a fixed rate from its own process, and
//! reports throughput and latency as one JSON line.
//!
//! The load is open-loop: request *i* is due at `start + i / rate` and its
//! latency is measured from that due time, so a slow server cannot hide
//! queueing delay by slowing the generator down. A share of the deliveries
//! are exact redeliveries of earlier ones (Shopify retries), which must not
//! create orders.

use anyhow::Context;
use clap::Parser;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use svc_fakes::shopify::{Delivery, WebhookSender};
use tokio::sync::Semaphore;

#[derive(Parser, Debug)]
struct Args {
    /// Base URL of order-service.
    #[arg(long)]
    url: String,
    /// The webhook secret order-service verifies with.
    #[arg(long)]
    secret: String,
    /// The tenant's shop domain.
    #[arg(long)]
    shop: String,
    /// Deliveries per second.
    #[arg(long, default_value_t = 1500)]
    rate: u32,
    /// Seconds of load.
    #[arg(long, default_value_t = 20)]
    seconds: u32,
    /// Every n-th delivery repeats an earlier one (0: none).
    #[arg(long, default_value_t = 20)]
    redeliver_every: u64,
    /// First Shopify order id (runs must not overlap).
    #[arg(long, default_value_t = 1)]
    first_order_id: i64,
    /// Most requests in flight.
    #[arg(long, default_value_t = 512)]
    max_in_flight: usize,
}

fn order(id: i64) -> serde_json::Value {
    json!({
        "id": id,
        "name": format!("#{id}"),
        "email": "load@example.nl",
        "currency": "EUR",
        "total_price": "29.95",
        "financial_status": "paid",
        "created_at": "2026-11-27T10:00:00Z",
        "updated_at": "2026-11-27T10:00:00Z",
        "line_items": [
            { "id": id * 10, "sku": "LOAD-TEST-SKU", "title": "Load", "quantity": 1, "properties": [] },
            { "id": id * 10 + 1, "sku": "LOAD-TEST-SKU-2", "title": "Load 2", "quantity": 2, "properties": [] }
        ],
        "shipping_address": { "name": "Load Test", "address1": "Stadhuisplein 10", "city": "Eindhoven", "zip": "5611 EM", "country_code": "NL" }
    })
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.rate > 0 && args.seconds > 0,
        "--rate and --seconds must be positive"
    );
    let sender = Arc::new(WebhookSender::new(&args.secret, &args.shop));
    let url = Arc::new(format!(
        "{}/webhooks/shopify/orders-create",
        args.url.trim_end_matches('/')
    ));
    let total = u64::from(args.rate) * u64::from(args.seconds);
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let slots = Arc::new(Semaphore::new(args.max_in_flight));

    // Prepare every body first so that signing and serialising are not
    // on the generator's clock.
    let mut deliveries = Vec::with_capacity(total as usize);
    let mut next_order = args.first_order_id;
    for i in 0..total {
        let redeliver = args.redeliver_every > 0 && i > 0 && i % args.redeliver_every == 0;
        if redeliver {
            let earlier: &Delivery = &deliveries[(i / 2) as usize];
            deliveries.push(earlier.clone());
        } else {
            deliveries.push(Delivery::json("orders/create", &order(next_order)));
            next_order += 1;
        }
    }
    let unique_orders = next_order - args.first_order_id;

    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::with_capacity(deliveries.len());
    for (i, delivery) in deliveries.into_iter().enumerate() {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .context("semaphore closed")?;
        let (sender, url) = (sender.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let result = sender.send(&url, &delivery).await;
            drop(permit);
            let latency = due.elapsed();
            match result {
                Ok(r) if r.is_success() => Ok(latency),
                Ok(r) => Err(format!(
                    "{} {}",
                    r.status,
                    r.body.chars().take(120).collect::<String>()
                )),
                Err(e) => Err(e.to_string()),
            }
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut errors = Vec::new();
    for t in tasks {
        match t.await {
            Ok(Ok(l)) => latencies.push(l),
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let wall = start.elapsed().as_secs_f64();
    latencies.sort();
    let report = json!({
        "sent": total,
        "uniqueOrders": unique_orders,
        "ok": latencies.len(),
        "errors": errors.len(),
        "firstErrors": errors.iter().take(5).collect::<Vec<_>>(),
        "targetRate": args.rate,
        "achievedRate": latencies.len() as f64 / wall,
        "p50Ms": percentile(&latencies, 50.0),
        "p90Ms": percentile(&latencies, 90.0),
        "p99Ms": percentile(&latencies, 99.0),
        "maxMs": latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
    });
    println!("{report}");
    Ok(())
}
