//! The standard flow across order-service, print-service and the SimplyPrint
//! fake, all on the real PostgreSQL and Redis: a signed Shopify order for a
//! mapped product becomes queued print jobs, and printing them makes the
//! order ready for fulfilment. Also the crash of order-service's consumer
//! between receiving `order.created` and acknowledging it.

mod support;

use support::flow::*;

use serde_json::Value;
use service_common::events::{names, stream_key};
use service_common::testing::{eventually, redis};
use std::time::Duration;
use tokio::net::TcpListener;

#[tokio::test]
async fn a_mapped_order_is_printed_and_becomes_ready_for_fulfilment() {
    let (flow, _) = Flow::start(None).await;
    // 2 units × (1 body + 2 clips) = 6 print jobs.
    flow.send_order(5001, 2).await;
    eventually(
        Duration::from_secs(20),
        "six queued items and the order PRINTING",
        || async {
            let queued = flow.farm.queue().len();
            (queued == 6 && flow.order_status().await == "PRINTING").then_some(())
        },
    )
    .await;
    let queue = flow.farm.queue();
    assert_eq!(
        queue
            .iter()
            .filter(|q| q.file_id.as_deref() == Some(flow.files[0].as_str()))
            .count(),
        2
    );
    assert_eq!(
        queue
            .iter()
            .filter(|q| q.file_id.as_deref() == Some(flow.files[1].as_str()))
            .count(),
        4
    );
    assert_eq!(flow.print_jobs().await, 6);

    let jobs = flow.farm.print_all().await;
    assert_eq!(jobs.len(), 6);
    eventually(Duration::from_secs(20), "the order PRINTED", || async {
        (flow.order_status().await == "PRINTED").then_some(())
    })
    .await;
    let ready: Vec<Value> = sqlx::query_scalar("SELECT envelope FROM outbox WHERE event_type = $1")
        .bind(names::ORDER_READY_FOR_FULFILLMENT)
        .fetch_all(&flow.pool)
        .await
        .expect("outbox");
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0]["payload"]["shopifyOrderId"], 5001);
    assert_eq!(ready[0]["payload"]["shopDomain"], SHOP);
    assert_eq!(ready[0]["tenantId"], flow.tenant);
    let key = stream_key(&flow.prefix, names::ORDER_READY_FOR_FULFILLMENT);
    eventually(
        Duration::from_secs(5),
        "order.ready-for-fulfillment on its stream",
        || {
            let key = key.clone();
            async move {
                let mut r = redis().await;
                let n: usize = redis::cmd("XLEN")
                    .arg(&key)
                    .query_async(&mut r)
                    .await
                    .ok()?;
                (n == 1).then_some(())
            }
        },
    )
    .await;
    let detail: Value = flow
        .http
        .get(format!(
            "{}/api/v1/orders/{}",
            flow.order_url(),
            ready[0]["payload"]["orderId"].as_str().unwrap_or("")
        ))
        .header(
            "x-internal-api-key",
            service_common::testing::TEST_INTERNAL_KEY,
        )
        .header("x-tenant-id", &flow.tenant)
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("json");
    assert_eq!(detail["lineItems"][0]["status"], "PRINTED");
    assert_eq!(detail["printJobs"].as_array().map(Vec::len), Some(6));
    flow.stop().await;
}

#[tokio::test]
async fn a_crash_between_receiving_and_acknowledging_order_created_loses_and_doubles_nothing() {
    let reserved = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("reserve a port");
    let (mut flow, reserved) = Flow::start(Some(reserved)).await;
    let reserved = reserved.expect("reserved listener");
    // Refuse connections (the port stays ours) so the handler fails mid-way.
    let addr = reserved.local_addr().expect("addr");
    drop(reserved);
    flow.send_order(5002, 1).await;
    let key = stream_key(&flow.prefix, names::ORDER_CREATED);
    eventually(
        Duration::from_secs(10),
        "order.created delivered and not acknowledged",
        || {
            let key = key.clone();
            async move {
                let mut r = redis().await;
                let pending: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
                    .arg(&key)
                    .arg("order")
                    .query_async(&mut r)
                    .await
                    .ok()?;
                (pending.count() == 1).then_some(())
            }
        },
    )
    .await;
    if let Some(o) = flow.order.take() {
        o.kill().await;
    }
    assert_eq!(flow.farm.queue().len(), 0);

    // print-service comes up where order-service expects it; order-service restarts.
    let listener = TcpListener::bind(addr)
        .await
        .expect("rebind the reserved port");
    flow.print = Some(
        start_print(
            Some(listener),
            &print_vars(&flow.db_url, &flow.prefix, &flow.farm),
        )
        .await,
    );
    flow.order = Some(start_order(&flow.order_vars).await);
    eventually(Duration::from_secs(20), "three queued items", || async {
        (flow.farm.queue().len() == 3 && flow.order_status().await == "PRINTING").then_some(())
    })
    .await;

    // The same event again, as after a crash right before XACK.
    let envelope: Value = sqlx::query_scalar("SELECT envelope FROM outbox WHERE event_type = $1")
        .bind(names::ORDER_CREATED)
        .fetch_one(&flow.pool)
        .await
        .expect("event");
    let mut r = redis().await;
    let _: String = redis::cmd("XADD")
        .arg(&key)
        .arg("*")
        .arg("envelope")
        .arg(envelope.to_string())
        .query_async(&mut r)
        .await
        .expect("xadd");
    eventually(Duration::from_secs(10), "the replay acknowledged", || {
        let key = key.clone();
        async move {
            let mut r = redis().await;
            let info: redis::streams::StreamInfoGroupsReply = redis::cmd("XINFO")
                .arg("GROUPS")
                .arg(&key)
                .query_async(&mut r)
                .await
                .ok()?;
            let group = info.groups.iter().find(|g| g.name == "order")?;
            (group.pending == 0 && group.entries_read == Some(2)).then_some(())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(flow.farm.queue().len(), 3, "no duplicate queue items");
    assert_eq!(flow.print_jobs().await, 3, "no duplicate print jobs");
    let mirrored: i64 = sqlx::query_scalar("SELECT count(*) FROM order_print_jobs")
        .fetch_one(&flow.pool)
        .await
        .expect("count");
    assert_eq!(mirrored, 3);
    flow.stop().await;
}

#[tokio::test]
async fn an_order_cancelled_in_shopify_cancels_its_print_jobs_and_queue_items() {
    let (flow, _) = Flow::start(None).await;
    flow.send_order(5003, 1).await;
    eventually(Duration::from_secs(20), "three queued items", || async {
        (flow.farm.queue().len() == 3).then_some(())
    })
    .await;
    let cancelled = serde_json::json!({
        "id": 5003, "updated_at": "2026-11-27T11:00:00Z",
        "cancelled_at": "2026-11-27T11:00:00Z", "cancel_reason": "customer",
        "line_items": [{ "id": 50030, "sku": "CABLE-ORG", "title": "Cable organiser", "quantity": 1 }],
    });
    let sender = svc_fakes::shopify::WebhookSender::new(support::SECRET, SHOP);
    let r = sender
        .send(
            &format!("{}/webhooks/shopify/orders-cancelled", flow.order_url()),
            &svc_fakes::shopify::Delivery::json("orders/cancelled", &cancelled),
        )
        .await
        .expect("sent");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(flow.order_status().await, "CANCELLED");
    eventually(
        Duration::from_secs(20),
        "jobs cancelled and queue items deleted",
        || async {
            let cancelled: i64 =
                sqlx::query_scalar("SELECT count(*) FROM print_jobs WHERE status = 'CANCELLED'")
                    .fetch_one(&flow.print_pool)
                    .await
                    .ok()?;
            let deleted = flow.farm.queue().iter().filter(|q| q.deleted).count();
            (cancelled == 3 && deleted == 3).then_some(())
        },
    )
    .await;
    flow.stop().await;
}
