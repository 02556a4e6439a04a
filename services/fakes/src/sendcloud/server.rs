//! The fake Sendcloud server: routing, Basic auth, the announce and label
//! endpoints, webhook sending, and the `/_control` routes of the binary.

use super::model::{Failure, FakeShipment, WebhookDelivery};
use super::store::{Announced, Store};
use crate::recorded::{RecordedRequest, RequestLog, record_requests};
use crate::serve::Running;
use crate::sync::lock;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(super) struct Inner {
    store: Mutex<Store>,
    log: RequestLog,
    /// `Basic base64(public:secret)`, what every API call must carry.
    authorization: String,
    base: Mutex<String>,
    http: reqwest::Client,
}

/// A running fake of Sendcloud's API v3. Dropping it stops the server.
pub struct SendcloudFake {
    inner: Arc<Inner>,
    server: Running,
}

impl std::fmt::Debug for SendcloudFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendcloudFake")
            .field("url", &self.url())
            .finish()
    }
}

/// Why the fake could not send a webhook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// [`SendcloudFake::set_webhook`] was not called.
    #[error("no webhook URL is configured")]
    NoWebhook,
    /// No announced parcel has this id.
    #[error("parcel {0} does not exist")]
    UnknownParcel(i64),
}

impl SendcloudFake {
    /// Starts on `127.0.0.1` with a free port, accepting these API keys.
    ///
    /// # Panics
    /// When no local port can be bound (a broken test machine).
    pub async fn start(public_key: &str, secret_key: &str) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(addr, public_key, secret_key)
            .await
            .unwrap_or_else(|error| panic!("fake Sendcloud could not bind {addr}: {error}"))
    }

    /// Starts on `addr` (port 0 picks a free port).
    pub async fn start_on(
        addr: SocketAddr,
        public_key: &str,
        secret_key: &str,
    ) -> std::io::Result<Self> {
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{public_key}:{secret_key}"));
        let inner = Arc::new(Inner {
            store: Mutex::new(Store::new()),
            log: RequestLog::default(),
            authorization: format!("Basic {credentials}"),
            base: Mutex::new(String::new()),
            http: service_common::client::http_client(Duration::from_secs(10)),
        });
        let server = Running::bind(addr, router(inner.clone())).await?;
        *lock(&inner.base) = server.url();
        Ok(Self { inner, server })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The v3 API base, production's `https://panel.sendcloud.sc/api/v3`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v3", self.url())
    }

    /// Every shipment announced so far (including failed announcements), oldest first.
    pub fn shipments(&self) -> Vec<FakeShipment> {
        lock(&self.inner.store).shipments.clone()
    }

    /// Where `parcel_status_changed` webhooks go, and the key that signs them.
    pub fn set_webhook(&self, url: &str, secret: &str) {
        lock(&self.inner.store).webhook = Some((url.to_owned(), secret.to_owned()));
    }

    /// Makes the next call of `endpoint` (`shipments/announce` or
    /// `documents`) fail as described; failures queue up in order.
    pub fn fail_next(&self, endpoint: &str, failure: Failure) {
        lock(&self.inner.store).fail_next(endpoint, failure);
    }

    /// Moves a parcel to a (v2) status and sends the signed
    /// `parcel_status_changed` webhook, returning what was sent and answered.
    pub async fn send_status(
        &self,
        parcel_id: i64,
        status_id: i64,
        message: &str,
    ) -> Result<WebhookDelivery, SendError> {
        self.inner.send_status(parcel_id, status_id, message).await
    }

    /// Every webhook sent so far.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.inner.store).deliveries.clone()
    }

    /// Every API request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.log.all()
    }
}

impl Inner {
    async fn send_status(
        &self,
        parcel_id: i64,
        status_id: i64,
        message: &str,
    ) -> Result<WebhookDelivery, SendError> {
        let (url, secret, body) = {
            let mut store = lock(&self.store);
            let (url, secret) = store.webhook.clone().ok_or(SendError::NoWebhook)?;
            let parcel = store
                .parcel_mut(parcel_id)
                .ok_or(SendError::UnknownParcel(parcel_id))?;
            parcel.status_id = status_id;
            parcel.status_message = message.to_owned();
            let body = store
                .parcel(parcel_id)
                .map(|(shipment, parcel)| status_body(shipment, parcel))
                .ok_or(SendError::UnknownParcel(parcel_id))?;
            (url, secret, body)
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let signature = super::sign(secret.as_bytes(), &bytes);
        let status = self
            .http
            .post(&url)
            .header(header::CONTENT_TYPE, "application/json")
            .header("Sendcloud-Signature", &signature)
            .body(bytes.clone())
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        let delivery = WebhookDelivery {
            url,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            signature,
            status,
        };
        lock(&self.store).deliveries.push(delivery.clone());
        Ok(delivery)
    }
}

/// A `parcel_status_changed` body shaped like Sendcloud's documented example.
fn status_body(shipment: &FakeShipment, parcel: &super::FakeParcel) -> Value {
    let to = shipment
        .request
        .get("to_address")
        .cloned()
        .unwrap_or(Value::Null);
    let text = |k: &str| to.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let now = chrono::Utc::now().timestamp_millis();
    let option = shipment
        .response
        .pointer("/ship_with/properties/shipping_option_code")
        .and_then(Value::as_str)
        .unwrap_or("");
    json!({
        "action": "parcel_status_changed",
        "timestamp": now,
        "carrier_status_change_timestamp": now,
        "parcel": {
            "id": parcel.id,
            "name": text("name"),
            "company_name": text("company_name"),
            "address": text("address_line_1"),
            "address_divided": { "street": text("address_line_1"), "house_number": text("house_number") },
            "city": text("city"),
            "postal_code": text("postal_code"),
            "telephone": text("phone_number"),
            "email": text("email"),
            "date_created": shipment.response.pointer("/parcels/0/created_at"),
            "tracking_number": parcel.tracking_number,
            "weight": shipment.response.pointer("/parcels/0/weight/value"),
            "label": {
                "normal_printer": [format!("https://panel.sendcloud.sc/api/v2/label/normal_printer/{}?start_from=0", parcel.id)],
                "label_printer": format!("https://panel.sendcloud.sc/api/v2/label/label_printer/{}", parcel.id),
            },
            "customs_declaration": {},
            "status": { "id": parcel.status_id, "message": parcel.status_message },
            "data": {},
            "country": { "iso_2": text("country_code") },
            "shipment": { "id": 1, "name": option },
            "order_number": shipment.request.get("order_number"),
            "shipment_uuid": shipment.id,
            "external_order_id": shipment.external_reference_id,
            "external_shipment_id": shipment.external_reference_id,
        }
    })
}

fn router(inner: Arc<Inner>) -> Router {
    let log = inner.log.clone();
    Router::new()
        .route("/api/v3/shipments/announce", post(announce))
        .route("/api/v3/parcels/{id}/documents/{kind}", get(document))
        .route("/_control/shipments", get(control_shipments))
        .route("/_control/webhook", post(control_webhook))
        .route("/_control/parcels/{id}/status", post(control_status))
        .route("/_control/fail-next", post(control_fail_next))
        .route("/_control/webhook-deliveries", get(control_deliveries))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "Not found.", None) })
        .merge(crate::recorded::control_route(log.clone()))
        .with_state(inner)
        .layer(axum::middleware::from_fn_with_state(log, record_requests))
}

/// A v3 error body: `{"errors":[{status, code, detail, source?}]}`.
fn error(status: StatusCode, code: &str, detail: &str, pointer: Option<&str>) -> Response {
    let mut entry =
        json!({ "status": status.as_u16().to_string(), "code": code, "detail": detail });
    if let Some(pointer) = pointer {
        entry["source"] = json!({ "pointer": pointer });
    }
    (status, axum::Json(json!({ "errors": [entry] }))).into_response()
}

fn authorised(inner: &Inner, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| {
            service_common::auth::constant_time_eq(given.as_bytes(), inner.authorization.as_bytes())
        })
}

fn unauthorised() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "authentication_failed",
        "Invalid username/password.",
        None,
    )
}

/// The first required field the request lacks, as a JSON pointer.
fn missing_field(request: &Value) -> Option<&'static str> {
    const REQUIRED: [&str; 6] = [
        "/to_address/name",
        "/to_address/address_line_1",
        "/to_address/postal_code",
        "/to_address/city",
        "/to_address/country_code",
        "/ship_with/type",
    ];
    REQUIRED.into_iter().find(|pointer| {
        request
            .pointer(pointer)
            .and_then(Value::as_str)
            .is_none_or(|v| v.trim().is_empty())
    })
}

async fn announce(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorised(&inner, &headers) {
        return unauthorised();
    }
    let failure = {
        let mut store = lock(&inner.store);
        if !store.within_rate_limit() {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Request was throttled.",
                None,
            );
        }
        store.take_failure("shipments/announce")
    };
    if let Some(Failure::Http(status)) = failure {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(
            status,
            "fake_failure",
            "Failure requested by the test.",
            None,
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "parse_error",
            "JSON parse error.",
            None,
        );
    };
    if let Some(pointer) = missing_field(&request) {
        return error(
            StatusCode::BAD_REQUEST,
            "required",
            "This field is required.",
            Some(pointer),
        );
    }
    let parcels = request
        .get("parcels")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if !(1..=15).contains(&parcels) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "A shipment announced synchronously has 1 to 15 parcels.",
            Some("/parcels"),
        );
    }
    let failed = match &failure {
        Some(Failure::AnnouncementFailed(detail)) => Some(detail.as_str()),
        _ => None,
    };
    let base = lock(&inner.base).clone();
    let outcome = lock(&inner.store).announce(&base, &request, failed);
    if let Some(Failure::Stall(millis)) = failure {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    }
    match outcome {
        Announced::Created(data) => {
            (StatusCode::CREATED, axum::Json(json!({ "data": data }))).into_response()
        }
        Announced::Existing(data) => (
            StatusCode::CONFLICT,
            axum::Json(json!({
                "data": data,
                "errors": [{
                    "status": "409",
                    "code": "duplicate",
                    "detail": "A shipment with this external_reference_id already exists.",
                    "source": { "pointer": "/external_reference_id" },
                }],
            })),
        )
            .into_response(),
    }
}

async fn document(
    State(inner): State<Arc<Inner>>,
    Path((id, kind)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&inner, &headers) {
        return unauthorised();
    }
    let mut store = lock(&inner.store);
    if let Some(failure) = store.take_failure("documents") {
        let status = match failure {
            Failure::Http(status) => {
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        return error(
            status,
            "fake_failure",
            "Failure requested by the test.",
            None,
        );
    }
    let announced = store
        .parcel(id)
        .is_some_and(|(_, p)| p.status_code != "ANNOUNCEMENT_FAILED");
    if kind != "label" || !announced {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such document.",
            None,
        );
    }
    (
        [(header::CONTENT_TYPE, "application/pdf")],
        super::FAKE_LABEL_PDF,
    )
        .into_response()
}

async fn control_shipments(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(json!({ "shipments": lock(&inner.store).shipments })).into_response()
}

#[derive(Deserialize)]
struct WebhookTarget {
    url: String,
    secret: String,
}

async fn control_webhook(
    State(inner): State<Arc<Inner>>,
    axum::Json(body): axum::Json<WebhookTarget>,
) -> Response {
    lock(&inner.store).webhook = Some((body.url, body.secret));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct StatusChange {
    status_id: i64,
    message: String,
}

async fn control_status(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<i64>,
    axum::Json(body): axum::Json<StatusChange>,
) -> Response {
    match inner.send_status(id, body.status_id, &body.message).await {
        Ok(delivery) => axum::Json(json!({ "delivery": delivery })).into_response(),
        Err(e) => (
            StatusCode::CONFLICT,
            axum::Json(json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct FailNext {
    endpoint: String,
    failure: Failure,
}

async fn control_fail_next(
    State(inner): State<Arc<Inner>>,
    axum::Json(body): axum::Json<FailNext>,
) -> Response {
    lock(&inner.store).fail_next(&body.endpoint, body.failure);
    StatusCode::NO_CONTENT.into_response()
}

async fn control_deliveries(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(json!({ "deliveries": lock(&inner.store).deliveries })).into_response()
}
