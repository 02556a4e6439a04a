//! Sending webhooks the way Shopify does: the full `X-Shopify-*` header set,
//! an HMAC over the exact bytes sent, a 5 s total timeout, duplicates that keep
//! the event id, and retries of non-2xx answers.

use super::{DEFAULT_API_VERSION, sign};
use chrono::{SecondsFormat, Utc};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Shopify gives a subscriber 5 s in total to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// One webhook delivery: the body and the identifiers Shopify sends with it.
/// Sending the same `Delivery` again is a retry (same webhook and event ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// e.g. `orders/create`.
    pub topic: String,
    /// The exact bytes sent and signed.
    pub body: Vec<u8>,
    /// `X-Shopify-Webhook-Id`: one per delivery, kept across retries.
    pub webhook_id: String,
    /// `X-Shopify-Event-Id`: one per event, shared by duplicate deliveries.
    pub event_id: String,
    /// `X-Shopify-Triggered-At`, ISO-8601.
    pub triggered_at: String,
    /// `X-Shopify-API-Version`.
    pub api_version: String,
}

impl Delivery {
    /// A fresh delivery of a fresh event, triggered now.
    pub fn new(topic: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            topic: topic.into(),
            body: body.into(),
            webhook_id: uuid::Uuid::new_v4().to_string(),
            event_id: uuid::Uuid::new_v4().to_string(),
            triggered_at: Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true),
            api_version: DEFAULT_API_VERSION.to_owned(),
        }
    }

    /// A delivery whose body is `body` serialised compactly (ids > 2^53 survive).
    pub fn json(topic: impl Into<String>, body: &Value) -> Self {
        Self::new(topic, body.to_string().into_bytes())
    }

    /// The same delivery with another API version header.
    pub fn with_api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// The same event delivered a second time as a new delivery: a new webhook
    /// id, the same event id, body and trigger time (what a second
    /// subscription or a Shopify-side duplicate looks like).
    pub fn redelivered_as_duplicate(&self) -> Self {
        Self {
            webhook_id: uuid::Uuid::new_v4().to_string(),
            ..self.clone()
        }
    }
}

/// The order inside a fixture: unwraps `{"order": …}` (REST fixtures) and
/// `{"response": …}` (webhook docs samples); anything else is returned as is.
pub fn order_body(fixture: Value) -> Value {
    match fixture {
        Value::Object(mut map) => {
            if let Some(inner) = map.remove("order").filter(Value::is_object) {
                inner
            } else if let Some(inner) = map.remove("response").filter(Value::is_object) {
                inner
            } else {
                Value::Object(map)
            }
        }
        other => other,
    }
}

/// What the subscriber answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// HTTP status code.
    pub status: u16,
    /// Response body as text.
    pub body: String,
    /// Time from sending to the full answer.
    pub elapsed: Duration,
}

impl SendResult {
    /// Whether Shopify would count this as delivered (any 2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Delays between attempts of [`WebhookSender::retrying_send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// One entry per retry: the wait before it.
    pub delays: Vec<Duration>,
}

impl RetryPolicy {
    /// Shopify's schedule: 8 retries over about 4 hours, exponential back-off.
    pub fn shopify() -> Self {
        Self {
            delays: (0..8).map(|i| Duration::from_secs(56 << i)).collect(),
        }
    }

    /// `retries` retries, each after `delay` (for tests).
    pub fn fixed(retries: usize, delay: Duration) -> Self {
        Self {
            delays: vec![delay; retries],
        }
    }
}

/// Every attempt of a retried delivery.
#[derive(Debug)]
pub struct RetryOutcome {
    /// One entry per attempt, in order: the answer or the transport error.
    pub attempts: Vec<Result<SendResult, String>>,
}

impl RetryOutcome {
    /// Whether an attempt got a 2xx.
    pub fn delivered(&self) -> bool {
        self.attempts
            .iter()
            .any(|a| a.as_ref().is_ok_and(SendResult::is_success))
    }
}

/// Signs and POSTs deliveries for one shop, like Shopify's webhook system.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    secret: Vec<u8>,
    shop_domain: String,
    http: reqwest::Client,
}

impl WebhookSender {
    /// A sender signing with the app's client secret for `shop_domain`
    /// (e.g. `johns-apparel.myshopify.com`).
    pub fn new(secret: &str, shop_domain: &str) -> Self {
        Self {
            secret: secret.as_bytes().to_vec(),
            shop_domain: shop_domain.to_owned(),
            http: service_common::client::http_client(DELIVERY_TIMEOUT),
        }
    }

    /// The shop domain sent in `X-Shopify-Shop-Domain`.
    pub fn shop_domain(&self) -> &str {
        &self.shop_domain
    }

    /// The signature this sender puts on `body`.
    pub fn signature(&self, body: &[u8]) -> String {
        sign(&self.secret, body)
    }

    /// POSTs the delivery, correctly signed.
    pub async fn send(&self, url: &str, delivery: &Delivery) -> Result<SendResult, reqwest::Error> {
        let signature = self.signature(&delivery.body);
        self.send_with_signature(url, delivery, &signature).await
    }

    /// POSTs the delivery with the given `X-Shopify-Hmac-Sha256` value (to test rejection).
    pub async fn send_with_signature(
        &self,
        url: &str,
        delivery: &Delivery,
        signature: &str,
    ) -> Result<SendResult, reqwest::Error> {
        let started = Instant::now();
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("User-Agent", "Shopify-Captain-Hook")
            .header("X-Shopify-Topic", &delivery.topic)
            .header("X-Shopify-Hmac-Sha256", signature)
            .header("X-Shopify-Shop-Domain", &self.shop_domain)
            .header("X-Shopify-API-Version", &delivery.api_version)
            .header("X-Shopify-Webhook-Id", &delivery.webhook_id)
            .header("X-Shopify-Event-Id", &delivery.event_id)
            .header("X-Shopify-Triggered-At", &delivery.triggered_at)
            .body(delivery.body.clone())
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(SendResult {
            status,
            body,
            elapsed: started.elapsed(),
        })
    }

    /// Sends, and retries (same delivery, same ids) after each non-2xx answer or
    /// transport error, waiting `policy.delays[i]` before retry `i`.
    pub async fn retrying_send(
        &self,
        url: &str,
        delivery: &Delivery,
        policy: &RetryPolicy,
    ) -> RetryOutcome {
        let mut attempts = Vec::new();
        let mut delays = policy.delays.iter();
        loop {
            let attempt = self.send(url, delivery).await.map_err(|e| e.to_string());
            let done = attempt.as_ref().is_ok_and(SendResult::is_success);
            attempts.push(attempt);
            if done {
                break;
            }
            match delays.next() {
                Some(delay) => tokio::time::sleep(*delay).await,
                None => break,
            }
        }
        RetryOutcome { attempts }
    }
}
