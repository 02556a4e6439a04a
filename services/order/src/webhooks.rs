//! `POST /webhooks/shopify/orders-{create,updated,cancelled}`.
//!
//! The signature is checked over the raw bytes before anything else; a
//! delivery is deduplicated on its event id (or webhook id) and applied in
//! one transaction with its outbox event, so the answer is fast and nothing
//! is half-written. Downstream work happens later, from the event.

use crate::AppState;
use crate::import::{self, Delivered, Outcome, Topic};
use crate::shopify::order::{ParseError, parse};
use crate::shopify::signature;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use service_common::{FieldError, Problem};

/// orders/create.
pub async fn orders_create(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(state, headers, body, Topic::Create).await
}

/// orders/updated.
pub async fn orders_updated(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(state, headers, body, Topic::Updated).await
}

/// orders/cancelled.
pub async fn orders_cancelled(state: State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    receive(state, headers, body, Topic::Cancelled).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
    topic: Topic,
) -> Response {
    let Some(hmac) = header(&headers, "x-shopify-hmac-sha256") else {
        tracing::warn!(
            topic = topic.header(),
            "Shopify webhook without signature refused"
        );
        return Problem::unauthorized("the X-Shopify-Hmac-Sha256 header is missing")
            .into_response();
    };
    if !signature::verify(&state.config.shopify_secrets, &body, hmac) {
        tracing::warn!(
            topic = topic.header(),
            shop = header(&headers, "x-shopify-shop-domain").unwrap_or("?"),
            "Shopify webhook with a wrong signature refused"
        );
        return Problem::unauthorized(
            "the X-Shopify-Hmac-Sha256 signature does not match the body",
        )
        .into_response();
    }
    // The database work runs on its own task: if Shopify gives up waiting
    // and disconnects, the transaction still commits or rolls back cleanly
    // instead of being dropped half-way (a redelivery then finds it).
    let work = service_common::telemetry::spawn_in_context(async move {
        handle(&state, &headers, &body, topic).await
    });
    let outcome = match work.await {
        Ok(outcome) => outcome,
        Err(e) => Err(Problem::internal(format!("webhook task failed: {e}"))),
    };
    match outcome {
        Ok(response) => response,
        Err(problem) => problem.into_response(),
    }
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    topic: Topic,
) -> Result<Response, Problem> {
    let mut missing = Vec::new();
    for name in [
        "X-Shopify-Topic",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
    ] {
        if header(headers, name).is_none() {
            missing.push(FieldError::new(name, "header is required"));
        }
    }
    if !missing.is_empty() {
        return Err(
            Problem::bad_request("required Shopify headers are missing").with_errors(missing)
        );
    }
    let sent_topic = header(headers, "X-Shopify-Topic").unwrap_or_default();
    if sent_topic != topic.header() {
        return Err(Problem::bad_request(format!(
            "X-Shopify-Topic is {sent_topic:?}, but this endpoint receives {}",
            topic.header()
        )));
    }
    let shop = header(headers, "X-Shopify-Shop-Domain")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let webhook_id = header(headers, "X-Shopify-Webhook-Id").unwrap_or_default();
    // One event keeps its event id across deliveries; the webhook id is the
    // fallback for senders that do not send one.
    let dedupe_key = match header(headers, "X-Shopify-Event-Id") {
        Some(event) => format!("event:{event}"),
        None => format!("webhook:{webhook_id}"),
    };
    let order = parse(body).map_err(|e| match e {
        ParseError::Syntax(reason) => {
            Problem::bad_request(format!("the body is not valid JSON: {reason}"))
        }
        ParseError::Invalid(errors) => Problem::invalid(errors),
    })?;

    let tenant = state.tenants.lookup(&state.pool, &shop).await?;
    let Some(tenant_id) = tenant else {
        tracing::warn!(%shop, "webhook from a shop that is not a tenant");
        // Not 2xx: Shopify keeps retrying for hours, time to onboard the shop.
        return Err(Problem::not_found(format!("no tenant for shop {shop}")));
    };
    if topic == Topic::Create {
        // The common case, at Shopify's full rate: one statement.
        let delivery = import::Delivery {
            dedupe_key: &dedupe_key,
            shop: &shop,
            webhook_id,
        };
        let mut conn = state.pool.acquire().await?;
        return Ok(
            match import::create(&mut conn, tenant_id, &delivery, &order).await? {
                Delivered::Duplicate => duplicate(&dedupe_key),
                Delivered::Applied(outcome) => applied(order.id, outcome),
            },
        );
    }
    let mut tx = state.pool.begin().await?;
    let fresh = sqlx::query(
        "INSERT INTO webhook_deliveries (dedupe_key, topic, shop_domain, webhook_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&dedupe_key)
    .bind(topic.header())
    .bind(&shop)
    .bind(webhook_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        tx.rollback().await?;
        return Ok(duplicate(&dedupe_key));
    }
    let outcome = import::apply(&mut tx, tenant_id, topic, &order).await?;
    tx.commit().await?;
    Ok(applied(order.id, outcome))
}

fn duplicate(dedupe_key: &str) -> Response {
    tracing::info!(%dedupe_key, "duplicate Shopify delivery ignored");
    accepted("duplicate", None)
}

fn applied(shopify_order_id: i64, outcome: Outcome) -> Response {
    let (what, id) = match outcome {
        Outcome::Created(id) => ("created", id),
        Outcome::Updated(id) => ("updated", id),
        Outcome::Cancelled(id) => ("cancelled", id),
        Outcome::Unchanged(id) => ("unchanged", id),
    };
    tracing::info!(shopify_order_id, outcome = what, "Shopify webhook applied");
    accepted(what, Some(id))
}

fn accepted(outcome: &str, order_id: Option<uuid::Uuid>) -> Response {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "outcome": outcome, "orderId": order_id })),
    )
        .into_response()
}
