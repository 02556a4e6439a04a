//! The Shopify fulfilment through the Admin GraphQL API: read the order's
//! fulfillment orders, then `fulfillmentCreate` for whatever remains open,
//! with the tracking number and `notifyCustomer: true`.
//!
//! Nothing open any more counts as done: it is what a repeat after a lost
//! answer (or a merchant who fulfilled by hand) looks like.

use crate::orders::ShopifyCredentials;
use serde_json::{Value, json};
use std::time::Duration;

const FULFILLMENT_ORDERS: &str = "query FulfillmentOrders($id: ID!) { order(id: $id) { id \
    fulfillmentOrders(first: 10) { nodes { id status lineItems(first: 50) { nodes { id remainingQuantity } } } } } }";

const FULFILLMENT_CREATE: &str = "mutation FulfillmentCreate($fulfillment: FulfillmentInput!) { \
    fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id status } userErrors { field message } } }";

/// Why the fulfilment did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ShopifyError {
    /// Network, throttling, 5xx: try again later.
    #[error("{0}")]
    Transient(String),
    /// Shopify refused (userErrors, missing order, bad token): retrying will not help.
    #[error("{0}")]
    Rejected(String),
}

/// How the fulfilment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fulfilled {
    /// Created now; Shopify's fulfillment gid.
    Created(String),
    /// Nothing was left to fulfil.
    NothingOpen,
}

/// Tracking data for the fulfilment.
#[derive(Debug, Clone)]
pub(crate) struct Tracking {
    pub(crate) number: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) company: Option<String>,
}

/// The GraphQL client.
#[derive(Clone)]
pub(crate) struct Shopify {
    http: reqwest::Client,
}

impl Shopify {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            http: service_common::client::http_client(timeout),
        }
    }

    /// Fulfils what remains of Shopify order `order_id`.
    pub(crate) async fn fulfil(
        &self,
        credentials: &ShopifyCredentials,
        order_id: i64,
        tracking: &Tracking,
    ) -> Result<Fulfilled, ShopifyError> {
        let gid = format!("gid://shopify/Order/{order_id}");
        let data = self
            .call(credentials, FULFILLMENT_ORDERS, json!({ "id": gid }))
            .await?;
        let order = data
            .get("order")
            .filter(|o| !o.is_null())
            .ok_or_else(|| ShopifyError::Rejected(format!("Shopify does not know order {gid}")))?;
        let groups = open_groups(order);
        if groups.is_empty() {
            return Ok(Fulfilled::NothingOpen);
        }
        let mut tracking_info = json!({});
        for (key, value) in [
            ("number", &tracking.number),
            ("url", &tracking.url),
            ("company", &tracking.company),
        ] {
            if let Some(v) = value {
                tracking_info[key] = json!(v);
            }
        }
        let input = json!({
            "lineItemsByFulfillmentOrder": groups,
            "notifyCustomer": true,
            "trackingInfo": tracking_info,
        });
        let data = self
            .call(
                credentials,
                FULFILLMENT_CREATE,
                json!({ "fulfillment": input }),
            )
            .await?;
        let payload = data
            .get("fulfillmentCreate")
            .cloned()
            .unwrap_or(Value::Null);
        let user_errors: Vec<String> = payload
            .get("userErrors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        let message = e.get("message").and_then(Value::as_str).unwrap_or("error");
                        match e.get("field").filter(|f| !f.is_null()) {
                            Some(field) => format!("{field}: {message}"),
                            None => message.to_owned(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !user_errors.is_empty() {
            return Err(ShopifyError::Rejected(format!(
                "Shopify refused the fulfilment: {}",
                user_errors.join("; ")
            )));
        }
        payload
            .pointer("/fulfillment/id")
            .and_then(Value::as_str)
            .map(|id| Fulfilled::Created(id.to_owned()))
            .ok_or_else(|| {
                ShopifyError::Transient("fulfillmentCreate answered without a fulfillment".into())
            })
    }

    async fn call(
        &self,
        credentials: &ShopifyCredentials,
        query: &str,
        variables: Value,
    ) -> Result<Value, ShopifyError> {
        let response = self
            .http
            .post(format!("{}/graphql.json", credentials.admin_url))
            .header("X-Shopify-Access-Token", &credentials.access_token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| ShopifyError::Transient(format!("Shopify unreachable: {e}")))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(ShopifyError::Transient(format!(
                "Shopify answered {status}"
            )));
        }
        if !status.is_success() {
            return Err(ShopifyError::Rejected(format!(
                "Shopify answered {status}: {}",
                body.get("errors").unwrap_or(&body)
            )));
        }
        if let Some(errors) = body.get("errors").and_then(Value::as_array)
            && !errors.is_empty()
        {
            let throttled = errors.iter().any(|e| {
                e.pointer("/extensions/code").and_then(Value::as_str) == Some("THROTTLED")
            });
            let text = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(if throttled {
                ShopifyError::Transient(format!("Shopify throttled the call: {text}"))
            } else {
                ShopifyError::Rejected(format!("Shopify GraphQL errors: {text}"))
            });
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }
}

/// `lineItemsByFulfillmentOrder` for every fulfillment order with items left.
fn open_groups(order: &Value) -> Vec<Value> {
    let nodes = order
        .pointer("/fulfillmentOrders/nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    nodes
        .iter()
        .filter(|fo| {
            matches!(
                fo.get("status").and_then(Value::as_str),
                Some("OPEN" | "IN_PROGRESS" | "SCHEDULED")
            )
        })
        .filter_map(|fo| {
            let items: Vec<Value> = fo
                .pointer("/lineItems/nodes")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|li| {
                            let remaining = li.get("remainingQuantity").and_then(Value::as_i64)?;
                            (remaining > 0)
                                .then(|| json!({ "id": li.get("id"), "quantity": remaining }))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (!items.is_empty()).then(|| {
                json!({ "fulfillmentOrderId": fo.get("id"), "fulfillmentOrderLineItems": items })
            })
        })
        .collect()
}
