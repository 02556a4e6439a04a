//! shipping-service end to end with a real order-service, PostgreSQL and
//! Redis, and the Sendcloud and Shopify fakes.

mod support;

use serde_json::Value;
use service_common::testing::{TEST_INTERNAL_KEY, eventually};
use support::{Harness, SC_WEBHOOK_SECRET, SHOP, WAIT};
use svc_fakes::sendcloud::{Failure, sign};
use uuid::Uuid;

#[tokio::test]
async fn ready_order_is_shipped_fulfilled_and_tracked() {
    let h = Harness::start().await;
    h.publish_ready(Uuid::now_v7()).await;
    let shipment = h
        .shipment_where("a fulfilled shipment", |s| s["stage"] == "DONE")
        .await;
    assert_eq!(shipment["status"], "LABEL_CREATED");
    assert_eq!(shipment["fulfillmentStatus"], "CREATED");
    assert_eq!(shipment["hasLabel"], true);

    let sent = h.sendcloud.shipments();
    assert_eq!(sent.len(), 1);
    let request = &sent[0].request;
    assert_eq!(request["to_address"]["name"], "Bob Norman");
    assert_eq!(request["to_address"]["postal_code"], "40202");
    assert_eq!(request["to_address"]["country_code"], "US");
    assert_eq!(request["order_number"], "#1001");
    assert_eq!(request["parcels"][0]["weight"]["value"], "0.800");
    assert_eq!(
        request["external_reference_id"],
        Value::String(format!("gridflock-order-{}", h.order_id))
    );
    let tracking = sent[0].parcels[0].tracking_number.clone();
    assert_eq!(shipment["trackingNumber"], Value::String(tracking.clone()));

    let id = shipment["id"].as_str().expect("id");
    let label = h.get(&format!("/internal/shipments/{id}/label")).await;
    assert_eq!(label.status(), 200);
    assert_eq!(label.headers()["content-type"], "application/pdf");
    assert_eq!(
        label.bytes().await.expect("pdf").as_ref(),
        svc_fakes::sendcloud::FAKE_LABEL_PDF
    );

    let fulfillments = h.shopify.fulfillments(SHOP);
    assert_eq!(fulfillments.len(), 1, "{fulfillments:?}");
    assert_eq!(fulfillments[0]["notify_customer"], true);
    assert_eq!(
        fulfillments[0]["tracking_info"]["number"],
        Value::String(tracking)
    );
    assert_eq!(fulfillments[0]["tracking_info"]["company"], "PostNL");

    let created = h.events("shipment.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].payload["orderId"],
        Value::String(h.order_id.to_string())
    );
    h.wait_order_status("SHIPPING").await;

    // Carrier scans arrive as signed Sendcloud webhooks.
    h.sendcloud
        .set_webhook(&format!("{}/webhooks/sendcloud", h.url), SC_WEBHOOK_SECRET);
    let parcel = sent[0].parcels[0].id;
    let delivery = h
        .sendcloud
        .send_status(parcel, 92, "Driver en route")
        .await
        .expect("sent");
    assert_eq!(delivery.status, Some(200));
    h.shipment_where("in transit", |s| s["status"] == "IN_TRANSIT")
        .await;
    h.wait_order_status("SHIPPED").await;
    h.sendcloud
        .send_status(parcel, 11, "Delivered")
        .await
        .expect("sent");
    let done = h
        .shipment_where("delivered", |s| s["status"] == "DELIVERED")
        .await;
    assert_eq!(done["sendcloudStatusId"], 11);
    h.wait_order_status("DELIVERED").await;
    let changes: Vec<Value> = h
        .events("shipment.status-changed")
        .await
        .iter()
        .map(|e| e.payload["status"].clone())
        .collect();
    assert_eq!(changes, ["IN_TRANSIT", "DELIVERED"]);
    h.stop().await;
}

#[tokio::test]
async fn webhooks_with_a_bad_signature_change_nothing() {
    let h = Harness::start().await;
    h.publish_ready(Uuid::now_v7()).await;
    h.shipment_where("a shipment", |s| s["stage"] == "DONE")
        .await;
    let parcel = h.sendcloud.shipments()[0].parcels[0].id;
    let body = serde_json::to_vec(&serde_json::json!({
        "action": "parcel_status_changed",
        "timestamp": 1_700_000_000_000_i64,
        "parcel": { "id": parcel, "status": { "id": 11, "message": "Delivered" } },
    }))
    .expect("body");
    let url = format!("{}/webhooks/sendcloud", h.url);
    for signature in [
        Some(sign(b"wrong-secret", &body)),
        Some("zz".to_owned()),
        None,
    ] {
        let mut request = h.http.post(&url).body(body.clone());
        if let Some(s) = &signature {
            request = request.header("Sendcloud-Signature", s);
        }
        let answer = request.send().await.expect("answered");
        assert_eq!(answer.status(), 401, "{signature:?}");
        assert_eq!(answer.headers()["content-type"], "application/problem+json");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM sendcloud_webhooks")
        .fetch_one(&h.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0);
    let status: String = sqlx::query_scalar("SELECT status FROM shipments")
        .fetch_one(&h.pool)
        .await
        .expect("status");
    assert_eq!(status, "LABEL_CREATED");

    // The same body correctly signed is applied once, however often it comes.
    for _ in 0..2 {
        let answer = h
            .http
            .post(&url)
            .header(
                "Sendcloud-Signature",
                sign(SC_WEBHOOK_SECRET.as_bytes(), &body),
            )
            .body(body.clone())
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status(), 200);
    }
    h.shipment_where("delivered", |s| s["status"] == "DELIVERED")
        .await;
    assert_eq!(h.events("shipment.status-changed").await.len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn repeated_events_and_a_crash_mid_announce_buy_one_label() {
    let mut h = Harness::start().await;
    // The answer to the first announce is held back long enough to kill the
    // service after Sendcloud created the shipment but before it was recorded.
    h.sendcloud
        .fail_next("shipments/announce", Failure::Stall(10_000));
    let event = Uuid::now_v7();
    h.publish_ready(event).await;
    h.publish_ready(event).await;
    h.publish_ready(Uuid::now_v7()).await;
    eventually(WAIT, "the announce call", || async {
        (!h.sendcloud.shipments().is_empty()).then_some(())
    })
    .await;
    h.crash_and_restart().await;
    let shipment = h
        .shipment_where("a fulfilled shipment", |s| s["stage"] == "DONE")
        .await;
    assert_eq!(
        h.sendcloud.shipments().len(),
        1,
        "one Sendcloud shipment, one label"
    );
    let announces = h
        .sendcloud
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/shipments/announce"))
        .count();
    assert!(announces >= 2, "the announce was repeated ({announces})");
    assert_eq!(
        shipment["trackingNumber"],
        Value::String(
            h.sendcloud.shipments()[0].parcels[0]
                .tracking_number
                .clone()
        )
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM shipments")
        .fetch_one(&h.pool)
        .await
        .expect("count");
    assert_eq!(rows, 1);
    assert_eq!(h.shopify.fulfillments(SHOP).len(), 1);
    assert_eq!(h.events("shipment.created").await.len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn announcement_failed_fails_the_shipment() {
    let h = Harness::start().await;
    h.sendcloud.fail_next(
        "shipments/announce",
        Failure::AnnouncementFailed(
            "Service error: An error occurred while connecting to the carrier.".into(),
        ),
    );
    h.publish_ready(Uuid::now_v7()).await;
    let shipment = h
        .shipment_where("a failed shipment", |s| s["status"] == "FAILED")
        .await;
    assert_eq!(shipment["stage"], "FAILED");
    let error = shipment["error"].as_str().expect("error");
    assert!(
        error.contains("ANNOUNCEMENT_FAILED") && error.contains("connecting to the carrier"),
        "{error}"
    );
    assert_eq!(shipment["hasLabel"], false);
    let changes = h.events("shipment.status-changed").await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].payload["status"], "FAILED");
    assert!(h.events("shipment.created").await.is_empty());
    assert!(h.shopify.fulfillments(SHOP).is_empty());
    assert_eq!(h.sendcloud.shipments().len(), 1, "not retried");
    h.stop().await;
}

#[tokio::test]
async fn server_errors_are_retried_with_back_off() {
    let h = Harness::start().await;
    h.sendcloud
        .fail_next("shipments/announce", Failure::Http(503));
    h.sendcloud
        .fail_next("shipments/announce", Failure::Http(502));
    h.publish_ready(Uuid::now_v7()).await;
    let shipment = h
        .shipment_where("a fulfilled shipment", |s| s["stage"] == "DONE")
        .await;
    assert_eq!(shipment["status"], "LABEL_CREATED");
    assert_eq!(h.sendcloud.shipments().len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn api_checks_key_tenant_and_input() {
    let h = Harness::start().await;
    h.publish_ready(Uuid::now_v7()).await;
    let shipment = h
        .shipment_where("a shipment", |s| s["stage"] == "DONE")
        .await;
    let id = shipment["id"].as_str().expect("id");

    let no_key = h
        .http
        .get(format!("{}/internal/shipments/{id}", h.url))
        .send()
        .await
        .expect("answered");
    assert_eq!(no_key.status(), 401);
    let wrong_key = h
        .http
        .get(format!("{}/api/v1/shipments", h.url))
        .header("x-internal-api-key", "wrong-key-wrong-key-wrong")
        .header("x-tenant-id", h.tenant_id.to_string())
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong_key.status(), 401);

    assert_eq!(h.get("/internal/shipments").await.status(), 422);
    assert_eq!(
        h.get("/internal/shipments?orderId=nope").await.status(),
        422
    );
    assert_eq!(h.get("/internal/shipments/not-a-uuid").await.status(), 422);
    assert_eq!(
        h.get(&format!("/internal/shipments/{}", Uuid::now_v7()))
            .await
            .status(),
        404
    );

    let tenant_get = |tenant: String, path: String| {
        h.http
            .get(format!("{}{path}", h.url))
            .header("x-internal-api-key", TEST_INTERNAL_KEY)
            .header("x-tenant-id", tenant)
            .send()
    };
    let mine: Value = tenant_get(h.tenant_id.to_string(), "/api/v1/shipments".into())
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let one = tenant_get(h.tenant_id.to_string(), format!("/api/v1/shipments/{id}"))
        .await
        .expect("answered");
    assert_eq!(one.status(), 200);
    let other = tenant_get(
        Uuid::now_v7().to_string(),
        format!("/api/v1/shipments/{id}"),
    )
    .await
    .expect("answered");
    assert_eq!(other.status(), 404);
    let bad = tenant_get("x".into(), "/api/v1/shipments".into())
        .await
        .expect("answered");
    assert_eq!(bad.status(), 422);
    let limit = tenant_get(h.tenant_id.to_string(), "/api/v1/shipments?limit=0".into())
        .await
        .expect("answered");
    assert_eq!(limit.status(), 422);
    h.stop().await;
}
