//! Shopify Admin API: the orders list, for reconciliation.
//!
//! The REST `orders.json` resource is used because it returns exactly the
//! Order JSON the webhooks carry, so a polled order goes through the same
//! parser and import as a delivered one.

use super::order::{ParseError, ShopifyOrder, parse};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Page size (Shopify's maximum).
const PAGE: u32 = 250;
/// Pages one reconciliation run reads at most per tenant.
const MAX_PAGES: usize = 40;

/// A client for one shop.
pub struct AdminClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// Why listing failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Transport failure or an unexpected status.
    #[error("Shopify Admin API: {0}")]
    Http(String),
    /// An order in the answer could not be read.
    #[error("Shopify Admin API returned an unreadable order: {0}")]
    Order(String),
}

impl AdminClient {
    /// A client for `shop` (the template's `{shop}` is replaced by it).
    pub fn new(template: &str, version: &str, shop: &str, token: &str) -> Self {
        Self {
            http: service_common::client::http_client(Duration::from_secs(20)),
            base: format!("{}/admin/api/{version}", template.replace("{shop}", shop)),
            token: token.to_owned(),
        }
    }

    /// Every order updated at or after `since`, oldest page first.
    pub async fn orders_updated_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ShopifyOrder>, AdminError> {
        let mut url = format!(
            "{}/orders.json?status=any&limit={PAGE}&updated_at_min={}",
            self.base,
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let mut orders = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self
                .http
                .get(&url)
                .header("X-Shopify-Access-Token", &self.token)
                .send()
                .await
                .map_err(|e| AdminError::Http(e.to_string()))?;
            let status = response.status();
            let next = response
                .headers()
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let body = response
                .bytes()
                .await
                .map_err(|e| AdminError::Http(e.to_string()))?;
            if !status.is_success() {
                return Err(AdminError::Http(format!(
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                )));
            }
            let page: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| AdminError::Http(format!("answer is not JSON: {e}")))?;
            for raw in page["orders"].as_array().into_iter().flatten() {
                let bytes =
                    serde_json::to_vec(raw).map_err(|e| AdminError::Order(e.to_string()))?;
                match parse(&bytes) {
                    Ok(o) => orders.push(o),
                    Err(ParseError::Syntax(e)) => return Err(AdminError::Order(e)),
                    Err(ParseError::Invalid(errors)) => {
                        // One unreadable order must not hide the others.
                        tracing::warn!(order = %raw["id"], ?errors, "skipping an order Shopify listed");
                    }
                }
            }
            match next {
                Some(n) => url = n,
                None => return Ok(orders),
            }
        }
        tracing::warn!(
            "reconciliation stopped after {MAX_PAGES} pages; the rest waits for the next run"
        );
        Ok(orders)
    }
}

/// The `rel="next"` target of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn finds_the_next_page() {
        let h = r#"<https://s.myshopify.com/admin/api/2026-04/orders.json?page_info=abc&limit=250>; rel="previous", <https://s.myshopify.com/admin/api/2026-04/orders.json?page_info=def&limit=250>; rel="next""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://s.myshopify.com/admin/api/2026-04/orders.json?page_info=def&limit=250")
        );
        assert_eq!(next_link(r#"<https://x>; rel="previous""#), None);
    }
}
