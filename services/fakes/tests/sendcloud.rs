//! The Sendcloud fake against Sendcloud's published examples: Basic auth,
//! `shipments/announce` (201, 409 on a reused `external_reference_id`, 400,
//! the 201-with-`ANNOUNCEMENT_FAILED` answer), label documents, the rate
//! limit, and signed `parcel_status_changed` webhooks.

mod common;

use common::Receiver;
use serde_json::{Value, json};
use service_common::testing::fixture;
use svc_fakes::sendcloud::{Failure, SendcloudFake, sign, verify};

const PUBLIC: &str = "pub-key";
const SECRET: &str = "secret-key";

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

fn request_with_reference(reference: &str) -> Value {
    let mut request = fixture_json(
        "sendcloud_v3_shipments_announce_request__CreateDomesticSingleParcelShipment.json",
    );
    request["external_reference_id"] = json!(reference);
    request
}

async fn announce(fake: &SendcloudFake, body: &Value) -> (u16, Value) {
    let response = common::client()
        .post(format!("{}/shipments/announce", fake.api_url()))
        .basic_auth(PUBLIC, Some(SECRET))
        .json(body)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn signature_matches_sendcloud_vector() {
    let vector = fixture_json("sendcloud_signature_vector__sendcloud-docs.json");
    let secret = vector["secret"].as_str().expect("secret");
    let body = hex::decode(vector["body_hex"].as_str().expect("hex")).expect("hex body");
    let expected = vector["expected_sendcloud_signature"]
        .as_str()
        .expect("sig");
    assert_eq!(sign(secret.as_bytes(), &body), expected);
    assert!(verify(secret.as_bytes(), &body, expected));
    assert!(!verify(b"other", &body, expected));
    assert!(!verify(secret.as_bytes(), b"{\"key\":\"value\"}", expected));
    assert!(!verify(secret.as_bytes(), &body, "not hex"));
}

#[tokio::test]
async fn announce_requires_basic_auth() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    let url = format!("{}/shipments/announce", fake.api_url());
    let http = common::client();
    let body = request_with_reference("auth-1");
    let none = http.post(&url).json(&body).send().await.expect("answered");
    assert_eq!(none.status(), 401);
    let problem: Value = none.json().await.expect("JSON");
    assert_eq!(problem["errors"][0]["status"], "401");
    let wrong = http
        .post(&url)
        .basic_auth(PUBLIC, Some("nope"))
        .json(&body)
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong.status(), 401);
    assert!(fake.shipments().is_empty());
}

#[tokio::test]
async fn announce_answers_like_the_documented_example() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    let (status, body) = announce(&fake, &request_with_reference("order-1")).await;
    assert_eq!(status, 201, "{body}");
    let example = fixture_json(
        "sendcloud_v3_shipments_announce_201__CreatedSingleParcelDomesticShipment.json",
    );
    let parcel = &body["data"]["parcels"][0];
    let documented = &example["data"]["parcels"][0];
    for key in keys(documented) {
        if key == "label_notes" || key == "package_type" {
            continue;
        }
        assert!(parcel.get(&key).is_some(), "parcel lacks {key}: {parcel}");
    }
    for key in keys(&example["data"]) {
        assert!(body["data"].get(&key).is_some(), "data lacks {key}");
    }
    assert_eq!(parcel["status"]["code"], documented["status"]["code"]);
    assert!(
        parcel["tracking_number"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        parcel["tracking_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    assert_eq!(parcel["documents"][0]["type"], "label");
    assert_eq!(body["data"]["carrier"]["code"], "postnl");
    let shipments = fake.shipments();
    assert_eq!(shipments.len(), 1);
    assert_eq!(
        shipments[0].external_reference_id.as_deref(),
        Some("order-1")
    );
    assert_eq!(
        shipments[0].parcels[0].id,
        parcel["id"].as_i64().expect("id")
    );

    // The label behind the document link is a PDF, and needs the same auth.
    let link = parcel["documents"][0]["link"].as_str().expect("link");
    let http = common::client();
    let pdf = http
        .get(link)
        .basic_auth(PUBLIC, Some(SECRET))
        .send()
        .await
        .expect("answered");
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF-"));
    let embedded = parcel["label_file"].as_str().expect("label_file");
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(embedded)
            .expect("base64"),
        bytes.to_vec()
    );
    let anonymous = http.get(link).send().await.expect("answered");
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn reused_reference_answers_409_with_the_existing_shipment() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    let (first_status, first) = announce(&fake, &request_with_reference("order-7")).await;
    assert_eq!(first_status, 201);
    let mut changed = request_with_reference("order-7");
    changed["order_number"] = json!("other");
    let (status, again) = announce(&fake, &changed).await;
    assert_eq!(status, 409);
    assert_eq!(again["data"]["id"], first["data"]["id"]);
    assert_eq!(
        again["data"]["parcels"][0]["tracking_number"],
        first["data"]["parcels"][0]["tracking_number"]
    );
    assert_eq!(fake.shipments().len(), 1, "no second label");
    let (status, _) = announce(&fake, &request_with_reference("order-8")).await;
    assert_eq!(status, 201);
    assert_eq!(fake.shipments().len(), 2);
}

#[tokio::test]
async fn missing_fields_answer_400_like_sendcloud() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    let mut request = request_with_reference("bad-1");
    request["to_address"]
        .as_object_mut()
        .expect("address")
        .remove("name");
    let (status, body) = announce(&fake, &request).await;
    assert_eq!(status, 400);
    let documented = fixture_json("sendcloud_v3_shipments_announce_400__Failed.json");
    assert_eq!(body, documented);
    assert!(fake.shipments().is_empty());
}

#[tokio::test]
async fn scripted_failures_come_once_in_order() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    fake.fail_next("shipments/announce", Failure::Http(503));
    fake.fail_next(
        "shipments/announce",
        Failure::AnnouncementFailed(
            "Service error: An error occurred while connecting to the carrier.".into(),
        ),
    );
    let (status, _) = announce(&fake, &request_with_reference("f-1")).await;
    assert_eq!(status, 503);
    assert!(fake.shipments().is_empty());

    let (status, body) = announce(&fake, &request_with_reference("f-1")).await;
    assert_eq!(status, 201);
    let documented = fixture_json(
        "sendcloud_v3_shipments_announce_201__DomesticSingleParcelShipmentAnnouncementFailed.json",
    );
    let parcel = &body["data"]["parcels"][0];
    assert_eq!(parcel["status"], documented["data"]["parcels"][0]["status"]);
    assert!(parcel.get("documents").is_none());
    assert_eq!(
        body["data"]["errors"][0]["code"],
        documented["data"]["errors"][0]["code"]
    );
    assert_eq!(
        body["data"]["errors"][0]["detail"],
        documented["data"]["errors"][0]["detail"]
    );
    let link = format!(
        "{}/parcels/{}/documents/label",
        fake.api_url(),
        parcel["id"]
    );
    let label = common::client()
        .get(link)
        .basic_auth(PUBLIC, Some(SECRET))
        .send()
        .await
        .expect("answered");
    assert_eq!(label.status(), 404, "a failed announcement has no label");

    let (status, _) = announce(&fake, &request_with_reference("f-2")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn posts_beyond_the_minute_budget_answer_429() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    let mut request = request_with_reference("x");
    request["to_address"]["name"] = json!("");
    let mut statuses = Vec::new();
    for _ in 0..=svc_fakes::sendcloud::POSTS_PER_MINUTE {
        statuses.push(announce(&fake, &request).await.0);
    }
    assert!(
        statuses[..svc_fakes::sendcloud::POSTS_PER_MINUTE]
            .iter()
            .all(|s| *s == 400)
    );
    assert_eq!(statuses.last(), Some(&429));
}

#[tokio::test]
async fn status_webhooks_are_signed_and_shaped_like_the_docs() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    let receiver = Receiver::start().await;
    let (_, body) = announce(&fake, &request_with_reference("hook-1")).await;
    let parcel_id = body["data"]["parcels"][0]["id"].as_i64().expect("id");
    assert!(
        fake.send_status(parcel_id, 11, "Delivered").await.is_err(),
        "no webhook set yet"
    );
    fake.set_webhook(&receiver.url, "webhook-secret");
    assert!(fake.send_status(999, 11, "Delivered").await.is_err());

    let delivery = fake
        .send_status(parcel_id, 92, "Driver en route")
        .await
        .expect("sent");
    assert_eq!(delivery.status, Some(200));
    let got = receiver.wait_for(1).await;
    let signature = got[0].header("sendcloud-signature").expect("signed");
    assert_eq!(signature, signature.to_lowercase());
    assert!(verify(b"webhook-secret", &got[0].body, &signature));
    let sent = got[0].json();
    let documented = fixture_json("sendcloud_webhook_parcel_status_changed__sendcloud-docs.json");
    assert_eq!(keys(&sent), keys(&documented));
    for key in keys(&documented["parcel"]) {
        assert!(sent["parcel"].get(&key).is_some(), "parcel lacks {key}");
    }
    assert_eq!(sent["action"], "parcel_status_changed");
    assert_eq!(sent["parcel"]["id"], parcel_id);
    assert_eq!(
        sent["parcel"]["status"],
        json!({ "id": 92, "message": "Driver en route" })
    );
    assert_eq!(
        sent["parcel"]["tracking_number"],
        body["data"]["parcels"][0]["tracking_number"]
    );
    assert!(sent["timestamp"].as_i64().is_some());
    assert_eq!(fake.shipments()[0].parcels[0].status_id, 92);
    assert_eq!(fake.webhook_deliveries().len(), 1);
}

#[tokio::test]
async fn control_routes_drive_the_fake() {
    let fake = SendcloudFake::start(PUBLIC, SECRET).await;
    let receiver = Receiver::start().await;
    let http = common::client();
    let control = format!("{}/_control", fake.url());
    let set = http
        .post(format!("{control}/fail-next"))
        .json(&json!({ "endpoint": "shipments/announce", "failure": { "http": 502 } }))
        .send()
        .await
        .expect("answered");
    assert_eq!(set.status(), 204);
    assert_eq!(announce(&fake, &request_with_reference("c-1")).await.0, 502);
    let (_, body) = announce(&fake, &request_with_reference("c-1")).await;
    let parcel_id = body["data"]["parcels"][0]["id"].as_i64().expect("id");
    http.post(format!("{control}/webhook"))
        .json(&json!({ "url": receiver.url, "secret": "s3cret" }))
        .send()
        .await
        .expect("answered");
    let sent: Value = http
        .post(format!("{control}/parcels/{parcel_id}/status"))
        .json(&json!({ "status_id": 11, "message": "Delivered" }))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(sent["delivery"]["status"], 200);
    receiver.wait_for(1).await;
    let listed: Value = http
        .get(format!("{control}/shipments"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["shipments"][0]["external_reference_id"], "c-1");
    let requests: Value = http
        .get(format!("{control}/requests"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(requests["requests"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        fake.requests()[1]
            .header("authorization")
            .map(|a| a.starts_with("Basic ")),
        Some(true)
    );
}
