//! What shipping-service asks order-service: an order's address and items,
//! and a tenant's Shopify Admin API credentials.

use serde::Deserialize;
use service_common::client::{ClientError, ServiceClient};
use uuid::Uuid;

/// The parts of `GET /internal/orders/{id}` a shipment needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    /// Shopify's order name, e.g. `#1001`.
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    /// Shopify's address object (`name`, `address1`, `zip`, `country_code`, …).
    pub(crate) shipping_address: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) line_items: Vec<LineItem>,
}

/// One line item of the order.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LineItem {
    pub(crate) title: String,
    pub(crate) quantity: i64,
    pub(crate) sku: Option<String>,
}

/// `GET /internal/tenants/{id}/shopify-credentials`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ShopifyCredentials {
    pub(crate) access_token: String,
    /// `…/admin/api/{version}`; GraphQL is at `{admin_url}/graphql.json`.
    pub(crate) admin_url: String,
}

/// The order-service client.
#[derive(Clone)]
pub(crate) struct Orders(pub(crate) ServiceClient);

impl Orders {
    pub(crate) async fn order(&self, id: Uuid) -> Result<Order, ClientError> {
        self.0.get(&format!("/internal/orders/{id}")).await
    }

    pub(crate) async fn credentials(
        &self,
        tenant: Uuid,
    ) -> Result<ShopifyCredentials, ClientError> {
        self.0
            .get(&format!("/internal/tenants/{tenant}/shopify-credentials"))
            .await
    }
}
