//! Outgoing SimplyPrint webhooks: the `{webhook_id, event, timestamp, data}`
//! envelope, POSTed with the shared secret verbatim in `X-SP-Secret`.

use super::farm::Farm;
use super::model::WebhookDelivery;
use crate::sync::lock;
use serde_json::{Value, json};
use std::sync::Mutex;

/// Sends `event` to every enabled webhook subscribed to it, one after the
/// other, and records each result in the farm.
pub(super) async fn deliver(
    farm: &Mutex<Farm>,
    http: &reqwest::Client,
    event: &str,
    data: Value,
) -> Vec<WebhookDelivery> {
    let subscribers = lock(farm).subscribers(event);
    let mut results = Vec::new();
    for webhook in subscribers {
        let payload = json!({
            "webhook_id": webhook.id,
            "event": event,
            "timestamp": chrono::Utc::now().timestamp(),
            "data": data,
        });
        let mut request = http
            .post(&webhook.url)
            .header("Content-Type", "application/json")
            .header("User-Agent", "SimplyPrint-Webhooks")
            .body(payload.to_string());
        if let Some(secret) = &webhook.secret {
            request = request.header("X-SP-Secret", secret);
        }
        let (status, error) = match request.send().await {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let delivery = WebhookDelivery {
            webhook_id: webhook.id,
            url: webhook.url.clone(),
            event: event.to_owned(),
            payload,
            status,
            error,
        };
        if !delivery.delivered() {
            tracing::info!(event, url = %webhook.url, ?status, "fake SimplyPrint webhook not accepted");
        }
        lock(farm).deliveries.push(delivery.clone());
        results.push(delivery);
    }
    results
}
