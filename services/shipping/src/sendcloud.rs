//! Sendcloud API v3: `POST /shipments/announce` (create the shipment and
//! buy its label in one call) and the label document download.
//!
//! Errors are sorted by what the caller can do about them: [`Transient`]
//! (network, 429, 5xx) is retried later, [`Permanent`] (any other 4xx) is not.
//! A 409 carries the shipment created earlier under the same
//! `external_reference_id` and counts as success.
//!
//! [`Transient`]: SendcloudError::Transient
//! [`Permanent`]: SendcloudError::Permanent

use crate::config::{ParcelDefaults, SendcloudConfig, Sender};
use crate::orders::Order;
use base64::Engine;
use serde_json::{Value, json};
use std::time::Duration;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SendcloudError {
    /// Try again later.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help.
    #[error("{0}")]
    Permanent(String),
}

/// What an announce call produced.
#[derive(Debug, Clone)]
pub(crate) struct Announced {
    pub(crate) shipment_id: String,
    pub(crate) parcel_id: Option<i64>,
    pub(crate) tracking_number: Option<String>,
    pub(crate) tracking_url: Option<String>,
    pub(crate) carrier: Option<String>,
    pub(crate) label_url: Option<String>,
    /// The label, when Sendcloud embedded it (single-parcel shipments).
    pub(crate) label: Option<Vec<u8>>,
    /// Set when the parcel is `ANNOUNCEMENT_FAILED`: the carrier's errors.
    pub(crate) failed: Option<String>,
}

/// The Sendcloud client.
#[derive(Clone)]
pub(crate) struct Sendcloud {
    config: SendcloudConfig,
    http: reqwest::Client,
}

impl Sendcloud {
    pub(crate) fn new(config: &SendcloudConfig, timeout: Duration) -> Self {
        Self {
            config: config.clone(),
            http: service_common::client::http_client(timeout),
        }
    }

    /// Announces `request`; a 409 (reference used before) answers the
    /// existing shipment.
    pub(crate) async fn announce(&self, request: &Value) -> Result<Announced, SendcloudError> {
        let response = self
            .http
            .post(format!("{}/shipments/announce", self.config.api_url))
            .basic_auth(&self.config.public_key, Some(&self.config.secret_key))
            .json(request)
            .send()
            .await
            .map_err(|e| SendcloudError::Transient(format!("Sendcloud unreachable: {e}")))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status.as_u16() {
            200 | 201 => parse(&body),
            409 if body.pointer("/data/parcels").is_some() => {
                tracing::info!("Sendcloud already had this shipment; adopting it");
                parse(&body)
            }
            429 | 500..=599 => Err(SendcloudError::Transient(format!(
                "Sendcloud answered {status}: {}",
                describe_errors(&body)
            ))),
            _ => Err(SendcloudError::Permanent(format!(
                "Sendcloud refused the shipment ({status}): {}",
                describe_errors(&body)
            ))),
        }
    }

    /// Downloads a label document (same Basic auth as the API).
    pub(crate) async fn label(&self, url: &str) -> Result<Vec<u8>, SendcloudError> {
        let response = self
            .http
            .get(url)
            .basic_auth(&self.config.public_key, Some(&self.config.secret_key))
            .header(reqwest::header::ACCEPT, "application/pdf")
            .send()
            .await
            .map_err(|e| SendcloudError::Transient(format!("Sendcloud unreachable: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .map_err(|e| SendcloudError::Transient(format!("label download broke off: {e}")));
        }
        let message = format!("label download answered {status}");
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendcloudError::Transient(message))
        } else {
            Err(SendcloudError::Permanent(message))
        }
    }
}

/// `errors[]` of a v3 answer as one line: `pointer: detail; …`.
fn describe_errors(body: &Value) -> String {
    let errors = body
        .get("errors")
        .or_else(|| body.pointer("/data/errors"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if errors.is_empty() {
        return "no error details".to_owned();
    }
    errors
        .iter()
        .map(|e| {
            let detail = e
                .get("detail")
                .and_then(Value::as_str)
                .unwrap_or("unknown error");
            match e.pointer("/source/pointer").and_then(Value::as_str) {
                Some(pointer) => format!("{pointer}: {detail}"),
                None => detail.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn parse(body: &Value) -> Result<Announced, SendcloudError> {
    let data = body
        .get("data")
        .ok_or_else(|| SendcloudError::Transient("Sendcloud answered without data".to_owned()))?;
    let parcel = data.pointer("/parcels/0").cloned().unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let code = parcel
        .pointer("/status/code")
        .and_then(Value::as_str)
        .unwrap_or("");
    let failed = (code == "ANNOUNCEMENT_FAILED" || parcel.is_null()).then(|| {
        format!(
            "Sendcloud could not announce the parcel ({}): {}",
            if code.is_empty() { "no parcel" } else { code },
            describe_errors(body)
        )
    });
    let label_url = parcel
        .get("documents")
        .and_then(Value::as_array)
        .and_then(|docs| {
            docs.iter()
                .find(|d| d.get("type").and_then(Value::as_str) == Some("label"))
        })
        .and_then(|d| text(d, "link"));
    let label = parcel
        .get("label_file")
        .and_then(Value::as_str)
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    Ok(Announced {
        shipment_id: text(data, "id").unwrap_or_default(),
        parcel_id: parcel.get("id").and_then(Value::as_i64),
        tracking_number: text(&parcel, "tracking_number"),
        tracking_url: text(&parcel, "tracking_url"),
        carrier: data
            .pointer("/carrier/name")
            .or_else(|| data.pointer("/carrier/code"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        label_url,
        label,
        failed,
    })
}

/// Why an order cannot be shipped as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NotShippable(pub(crate) String);

/// The announce request for `order`: Shopify's address fields mapped to
/// Sendcloud's, one parcel with the configured weight and the order's items.
pub(crate) fn announce_request(
    order: &Order,
    reference: &str,
    sender: &Sender,
    parcel: &ParcelDefaults,
) -> Result<Value, NotShippable> {
    let address = order
        .shipping_address
        .as_ref()
        .filter(|a| a.is_object())
        .ok_or_else(|| NotShippable(format!("order {} has no shipping address", order.name)))?;
    let field = |k: &str| {
        address
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let name = field("name").or_else(|| {
        let full = [field("first_name"), field("last_name")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!full.is_empty()).then_some(full)
    });
    let mut missing = Vec::new();
    for (key, value) in [
        ("name", &name),
        ("address1", &field("address1")),
        ("city", &field("city")),
        ("zip", &field("zip")),
        ("country_code", &field("country_code")),
    ] {
        if value.is_none() {
            missing.push(key);
        }
    }
    if !missing.is_empty() {
        return Err(NotShippable(format!(
            "the shipping address of order {} lacks {}",
            order.name,
            missing.join(", ")
        )));
    }
    let mut to = json!({
        "name": name,
        "address_line_1": field("address1"),
        "postal_code": field("zip"),
        "city": field("city"),
        "country_code": field("country_code").map(|c| c.to_uppercase()),
    });
    for (ours, theirs) in [
        ("company_name", field("company")),
        ("address_line_2", field("address2")),
        ("phone_number", field("phone")),
        ("state_province_code", field("province_code")),
        ("email", order.email.clone()),
    ] {
        if let Some(v) = theirs {
            to[ours] = json!(v);
        }
    }
    let mut from = json!({
        "name": sender.name,
        "address_line_1": sender.address1,
        "postal_code": sender.postal_code,
        "city": sender.city,
        "country_code": sender.country,
    });
    for (ours, value) in [
        ("company_name", &sender.company),
        ("address_line_2", &sender.address2),
        ("house_number", &sender.house_number),
        ("email", &sender.email),
        ("phone_number", &sender.phone),
    ] {
        if let Some(v) = value {
            from[ours] = json!(v);
        }
    }
    let items: Vec<Value> = order
        .line_items
        .iter()
        .map(|li| {
            let mut item = json!({ "description": li.title, "quantity": li.quantity.max(1) });
            if let Some(sku) = &li.sku {
                item["sku"] = json!(sku);
            }
            item
        })
        .collect();
    Ok(json!({
        "label_details": { "mime_type": "application/pdf", "dpi": 72 },
        "ship_with": {
            "type": "shipping_option_code",
            "properties": { "shipping_option_code": parcel.shipping_option_code },
        },
        "from_address": from,
        "to_address": to,
        "order_number": order.name,
        "external_reference_id": reference,
        "parcels": [{
            "weight": { "value": format!("{:.3}", parcel.weight_kg), "unit": "kg" },
            "parcel_items": items,
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str) -> Value {
        let dir = service_common::testing::fixtures_dir();
        let bytes = std::fs::read(dir.join(name)).expect("fixture");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[test]
    fn reads_the_documented_success() {
        let a = parse(&read(
            "sendcloud_v3_shipments_announce_201__CreatedSingleParcelDomesticShipment.json",
        ))
        .expect("parsed");
        assert_eq!(a.parcel_id, Some(383_707_309));
        assert_eq!(a.tracking_number.as_deref(), Some("3SYZXG8498635"));
        assert_eq!(a.carrier.as_deref(), Some("PostNL"));
        assert_eq!(
            a.label_url.as_deref(),
            Some("https://panel.sendcloud.sc/api/v3/parcels/383707309/documents/label")
        );
        assert!(a.failed.is_none());
    }

    #[test]
    fn reads_the_documented_announcement_failure() {
        let a = parse(&read(
            "sendcloud_v3_shipments_announce_201__DomesticSingleParcelShipmentAnnouncementFailed.json",
        ))
        .expect("parsed");
        let failed = a.failed.expect("failed");
        assert!(failed.contains("ANNOUNCEMENT_FAILED"), "{failed}");
        assert!(
            failed.contains("An error occurred while connecting to the carrier"),
            "{failed}"
        );
    }

    #[test]
    fn describes_validation_errors_with_their_pointer() {
        let body = read("sendcloud_v3_shipments_announce_400__Failed.json");
        assert_eq!(
            describe_errors(&body),
            "/to_address/name: This field is required."
        );
    }
}
