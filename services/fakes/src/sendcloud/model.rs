//! What the fake Sendcloud keeps and how tests make it misbehave.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A shipment announced through `POST /api/v3/shipments/announce`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FakeShipment {
    /// Sendcloud's shipment id (a UUID string).
    pub id: String,
    /// The client's idempotency key, if it sent one.
    pub external_reference_id: Option<String>,
    /// The request body as received.
    pub request: Value,
    /// Its parcels (the fake announces one parcel per requested parcel).
    pub parcels: Vec<FakeParcel>,
    /// The `data` object the announce call answered with.
    pub response: Value,
}

/// One parcel of a shipment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FakeParcel {
    /// Sendcloud's parcel id.
    pub id: i64,
    /// Carrier tracking number.
    pub tracking_number: String,
    /// Public tracking page.
    pub tracking_url: String,
    /// v3 status code (`READY_TO_SEND`, `ANNOUNCEMENT_FAILED`, …).
    pub status_code: String,
    /// v2 status id of the last webhook sent for it (1000 = ready to send).
    pub status_id: i64,
    /// The status text.
    pub status_message: String,
}

/// A webhook the fake sent, with the answer it got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookDelivery {
    /// Target URL.
    pub url: String,
    /// The exact bytes sent, as text.
    pub body: String,
    /// The `Sendcloud-Signature` header sent.
    pub signature: String,
    /// HTTP status of the answer, `None` when the receiver was unreachable.
    pub status: Option<u16>,
}

/// How the next call of an endpoint fails; endpoints are named
/// `shipments/announce` and `documents` (label downloads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// This HTTP status with a v3 `{"errors":[…]}` body.
    Http(u16),
    /// 201 whose parcel is `ANNOUNCEMENT_FAILED`, with this carrier error
    /// in `data.errors` (Sendcloud's documented half-success).
    AnnouncementFailed(String),
    /// The call is carried out, but the answer is held back this many
    /// milliseconds (a client timing out or crashing before it reads it).
    Stall(u64),
}
