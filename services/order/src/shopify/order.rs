//! The Shopify Order resource (webhook body and Admin API), read leniently:
//! only what the service uses is required, ids are 64-bit integers (they
//! exceed 2^53), property values may be any JSON.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use service_common::FieldError;

/// Most line items one order may carry here.
pub const MAX_LINE_ITEMS: usize = 500;
/// Most units of one line item.
pub const MAX_QUANTITY: i64 = 10_000;

/// An order as Shopify sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct ShopifyOrder {
    /// Shopify's order id.
    pub id: i64,
    /// Display name such as `#1042`.
    #[serde(default)]
    pub name: Option<String>,
    /// Customer email.
    #[serde(default)]
    pub email: Option<String>,
    /// ISO currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// Total as a decimal string.
    #[serde(default)]
    pub total_price: Option<String>,
    /// `paid`, `pending`, …
    #[serde(default)]
    pub financial_status: Option<String>,
    /// Last change in Shopify; orders/updated payloads older than what is
    /// stored are stale.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Set when the order is cancelled.
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// `customer`, `fraud`, …
    #[serde(default)]
    pub cancel_reason: Option<String>,
    /// Where to ship; absent for orders that need no shipping.
    #[serde(default)]
    pub shipping_address: Option<serde_json::Value>,
    /// The items.
    pub line_items: Vec<ShopifyLineItem>,
}

/// One line of an order.
#[derive(Debug, Clone, Deserialize)]
pub struct ShopifyLineItem {
    /// Shopify's line item id.
    pub id: i64,
    /// Variant SKU; `null` for custom items.
    #[serde(default)]
    pub sku: Option<String>,
    /// Product title.
    #[serde(default)]
    pub title: Option<String>,
    /// Units ordered.
    pub quantity: i64,
    /// Customer-entered properties (`properties[Width (mm)]` on the storefront).
    #[serde(default)]
    pub properties: Vec<Property>,
}

/// A line item property; names may repeat and values need not be strings.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct Property {
    /// The label.
    pub name: String,
    /// The value as sent.
    #[serde(default)]
    pub value: serde_json::Value,
}

impl ShopifyLineItem {
    /// The SKU, trimmed; `None` when absent or blank.
    pub fn sku(&self) -> Option<&str> {
        self.sku.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Why a body is not an order we can import.
#[derive(Debug)]
pub enum ParseError {
    /// Not JSON at all.
    Syntax(String),
    /// JSON, but fields are missing, mistyped or out of range.
    Invalid(Vec<FieldError>),
}

/// Parses and checks an order body.
pub fn parse(body: &[u8]) -> Result<ShopifyOrder, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let order: ShopifyOrder = match serde_path_to_error::deserialize(&mut de) {
        Ok(o) => o,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(if inner.is_syntax() || inner.is_eof() {
                ParseError::Syntax(inner.to_string())
            } else {
                let field = if path == "." { "body".to_owned() } else { path };
                ParseError::Invalid(vec![FieldError::new(
                    field,
                    strip_position(&inner.to_string()),
                )])
            });
        }
    };
    let errors = check(&order);
    if errors.is_empty() {
        Ok(order)
    } else {
        Err(ParseError::Invalid(errors))
    }
}

fn strip_position(message: &str) -> String {
    message
        .split_once(" at line ")
        .map_or(message, |(m, _)| m)
        .to_owned()
}

fn check(order: &ShopifyOrder) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if order.id <= 0 {
        errors.push(FieldError::new("id", "must be a positive integer"));
    }
    if order.line_items.is_empty() {
        errors.push(FieldError::new("line_items", "must hold at least one item"));
    }
    if order.line_items.len() > MAX_LINE_ITEMS {
        errors.push(FieldError::new(
            "line_items",
            format!(
                "holds {} items; at most {MAX_LINE_ITEMS} are accepted",
                order.line_items.len()
            ),
        ));
    }
    for (i, item) in order.line_items.iter().enumerate() {
        if item.id <= 0 {
            errors.push(FieldError::new(
                format!("line_items[{i}].id"),
                "must be a positive integer",
            ));
        }
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            errors.push(FieldError::new(
                format!("line_items[{i}].quantity"),
                format!("is {}; must be in 1..={MAX_QUANTITY}", item.quantity),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_common::testing::fixture;

    fn webhook_body(name: &str) -> Vec<u8> {
        let v: serde_json::Value = serde_json::from_slice(&fixture(name)).expect("fixture json");
        serde_json::to_vec(&v["response"]).expect("body")
    }

    #[test]
    fn reads_the_documented_orders_create_sample() {
        let order = parse(&webhook_body(
            "shopify_webhook_orders_create__shopify-docs-sample_2026-04.json",
        ))
        .expect("parses");
        assert_eq!(order.id, 820_982_911_946_154_500);
        assert_eq!(order.line_items.len(), 5);
        assert!(order.cancelled_at.is_some());
    }

    #[test]
    fn reads_repeated_and_non_string_properties() {
        let v: serde_json::Value = serde_json::from_slice(&fixture(
            "shopify_order__shopify-api-ruby__order_with_properties.json",
        ))
        .expect("json");
        let order = parse(&serde_json::to_vec(&v["order"]).expect("body")).expect("parses");
        let props: Vec<&Property> = order
            .line_items
            .iter()
            .flat_map(|l| &l.properties)
            .collect();
        assert!(props.iter().filter(|p| p.name == "Coffees").count() >= 3);
        assert!(props.iter().any(|p| p.value.is_object()));
    }

    #[test]
    fn ids_beyond_2_pow_53_stay_exact() {
        let body =
            br#"{"id":5940139491234567890,"line_items":[{"id":9007199254740993,"quantity":1}]}"#;
        let order = parse(body).expect("parses");
        assert_eq!(order.id, 5_940_139_491_234_567_890);
        assert_eq!(order.line_items[0].id, 9_007_199_254_740_993);
    }

    #[test]
    fn problems_name_the_field() {
        match parse(br#"{"id":1,"line_items":[{"id":2,"quantity":"two"}]}"#) {
            Err(ParseError::Invalid(e)) => assert_eq!(e[0].field, "line_items[0].quantity"),
            other => panic!("expected invalid, got {other:?}"),
        }
        match parse(br#"{"id":1,"line_items":[{"id":2,"quantity":0}]}"#) {
            Err(ParseError::Invalid(e)) => {
                assert_eq!(e[0].field, "line_items[0].quantity");
                assert!(e[0].message.contains("1..=10000"));
            }
            other => panic!("expected invalid, got {other:?}"),
        }
        match parse(br#"{"line_items":[]}"#) {
            Err(ParseError::Invalid(e)) => assert!(e[0].message.contains("id")),
            other => panic!("expected invalid, got {other:?}"),
        }
        assert!(matches!(parse(b"{\"id\":1,"), Err(ParseError::Syntax(_))));
    }
}
