//! The GraphQL part of the fake Admin API. It recognises the two operations
//! GridFlock Connect sends by their text (the `order { fulfillmentOrders }`
//! query and the `fulfillmentCreate` mutation) instead of parsing GraphQL,
//! and answers with a superset of the fields those operations select.

use super::store::{FulfilGroup, FulfilRequest, FulfillmentOrder, Store};
use serde_json::{Value, json};

/// An argument value as written in the query text.
#[derive(Debug, PartialEq, Eq)]
enum Arg {
    Variable(String),
    Literal(String),
}

/// Byte offset of `word` in `text` where it is not part of a longer name.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        before.is_none_or(|c| !is_name(c)) && after.is_none_or(|c| !is_name(c))
    })
}

/// The value of `arg` in the argument list of the first `field(...)`.
fn argument(query: &str, field: &str, arg: &str) -> Option<Arg> {
    let start = find_word(query, field)?;
    let rest = query[start + field.len()..].trim_start();
    let inner = rest.strip_prefix('(')?;
    let args = &inner[..inner.find(')')?];
    let at = find_word(args, arg)?;
    let value = args[at + arg.len()..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    if let Some(name) = value.strip_prefix('$') {
        let end = name
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(name.len());
        Some(Arg::Variable(name[..end].to_owned()))
    } else if let Some(quoted) = value.strip_prefix('"') {
        Some(Arg::Literal(quoted[..quoted.find('"')?].to_owned()))
    } else {
        None
    }
}

fn resolve(arg: Option<Arg>, variables: &Value) -> Option<Value> {
    match arg? {
        Arg::Variable(name) => variables.get(&name).cloned(),
        Arg::Literal(text) => Some(Value::String(text)),
    }
}

/// The numeric id at the end of a `gid://shopify/<Type>/<id>` (or a bare number).
pub(super) fn gid_number(value: &Value, kind: &str) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let text = value.as_str()?;
    let number = text
        .strip_prefix("gid://shopify/")
        .and_then(|rest| rest.strip_prefix(kind))
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(text);
    number.split('?').next()?.parse().ok()
}

fn graphql_error(message: &str, code: &str) -> Value {
    json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
}

/// Answers one GraphQL request body for `shop`.
pub(super) fn execute(store: &mut Store, shop: &str, body: &Value) -> Value {
    let Some(query) = body.get("query").and_then(Value::as_str) else {
        return graphql_error("Parse error: no query", "BAD_REQUEST");
    };
    let variables = body.get("variables").cloned().unwrap_or(Value::Null);
    for mutation in ["fulfillmentCreate", "fulfillmentCreateV2"] {
        if find_word(query, mutation).is_some() {
            return fulfillment_create(store, shop, query, mutation, &variables);
        }
    }
    if find_word(query, "order").is_some() {
        return order_query(store, shop, query, &variables);
    }
    graphql_error(
        "The fake Shopify answers only the order fulfillmentOrders query and fulfillmentCreate",
        "UNSUPPORTED_BY_FAKE",
    )
}

fn fulfillment_order_node(fo: &FulfillmentOrder) -> Value {
    let lines: Vec<Value> = fo
        .line_items
        .iter()
        .map(|li| {
            json!({
                "id": format!("gid://shopify/FulfillmentOrderLineItem/{}", li.id),
                "remainingQuantity": li.remaining,
                "totalQuantity": li.quantity,
                "sku": li.sku,
                "lineItem": {
                    "id": format!("gid://shopify/LineItem/{}", li.line_item_id),
                    "sku": li.sku,
                    "name": li.name,
                    "quantity": li.quantity,
                },
            })
        })
        .collect();
    json!({
        "id": format!("gid://shopify/FulfillmentOrder/{}", fo.id),
        "status": fo.status(),
        "requestStatus": "UNSUBMITTED",
        "lineItems": connection(lines),
    })
}

/// A GraphQL connection offering both `nodes` and `edges`, one page.
fn connection(nodes: Vec<Value>) -> Value {
    let edges: Vec<Value> = nodes.iter().map(|n| json!({ "node": n })).collect();
    json!({
        "nodes": nodes,
        "edges": edges,
        "pageInfo": { "hasNextPage": false, "hasPreviousPage": false },
    })
}

fn order_query(store: &Store, shop: &str, query: &str, variables: &Value) -> Value {
    let Some(id) = resolve(argument(query, "order", "id"), variables) else {
        return graphql_error(
            "Field 'order' is missing required arguments: id",
            "MISSING_REQUIRED_ARGUMENTS",
        );
    };
    let Some(order_id) = gid_number(&id, "Order") else {
        return graphql_error(
            &format!("Invalid global id '{id}'"),
            "argumentLiteralsIncompatible",
        );
    };
    let Some(order) = store.shop(shop).and_then(|s| s.orders.get(&order_id)) else {
        return json!({ "data": { "order": null } });
    };
    let nodes = store
        .fulfillment_orders_of(shop, order_id)
        .iter()
        .map(fulfillment_order_node)
        .collect();
    json!({
        "data": {
            "order": {
                "id": format!("gid://shopify/Order/{order_id}"),
                "name": order.get("name"),
                "displayFulfillmentStatus": match order.get("fulfillment_status").and_then(Value::as_str) {
                    Some("fulfilled") => "FULFILLED",
                    Some("partial") => "PARTIALLY_FULFILLED",
                    _ => "UNFULFILLED",
                },
                "fulfillmentOrders": connection(nodes),
            }
        }
    })
}

fn fulfillment_create(
    store: &mut Store,
    shop: &str,
    query: &str,
    mutation: &str,
    variables: &Value,
) -> Value {
    let Some(input) =
        resolve(argument(query, mutation, "fulfillment"), variables).filter(Value::is_object)
    else {
        return graphql_error(
            "Variable $fulfillment of type FulfillmentInput! was provided invalid value",
            "INVALID_VARIABLE",
        );
    };
    let message = resolve(argument(query, mutation, "message"), variables)
        .and_then(|m| m.as_str().map(str::to_owned));
    let Some(groups) = input
        .get("lineItemsByFulfillmentOrder")
        .and_then(Value::as_array)
    else {
        return graphql_error(
            "Variable $fulfillment of type FulfillmentInput! was provided invalid value for lineItemsByFulfillmentOrder (Expected value to not be null)",
            "INVALID_VARIABLE",
        );
    };
    let groups = groups
        .iter()
        .map(|g| FulfilGroup {
            fulfillment_order_id: g
                .get("fulfillmentOrderId")
                .and_then(|v| gid_number(v, "FulfillmentOrder"))
                .unwrap_or(0),
            line_items: g
                .get("fulfillmentOrderLineItems")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .map(|i| {
                            (
                                i.get("id")
                                    .and_then(|v| gid_number(v, "FulfillmentOrderLineItem"))
                                    .unwrap_or(0),
                                i.get("quantity").and_then(Value::as_u64).unwrap_or(0),
                            )
                        })
                        .collect()
                }),
        })
        .collect();
    let tracking = input.get("trackingInfo").cloned().unwrap_or(Value::Null);
    let text = |k: &str| tracking.get(k).and_then(Value::as_str).map(str::to_owned);
    let first = |k: &str| {
        tracking
            .get(k)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let request = FulfilRequest {
        groups,
        notify_customer: input
            .get("notifyCustomer")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        tracking_number: text("number").or_else(|| first("numbers")),
        tracking_url: text("url").or_else(|| first("urls")),
        tracking_company: text("company"),
        message,
        api: "graphql",
    };
    let payload = match store.fulfil(shop, &request) {
        Ok(record) => json!({
            "fulfillment": {
                "id": record.get("admin_graphql_api_id"),
                "status": "SUCCESS",
                "createdAt": record.get("created_at"),
                "trackingInfo": if request.tracking_number.is_some() || request.tracking_url.is_some() {
                    json!([{
                        "number": request.tracking_number,
                        "url": request.tracking_url,
                        "company": request.tracking_company,
                    }])
                } else {
                    json!([])
                },
            },
            "userErrors": [],
        }),
        Err(error) => json!({
            "fulfillment": null,
            "userErrors": [{ "field": error.field, "message": error.message }],
        }),
    };
    json!({ "data": { mutation: payload } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variable_and_literal_arguments() {
        let q = "query GetOrder($id: ID!) { order(id: $id) { fulfillmentOrders(first: 10) { nodes { id } } } }";
        assert_eq!(argument(q, "order", "id"), Some(Arg::Variable("id".into())));
        let q = r#"{ order(id: "gid://shopify/Order/7") { id } }"#;
        assert_eq!(
            argument(q, "order", "id"),
            Some(Arg::Literal("gid://shopify/Order/7".into()))
        );
        let q = "mutation C($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f, message: $m) { userErrors { message } } }";
        assert_eq!(
            argument(q, "fulfillmentCreate", "fulfillment"),
            Some(Arg::Variable("f".into()))
        );
        assert_eq!(
            argument(q, "fulfillmentCreate", "message"),
            Some(Arg::Variable("m".into()))
        );
        assert_eq!(find_word(q, "fulfillmentCreateV2"), None);
    }

    #[test]
    fn reads_global_ids() {
        assert_eq!(
            gid_number(&json!("gid://shopify/Order/820982911946154508"), "Order"),
            Some(820_982_911_946_154_508)
        );
        assert_eq!(gid_number(&json!("12"), "Order"), Some(12));
        assert_eq!(gid_number(&json!("gid://shopify/Order/x"), "Order"), None);
    }
}
