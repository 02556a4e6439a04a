//! The REST part of the fake Admin API: orders (with Shopify's cursor
//! pagination), fulfillment orders, and the legacy `fulfillments.json`.

use super::store::{FulfilGroup, FulfilRequest, FulfillmentOrder, Store};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;

pub(super) fn error(status: StatusCode, errors: Value) -> Response {
    (status, axum::Json(json!({ "errors": errors }))).into_response()
}

pub(super) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, json!("Not Found"))
}

/// Filters of `orders.json`; a page_info cursor carries them so that the
/// next page keeps the filters of the first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OrderFilter {
    status: Option<String>,
    created_at_min: Option<String>,
    created_at_max: Option<String>,
    updated_at_min: Option<String>,
    updated_at_max: Option<String>,
    since_id: Option<u64>,
    ids: Option<Vec<u64>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    filter: OrderFilter,
    /// Next page: ids above this one.
    after: Option<u64>,
    /// Previous page: ids below this one.
    before: Option<u64>,
}

/// The request context the REST handlers need.
pub(super) struct Call<'a> {
    pub(super) shop: &'a str,
    pub(super) version: &'a str,
    /// `http://host:port` as the client addressed the fake, for Link headers.
    pub(super) base: String,
    pub(super) query: Vec<(String, String)>,
}

impl Call<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_time(field: &str, value: &str) -> Result<DateTime<FixedOffset>, Response> {
    DateTime::parse_from_rfc3339(value).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            json!({ field: [format!("{value} is not a valid ISO 8601 date")] }),
        )
    })
}

fn order_time(order: &Value, field: &str) -> Option<DateTime<FixedOffset>> {
    order
        .get(field)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
}

fn is_set(order: &Value, field: &str) -> bool {
    order.get(field).is_some_and(|v| !v.is_null())
}

impl OrderFilter {
    fn from_query(call: &Call<'_>) -> Result<Self, Response> {
        let id_list = |name: &str| -> Result<Option<Vec<u64>>, Response> {
            call.param(name)
                .map(|raw| {
                    raw.split(',')
                        .map(|s| s.trim().parse::<u64>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| {
                            error(StatusCode::BAD_REQUEST, json!({ name: ["is invalid"] }))
                        })
                })
                .transpose()
        };
        let filter = Self {
            status: call.param("status").map(str::to_owned),
            created_at_min: call.param("created_at_min").map(str::to_owned),
            created_at_max: call.param("created_at_max").map(str::to_owned),
            updated_at_min: call.param("updated_at_min").map(str::to_owned),
            updated_at_max: call.param("updated_at_max").map(str::to_owned),
            since_id: id_list("since_id")?.and_then(|ids| ids.first().copied()),
            ids: id_list("ids")?,
        };
        // Validate the dates now so that a bad one is a 400, not an empty page.
        for (field, value) in [
            ("created_at_min", &filter.created_at_min),
            ("created_at_max", &filter.created_at_max),
            ("updated_at_min", &filter.updated_at_min),
            ("updated_at_max", &filter.updated_at_max),
        ] {
            if let Some(value) = value {
                parse_time(field, value)?;
            }
        }
        if let Some(status) = &filter.status
            && !matches!(status.as_str(), "open" | "closed" | "cancelled" | "any")
        {
            return Err(error(
                StatusCode::BAD_REQUEST,
                json!({ "status": ["is invalid"] }),
            ));
        }
        Ok(filter)
    }

    fn matches(&self, order: &Value) -> bool {
        let status_ok = match self.status.as_deref().unwrap_or("open") {
            "any" => true,
            "closed" => is_set(order, "closed_at"),
            "cancelled" => is_set(order, "cancelled_at"),
            _ => !is_set(order, "closed_at") && !is_set(order, "cancelled_at"),
        };
        let within = |field: &str, min: &Option<String>, max: &Option<String>| {
            let time = order_time(order, field);
            let bound = |b: &Option<String>| {
                b.as_deref()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            };
            let min_ok = bound(min).is_none_or(|m| time.is_some_and(|t| t >= m));
            let max_ok = bound(max).is_none_or(|m| time.is_some_and(|t| t <= m));
            min_ok && max_ok
        };
        let id = order.get("id").and_then(Value::as_u64).unwrap_or(0);
        status_ok
            && within("created_at", &self.created_at_min, &self.created_at_max)
            && within("updated_at", &self.updated_at_min, &self.updated_at_max)
            && self.since_id.is_none_or(|since| id > since)
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&id))
    }
}

fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(raw: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn select_fields(order: &Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(map)) = (fields, order) else {
        return order.clone();
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    Value::Object(
        map.iter()
            .filter(|(k, _)| wanted.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// `GET orders.json`.
pub(super) fn list_orders(store: &Store, call: &Call<'_>) -> Response {
    let limit = match call.param("limit").map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if n >= 1 => n.min(MAX_LIMIT),
        Some(_) => return error(StatusCode::BAD_REQUEST, json!({ "limit": ["is invalid"] })),
    };
    let (filter, after, before) = match call.param("page_info") {
        Some(raw) => {
            // Shopify rejects filters next to page_info: the cursor already holds them.
            let extra = call
                .query
                .iter()
                .find(|(k, _)| !matches!(k.as_str(), "page_info" | "limit" | "fields"));
            if let Some((name, _)) = extra {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({ "page_info": [format!("cannot be combined with {name}")] }),
                );
            }
            match decode_cursor(raw) {
                Some(c) => (c.filter, c.after, c.before),
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        json!({ "page_info": ["is invalid"] }),
                    );
                }
            }
        }
        None => match OrderFilter::from_query(call) {
            Ok(filter) => (filter, None, None),
            Err(response) => return response,
        },
    };
    let matching: Vec<&Value> = store
        .shop(call.shop)
        .map(|s| s.orders.values().filter(|o| filter.matches(o)).collect())
        .unwrap_or_default();
    let id = |o: &Value| o.get("id").and_then(Value::as_u64).unwrap_or(0);
    let page: Vec<&Value> = match (after, before) {
        (_, Some(before)) => {
            let earlier: Vec<&Value> = matching
                .iter()
                .copied()
                .filter(|o| id(o) < before)
                .collect();
            earlier[earlier.len().saturating_sub(limit)..].to_vec()
        }
        (after, None) => matching
            .iter()
            .copied()
            .filter(|o| after.is_none_or(|a| id(o) > a))
            .take(limit)
            .collect(),
    };
    let mut links = Vec::new();
    let link = |cursor: &Cursor, rel: &str| {
        format!(
            "<{}/shops/{}/admin/api/{}/orders.json?limit={limit}&page_info={}>; rel=\"{rel}\"",
            call.base,
            call.shop,
            call.version,
            encode_cursor(cursor)
        )
    };
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        if matching.iter().any(|o| id(o) < id(first)) {
            let cursor = Cursor {
                filter: filter.clone(),
                after: None,
                before: Some(id(first)),
            };
            links.push(link(&cursor, "previous"));
        }
        if matching.iter().any(|o| id(o) > id(last)) {
            let cursor = Cursor {
                filter: filter.clone(),
                after: Some(id(last)),
                before: None,
            };
            links.push(link(&cursor, "next"));
        }
    }
    let fields = call.param("fields");
    let orders: Vec<Value> = page.iter().map(|o| select_fields(o, fields)).collect();
    let mut response = axum::Json(json!({ "orders": orders })).into_response();
    if !links.is_empty()
        && let Ok(value) = HeaderValue::from_str(&links.join(", "))
    {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

/// `GET orders/{id}.json`.
pub(super) fn get_order(store: &Store, call: &Call<'_>, order_id: u64) -> Response {
    match store.shop(call.shop).and_then(|s| s.orders.get(&order_id)) {
        Some(order) => axum::Json(json!({ "order": select_fields(order, call.param("fields")) }))
            .into_response(),
        None => not_found(),
    }
}

fn rest_fulfillment_order(fo: &FulfillmentOrder, shop: &str) -> Value {
    let status = match fo.status() {
        "CLOSED" => "closed",
        "IN_PROGRESS" => "in_progress",
        _ => "open",
    };
    json!({
        "id": fo.id,
        "shop_id": shop_id(shop),
        "order_id": fo.order_id,
        "assigned_location_id": 1,
        "request_status": "unsubmitted",
        "status": status,
        "supported_actions": if fo.closed { json!([]) } else { json!(["create_fulfillment", "move", "hold"]) },
        "fulfill_at": fo.created_at,
        "fulfill_by": null,
        "international_duties": null,
        "fulfillment_holds": [],
        "delivery_method": { "method_type": "shipping" },
        "created_at": fo.created_at,
        "updated_at": fo.created_at,
        "merchant_requests": [],
        "line_items": fo.line_items.iter().map(|li| json!({
            "id": li.id,
            "shop_id": shop_id(shop),
            "fulfillment_order_id": fo.id,
            "quantity": li.quantity,
            "line_item_id": li.line_item_id,
            "inventory_item_id": null,
            "fulfillable_quantity": li.remaining,
            "variant_id": li.variant_id,
        })).collect::<Vec<_>>(),
    })
}

/// A stable numeric shop id derived from the domain.
fn shop_id(shop: &str) -> u64 {
    shop.bytes().fold(1_469_598_103u64, |h, b| {
        h.wrapping_mul(31).wrapping_add(u64::from(b))
    }) % 100_000_000_000
}

/// `GET orders/{id}/fulfillment_orders.json`.
pub(super) fn fulfillment_orders(store: &Store, call: &Call<'_>, order_id: u64) -> Response {
    if store
        .shop(call.shop)
        .is_none_or(|s| !s.orders.contains_key(&order_id))
    {
        return not_found();
    }
    let list: Vec<Value> = store
        .fulfillment_orders_of(call.shop, order_id)
        .iter()
        .map(|fo| rest_fulfillment_order(fo, call.shop))
        .collect();
    axum::Json(json!({ "fulfillment_orders": list })).into_response()
}

/// `POST fulfillments.json` (legacy REST, still served).
pub(super) fn create_fulfillment(store: &mut Store, call: &Call<'_>, body: &[u8]) -> Response {
    let Some(input) = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("fulfillment").cloned())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            json!({ "fulfillment": "Required parameter missing or invalid" }),
        );
    };
    let groups = input
        .get("line_items_by_fulfillment_order")
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .map(|g| FulfilGroup {
                    fulfillment_order_id: g
                        .get("fulfillment_order_id")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                    line_items: g
                        .get("fulfillment_order_line_items")
                        .and_then(Value::as_array)
                        .map(|items| {
                            items
                                .iter()
                                .map(|i| {
                                    (
                                        i.get("id").and_then(Value::as_u64).unwrap_or(0),
                                        i.get("quantity").and_then(Value::as_u64).unwrap_or(0),
                                    )
                                })
                                .collect()
                        }),
                })
                .collect()
        })
        .unwrap_or_default();
    let tracking = input.get("tracking_info").cloned().unwrap_or(Value::Null);
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let request = FulfilRequest {
        groups,
        notify_customer: input
            .get("notify_customer")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        tracking_number: text(&tracking, "number"),
        tracking_url: text(&tracking, "url"),
        tracking_company: text(&tracking, "company"),
        message: text(&input, "message"),
        api: "rest",
    };
    match store.fulfil(call.shop, &request) {
        Ok(record) => (
            StatusCode::CREATED,
            axum::Json(json!({ "fulfillment": record })),
        )
            .into_response(),
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, json!([e.message])),
    }
}
