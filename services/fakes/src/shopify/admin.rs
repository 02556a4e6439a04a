//! The fake Admin API server: routing, access-token checks, request
//! recording, and the `/_control` routes the binary exposes.

use super::rest::{self, Call};
use super::store::Store;
use super::{INVALID_TOKEN_BODY, WebhookSender, graphql};
use crate::recorded::{RecordedRequest, RequestLog, record_requests};
use crate::serve::Running;
use crate::sync::lock;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

struct Inner {
    store: Mutex<Store>,
    log: RequestLog,
}

/// A running fake of the Shopify Admin API for any number of shops.
/// Dropping it stops the server.
pub struct ShopifyFake {
    inner: Arc<Inner>,
    server: Running,
}

impl std::fmt::Debug for ShopifyFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyFake")
            .field("url", &self.url())
            .finish()
    }
}

impl ShopifyFake {
    /// Starts on `127.0.0.1` with a free port.
    ///
    /// # Panics
    /// When no local port can be bound (a broken test machine).
    pub async fn start() -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(addr)
            .await
            .unwrap_or_else(|error| panic!("fake Shopify could not bind {addr}: {error}"))
    }

    /// Starts on `addr` (port 0 picks a free port).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            store: Mutex::new(Store::new()),
            log: RequestLog::default(),
        });
        let server = Running::bind(addr, router(inner.clone())).await?;
        Ok(Self { inner, server })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The Admin base URL with a `{shop}` placeholder for the shop domain;
    /// production's equivalent is `https://{shop}`.
    pub fn admin_url_template(&self) -> String {
        format!("{}/shops/{{shop}}", self.url())
    }

    /// The Admin base URL of one shop (the template with `{shop}` filled in).
    pub fn admin_url(&self, shop: &str) -> String {
        self.admin_url_template().replace("{shop}", shop)
    }

    /// Stores a REST Order (a bare order, or a `{"order": …}` / `{"response": …}`
    /// fixture) for `shop`, replacing an order with the same id. Missing ids and
    /// timestamps are filled in; its fulfillment order is derived on first sight.
    pub fn add_order(&self, shop: &str, order: Value) {
        self.insert_order(shop, order);
    }

    /// Like [`Self::add_order`], returning the order's id.
    pub fn insert_order(&self, shop: &str, order: Value) -> u64 {
        lock(&self.inner.store).add_order(shop, super::order_body(order))
    }

    /// The stored order, as `orders/{id}.json` would return it.
    pub fn order(&self, shop: &str, order_id: u64) -> Option<Value> {
        lock(&self.inner.store)
            .shop(shop)
            .and_then(|s| s.orders.get(&order_id).cloned())
    }

    /// Every fulfillment created for `shop`, oldest first, in REST shape plus
    /// `tracking_info`, `notify_customer`, `line_items_by_fulfillment_order`
    /// and `api` (`graphql` or `rest`).
    pub fn fulfillments(&self, shop: &str) -> Vec<Value> {
        lock(&self.inner.store)
            .shop(shop)
            .map(|s| s.fulfillments.clone())
            .unwrap_or_default()
    }

    /// Requires `token` in `X-Shopify-Access-Token` for `shop`. Until a token
    /// is set, any non-empty token is accepted.
    pub fn set_access_token(&self, shop: &str, token: &str) {
        lock(&self.inner.store).shop_mut(shop).access_token = Some(token.to_owned());
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.log.all()
    }
}

fn router(inner: Arc<Inner>) -> Router {
    let log = inner.log.clone();
    Router::new()
        .route("/shops/{shop}/admin/api/{version}/{*rest}", any(admin))
        .route("/_control/shops/{shop}/orders", post(control_add_order))
        .route(
            "/_control/shops/{shop}/fulfillments",
            get(control_fulfillments),
        )
        .route("/_control/shops/{shop}/access-token", put(control_token))
        .route("/_control/webhooks/send", post(control_send_webhook))
        .fallback(|| async { rest::not_found() })
        .merge(crate::recorded::control_route(log.clone()))
        .with_state(inner)
        .layer(axum::middleware::from_fn_with_state(log, record_requests))
}

fn authorised(store: &Store, shop: &str, headers: &HeaderMap) -> bool {
    let given = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match store.shop(shop).and_then(|s| s.access_token.as_deref()) {
        Some(expected) => !given.is_empty() && given == expected,
        None => !given.is_empty(),
    }
}

async fn admin(
    State(inner): State<Arc<Inner>>,
    Path((shop, version, rest)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut store = lock(&inner.store);
    if !authorised(&store, &shop, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            INVALID_TOKEN_BODY,
        )
            .into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let call = Call {
        shop: &shop,
        version: &version,
        base: format!("http://{host}"),
        query: url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["orders.json"]) => rest::list_orders(&store, &call),
        (&Method::GET, ["orders", file]) => {
            match file.strip_suffix(".json").and_then(|id| id.parse().ok()) {
                Some(id) => rest::get_order(&store, &call, id),
                None => rest::not_found(),
            }
        }
        (&Method::GET, ["orders", id, "fulfillment_orders.json"]) => match id.parse() {
            Ok(id) => rest::fulfillment_orders(&store, &call, id),
            Err(_) => rest::not_found(),
        },
        (&Method::POST, ["fulfillments.json"]) => {
            rest::create_fulfillment(&mut store, &call, &body)
        }
        (&Method::POST, ["graphql.json"]) => match serde_json::from_slice::<Value>(&body) {
            Ok(request) => {
                axum::Json(graphql::execute(&mut store, &shop, &request)).into_response()
            }
            Err(_) => rest::error(
                StatusCode::BAD_REQUEST,
                json!({ "query": "Required parameter missing or invalid" }),
            ),
        },
        _ => rest::not_found(),
    }
}

async fn control_add_order(
    State(inner): State<Arc<Inner>>,
    Path(shop): Path<String>,
    axum::Json(order): axum::Json<Value>,
) -> Response {
    let id = lock(&inner.store).add_order(&shop, super::order_body(order));
    (StatusCode::CREATED, axum::Json(json!({ "id": id }))).into_response()
}

async fn control_fulfillments(
    State(inner): State<Arc<Inner>>,
    Path(shop): Path<String>,
) -> Response {
    let list = lock(&inner.store)
        .shop(&shop)
        .map(|s| s.fulfillments.clone())
        .unwrap_or_default();
    axum::Json(json!({ "fulfillments": list })).into_response()
}

async fn control_token(
    State(inner): State<Arc<Inner>>,
    Path(shop): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let Some(token) = body.get("token").and_then(Value::as_str) else {
        return rest::error(StatusCode::BAD_REQUEST, json!("token is required"));
    };
    lock(&inner.store).shop_mut(&shop).access_token = Some(token.to_owned());
    StatusCode::NO_CONTENT.into_response()
}

/// Sends a signed Shopify webhook from the fake, for local runs:
/// `{url, secret, shop, topic, body, api_version?, signature?}`.
async fn control_send_webhook(axum::Json(request): axum::Json<Value>) -> Response {
    let text = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(url), Some(secret), Some(shop), Some(topic), Some(body)) = (
        text("url"),
        text("secret"),
        text("shop"),
        text("topic"),
        request.get("body"),
    ) else {
        return rest::error(
            StatusCode::BAD_REQUEST,
            json!("url, secret, shop, topic and body are required"),
        );
    };
    let sender = WebhookSender::new(&secret, &shop);
    let mut delivery = super::Delivery::json(topic, &super::order_body(body.clone()));
    if let Some(version) = text("api_version") {
        delivery = delivery.with_api_version(version);
    }
    let sent = match text("signature") {
        Some(signature) => {
            sender
                .send_with_signature(&url, &delivery, &signature)
                .await
        }
        None => sender.send(&url, &delivery).await,
    };
    let ids = json!({ "webhook_id": delivery.webhook_id, "event_id": delivery.event_id });
    match sent {
        Ok(result) => axum::Json(json!({
            "delivery": ids,
            "status": result.status,
            "body": result.body,
            "elapsed_ms": result.elapsed.as_millis() as u64,
        }))
        .into_response(),
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(json!({ "delivery": ids, "error": error.to_string() })),
        )
            .into_response(),
    }
}
