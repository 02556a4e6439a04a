//! The fake's state: shipments by id and by external reference, queued
//! failures, the rate-limit window and the webhook target.

use super::model::{Failure, FakeParcel, FakeShipment, WebhookDelivery};
use crate::failures::FailureQueue;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Parcel ids start where Sendcloud's documentation examples are.
const FIRST_PARCEL_ID: i64 = 383_707_309;

#[derive(Debug)]
pub(super) struct Store {
    pub(super) shipments: Vec<FakeShipment>,
    next_parcel: i64,
    failures: FailureQueue<Failure>,
    window: (Instant, usize),
    pub(super) webhook: Option<(String, String)>,
    pub(super) deliveries: Vec<WebhookDelivery>,
}

/// What `announce` decided.
pub(super) enum Announced {
    /// A new shipment (201).
    Created(Value),
    /// The reference was used before: 409 with the existing shipment.
    Existing(Value),
}

impl Store {
    pub(super) fn new() -> Self {
        Self {
            shipments: Vec::new(),
            next_parcel: FIRST_PARCEL_ID,
            failures: FailureQueue::default(),
            window: (Instant::now(), 0),
            webhook: None,
            deliveries: Vec::new(),
        }
    }

    pub(super) fn fail_next(&mut self, endpoint: &str, failure: Failure) {
        self.failures
            .push(endpoint.trim_matches('/').to_owned(), failure);
    }

    pub(super) fn take_failure(&mut self, endpoint: &str) -> Option<Failure> {
        self.failures.take(endpoint)
    }

    /// Counts a POST; `false` once the minute's budget is spent.
    pub(super) fn within_rate_limit(&mut self) -> bool {
        let (started, count) = &mut self.window;
        if started.elapsed() >= Duration::from_secs(60) {
            *started = Instant::now();
            *count = 0;
        }
        *count += 1;
        *count <= super::POSTS_PER_MINUTE
    }

    pub(super) fn parcel(&self, id: i64) -> Option<(&FakeShipment, &FakeParcel)> {
        self.shipments
            .iter()
            .find_map(|s| s.parcels.iter().find(|p| p.id == id).map(|p| (s, p)))
    }

    pub(super) fn parcel_mut(&mut self, id: i64) -> Option<&mut FakeParcel> {
        self.shipments
            .iter_mut()
            .flat_map(|s| s.parcels.iter_mut())
            .find(|p| p.id == id)
    }

    /// Announces `request`; `failed` carries the carrier error of an
    /// `ANNOUNCEMENT_FAILED` answer.
    pub(super) fn announce(
        &mut self,
        base: &str,
        request: &Value,
        failed: Option<&str>,
    ) -> Announced {
        let reference = request
            .get("external_reference_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(reference) = &reference
            && let Some(existing) = self
                .shipments
                .iter()
                .find(|s| s.external_reference_id.as_ref() == Some(reference))
        {
            return Announced::Existing(existing.response.clone());
        }
        let id = uuid::Uuid::new_v4().to_string();
        let requested = request
            .get("parcels")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let to = request.get("to_address").cloned().unwrap_or(Value::Null);
        let postal = to.get("postal_code").and_then(Value::as_str).unwrap_or("");
        let country = to
            .get("country_code")
            .and_then(Value::as_str)
            .unwrap_or("NL");
        let option = request
            .pointer("/ship_with/properties/shipping_option_code")
            .or_else(|| request.pointer("/ship_with/shipping_option_code"))
            .and_then(Value::as_str)
            .unwrap_or("sendcloud:letter");
        let carrier = option.split(':').next().unwrap_or("sendcloud").to_owned();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut parcels = Vec::new();
        let mut parcel_json = Vec::new();
        for requested in &requested {
            let parcel_id = self.next_parcel;
            self.next_parcel += 1;
            let tracking_number = format!("3SYZXG{:07}", parcel_id % 10_000_000);
            let tracking_url = format!(
                "https://tracking.eu-central-1-0.sendcloud.sc/forward?carrier={carrier}&code={tracking_number}&destination={country}&lang=en-us&source=NL&type=parcel&verification={}",
                postal.replace(' ', "+")
            );
            let (code, message) = if failed.is_some() {
                ("ANNOUNCEMENT_FAILED", "Announcement Failed")
            } else {
                ("READY_TO_SEND", "Ready to send")
            };
            let mut parcel = json!({
                "id": parcel_id,
                "status": { "code": code, "message": message },
                "tracking_number": tracking_number,
                "tracking_url": tracking_url,
                "weight": requested.get("weight").cloned().unwrap_or(json!({"value": "1.000", "unit": "kg"})),
                "dimensions": requested.get("dimensions").cloned().unwrap_or(Value::Null),
                "parcel_items": requested.get("parcel_items").cloned().unwrap_or(json!([])),
                "created_at": now,
                "updated_at": now,
                "announced_at": now,
                "additional_carrier_data": { "awb_tracking_number": null, "box_number": null },
            });
            if failed.is_none() {
                parcel["documents"] = json!([{
                    "type": "label",
                    "size": "a6",
                    "link": format!("{base}/api/v3/parcels/{parcel_id}/documents/label"),
                }]);
            }
            parcel_json.push(parcel);
            parcels.push(FakeParcel {
                id: parcel_id,
                tracking_number,
                tracking_url,
                status_code: code.to_owned(),
                status_id: if failed.is_some() { 1002 } else { 1000 },
                status_message: message.to_owned(),
            });
        }
        // Sendcloud embeds the label only when the shipment has one parcel.
        if failed.is_none()
            && let [only] = parcel_json.as_mut_slice()
        {
            use base64::Engine;
            only["label_file"] =
                json!(base64::engine::general_purpose::STANDARD.encode(super::FAKE_LABEL_PDF));
        }
        let errors = match failed {
            Some(detail) => json!([{
                "status": "500",
                "code": "parcel_announcement_error",
                "detail": detail,
            }]),
            None => json!([]),
        };
        let response = json!({
            "id": id,
            "label_details": request.get("label_details").cloned()
                .unwrap_or(json!({ "mime_type": "application/pdf", "dpi": 72 })),
            "order_number": request.get("order_number"),
            "external_reference_id": reference,
            "total_order_price": request.get("total_order_price"),
            "parcels": parcel_json,
            "from_address": request.get("from_address"),
            "to_address": to,
            "ship_with": request.get("ship_with"),
            "customs_information": request.get("customs_information"),
            "carrier": { "code": carrier, "name": carrier_name(&carrier) },
            "errors": errors,
        });
        self.shipments.push(FakeShipment {
            id,
            external_reference_id: reference,
            request: request.clone(),
            parcels,
            response: response.clone(),
        });
        Announced::Created(response)
    }
}

fn carrier_name(code: &str) -> String {
    match code {
        "postnl" => "PostNL".to_owned(),
        "dhl" => "DHL".to_owned(),
        "dpd" => "DPD".to_owned(),
        "ups" => "UPS".to_owned(),
        "sendcloud" => "Sendcloud".to_owned(),
        other => other.to_owned(),
    }
}
