//! Fake Shopify: a webhook sender that signs like Shopify, and an Admin API
//! server (REST orders + fulfillment orders, GraphQL fulfillment) per shop.

mod admin;
mod graphql;
mod rest;
mod signature;
mod store;
mod webhook;

pub use admin::ShopifyFake;
pub use signature::{sign, verify};
pub use webhook::{Delivery, RetryOutcome, RetryPolicy, SendResult, WebhookSender, order_body};

/// The Admin API version the fakes serialise payloads for by default.
pub const DEFAULT_API_VERSION: &str = "2026-04";

/// The body Shopify answers with when the access token is missing or wrong.
pub const INVALID_TOKEN_BODY: &str =
    r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#;
