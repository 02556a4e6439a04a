//! Shopify: webhook signatures, the Order payload, the Admin API client.

pub mod admin;
pub mod order;
pub mod signature;
