//! Talking to a running stack over HTTP: operator calls through the
//! gateway, the one-off provisioning a shop owner does, and the fakes'
//! control routes (which play the customer, the print farm and the carrier).

use crate::services::{Service, secrets};
use crate::stack::{Fakes, Stack};
use anyhow::{Context, Result, bail};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// An HTTP client bound to one stack.
#[derive(Clone)]
pub struct StackClient {
    http: reqwest::Client,
    gateway: String,
    order: String,
    gridflock: String,
    print: String,
    fakes: Fakes,
}

/// A provisioned shop: its tenant and an operator token for the gateway.
#[derive(Debug, Clone)]
pub struct Shop {
    /// The `*.myshopify.com` domain.
    pub domain: String,
    /// The tenant id order-service gave it.
    pub tenant_id: String,
    /// A bearer token of an admin operator of that tenant.
    pub token: String,
}

impl StackClient {
    /// A client for `stack`.
    pub fn new(stack: &Stack) -> Self {
        Self {
            http: service_common::client::http_client(Duration::from_secs(60)),
            gateway: stack.url(Service::Gateway),
            order: stack.url(Service::Order),
            gridflock: stack.url(Service::Gridflock),
            print: stack.url(Service::Print),
            fakes: stack.fakes().clone(),
        }
    }

    /// The gateway's base URL.
    pub fn gateway_url(&self) -> &str {
        &self.gateway
    }

    /// The shared client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn internal(&self, method: Method, url: String, body: &Value) -> Result<Value> {
        let r = self
            .http
            .request(method, &url)
            .header("x-internal-api-key", secrets::INTERNAL_API_KEY)
            .json(body)
            .send()
            .await
            .with_context(|| url.clone())?;
        json_of(r, &url).await
    }

    /// Provisions a shop as its owner would at installation: the tenant with
    /// its Admin API token (also registered with the Shopify fake), the
    /// GridFlock feature, and an admin operator with an API token.
    pub async fn provision_shop(&self, domain: &str, name: &str) -> Result<Shop> {
        let access_token = format!("shpat_{}", uuid::Uuid::new_v4().simple());
        let r = self
            .http
            .put(format!(
                "{}/_control/shops/{domain}/access-token",
                self.fakes.shopify_url
            ))
            .json(&json!({ "token": access_token }))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("the Shopify fake refused the access token: {}", r.status());
        }
        let tenant = self
            .internal(
                Method::POST,
                format!("{}/internal/tenants", self.order),
                &json!({ "shopDomain": domain, "name": name, "shopifyAccessToken": access_token }),
            )
            .await?;
        let tenant_id = text(&tenant, "id")?;
        self.internal(
            Method::PUT,
            format!(
                "{}/internal/gridflock/tenants/{tenant_id}/feature",
                self.gridflock
            ),
            &json!({ "enabled": true }),
        )
        .await?;
        let operator = self
            .internal(
                Method::POST,
                format!("{}/internal/operators", self.gateway),
                &json!({ "tenantId": tenant_id, "email": format!("owner@{domain}"), "role": "admin" }),
            )
            .await?;
        let issued = self
            .internal(
                Method::POST,
                format!(
                    "{}/internal/operators/{}/tokens",
                    self.gateway,
                    text(&operator, "id")?
                ),
                &json!({ "name": "stack" }),
            )
            .await?;
        Ok(Shop {
            domain: domain.to_owned(),
            tenant_id,
            token: text(&issued, "token")?,
        })
    }

    /// Uploads a print file to SimplyPrint through print-service, as the
    /// shop owner does for a standard product; returns the file id.
    pub async fn upload_print_file(&self, name: &str, bytes: Vec<u8>) -> Result<String> {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let url = format!("{}/internal/files", self.print);
        let r = self
            .http
            .post(&url)
            .header("x-internal-api-key", secrets::INTERNAL_API_KEY)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await?;
        let file = json_of(r, &url).await?;
        text(&file, "fileId")
    }

    /// An operator call through the gateway: `(status, JSON body or null)`.
    pub async fn call(
        &self,
        shop: &Shop,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        // An operator is limited to GATEWAY_RATE_LIMIT_PER_MINUTE requests;
        // a well-behaved client waits as long as Retry-After says.
        for _ in 0..5 {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.gateway))
                .bearer_auth(&shop.token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let r = request
                .send()
                .await
                .with_context(|| format!("gateway {path}"))?;
            if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
                let wait = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1)
                    .clamp(1, 60);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            let status = r.status().as_u16();
            return Ok((status, r.json().await.unwrap_or(Value::Null)));
        }
        bail!("gateway {path}: still rate-limited after five waits")
    }

    /// An operator GET that must succeed.
    pub async fn get(&self, shop: &Shop, path: &str) -> Result<Value> {
        match self.call(shop, Method::GET, path, None).await? {
            (200, body) => Ok(body),
            (status, body) => bail!("GET {path} answered {status}: {body}"),
        }
    }

    /// The id of the shop's order with this Shopify id, once it is stored.
    pub async fn order_id(&self, shop: &Shop, shopify_order_id: i64) -> Result<Option<String>> {
        let list = self.get(shop, "/api/v1/orders?limit=200").await?;
        Ok(list
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["shopifyOrderId"] == shopify_order_id)
            .and_then(|o| o["id"].as_str())
            .map(str::to_owned))
    }

    /// An order with its line items and print jobs.
    pub async fn order(&self, shop: &Shop, id: &str) -> Result<Value> {
        self.get(shop, &format!("/api/v1/orders/{id}")).await
    }

    /// Shopify: the order exists in the shop (its fulfilment orders are
    /// what the fulfilment is created against), then `orders/create` is
    /// delivered, signed, to the gateway's webhook route.
    pub async fn place_order(&self, shop: &Shop, order: &Value) -> Result<()> {
        let url = format!(
            "{}/_control/shops/{}/orders",
            self.fakes.shopify_url, shop.domain
        );
        let r = self.http.post(&url).json(order).send().await?;
        json_of(r, &url).await?;
        let url = format!("{}/_control/webhooks/send", self.fakes.shopify_url);
        let r = self
            .http
            .post(&url)
            .json(&json!({
                "url": format!("{}/webhooks/shopify/orders-create", self.gateway),
                "secret": secrets::SHOPIFY_WEBHOOK_SECRET,
                "shop": shop.domain,
                "topic": "orders/create",
                "body": order,
            }))
            .send()
            .await?;
        let sent = json_of(r, &url).await?;
        if sent["status"] != 200 {
            bail!("the gateway answered the orders/create webhook with {sent}");
        }
        Ok(())
    }

    /// Fulfilments the shop received in the Shopify fake.
    pub async fn shopify_fulfillments(&self, shop: &Shop) -> Result<Vec<Value>> {
        let url = format!(
            "{}/_control/shops/{}/fulfillments",
            self.fakes.shopify_url, shop.domain
        );
        let r = self.http.get(&url).send().await?;
        let body = json_of(r, &url).await?;
        Ok(list(&body, "fulfillments"))
    }

    /// The print farm: every queued item printed, each job reported by a
    /// signed webhook. Returns the jobs finished.
    pub async fn print_everything_queued(&self) -> Result<Vec<Value>> {
        let url = format!("{}/_control/print-all", self.fakes.simplyprint_api_url);
        let r = self.http.post(&url).send().await?;
        Ok(list(&json_of(r, &url).await?, "jobs"))
    }

    /// The print farm's queue, files or jobs (`what`).
    pub async fn farm(&self, what: &str) -> Result<Vec<Value>> {
        let url = format!("{}/_control/{what}", self.fakes.simplyprint_api_url);
        let r = self.http.get(&url).send().await?;
        Ok(list(&json_of(r, &url).await?, what))
    }

    /// Shipments announced to the Sendcloud fake.
    pub async fn sendcloud_shipments(&self) -> Result<Vec<Value>> {
        let url = format!("{}/_control/shipments", self.fakes.sendcloud_url);
        let r = self.http.get(&url).send().await?;
        Ok(list(&json_of(r, &url).await?, "shipments"))
    }

    /// The carrier: a parcel status change, sent as a signed Sendcloud webhook.
    pub async fn parcel_status(&self, parcel_id: i64, status_id: i64, message: &str) -> Result<()> {
        let url = format!(
            "{}/_control/parcels/{parcel_id}/status",
            self.fakes.sendcloud_url
        );
        let r = self
            .http
            .post(&url)
            .json(&json!({ "status_id": status_id, "message": message }))
            .send()
            .await?;
        json_of(r, &url).await.map(drop)
    }
}

async fn json_of(r: reqwest::Response, what: &str) -> Result<Value> {
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{what} answered {status}: {body}");
    }
    Ok(body)
}

fn text(v: &Value, key: &str) -> Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {key} in {v}"))
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().cloned().unwrap_or_default()
}
