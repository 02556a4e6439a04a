//! What the fake Shopify knows per shop: orders, the fulfillment orders
//! derived from them, fulfillments created against those, and the access token.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Ids the fake hands out start high, like Shopify's, so clients that squeeze
/// ids into 32 bits fail here too.
const FIRST_ID: u64 = 5_000_000_000_001;

#[derive(Debug)]
pub(super) struct Store {
    shops: BTreeMap<String, Shop>,
    next_id: u64,
}

#[derive(Debug, Default)]
pub(super) struct Shop {
    pub(super) access_token: Option<String>,
    pub(super) orders: BTreeMap<u64, Value>,
    pub(super) fulfillment_orders: BTreeMap<u64, FulfillmentOrder>,
    pub(super) fulfillments: Vec<Value>,
}

#[derive(Debug, Clone)]
pub(super) struct FulfillmentOrder {
    pub(super) id: u64,
    pub(super) order_id: u64,
    pub(super) closed: bool,
    pub(super) line_items: Vec<FoLineItem>,
    pub(super) created_at: String,
}

#[derive(Debug, Clone)]
pub(super) struct FoLineItem {
    pub(super) id: u64,
    pub(super) line_item_id: u64,
    pub(super) variant_id: Option<u64>,
    pub(super) sku: Option<String>,
    pub(super) name: Option<String>,
    pub(super) quantity: u64,
    pub(super) remaining: u64,
}

impl FulfillmentOrder {
    /// GraphQL `FulfillmentOrderStatus`.
    pub(super) fn status(&self) -> &'static str {
        if self.closed {
            "CLOSED"
        } else if self.line_items.iter().any(|li| li.remaining < li.quantity) {
            "IN_PROGRESS"
        } else {
            "OPEN"
        }
    }
}

/// One group of a fulfillment request: a fulfillment order and, optionally,
/// which of its line items (id, quantity); `None` means all that remain.
#[derive(Debug, Clone)]
pub(super) struct FulfilGroup {
    pub(super) fulfillment_order_id: u64,
    pub(super) line_items: Option<Vec<(u64, u64)>>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct FulfilRequest {
    pub(super) groups: Vec<FulfilGroup>,
    pub(super) notify_customer: bool,
    pub(super) tracking_number: Option<String>,
    pub(super) tracking_url: Option<String>,
    pub(super) tracking_company: Option<String>,
    pub(super) message: Option<String>,
    /// `graphql` or `rest`, kept on the record for assertions.
    pub(super) api: &'static str,
}

/// A refused fulfillment, as Shopify reports it in `userErrors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UserError {
    pub(super) field: Vec<String>,
    pub(super) message: String,
}

pub(super) const INVALID_QUANTITY: &str = "Invalid fulfillment order line item quantity requested.";

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn id_of(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

impl Store {
    pub(super) fn new() -> Self {
        Self {
            shops: BTreeMap::new(),
            next_id: FIRST_ID,
        }
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(super) fn shop(&self, shop: &str) -> Option<&Shop> {
        self.shops.get(shop)
    }

    pub(super) fn shop_mut(&mut self, shop: &str) -> &mut Shop {
        self.shops.entry(shop.to_owned()).or_default()
    }

    /// Stores (or replaces) an order, filling ids and timestamps Shopify would
    /// have set, and derives its fulfillment order the first time it is seen.
    pub(super) fn add_order(&mut self, shop: &str, order: Value) -> u64 {
        let Value::Object(mut order) = order else {
            tracing::warn!("fake Shopify ignored an order that is not a JSON object");
            return 0;
        };
        let order_id = match order.get("id").and_then(id_of) {
            Some(id) => id,
            None => self.take_id(),
        };
        order.insert("id".into(), json!(order_id));
        order
            .entry("admin_graphql_api_id")
            .or_insert_with(|| json!(format!("gid://shopify/Order/{order_id}")));
        let stamp = now();
        order.entry("created_at").or_insert_with(|| json!(stamp));
        order.entry("updated_at").or_insert_with(|| json!(stamp));
        let mut line_items = Vec::new();
        if let Some(Value::Array(items)) = order.get_mut("line_items") {
            for item in items.iter_mut() {
                let Value::Object(item) = item else { continue };
                let id = match item.get("id").and_then(id_of) {
                    Some(id) => id,
                    None => {
                        let id = self.next_id;
                        self.next_id += 1;
                        item.insert("id".into(), json!(id));
                        id
                    }
                };
                item.entry("admin_graphql_api_id")
                    .or_insert_with(|| json!(format!("gid://shopify/LineItem/{id}")));
                let quantity = item.get("quantity").and_then(Value::as_u64).unwrap_or(1);
                line_items.push((id, quantity, item.clone()));
            }
        }
        let cancelled = order.get("cancelled_at").is_some_and(|v| !v.is_null());
        let exists = self.shop(shop).is_some_and(|s| {
            s.fulfillment_orders
                .values()
                .any(|fo| fo.order_id == order_id)
        });
        if !exists {
            let fo_id = self.take_id();
            let fo_lines = line_items
                .into_iter()
                .map(|(line_item_id, quantity, item)| FoLineItem {
                    id: self.take_id(),
                    line_item_id,
                    variant_id: item.get("variant_id").and_then(Value::as_u64),
                    sku: item.get("sku").and_then(Value::as_str).map(str::to_owned),
                    name: item.get("name").and_then(Value::as_str).map(str::to_owned),
                    quantity,
                    remaining: quantity,
                })
                .collect();
            let fo = FulfillmentOrder {
                id: fo_id,
                order_id,
                closed: false,
                line_items: fo_lines,
                created_at: now(),
            };
            self.shop_mut(shop).fulfillment_orders.insert(fo_id, fo);
        }
        if cancelled {
            // Cancelling an order closes its fulfillment orders.
            for fo in self.shop_mut(shop).fulfillment_orders.values_mut() {
                if fo.order_id == order_id {
                    fo.closed = true;
                }
            }
        }
        self.shop_mut(shop)
            .orders
            .insert(order_id, Value::Object(order));
        order_id
    }

    pub(super) fn fulfillment_orders_of(&self, shop: &str, order_id: u64) -> Vec<FulfillmentOrder> {
        self.shop(shop)
            .map(|s| {
                s.fulfillment_orders
                    .values()
                    .filter(|fo| fo.order_id == order_id)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Creates a fulfillment if every requested quantity is still open;
    /// otherwise changes nothing and reports why, like `fulfillmentCreate`.
    pub(super) fn fulfil(
        &mut self,
        shop: &str,
        request: &FulfilRequest,
    ) -> Result<Value, UserError> {
        let fulfillment_id = self.next_id;
        let shop_state = self.shop_mut(shop);
        if request.groups.is_empty() {
            return Err(UserError {
                field: vec!["fulfillment".into()],
                message: "Line items by fulfillment order must not be empty.".into(),
            });
        }
        // Work on copies so a refused request leaves everything unchanged.
        let mut updated: BTreeMap<u64, FulfillmentOrder> = BTreeMap::new();
        let mut order_id = None;
        let mut fulfilled_lines = Vec::new();
        let mut groups_out = Vec::new();
        for (index, group) in request.groups.iter().enumerate() {
            let field = |leaf: &str| {
                vec![
                    "fulfillment".to_owned(),
                    "lineItemsByFulfillmentOrder".to_owned(),
                    index.to_string(),
                    leaf.to_owned(),
                ]
            };
            let Some(fo) = updated
                .get(&group.fulfillment_order_id)
                .or_else(|| {
                    shop_state
                        .fulfillment_orders
                        .get(&group.fulfillment_order_id)
                })
                .cloned()
            else {
                return Err(UserError {
                    field: field("fulfillmentOrderId"),
                    message: "Fulfillment order does not exist.".into(),
                });
            };
            if *order_id.get_or_insert(fo.order_id) != fo.order_id {
                return Err(UserError {
                    field: field("fulfillmentOrderId"),
                    message: "All fulfillment orders must belong to the same order.".into(),
                });
            }
            let mut fo = fo;
            if fo.closed {
                return Err(UserError {
                    field: vec!["fulfillment".into()],
                    message: INVALID_QUANTITY.into(),
                });
            }
            let wanted: Vec<(u64, u64)> = match &group.line_items {
                Some(items) => items.clone(),
                None => fo
                    .line_items
                    .iter()
                    .filter(|li| li.remaining > 0)
                    .map(|li| (li.id, li.remaining))
                    .collect(),
            };
            if wanted.is_empty() {
                return Err(UserError {
                    field: vec!["fulfillment".into()],
                    message: INVALID_QUANTITY.into(),
                });
            }
            let mut items_out = Vec::new();
            for (fo_line_id, quantity) in wanted {
                let Some(line) = fo.line_items.iter_mut().find(|li| li.id == fo_line_id) else {
                    return Err(UserError {
                        field: field("fulfillmentOrderLineItems"),
                        message: "Fulfillment order line item does not exist.".into(),
                    });
                };
                if quantity == 0 || quantity > line.remaining {
                    return Err(UserError {
                        field: vec!["fulfillment".into()],
                        message: INVALID_QUANTITY.into(),
                    });
                }
                line.remaining -= quantity;
                items_out.push(json!({
                    "id": fo_line_id,
                    "quantity": quantity,
                    "line_item_id": line.line_item_id,
                }));
                fulfilled_lines.push((line.line_item_id, quantity));
            }
            if fo.line_items.iter().all(|li| li.remaining == 0) {
                fo.closed = true;
            }
            groups_out.push(json!({
                "fulfillment_order_id": fo.id,
                "fulfillment_order_line_items": items_out,
            }));
            updated.insert(fo.id, fo);
        }
        let order_id = order_id.unwrap_or_default();
        shop_state.fulfillment_orders.extend(updated);
        let stamp = now();
        let record = json!({
            "id": fulfillment_id,
            "admin_graphql_api_id": format!("gid://shopify/Fulfillment/{fulfillment_id}"),
            "order_id": order_id,
            "status": "success",
            "created_at": stamp,
            "updated_at": stamp,
            "notify_customer": request.notify_customer,
            "message": request.message,
            "tracking_company": request.tracking_company,
            "tracking_number": request.tracking_number,
            "tracking_numbers": request.tracking_number.iter().collect::<Vec<_>>(),
            "tracking_url": request.tracking_url,
            "tracking_urls": request.tracking_url.iter().collect::<Vec<_>>(),
            "tracking_info": {
                "number": request.tracking_number,
                "url": request.tracking_url,
                "company": request.tracking_company,
            },
            "line_items_by_fulfillment_order": groups_out,
            "line_items": fulfilled_lines
                .iter()
                .map(|(id, quantity)| json!({"id": id, "quantity": quantity}))
                .collect::<Vec<_>>(),
            "api": request.api,
        });
        shop_state.fulfillments.push(record.clone());
        let all_closed = shop_state
            .fulfillment_orders
            .values()
            .filter(|fo| fo.order_id == order_id)
            .all(|fo| fo.closed);
        if let Some(Value::Object(order)) = shop_state.orders.get_mut(&order_id) {
            apply_to_order(order, &record, &fulfilled_lines, all_closed);
        }
        self.next_id += 1;
        Ok(record)
    }
}

/// Mirrors a fulfillment onto the stored REST order, so that polling the
/// order afterwards shows it as Shopify would.
fn apply_to_order(
    order: &mut serde_json::Map<String, Value>,
    record: &Value,
    lines: &[(u64, u64)],
    all_closed: bool,
) {
    let status = if all_closed { "fulfilled" } else { "partial" };
    order.insert("fulfillment_status".into(), json!(status));
    order.insert("updated_at".into(), json!(now()));
    match order.get_mut("fulfillments") {
        Some(Value::Array(list)) => list.push(record.clone()),
        _ => {
            order.insert("fulfillments".into(), json!([record]));
        }
    }
    if let Some(Value::Array(items)) = order.get_mut("line_items") {
        for item in items.iter_mut() {
            let Value::Object(item) = item else { continue };
            let Some(id) = item.get("id").and_then(id_of) else {
                continue;
            };
            let done: u64 = lines.iter().filter(|(l, _)| *l == id).map(|(_, q)| q).sum();
            if done == 0 {
                continue;
            }
            let fulfillable = item
                .get("fulfillable_quantity")
                .and_then(Value::as_u64)
                .or_else(|| item.get("quantity").and_then(Value::as_u64))
                .unwrap_or(0)
                .saturating_sub(done);
            item.insert("fulfillable_quantity".into(), json!(fulfillable));
            let line_status = if fulfillable == 0 {
                "fulfilled"
            } else {
                "partial"
            };
            item.insert("fulfillment_status".into(), json!(line_status));
        }
    }
}
