//! Read load through the gateway: operators' dashboards listing and opening
//! orders, from this process against the stack's processes on loopback,
//! while the resident memory of every service is sampled.

use crate::client::{Shop, StackClient};
use crate::flow;
use crate::services::Service;
use crate::stack::Stack;
use anyhow::{Result, bail};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Requests answered 200.
    pub ok: u64,
    /// Requests answered otherwise or failed.
    pub errors: u64,
    /// Measured wall time.
    pub elapsed: Duration,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Highest sum of the six services' RSS seen, in KiB.
    pub peak_total_rss_kib: u64,
    /// Each service's highest RSS, in KiB.
    pub peak_rss_kib: Vec<(Service, u64)>,
}

impl Report {
    /// Answered requests per second.
    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// Seeds `orders` standard orders for one shop, then keeps `connections`
/// clients reading (`GET /api/v1/orders` and `GET /api/v1/orders/{id}`
/// alternately) for `duration`.
pub async fn run(
    stack: &Stack,
    orders: i64,
    connections: usize,
    duration: Duration,
) -> Result<Report> {
    let client = StackClient::new(stack);
    let shop = flow::prepare_shop(&client, "load-shop.myshopify.com").await?;
    for id in 0..orders {
        client
            .place_order(&shop, &flow::customer_order(900_000 + id, None, true))
            .await?;
    }
    let list = client.get(&shop, "/api/v1/orders?limit=200").await?;
    let ids: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        bail!("no orders to read");
    }
    let ids = Arc::new(ids);

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        let pids: Vec<(Service, u32)> = Service::START_ORDER
            .iter()
            .filter_map(|s| stack.process(*s).ok()?.pid().map(|p| (*s, p)))
            .collect();
        tokio::spawn(async move {
            let mut peak_total = 0;
            let mut peaks: Vec<(Service, u64)> = pids.iter().map(|(s, _)| (*s, 0)).collect();
            while !done.load(Ordering::Relaxed) {
                let mut total = 0;
                for ((_, pid), (_, peak)) in pids.iter().zip(peaks.iter_mut()) {
                    let kib = crate::process::rss_kib(*pid).unwrap_or(0);
                    *peak = (*peak).max(kib);
                    total += kib;
                }
                peak_total = peak_total.max(total);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (peak_total, peaks)
        })
    };

    let start = Instant::now();
    let deadline = start + duration;
    let mut workers = Vec::new();
    for worker in 0..connections {
        let client = client.clone();
        let shop: Shop = shop.clone();
        let ids = ids.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut n = worker;
            while Instant::now() < deadline {
                let path = if n % 2 == 0 {
                    "/api/v1/orders?limit=20".to_owned()
                } else {
                    format!("/api/v1/orders/{}", ids[n % ids.len()])
                };
                n += 1;
                let sent = Instant::now();
                match client
                    .http()
                    .get(format!("{}{path}", client.gateway_url()))
                    .bearer_auth(&shop.token)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => {
                        // Read the body: a dashboard does.
                        if r.bytes().await.is_ok() {
                            latencies.push(sent.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (l, e) = worker.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let (peak_total_rss_kib, peak_rss_kib) = sampler.await?;
    latencies.sort_unstable();
    let pick = |q: f64| -> Duration {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    Ok(Report {
        ok: latencies.len() as u64,
        errors,
        elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
        peak_total_rss_kib,
        peak_rss_kib,
    })
}

/// The report as the command prints it.
pub fn describe(report: &Report, connections: usize) -> String {
    let mut out = format!(
        "read load through the gateway, {connections} connections, {:.1} s:\n  \
         {:.0} requests/s answered 200 ({} ok, {} errors)\n  p50 {:.2} ms, p99 {:.2} ms\n  \
         peak RSS of the six services together: {:.1} MiB\n",
        report.elapsed.as_secs_f64(),
        report.throughput(),
        report.ok,
        report.errors,
        report.p50.as_secs_f64() * 1e3,
        report.p99.as_secs_f64() * 1e3,
        report.peak_total_rss_kib as f64 / 1024.0
    );
    for (service, kib) in &report.peak_rss_kib {
        out.push_str(&format!(
            "    {:<18} {:.1} MiB\n",
            service.name(),
            *kib as f64 / 1024.0
        ));
    }
    out
}
